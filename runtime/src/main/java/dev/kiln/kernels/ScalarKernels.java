package dev.kiln.kernels;

/**
 * The kernels as plain Java loops: they run on every JVM, and they are the reference the vector
 * kernels are tested against.
 *
 * <p>GEMM runs i-k-j, adding multiples of rows of B to a row of C, four rows at a time, so that B
 * and C are read in order. When rows of {@code B} are not contiguous (B transposed), B is first
 * copied into rows: k x n copies against m x n x k multiply-adds. When C is a single row or a few
 * columns (a matrix-vector product), dot products of contiguous rows of A and of B^T are cheaper
 * than that copy.
 */
final class ScalarKernels implements KernelProvider {
    static final ScalarKernels INSTANCE = new ScalarKernels();

    private ScalarKernels() {}

    @Override
    public String name() {
        return "scalar";
    }

    @Override
    public void sgemm(int m, int n, int k,
                      float[] a, int aOff, int aRs, int aCs,
                      float[] b, int bOff, int bRs, int bCs,
                      float[] c, int cOff, int ldc) {
        if (bCs != 1 && !((m == 1 || n <= 4) && aCs == 1 && bRs == 1)) {
            float[] packed = new float[k * n];
            for (int p = 0; p < k; p++) {
                for (int j = 0; j < n; j++) {
                    packed[p * n + j] = b[bOff + p * bRs + j * bCs];
                }
            }
            b = packed;
            bOff = 0;
            bRs = n;
            bCs = 1;
        }
        if (bCs == 1) {
            for (int i = 0; i < m; i++) {
                int cRow = cOff + i * ldc;
                java.util.Arrays.fill(c, cRow, cRow + n, 0f);
                int aRow = aOff + i * aRs;
                int p = 0;
                for (; p + 4 <= k; p += 4) {
                    axpy4(n, a[aRow + p * aCs], a[aRow + (p + 1) * aCs], a[aRow + (p + 2) * aCs],
                            a[aRow + (p + 3) * aCs], b, bOff + p * bRs, bRs, c, cRow);
                }
                for (; p < k; p++) {
                    axpy(n, a[aRow + p * aCs], b, bOff + p * bRs, c, cRow);
                }
            }
        } else {
            for (int i = 0; i < m; i++) {
                int aRow = aOff + i * aRs;
                for (int j = 0; j < n; j++) {
                    int bCol = bOff + j * bCs;
                    c[cOff + i * ldc + j] = dot(k, a, aRow, b, bCol);
                }
            }
        }
    }

    @Override
    public void dgemm(int m, int n, int k,
                      double[] a, int aOff, int aRs, int aCs,
                      double[] b, int bOff, int bRs, int bCs,
                      double[] c, int cOff, int ldc) {
        if (bCs != 1 && !((m == 1 || n <= 4) && aCs == 1 && bRs == 1)) {
            double[] packed = new double[k * n];
            for (int p = 0; p < k; p++) {
                for (int j = 0; j < n; j++) {
                    packed[p * n + j] = b[bOff + p * bRs + j * bCs];
                }
            }
            b = packed;
            bOff = 0;
            bRs = n;
            bCs = 1;
        }
        if (bCs == 1) {
            for (int i = 0; i < m; i++) {
                int cRow = cOff + i * ldc;
                java.util.Arrays.fill(c, cRow, cRow + n, 0.0);
                int aRow = aOff + i * aRs;
                int p = 0;
                for (; p + 4 <= k; p += 4) {
                    axpy4(n, a[aRow + p * aCs], a[aRow + (p + 1) * aCs], a[aRow + (p + 2) * aCs],
                            a[aRow + (p + 3) * aCs], b, bOff + p * bRs, bRs, c, cRow);
                }
                for (; p < k; p++) {
                    axpy(n, a[aRow + p * aCs], b, bOff + p * bRs, c, cRow);
                }
            }
        } else {
            for (int i = 0; i < m; i++) {
                int aRow = aOff + i * aRs;
                for (int j = 0; j < n; j++) {
                    int bCol = bOff + j * bCs;
                    c[cOff + i * ldc + j] = dot(k, a, aRow, b, bCol);
                }
            }
        }
    }

