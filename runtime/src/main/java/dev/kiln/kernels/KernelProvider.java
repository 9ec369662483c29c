package dev.kiln.kernels;

/**
 * The CPU kernels that have more than one implementation: plain Java loops that run everywhere
 * ({@link Kernels#scalar()}) and, when the JVM was started with {@code --add-modules
 * jdk.incubator.vector}, Vector API loops. {@link Kernels#provider()} is the one chosen for this
 * JVM; callers normally go through {@link Gemm} and friends instead of holding a provider.
 *
 * <p>Only primitive arrays and ints cross this interface, so neither callers nor this interface
 * mention incubator types, and code compiled against Kiln runs without the module.
 *
 * <p>GEMM contract (both precisions): {@code C = A B} where A is m x k and B is k x n, each read
 * through a row and a column stride from an offset, so a transposed operand is read in place
 * (strides may be 0 for a broadcast operand); C is written row-major with row stride {@code ldc}
 * (at least n) from {@code cOff}, overwriting its m x n elements and nothing else, so that a block of
 * a larger C can be computed on its own. Implementations are safe to call from several threads at
 * once on distinct outputs, and compute each element of C the same way whatever m is and whatever n
 * is from {@link Gemm#NARROW_COLUMNS} up (an element's value depends on its row of A, its column of
 * B, k, the operands' layout and whether n is below that width only), so that a product split into
 * blocks of rows, or into blocks of columns none narrower than that, gives the same bits as the whole.
 *
 * <p>Subnormal results. The float32 kernels of activations ({@link #unary} and the kernels that
 * add a bias and apply one), of their derivatives ({@link #unaryBackward}, {@link #outerUnaryBackward},
 * {@link #unaryBackwardColumnSums}), of the softmax and its gradient ({@link #softmaxRows} without
 * the log, {@link #softmaxRowsBackward}) and of the cross-entropy gradients ({@link #crossEntropyRows},
 * {@link #crossEntropyColumns}) store zero for a result below {@link Float#MIN_NORMAL}
 * (1.18e-38) in magnitude, as a CPU in flush-to-zero mode does. Their results are what the next
 * GEMM reads, and an x86 FMA with a subnormal operand takes a microcode assist: a GEMM whose B was
 * all subnormal ran 100 times slower on an Intel core, and a classifier trained until its sigmoids
 * saturated (50 subnormals in a 4,000-element gradient) ran its steps 2 to 3 times slower. Java cannot set the CPU's flush-to-zero and
 * denormals-are-zero flags, as TensorFlow does for its threads, so these kernels flush their own
 * results; the values lost are smaller than any float32 gradient step could use. The optimizer
 * steps ({@link #sgd}, {@link #rmsprop}, {@link #adam}) flush the running averages they store
 * (momentum buffers, averages of the gradient and of its square) for another reason: where a
 * gradient stays zero (the weights of a dead ReLU unit) an average decays geometrically through the
 * subnormal range, and every step multiplies the subnormals again. After 1,500 steps of the MLP
 * benchmark 98,000 of its first layer's 401,408 Adam averages were subnormal, and Adam's step took
 * 1.4 ms instead of 0.3. Flushing what is stored is not enough: while an average decays through the
 * range just above the smallest normal, its product with the learning rate is subnormal, and that
 * multiply takes the assist too (Adam at 1e-3 spends 65 steps there per average, and the MLP's
 * Adam step took 1.9 ms instead of 0.3 over a few hundred steps). So these steps zero the update
 * where the learning rate (Adam: the step size) times its numerator would be subnormal, before
 * multiplying, which is again what flush-to-zero computes. The optimizers' own loops (float32 Adam
 * with amsgrad, which no kernel runs) store their averages the same way, through
 * {@link #flushSubnormal}. Parameters themselves are stored as computed. Float64 kernels and the
 * other float32 kernels keep subnormals.
 */
public interface KernelProvider {

    /**
     * v rounded to float, or zero where that is subnormal (below {@link Float#MIN_NORMAL} in
     * magnitude): what the float32 kernels store where the interface description says they flush
     * subnormal results, for code outside the kernels that stores such values itself (an
     * optimizer's generic loop). NaN stays NaN.
     */
    static float flushSubnormal(double v) {
        return ScalarKernels.flush(v);
    }

