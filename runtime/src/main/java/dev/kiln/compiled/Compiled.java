package dev.kiln.compiled;

import dev.kiln.DType;
import dev.kiln.Parameter;
import dev.kiln.Shape;
import dev.kiln.Tensor;
import dev.kiln.internal.TensorAccess;
import dev.kiln.kernels.KernelProvider;
import dev.kiln.kernels.Kernels;
import dev.kiln.kernels.UnaryFunction;
import dev.kiln.nn.Dropout;
import dev.kiln.nn.F;
import dev.kiln.nn.Linear;
import dev.kiln.nn.Module;

/** Static helpers called by generated {@code <Model>Kiln} classes. */
public final class Compiled {
    private static final TensorAccess ACCESS = TensorAccess.get();

    private Compiled() {}

    /**
     * The element type {@code x} and all {@code parameters} share, or null when they differ or any of
     * them is not on the CPU: generated classes have loops over heap arrays for float32 and float64
     * and run the eager forward otherwise (which runs on the device where the tensors are). Generated
     * classes keep their parameters in an array found once, so the check each call starts with
     * allocates nothing.
     */
    public static DType commonType(Tensor x, Tensor[] parameters) {
        if (x.device().isCuda()) {
            return null;
        }
        DType type = x.dtype();
        for (Tensor t : parameters) {
            if (t.dtype() != type || t.device().isCuda()) {
                return null;
            }
        }
        return type;
    }

    /**
     * {@code t}'s elements in row-major order from index 0: the backing array itself when the
     * tensor is contiguous from offset 0 and covers it, otherwise a copy. Callers must not write it.
     */
    public static float[] floats(Tensor t) {
        Tensor c = t.contiguous();
        float[] array = (float[]) ACCESS.array(c);
        int offset = ACCESS.offset(c);
        int length = c.numel();
        if (offset == 0 && array.length == length) {
            return array;
        }
        float[] copy = new float[length];
        System.arraycopy(array, offset, copy, 0, length);
        return copy;
    }

    /** {@link #floats} for float64 tensors. */
    public static double[] doubles(Tensor t) {
        Tensor c = t.contiguous();
        double[] array = (double[]) ACCESS.array(c);
        int offset = ACCESS.offset(c);
        int length = c.numel();
        if (offset == 0 && array.length == length) {
            return array;
        }
        double[] copy = new double[length];
        System.arraycopy(array, offset, copy, 0, length);
        return copy;
    }

    /** {@link #floats} for int64 tensors. */
    public static long[] longs(Tensor t) {
        Tensor c = t.contiguous();
        long[] array = (long[]) ACCESS.array(c);
        int offset = ACCESS.offset(c);
        int length = c.numel();
        if (offset == 0 && array.length == length) {
            return array;
        }
        long[] copy = new long[length];
        System.arraycopy(array, offset, copy, 0, length);
        return copy;
    }

    /**
     * The storage of {@code p}'s gradient, for a generated training step to overwrite entirely: the
     * existing {@code grad()} when it is a contiguous float32 tensor of {@code p}'s shape that owns
     * its array (its version counter is bumped, as an in-place write does), otherwise a new zero
     * gradient set on {@code p}. Overwriting is {@code zeroGrad(false)} followed by a backward.
     */
    public static float[] gradFloats(Parameter p) {
        return (float[]) gradStorage(p, DType.FLOAT32);
    }

    /** {@link #gradFloats} for float64 parameters. */
    public static double[] gradDoubles(Parameter p) {
        return (double[]) gradStorage(p, DType.FLOAT64);
    }

    private static Object gradStorage(Parameter p, DType type) {
        Tensor g = p.grad();
        if (g != null && g.dtype() == type && g.gradFn() == null && g.shape().equals(p.shape()) && g.isContiguous()
                && ACCESS.offset(g) == 0 && java.lang.reflect.Array.getLength(ACCESS.array(g)) == g.numel()) {
            ACCESS.version(g).bump();
            return ACCESS.array(g);
        }
        Tensor fresh = Tensor.zeros(type, p.shape().toArray());
        p.setGrad(fresh);
        return ACCESS.array(fresh);
    }

    /** A fresh float32 tensor owning {@code data}. */
    public static Tensor wrap(float[] data, int... dims) {
        return ACCESS.wrap(DType.FLOAT32, data, dims);
    }

    /** A fresh float64 tensor owning {@code data}. */
    public static Tensor wrap(double[] data, int... dims) {
        return ACCESS.wrap(DType.FLOAT64, data, dims);
    }

    // Whole-array passes by the provider's kernels (Vector API loops where the incubator module is
    // present), the same kernels the eager operations use, so both paths give the same numbers.

    private static final KernelProvider KERNELS = Kernels.provider();