    // The inner loops live in small methods of their own: the JIT compiles and vectorises them
    // early and well, which it does not for the same loop buried in the strided driver above.

    private static void axpy(int n, float alpha, float[] x, int xOff, float[] y, int yOff) {
        for (int j = 0; j < n; j++) {
            y[yOff + j] += alpha * x[xOff + j];
        }
    }

    private static void axpy(int n, double alpha, double[] x, int xOff, double[] y, int yOff) {
        for (int j = 0; j < n; j++) {
            y[yOff + j] += alpha * x[xOff + j];
        }
    }

    /** Four rows of x at once: y += a0 x0 + a1 x1 + a2 x2 + a3 x3, so each element of y is loaded and stored once. */
    private static void axpy4(int n, float a0, float a1, float a2, float a3, float[] x, int xOff, int xStride,
                              float[] y, int yOff) {
        int x1 = xOff + xStride, x2 = x1 + xStride, x3 = x2 + xStride;
        for (int j = 0; j < n; j++) {
            y[yOff + j] += a0 * x[xOff + j] + a1 * x[x1 + j] + a2 * x[x2 + j] + a3 * x[x3 + j];
        }
    }

    /**
     * The sum in exactly the order {@code axpy4} and {@code axpy} give each element (four products
     * added together, then to the sum; the last k % 4 one by one), so that an element of C has the
     * same bits whichever loop computes it, and so whatever block of C a thread is given. Only one
     * addition per four products is on the chain of dependent additions.
     */
    private static float dot(int k, float[] x, int xOff, float[] y, int yOff) {
        float s = 0;
        int p = 0;
        for (; p + 4 <= k; p += 4) {
            s += x[xOff + p] * y[yOff + p] + x[xOff + p + 1] * y[yOff + p + 1] + x[xOff + p + 2] * y[yOff + p + 2]
                    + x[xOff + p + 3] * y[yOff + p + 3];
        }
        for (; p < k; p++) {
            s += x[xOff + p] * y[yOff + p];
        }
        return s;
    }

    /** Four rows of x at once: y += a0 x0 + a1 x1 + a2 x2 + a3 x3, so each element of y is loaded and stored once. */
    private static void axpy4(int n, double a0, double a1, double a2, double a3, double[] x, int xOff, int xStride,
                              double[] y, int yOff) {
        int x1 = xOff + xStride, x2 = x1 + xStride, x3 = x2 + xStride;
        for (int j = 0; j < n; j++) {
            y[yOff + j] += a0 * x[xOff + j] + a1 * x[x1 + j] + a2 * x[x2 + j] + a3 * x[x3 + j];
        }
    }

    /**
     * The sum in exactly the order {@code axpy4} and {@code axpy} give each element (four products
     * added together, then to the sum; the last k % 4 one by one), so that an element of C has the
     * same bits whichever loop computes it, and so whatever block of C a thread is given. Only one
     * addition per four products is on the chain of dependent additions.
     */
    private static double dot(int k, double[] x, int xOff, double[] y, int yOff) {
        double s = 0;
        int p = 0;
        for (; p + 4 <= k; p += 4) {
            s += x[xOff + p] * y[yOff + p] + x[xOff + p + 1] * y[yOff + p + 1] + x[xOff + p + 2] * y[yOff + p + 2]
                    + x[xOff + p + 3] * y[yOff + p + 3];
        }
        for (; p < k; p++) {
            s += x[xOff + p] * y[yOff + p];
        }
        return s;
    }

    // ---------------------------------------------------------------------------------------------
    // Elementwise functions: one loop per function, so that the JIT sees a plain loop with the
    // function inlined rather than a call through an interface per element.

    @Override
    public void unaryBackward(UnaryFunction f, float[] y, float[] g, float[] out, int n) {
        requireFromOutput(f);
        for (int i = 0; i < n; i++) {
            out[i] = backward(f, y[i], g[i]);
        }
    }