    /** A short name for logs and benchmarks: {@code "scalar"} or {@code "vector"}. */
    String name();

    /** Single-precision GEMM; see the interface for the contract. */
    void sgemm(int m, int n, int k,
               float[] a, int aOff, int aRs, int aCs,
               float[] b, int bOff, int bRs, int bCs,
               float[] c, int cOff, int ldc);

    /** Double-precision GEMM; see the interface for the contract. */
    void dgemm(int m, int n, int k,
               double[] a, int aOff, int aRs, int aCs,
               double[] b, int bOff, int bRs, int bCs,
               double[] c, int cOff, int ldc);

    /**
     * {@code out[i] = f(x[i])} for i below {@code x.length} (out at least as long). The scalar kernels
     * compute in double and round once; the vector kernels compute in float, within
     * {@code torch.testing.assert_close}'s float32 tolerance of that (|error| <= 1e-5 + 1.3e-6 |value|),
     * NaN and infinities included.
     */
    void unary(UnaryFunction f, float[] x, float[] out);

    /** {@code out[i] = f(x[i])} in double precision; see {@link #unary(UnaryFunction, float[], float[])}. */
    void unary(UnaryFunction f, double[] x, double[] out);

    /**
     * The gradient through {@link #unary} from its output: {@code out[i] = g[i] f'(x[i])} with f'
     * written with {@code y[i] = f(x[i])} ({@link UnaryFunction#derivativeAt}), for i below
     * {@code n}; out may be g. For the functions whose {@link UnaryFunction#derivativeFromOutput}
     * holds. Relu's selects: g where y is positive, zero elsewhere even where g is NaN or infinite
     * (PyTorch's threshold_backward). The scalar kernels compute in double and round once; the
     * vector kernels in float.
     */
    void unaryBackward(UnaryFunction f, float[] y, float[] g, float[] out, int n);

    /** {@link #unaryBackward(UnaryFunction, float[], float[], float[], int)} in double precision. */
    default void unaryBackward(UnaryFunction f, double[] y, double[] g, double[] out, int n) {
        for (int i = 0; i < n; i++) {
            out[i] = f == UnaryFunction.RELU ? (y[i] > 0 ? g[i] : 0.0) : g[i] * f.derivativeAt(y[i]);
        }
    }

    /**
     * {@code out[r * cols + c] += row[c]} for every row r below {@code rows}: a bias added to each row
     * of a row-major matrix, one rounding per element as in any float addition.
     */
    void addRowVector(float[] out, float[] row, int rows, int cols);

    /**
     * {@code out[r * cols + c] = g[r] w[c] f'(y[r * cols + c])}, and with {@code columnSums} not
     * null {@code columnSums[c] =} the sum of column c of out: the gradient of a layer's input
     * through the activation before it when the layer has one output ({@code g w}, g one value per
     * row), and the bias gradient of the layer before the activation, in one pass. Each element is
     * {@link #unaryBackward}'s formula applied to {@code g[r] w[c]} rounded once (what a GEMM of
     * depth 1 gives); the sums are within float32 tolerance of the exact ones. f's derivative must
     * come from its output.
     */
    void outerUnaryBackward(UnaryFunction f, float[] g, float[] w, float[] y, float[] out, int rows, int cols,
                            float[] columnSums);

    /**
     * {@link #unaryBackward} over a rows x cols matrix, {@code out = g f'(y)}, and with
     * {@code columnSums} not null the sums of out's columns into it, in one pass: the gradient
     * through an activation and the bias gradient of the layer before it. Each element is
     * {@link #unaryBackward}'s formula; the sums are within float32 tolerance of the exact ones. out
     * must not be g (the vector kernels compute the last columns twice, from g).
     */
    void unaryBackwardColumnSums(UnaryFunction f, float[] y, float[] g, float[] out, int rows, int cols,
                                 float[] columnSums);

    /** {@link #addRowVector(float[], float[], int, int)} in double precision. */
    void addRowVector(double[] out, double[] row, int rows, int cols);