    /** {@code out[r * cols + c] += bias[c]}: a Linear layer's bias added to each row of its GEMM's output. */
    public static void addBias(float[] out, float[] bias, int rows, int cols) {
        KERNELS.addRowVector(out, bias, rows, cols);
    }

    /** {@code out[r * cols + c] += bias[c]}: a Linear layer's bias added to each row of its GEMM's output. */
    public static void addBias(double[] out, double[] bias, int rows, int cols) {
        KERNELS.addRowVector(out, bias, rows, cols);
    }

    /**
     * {@code out[c] = sum over r of g[r * cols + c]}: a Linear layer's bias gradient, by the provider's
     * sum kernel (the one the eager {@code sum} uses).
     */
    public static void columnSums(float[] g, int rows, int cols, float[] out) {
        KERNELS.sum(g, 1, rows, cols, out);
    }

    /** {@link #columnSums(float[], int, int, float[])} for float64, summed in order in double. */
    public static void columnSums(double[] g, int rows, int cols, double[] out) {
        java.util.Arrays.fill(out, 0, cols, 0.0);
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                out[c] += g[r * cols + c];
            }
        }
    }

    // The batch-along-vectors layout of a training step (see the generated step's comments): each
    // value after the first layer stored features x n, one row per feature.

    /** When a step runs with one row per feature: when it pays, always, or never. */
    private enum FeatureRows { AUTO, ALWAYS, NEVER }

    /**
     * The choice from the system property {@code kiln.featureRows}: {@code auto} (the default),
     * {@code always} or {@code never}; another value is logged as a warning and taken as auto, as
     * {@code kiln.kernels} is. Tests run the compiled steps both ways.
     */
    private static final FeatureRows FEATURE_ROWS = featureRowsChoice(System.getProperty("kiln.featureRows", "auto"));

    private static FeatureRows featureRowsChoice(String value) {
        return switch (value) {
            case "always" -> FeatureRows.ALWAYS;
            case "never" -> FeatureRows.NEVER;
            case "auto" -> FeatureRows.AUTO;
            default -> {
                System.getLogger(Compiled.class.getName()).log(System.Logger.Level.WARNING, "unknown value "
                        + "-Dkiln.featureRows=" + value + " (expected auto, always or never), choosing automatically");
                yield FeatureRows.AUTO;
            }
        };
    }
    /** The fewest rows for which {@code auto} picks one row per feature: four vectors of samples. */
    private static final int FEATURE_ROWS_MIN_ROWS = 64;
    /**
     * The widest layer output for which {@code auto} picks one row per feature: a 512-bit vector of
     * floats. Wider outputs fill the row-major GEMMs' vectors already, and the transposes (the first
     * layer's output, a weight gradient's packing) grow with them.
     */
    private static final int FEATURE_ROWS_MAX_WIDTH = 16;

    /**
     * Whether a training step over {@code n} rows through layers of the given widths (the input's
     * features, then each Linear layer's outputs) runs with one row per feature.
     */
    public static boolean featureRows(int n, int... widths) {
        if (FEATURE_ROWS != FeatureRows.AUTO) {
            return FEATURE_ROWS == FeatureRows.ALWAYS;
        }
        if (n < FEATURE_ROWS_MIN_ROWS) {
            return false;
        }
        for (int i = 1; i < widths.length; i++) {
            if (widths[i] > FEATURE_ROWS_MAX_WIDTH) {
                return false;
            }
        }
        return true;
    }

    /**
     * {@code out[c * rows + r] = act(x[r * cols + c] + bias[c])}: a first layer's bias (none when
     * null) and activation over its row-major GEMM output, stored one row per feature, in one pass.
     */
    public static void biasActivationTransposed(UnaryFunction f, float[] x, float[] bias, float[] out, int rows,
                                                int cols) {
        KERNELS.addRowVectorUnaryTransposed(f, x, bias, out, rows, cols);
    }

    /** {@code out[f * n + j] += bias[f]}: a Linear layer's bias added to its output stored one row per feature. */
    public static void addFeatureBias(float[] out, float[] bias, int features, int n) {
        KERNELS.addColumnVector(out, bias, out, features, n);
    }

    /**
     * {@code out[f * n + j] = act(x[f * n + j] + bias[f])}: a Linear layer's bias and the activation
     * after it in one vectorised pass over its output stored one row per feature.
     */
    public static void featureBiasActivation(UnaryFunction f, float[] x, float[] bias, float[] out, int features,
                                             int n) {
        KERNELS.addColumnVectorUnary(f, x, bias, out, features, n);
    }

    /** {@code out[f] = sum over j of g[f * n + j]}: a Linear layer's bias gradient from g stored one row per feature. */
    public static void featureSums(float[] g, int features, int n, float[] out) {
        KERNELS.sum(g, features, n, 1, out);
    }

    /**
     * {@code grad[i] = g[i] f'(x[i])} for i below n, from the activation's output {@code y = f(x)}:
     * the activation's derivative folded into the incoming gradient by a vectorised kernel.
     */
    public static void unaryBackward(UnaryFunction f, float[] y, float[] g, float[] grad, int n) {
        KERNELS.unaryBackward(f, y, g, grad, n);
    }

    /**
     * {@code grad[r * cols + c] = g[r] w[c] act'(y[r * cols + c])}, and the sums of grad's columns
     * into {@code biasGrad} unless it is null: for a layer with one output (weight w, 1 x cols) after
     * an activation y, the gradient of its input {@code g w} through the activation's derivative,
     * and the bias gradient of the layer before the activation, in one pass.
     */
    public static void outerActivationBackward(UnaryFunction f, float[] g, float[] w, float[] y, float[] grad, int rows,
                                               int cols, float[] biasGrad) {
        KERNELS.outerUnaryBackward(f, g, w, y, grad, rows, cols, biasGrad);
    }

    /**
     * {@code grad[i] = g[i] act'(y[i])} over a rows x cols matrix, and the sums of grad's columns
     * into {@code biasGrad} unless it is null: the gradient through an activation and the bias
     * gradient of the layer before it, in one pass. grad must not be g.
     */
    public static void activationBackward(UnaryFunction f, float[] y, float[] g, float[] grad, int rows, int cols,
                                          float[] biasGrad) {
        KERNELS.unaryBackwardColumnSums(f, y, g, grad, rows, cols, biasGrad);
    }

    /** {@link #unaryBackward(UnaryFunction, float[], float[], float[], int)} for float64. */
    public static void unaryBackward(UnaryFunction f, double[] y, double[] g, double[] grad, int n) {
        KERNELS.unaryBackward(f, y, g, grad, n);
    }

    /**
     * {@code out[r * cols + c] = f(x[r * cols + c] + bias[c])}: a Linear layer's bias and the activation
     * after it in one vectorised pass over the GEMM's output, with the numbers of {@link #addBias}
     * followed by {@link #unary} (as the eager path computes them); x is left as it is.
     */
    public static void biasActivation(UnaryFunction f, float[] x, float[] bias, float[] out, int rows, int cols) {
        KERNELS.addRowVectorUnary(f, x, bias, out, rows, cols);
    }

    /** {@link #biasActivation(UnaryFunction, float[], float[], float[], int, int)} for float64. */
    public static void biasActivation(UnaryFunction f, double[] x, double[] bias, double[] out, int rows, int cols) {
        for (int r = 0; r < rows; r++) {
            for (int c = 0, i = r * cols; c < cols; c++, i++) {
                out[i] = x[i] + bias[c];
            }
        }
        KERNELS.unary(f, out, out);
    }

    /** {@code out[i] = f(in[i])} for every element of {@code in}: a vectorised activation pass. */
    public static void unary(UnaryFunction f, float[] in, float[] out) {
        KERNELS.unary(f, in, out);
    }

    /** {@code out[i] = f(in[i])} for every element of {@code in}: a vectorised activation pass. */
    public static void unary(UnaryFunction f, double[] in, double[] out) {
        KERNELS.unary(f, in, out);
    }

    /**
     * Which of {@code count} elements {@code layer} keeps in this forward, or null when it is the
     * identity (eval mode, or {@code p = 0}). The mask is drawn by {@link F#dropout} itself, from the
     * default generator in the same order, so a compiled model draws exactly what the eager one would.
     */
    public static boolean[] dropoutMask(Dropout layer, int count) {
        if (!layer.isTraining() || layer.p() == 0) {
            return null;
        }
        float[] kept = floats(F.dropout(Tensor.ones(DType.FLOAT32, count), layer.p(), true));
        boolean[] keep = new boolean[count];
        for (int i = 0; i < count; i++) {
            keep[i] = kept[i] != 0;
        }
        return keep;
    }

    /** The factor {@code 1 / (1 - p)} by which {@code layer} scales the elements it keeps. */
    public static double dropoutScale(Dropout layer) {
        return layer.p() == 1 ? 0 : 1 / (1 - layer.p());
    }

    /**
     * Checks that {@code x} has {@code first}'s input features in its last dimension, with the text
     * {@link Linear} itself uses.
     */
    public static void checkInput(Linear first, Tensor x) {
        if (x.dim() == 0 || x.size(-1) != first.inFeatures()) {
            throw new IllegalArgumentException(first + ": expected an input whose last dimension has "
                    + first.inFeatures() + " features, but got shape " + Shape.describe(x.shape().toArray()));
        }
    }

    /**
     * Checks that {@code layer} accepts the {@code features} features flowing into it, with the text
     * {@link Linear} itself uses; sizes that the processor could not compare at compile time meet here.
     */
    public static void checkFeatures(Linear layer, int n, int features) {
        if (features != layer.inFeatures()) {
            throw new IllegalArgumentException(layer + ": expected an input whose last dimension has "
                    + layer.inFeatures() + " features, but got shape " + Shape.describe(new int[] {n, features}));
        }
    }

    /** Checks that {@code x} has a dimension of features, for a model whose forward does not start with a Linear layer. */
    public static void checkInput(Tensor x) {
        if (x.dim() == 0) {
            throw new IllegalArgumentException("expected an input with a last dimension of features for a compiled"
                    + " model, but got a 0-d tensor");
        }
    }

    /** The number of rows of {@code x}: the product of the sizes before its last dimension. */
    public static int rows(Tensor x) {
        int rows = 1;
        for (int d = 0; d < x.dim() - 1; d++) {
            rows *= x.size(d);
        }
        return rows;
    }

    /** The number of features of {@code x} flattened from dimension 1: the product of the sizes after the first. */
    public static int featuresAfterFirst(Tensor x) {
        int features = 1;
        for (int d = 1; d < x.dim(); d++) {
            features *= x.size(d);
        }
        return features;
    }

    /** {@code x}'s shape without its last dimension: the shape of a per-row reduction. */
    public static int[] shapeWithoutLast(Tensor x) {
        return java.util.Arrays.copyOf(x.shape().toArray(), x.dim() - 1);
    }

    /** {@code x}'s shape with its last size replaced by {@code last}: the shape of a row-wise result. */
    public static int[] shapeWithLast(Tensor x, int last) {
        int[] dims = x.shape().toArray();
        dims[dims.length - 1] = last;
        return dims;
    }

    /**
     * Checks that the two operands of tensor-tensor arithmetic in a compiled forward have the same
     * shape, {@code (n, a)} and {@code (n, b)}: the generated loops do not broadcast.
     */
    public static void checkSameFeatures(String op, int n, int a, int b) {
        if (a != b) {
            throw new IllegalArgumentException(op + ": a compiled model combines tensors of the same shape only, but got"
                    + " " + Shape.describe(new int[] {n, a}) + " and " + Shape.describe(new int[] {n, b})
                    + " (the eager forward broadcasts: remove @Model or write @Model(compile = false))");
        }
    }

    /**
     * {@code layer}'s bias, for a forward generated from a constructor that builds it with one; fails
     * clearly when the layer was built without (a bias flag that is not a literal).
     */
    public static Parameter bias(Linear layer) {
        Parameter bias = layer.bias();
        if (bias == null) {
            throw new IllegalStateException(layer + ": the compiled forward was generated for a Linear layer with a"
                    + " bias, but this one has none; write the bias argument of new Linear(...) as a literal");
        }
        return bias;
    }

    /** The parameter at dotted path {@code path} of {@code model} (as in {@code namedParameters()}). */
    public static Parameter parameter(Module model, String path) {
        Parameter p = model.namedParameters().get(path);
        if (p == null) {
            throw new IllegalStateException(model.getClass().getName() + ": the compiled forward expects a parameter at "
                    + path + " but there is none");
        }
        return p;
    }

    /**
     * Checks that {@code (n, features)} rows can be multiplied by {@code weight} ({@code weight.t()}
     * when {@code transposed}) with {@code op}, with the text the eager {@code mm} and {@code matmul}
     * use; a compiled product takes a 2-d weight only.
     */
    public static void checkProduct(String op, Parameter weight, boolean transposed, int n, int features) {
        int[] dims = weight.shape().toArray();
        if (dims.length != 2) {
            throw new IllegalArgumentException(op + ": a compiled model multiplies by 2-d parameters only, but got shape "
                    + Shape.describe(dims) + " (the eager forward takes it: remove @Model or write @Model(compile = false))");
        }
        int[] right = transposed ? new int[] {dims[1], dims[0]} : dims;
        if (right[0] != features) {
            throw new IllegalArgumentException(op + ": shapes " + Shape.describe(new int[] {n, features}) + " and "
                    + Shape.describe(right) + " cannot be multiplied");
        }
    }

    /** The layer at dotted path {@code path} of {@code model} (as in {@code namedModules()}), of type {@code type}. */
    public static <M extends Module> M layer(Module model, String path, Class<M> type) {
        Module m = model.namedModules().get(path);
        if (!type.isInstance(m)) {
            throw new IllegalStateException(model.getClass().getName() + ": the compiled forward expects a "
                    + type.getSimpleName() + " at " + path + " but found " + m);
        }
        return type.cast(m);
    }
}