    @Override
    public void outerUnaryBackward(UnaryFunction f, float[] g, float[] w, float[] y, float[] out, int rows, int cols,
                                   float[] columnSums) {
        requireFromOutput(f);
        double[] sums = columnSums == null ? null : new double[cols];
        for (int r = 0; r < rows; r++) {
            for (int c = 0, i = r * cols; c < cols; c++, i++) {
                float gw = g[r] * w[c];
                out[i] = backward(f, y[i], gw);
                if (sums != null) {
                    sums[c] += out[i];
                }
            }
        }
        for (int c = 0; sums != null && c < cols; c++) {
            columnSums[c] = (float) sums[c];
        }
    }

    @Override
    public void unaryBackwardColumnSums(UnaryFunction f, float[] y, float[] g, float[] out, int rows, int cols,
                                        float[] columnSums) {
        unaryBackward(f, y, g, out, rows * cols);
        if (columnSums != null) {
            double[] sums = new double[cols];
            for (int i = 0; i < rows * cols; i++) {
                sums[i % cols] += out[i];
            }
            for (int c = 0; c < cols; c++) {
                columnSums[c] = (float) sums[c];
            }
        }
    }

    /**
     * {@code g f'(y)} from the output y, flushed: every float kernel's element of the gradient through
     * f. Relu's is g where y is positive and zero elsewhere, even for a NaN or infinite g, as PyTorch's
     * threshold_backward selects rather than multiplies (and the vector kernels blend).
     */
    static float backward(UnaryFunction f, float y, float g) {
        if (f == UnaryFunction.RELU) {
            return y > 0 ? flush(g) : 0f;
        }
        return flush(g * f.derivativeAt(y));
    }

    /**
     * v rounded to float, or zero where that is subnormal (below {@link Float#MIN_NORMAL} in
     * magnitude): what the kernels {@link KernelProvider} names under subnormal results store. NaN
     * stays NaN.
     */
    static float flush(double v) {
        float f = (float) v;
        return Math.abs(f) < Float.MIN_NORMAL ? 0f : f;
    }

    /**
     * An optimizer's update before its divisor, scale x (the learning rate times the step's
     * numerator), or zero where that is below {@link Float#MIN_NORMAL} in magnitude: the product a
     * float32 CPU in flush-to-zero mode computes, and what the vector kernels compute (see
     * {@code VectorKernels.scaled}). NaN stays NaN.
     */
    static double scaledStep(double x, double scale) {
        double step = scale * x;
        return Math.abs(step) < Float.MIN_NORMAL ? 0 : step;
    }

    static void requireFromOutput(UnaryFunction f) {
        if (!f.derivativeFromOutput()) {
            throw new IllegalArgumentException("unaryBackward: " + f + "'s derivative is not a function of its output");
        }
    }

    @Override
    public void unary(UnaryFunction f, float[] x, float[] out) {
        unary(f, x, out, x.length);
    }

    @Override
    public void addRowVectorUnary(UnaryFunction f, float[] x, float[] row, float[] out, int rows, int cols) {
        for (int r = 0; r < rows; r++) {
            int base = r * cols;
            for (int c = 0; c < cols; c++) {
                out[base + c] = x[base + c] + row[c];
            }
        }
        unary(f, out, out, rows * cols);
    }

    @Override
    public void addRowVectorUnary(UnaryFunction f, float[] x, int xOff, int xLd, float[] row, int rowOff,
                                  float[] out, int outOff, int outLd, int rows, int cols) {
        for (int r = 0; r < rows; r++) {
            int from = outOff + r * outLd;
            for (int c = 0; c < cols; c++) {
                out[from + c] = x[xOff + r * xLd + c] + row[rowOff + c];
            }
            unary(f, out, from, out, from, cols);
        }
    }

    /** {@link #unary(UnaryFunction, float[], float[])} on the first n elements. */
    private static void unary(UnaryFunction f, float[] x, float[] out, int n) {
        unary(f, x, 0, out, 0, n);
    }