    /**
     * {@code out[r * cols + c] = f(x[r * cols + c] + row[c])} for every row r below {@code rows}: a
     * Linear layer's bias and its activation in one pass over the GEMM's output. Each element gets
     * the bits of {@link #addRowVector} followed by {@link #unary} on an array of rows x cols
     * elements; out may be x.
     */
    void addRowVectorUnary(UnaryFunction f, float[] x, float[] row, float[] out, int rows, int cols);

    /**
     * A block of {@link #addRowVectorUnary(UnaryFunction, float[], float[], float[], int, int)}, on
     * the calling thread: {@code out[outOff + r outLd + c] = f(x[xOff + r xLd + c] + row[rowOff + c])}
     * for r below rows and c below cols. Where the whole pass's rows and this block's columns are
     * whole vectors (cols, rowOff and the pass's row length multiples of 16), each element gets the
     * bits the whole pass gives it. out must not overlap x unless it is x.
     */
    void addRowVectorUnary(UnaryFunction f, float[] x, int xOff, int xLd, float[] row, int rowOff,
                           float[] out, int outOff, int outLd, int rows, int cols);

    /**
     * SGD's step on {@code n} float32 elements, in place, as {@code torch.optim.SGD} defines it:
     * {@code d = (maximize ? -g : g) + weightDecay * theta}; with momentum, the buffer becomes
     * {@code d} on the first step and {@code momentum * buffer + (1 - dampening) * d} after, and
     * {@code d} becomes {@code d + momentum * buffer} (Nesterov) or the buffer; then
     * {@code theta -= lr * d}. {@code buffer} is null when momentum is 0. The scalar kernels compute
     * each element in double and round once; the vector kernels compute in float (within float32
     * tolerance of that).
     */
    void sgd(float[] theta, int thetaAt, float[] g, int gAt, float[] buffer, int n, double lr, double momentum,
             double dampening, double weightDecay, boolean nesterov, boolean maximize, boolean firstStep);

    /**
     * RMSprop's step on {@code n} float32 elements, in place, as {@code torch.optim.RMSprop} defines
     * it: {@code d = (maximize ? -g : g) + weightDecay * theta},
     * {@code squareAvg = alpha * squareAvg + (1 - alpha) * d^2}; centered ({@code gradAvg} not null),
     * {@code gradAvg = alpha * gradAvg + (1 - alpha) * d} and the variance
     * {@code squareAvg - gradAvg^2} in place of squareAvg below; {@code step = d / (sqrt(that) + eps)};
     * with momentum ({@code buffer} not null), {@code buffer = momentum * buffer + step} is the step;
     * then {@code theta -= lr * step}. Precision as in {@link #sgd}.
     */
    void rmsprop(float[] theta, int thetaAt, float[] g, int gAt, float[] squareAvg, float[] gradAvg, float[] buffer,
                 int n, double lr, double alpha, double eps, double weightDecay, double momentum, boolean maximize);

    /**
     * Adagrad's step on {@code n} float32 elements, in place, as {@code torch.optim.Adagrad} defines
     * it: {@code d = (maximize ? -g : g) + weightDecay * theta}, {@code sum += d^2},
     * {@code theta -= lr * d / (sqrt(sum) + eps)}, with {@code lr} already decayed for this step.
     * Precision as in {@link #sgd}.
     */
    void adagrad(float[] theta, int thetaAt, float[] g, int gAt, float[] sum, int n, double lr, double eps,
                 double weightDecay, boolean maximize);

    /**
     * Adam's step on {@code n} float32 elements, in place: with {@code p = theta * shrink} and
     * {@code d = (maximize ? -g : g) + l2 * p}, {@code m = beta1 m + (1 - beta1) d},
     * {@code v = beta2 v + (1 - beta2) d^2} and {@code theta = p - stepSize * m / (sqrt(v) / bc2Sqrt + eps)}.
     * The scalar kernels compute each element in double and round once; the vector kernels compute in
     * float (within float32 tolerance of that).
     */
    void adam(float[] theta, int thetaAt, float[] g, int gAt, float[] m, float[] v, int n, double beta1, double beta2,
              double stepSize, double bc2Sqrt, double eps, double l2, double shrink, boolean maximize);

    /**
     * Sums of a contiguous float32 array read as {@code (outer, n, inner)} along its middle axis:
     * {@code out[o inner + i] = sum over r < n of x[(o n + r) inner + i]}, for the first outer x inner
     * elements of out. The scalar kernels sum in double and round once; the vector kernels add in
     * float within blocks and carry the blocks' sums in double, within float32 tolerance of that.
     */
    void sum(float[] x, int outer, int n, int inner, float[] out);

    /**
     * The softmax ({@code log} false) or log-softmax ({@code log} true) of each row of a row-major
     * rows x cols float32 matrix, into out (which may be x): the row's maximum is subtracted first, a
     * row holding NaN gives NaNs, and a row of minus infinities gives NaNs, as in PyTorch. The scalar
     * kernels compute in double and round once; the vector kernels compute in float (within float32
     * tolerance of that).
     */
    void softmaxRows(float[] x, float[] out, int rows, int cols, boolean log);

    /**
     * The gradient through {@link #softmaxRows} by rows, given its output y and the output's gradient
     * g: for the log-softmax {@code out = g - exp(y) sum(g)}, for the softmax
     * {@code out = y (g - sum(g y))}, the sums over each row. out may be g. Precision as in
     * {@link #softmaxRows}.
     */
    void softmaxRowsBackward(float[] y, float[] g, float[] out, int rows, int cols, boolean log);

    /**
     * Cross-entropy of each row of a row-major rows x cols float32 matrix of logits against one class
     * index per row, with its gradient, in one pass. A row r whose target {@code t = target[r]} is not
     * {@code ignoreIndex} adds {@code -log softmax(x_r)[t]} to the returned sum and gets
     * {@code scale (softmax(x_r) - onehot(t))} in grad; a row whose target is ignoreIndex adds nothing
     * and gets zeros. Every other target must lie in {@code [0, cols)}: the caller checks. grad may be
     * x. The scalar kernels compute each row in double and round once; the vector kernels compute in
     * float (within float32 tolerance of that) and add the rows' losses in double.
     */
    double crossEntropyRows(float[] x, int rows, int cols, long[] target, long ignoreIndex, float scale, float[] grad);

    // The batch-along-vectors layout of a compiled training step: a matrix of features x batch, one
    // row per feature, so that the batch fills the vectors where the layers are narrower than them.

    /**
     * {@code out[c * rows + r] = f(x[r * cols + c] + row[c])}: {@link #addRowVectorUnary} with its
     * result transposed, cols x rows: a first layer's bias and activation, and its output moved into
     * the layout of one row per feature, in one pass. A null row adds nothing (a layer without a
     * bias). out must not be x. Precision as in {@link #unary}.
     */
    void addRowVectorUnaryTransposed(UnaryFunction f, float[] x, float[] row, float[] out, int rows, int cols);

    /**
     * {@code out[r * cols + c] = x[r * cols + c] + column[r]} for every row r below {@code rows}: a
     * bias added to each column of a row-major matrix, a layer's bias when its output is stored one
     * row per feature. out may be x.
     */
    void addColumnVector(float[] x, float[] column, float[] out, int rows, int cols);

    /**
     * {@code out[r * cols + c] = f(x[r * cols + c] + column[r])}: {@link #addColumnVector} and the
     * activation in one pass. out may be x. Precision as in {@link #unary}.
     */
    void addColumnVectorUnary(UnaryFunction f, float[] x, float[] column, float[] out, int rows, int cols);

    /**
     * {@link #crossEntropyRows} for logits stored one row per class: x is classes x n, sample j's
     * logits are {@code x[c * n + j]} for c below {@code classes}, and grad gets the gradient in the
     * same layout. Targets, ignored samples, scale and precision as in {@link #crossEntropyRows}; grad
     * may be x.
     */
    double crossEntropyColumns(float[] x, int classes, int n, long[] target, long ignoreIndex, float scale,
                               float[] grad);
}