    /** {@link #unary(UnaryFunction, float[], float[])} on n elements of x from xOff into out from outOff. */
    private static void unary(UnaryFunction f, float[] x, int xOff, float[] out, int outOff, int n) {
        switch (f) {
            case EXP -> {
                for (int i = 0; i < n; i++) {
                    out[outOff + i] = flush(Math.exp(x[xOff + i]));
                }
            }
            case LOG -> {
                for (int i = 0; i < n; i++) {
                    out[outOff + i] = (float) Math.log(x[xOff + i]);
                }
            }
            case TANH -> {
                for (int i = 0; i < n; i++) {
                    out[outOff + i] = flush(Math.tanh(x[xOff + i]));
                }
            }
            case SIGMOID -> {
                for (int i = 0; i < n; i++) {
                    out[outOff + i] = flush(UnaryFunction.SIGMOID.apply(x[xOff + i]));
                }
            }
            case RELU -> {
                for (int i = 0; i < n; i++) {
                    // max(v, 0) with a subnormal flushed; NaN stays NaN
                    float v = x[xOff + i];
                    out[outOff + i] = v >= Float.MIN_NORMAL || v != v ? v : 0f;
                }
            }
        }
    }

    @Override
    public void unary(UnaryFunction f, double[] x, double[] out) {
        for (int i = 0; i < x.length; i++) {
            out[i] = f.apply(x[i]);
        }
    }

    @Override
    public void addRowVector(float[] out, float[] row, int rows, int cols) {
        for (int r = 0; r < rows; r++) {
            int base = r * cols;
            for (int c = 0; c < cols; c++) {
                out[base + c] += row[c];
            }
        }
    }

    @Override
    public void addRowVector(double[] out, double[] row, int rows, int cols) {
        for (int r = 0; r < rows; r++) {
            int base = r * cols;
            for (int c = 0; c < cols; c++) {
                out[base + c] += row[c];
            }
        }
    }

    @Override
    public void sgd(float[] theta, int thetaAt, float[] g, int gAt, float[] buffer, int n, double lr, double momentum,
                    double dampening, double weightDecay, boolean nesterov, boolean maximize, boolean firstStep) {
        for (int i = 0; i < n; i++) {
            theta[thetaAt + i] = (float) sgdElement(theta[thetaAt + i], g[gAt + i], buffer, i, lr, momentum, dampening,
                    weightDecay, nesterov, maximize, firstStep);
        }
    }

    /** One element of {@link #sgd}, in double, updating buffer[i] with momentum; the new parameter value. */
    static double sgdElement(double p, float gradient, float[] buffer, int i, double lr, double momentum,
                             double dampening, double weightDecay, boolean nesterov, boolean maximize,
                             boolean firstStep) {
        double d = maximize ? -gradient : gradient;
        if (weightDecay != 0) {
            d += weightDecay * p;
        }
        if (momentum != 0) {
            double b = firstStep ? d : momentum * buffer[i] + (1 - dampening) * d;
            buffer[i] = flush(b);
            d = nesterov ? d + momentum * b : b;
        }
        return p - scaledStep(d, lr);
    }

    @Override
    public void rmsprop(float[] theta, int thetaAt, float[] g, int gAt, float[] squareAvg, float[] gradAvg,
                        float[] buffer, int n, double lr, double alpha, double eps, double weightDecay,
                        double momentum, boolean maximize) {
        for (int i = 0; i < n; i++) {
            theta[thetaAt + i] = (float) rmspropElement(theta[thetaAt + i], g[gAt + i], squareAvg, gradAvg, buffer, i,
                    lr, alpha, eps, weightDecay, momentum, maximize);
        }
    }

    /** One element of {@link #rmsprop}, in double, updating its state; the new parameter value. */
    static double rmspropElement(double p, float gradient, float[] squareAvg, float[] gradAvg, float[] buffer, int i,
                                 double lr, double alpha, double eps, double weightDecay, double momentum,
                                 boolean maximize) {
        double d = maximize ? -gradient : gradient;
        if (weightDecay != 0) {
            d += weightDecay * p;
        }
        double v = alpha * squareAvg[i] + (1 - alpha) * d * d;
        squareAvg[i] = flush(v);
        if (gradAvg != null) {
            double mean = alpha * gradAvg[i] + (1 - alpha) * d;
            gradAvg[i] = flush(mean);
            v -= mean * mean;
        }
        double step = d / (Math.sqrt(v) + eps);
        if (buffer != null) {
            step += momentum * buffer[i];
            buffer[i] = flush(step);
        }
        return p - scaledStep(step, lr);
    }

    @Override
    public void adagrad(float[] theta, int thetaAt, float[] g, int gAt, float[] sum, int n, double lr, double eps,
                        double weightDecay, boolean maximize) {
        for (int i = 0; i < n; i++) {
            theta[thetaAt + i] = (float) adagradElement(theta[thetaAt + i], g[gAt + i], sum, i, lr, eps, weightDecay,
                    maximize);
        }
    }

    /** One element of {@link #adagrad}, in double, updating sum[i]; the new parameter value. */
    static double adagradElement(double p, float gradient, float[] sum, int i, double lr, double eps,
                                 double weightDecay, boolean maximize) {
        double d = maximize ? -gradient : gradient;
        if (weightDecay != 0) {
            d += weightDecay * p;
        }
        double s = sum[i] + d * d;
        sum[i] = (float) s;
        return p - scaledStep(d, lr) / (Math.sqrt(s) + eps);
    }

    @Override
    public void adam(float[] theta, int thetaAt, float[] g, int gAt, float[] m, float[] v, int n, double beta1,
                     double beta2, double stepSize, double bc2Sqrt, double eps, double l2, double shrink,
                     boolean maximize) {
        for (int i = 0; i < n; i++) {
            theta[thetaAt + i] = (float) adamElement(theta, thetaAt + i, g[gAt + i], m, v, i, beta1, beta2, stepSize,
                    bc2Sqrt, eps, l2, shrink, maximize);
        }
    }

    /** One element of {@link #adam}, in double, updating m[i] and v[i]; the new parameter value. */
    static double adamElement(float[] theta, int at, float gradient, float[] m, float[] v, int i, double beta1,
                              double beta2, double stepSize, double bc2Sqrt, double eps, double l2, double shrink,
                              boolean maximize) {
        double p = theta[at] * shrink;
        double d = (maximize ? -gradient : gradient) + l2 * p;
        double mi = beta1 * m[i] + (1 - beta1) * d;
        double vi = beta2 * v[i] + (1 - beta2) * d * d;
        m[i] = flush(mi);
        v[i] = flush(vi);
        return p - scaledStep(mi, stepSize) / (Math.sqrt(vi) / bc2Sqrt + eps);
    }

    // ---------------------------------------------------------------------------------------------
    // Reductions and softmax: each result computed in double and rounded once, the reference for the
    // vector kernels.

    @Override
    public void sum(float[] x, int outer, int n, int inner, float[] out) {
        double[] row = new double[inner];
        for (int o = 0; o < outer; o++) {
            java.util.Arrays.fill(row, 0.0);
            int base = o * n * inner;
            for (int r = 0; r < n; r++) {
                int at = base + r * inner;
                for (int i = 0; i < inner; i++) {
                    row[i] += x[at + i];
                }
            }
            for (int i = 0; i < inner; i++) {
                out[o * inner + i] = (float) row[i];
            }
        }
    }

    @Override
    public void softmaxRows(float[] x, float[] out, int rows, int cols, boolean log) {
        for (int r = 0; r < rows; r++) {
            int base = r * cols;
            double max = rowShift(x, base, cols, 1);
            double total = expSum(x, base, cols, 1, max);
            double shift = max + Math.log(total);
            for (int j = 0; j < cols; j++) {
                double v = x[base + j];
                out[base + j] = log ? (float) (v - shift) : flush(Math.exp(v - max) / total);
            }
        }
    }

    /**
     * The maximum of a row of {@code cols} elements {@code stride} apart, subtracted before its
     * exponentials: 0 for a row of minus infinities.
     */
    private static double rowShift(float[] x, int base, int cols, int stride) {
        double max = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < cols; j++) {
            max = Math.max(max, x[base + j * stride]);
        }
        // all -inf: keep exp finite; the result is NaN as in PyTorch
        return max == Double.NEGATIVE_INFINITY ? 0 : max;
    }

    /** The sum of {@code exp(x - shift)} over a row of elements {@code stride} apart, in double. */
    private static double expSum(float[] x, int base, int cols, int stride, double shift) {
        double total = 0;
        for (int j = 0; j < cols; j++) {
            total += Math.exp(x[base + j * stride] - shift);
        }
        return total;
    }

    @Override
    public double crossEntropyRows(float[] x, int rows, int cols, long[] target, long ignoreIndex, float scale,
                                   float[] grad) {
        return crossEntropy(x, rows, cols, cols, 1, target, ignoreIndex, scale, grad);
    }

    @Override
    public double crossEntropyColumns(float[] x, int classes, int n, long[] target, long ignoreIndex, float scale,
                                      float[] grad) {
        return crossEntropy(x, n, classes, 1, n, target, ignoreIndex, scale, grad);
    }

    /**
     * The cross-entropy of {@code rows} samples of {@code cols} logits each, sample r's logit j at
     * {@code r * rowStride + j * colStride} in x, and its gradient at the same places in grad.
     */
    private static double crossEntropy(float[] x, int rows, int cols, int rowStride, int colStride, long[] target,
                                       long ignoreIndex, float scale, float[] grad) {
        double total = 0;
        for (int r = 0; r < rows; r++) {
            int base = r * rowStride;
            long t = target[r];
            if (t == ignoreIndex) {
                for (int j = 0; j < cols; j++) {
                    grad[base + j * colStride] = 0f;
                }
                continue;
            }
            double max = rowShift(x, base, cols, colStride);
            double sum = expSum(x, base, cols, colStride, max);
            // -log softmax(x)[t] = log(sum) - (x[t] - max), read before grad may overwrite x
            total += Math.log(sum) - (x[base + (int) t * colStride] - max);
            for (int j = 0; j < cols; j++) {
                int at = base + j * colStride;
                double p = Math.exp(x[at] - max) / sum;
                grad[at] = flush((j == t ? p - 1 : p) * scale);
            }
        }
        return total;
    }

    @Override
    public void addRowVectorUnaryTransposed(UnaryFunction f, float[] x, float[] row, float[] out, int rows, int cols) {
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                out[c * rows + r] = row == null ? x[r * cols + c] : x[r * cols + c] + row[c];
            }
        }
        unary(f, out, out, rows * cols);
    }

    @Override
    public void addColumnVector(float[] x, float[] column, float[] out, int rows, int cols) {
        for (int r = 0; r < rows; r++) {
            for (int c = 0, i = r * cols; c < cols; c++, i++) {
                out[i] = x[i] + column[r];
            }
        }
    }

    @Override
    public void addColumnVectorUnary(UnaryFunction f, float[] x, float[] column, float[] out, int rows, int cols) {
        addColumnVector(x, column, out, rows, cols);
        unary(f, out, out, rows * cols);
    }

    @Override
    public void softmaxRowsBackward(float[] y, float[] g, float[] out, int rows, int cols, boolean log) {
        for (int r = 0; r < rows; r++) {
            int base = r * cols;
            double total = 0;
            for (int j = 0; j < cols; j++) {
                total += log ? g[base + j] : (double) g[base + j] * y[base + j];
            }
            for (int j = 0; j < cols; j++) {
                double yj = y[base + j], gj = g[base + j];
                out[base + j] = flush(log ? gj - Math.exp(yj) * total : yj * (gj - total));
            }
        }
    }
}
