package dev.kiln.kernels;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

/**
 * The float32 kernels that {@link KernelProvider} says flush subnormal results, every provider, with
 * inputs chosen so that many exact results are subnormal: none is stored, a result that is normal
 * is kept, and NaN stays NaN. Sizes cover vectors, masked or overlapping last vectors and scalar
 * tails.
 */
class SubnormalResultsTest {
    /** Rows x cols shapes: narrower and wider than a vector, with tails. */
    private static final int[][] SHAPES = {{1, 1}, {37, 3}, {17, 13}, {33, 20}, {5, 40}};
    private static final float SMALLEST_NORMAL = Float.MIN_NORMAL;
    /** The functions with results, or derivatives, that can be subnormal: all but the logarithm. */
    private static final UnaryFunction[] FUNCTIONS = {UnaryFunction.EXP, UnaryFunction.TANH, UnaryFunction.SIGMOID,
            UnaryFunction.RELU};

    /**
     * Inputs of f whose images spread over subnormals, normals and NaN: exponents whose exp, and
     * arguments whose sigmoid, are subnormal; subnormal arguments of tanh and relu; ordinary values;
     * NaN where {@code nan} says.
     */
    private static float[] inputs(SplittableRandom rnd, int n, boolean nan) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = switch (rnd.nextInt(6)) {
                case 0 -> (float) (-87.5 - rnd.nextDouble() * 16); // e^x and sigmoid(x) subnormal or 0
                case 1 -> Float.MIN_VALUE * (1 + rnd.nextInt(1 << 20)) * (rnd.nextBoolean() ? 1 : -1);
                case 2 -> nan ? Float.NaN : 1f;
                case 3 -> 1e-20f * (float) (rnd.nextDouble() + 0.5);
                default -> (float) (rnd.nextDouble() * 4 - 2);
            };
        }
        return x;
    }

    /** Every stored element is zero, normal, infinite or NaN; where expected is normal it is not flushed. */
    private static void assertFlushed(String what, float[] got, double[] expected) {
        for (int i = 0; i < got.length; i++) {
            float v = got[i];
            if (v != 0 && Math.abs(v) < SMALLEST_NORMAL) {
                fail(what + ": element " + i + " is subnormal: " + v);
            }
            if (expected != null && Double.isNaN(expected[i]) != Float.isNaN(v)) {
                fail(what + ": element " + i + " is " + v + ", expected " + expected[i]);
            }
            if (expected != null && Math.abs(expected[i]) >= 2 * SMALLEST_NORMAL && v == 0) {
                fail(what + ": element " + i + " was flushed, expected " + expected[i]);
            }
        }
    }

    private static double[] applied(UnaryFunction f, float[] x) {
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            y[i] = f.apply(x[i]);
        }
        return y;
    }

    @Test
    void activationsFlushTheirSubnormalResults() {
        SplittableRandom rnd = new SplittableRandom(11);
        for (UnaryFunction f : FUNCTIONS) {
            for (int[] shape : SHAPES) {
                int rows = shape[0], cols = shape[1], n = rows * cols;
                float[] x = inputs(rnd, n, true);
                double[] expected = applied(f, x);
                float[] zeros = new float[Math.max(rows, cols)];
                for (KernelProvider provider : GemmKernelsTest.providers()) {
                    String what = provider.name() + " " + f + " " + rows + "x" + cols;
                    float[] out = new float[n];
                    provider.unary(f, x, out);
                    assertFlushed(what + " unary", out, expected);
                    // a bias of zeros adds nothing, so the activations' inputs are x itself
                    out = new float[n];
                    provider.addRowVectorUnary(f, x, zeros, out, rows, cols);
                    assertFlushed(what + " addRowVectorUnary", out, expected);
                    out = new float[n];
                    provider.addColumnVectorUnary(f, x, zeros, out, rows, cols);
                    assertFlushed(what + " addColumnVectorUnary", out, expected);
                    out = new float[n];
                    provider.addRowVectorUnaryTransposed(f, x, zeros, out, rows, cols);
                    double[] transposed = new double[n];
                    for (int r = 0; r < rows; r++) {
                        for (int c = 0; c < cols; c++) {
                            transposed[c * rows + r] = expected[r * cols + c];
                        }
                    }
                    assertFlushed(what + " addRowVectorUnaryTransposed", out, transposed);
                }
            }
        }
    }

    /** g f'(y), relu's selecting g (a NaN g where y is not positive gives zero, as in PyTorch). */
    private static double derivative(UnaryFunction f, float y, float g) {
        return f == UnaryFunction.RELU ? (y > 0 ? g : 0) : g * f.derivativeAt(y);
    }

    @Test
    void derivativesFlushTheirSubnormalResults() {
        SplittableRandom rnd = new SplittableRandom(12);
        for (UnaryFunction f : FUNCTIONS) {
            for (int[] shape : SHAPES) {
                int rows = shape[0], cols = shape[1], n = rows * cols;
                // outputs of f: tiny (a saturated sigmoid), ordinary, and some of them subnormal inputs' images
                float[] y = new float[n];
                float[] g = inputs(rnd, n, true);
                for (int i = 0; i < n; i++) {
                    y[i] = rnd.nextBoolean() ? 1e-20f : (float) f.apply(rnd.nextDouble() * 4 - 2);
                }
                float[] gRows = inputs(rnd, rows, false), w = inputs(rnd, cols, false);
                double[] expected = new double[n], outer = new double[n];
                for (int i = 0; i < n; i++) {
                    expected[i] = derivative(f, y[i], g[i]);
                    outer[i] = derivative(f, y[i], gRows[i / cols] * w[i % cols]);
                }
                for (KernelProvider provider : GemmKernelsTest.providers()) {
                    String what = provider.name() + " " + f + " " + rows + "x" + cols;
                    float[] out = new float[n];
                    provider.unaryBackward(f, y, g, out, n);
                    assertFlushed(what + " unaryBackward", out, expected);
                    out = new float[n];
                    provider.unaryBackwardColumnSums(f, y, g, out, rows, cols, new float[cols]);
                    assertFlushed(what + " unaryBackwardColumnSums", out, expected);
                    out = new float[n];
                    provider.outerUnaryBackward(f, gRows, w, y, out, rows, cols, new float[cols]);
                    assertFlushed(what + " outerUnaryBackward", out, outer);
                }
            }
        }
    }

    /**
     * Logits where every other sample has one class 95 below the rest: its probability, e^-95 / sum,
     * and so its gradient, are subnormal.
     */
    private static float[] logits(SplittableRandom rnd, int rows, int cols) {
        float[] x = new float[rows * cols];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                x[r * cols + c] = (float) rnd.nextDouble();
            }
            if (r % 2 == 0) {
                x[r * cols + rnd.nextInt(cols)] -= 95f;
            }
        }
        return x;
    }

    @Test
    void softmaxAndCrossEntropyGradientsFlushTheirSubnormalResults() {
        SplittableRandom rnd = new SplittableRandom(13);
        for (int[] shape : SHAPES) {
            int rows = shape[0], cols = shape[1], n = rows * cols;
            if (cols < 2) {
                continue;
            }
            float[] x = logits(rnd, rows, cols);
            long[] target = new long[rows];
            for (int r = 0; r < rows; r++) {
                target[r] = rnd.nextInt(cols);
            }
            float[] columns = new float[n];
            for (int r = 0; r < rows; r++) {
                for (int c = 0; c < cols; c++) {
                    columns[c * rows + r] = x[r * cols + c];
                }
            }
            for (KernelProvider provider : GemmKernelsTest.providers()) {
                String what = provider.name() + " " + rows + "x" + cols;
                float[] p = new float[n];
                provider.softmaxRows(x, p, rows, cols, false);
                assertFlushed(what + " softmaxRows", p, null);
                assertThat(p).as(what + " softmaxRows: e^-95 / sum is flushed").contains(0f);
                float[] logP = new float[n];
                provider.softmaxRows(x, logP, rows, cols, true);
                // the gradient of sum(log p[t]): g is one at each target, zero elsewhere
                float[] g = new float[n];
                for (int r = 0; r < rows; r++) {
                    g[r * cols + (int) target[r]] = 1f;
                }
                float[] out = new float[n];
                provider.softmaxRowsBackward(logP, g, out, rows, cols, true);
                assertFlushed(what + " softmaxRowsBackward (log)", out, null);
                out = new float[n];
                provider.softmaxRowsBackward(p, g, out, rows, cols, false);
                assertFlushed(what + " softmaxRowsBackward", out, null);
                float[] grad = new float[n];
                double loss = provider.crossEntropyRows(x, rows, cols, target, -100, 1f / rows, grad);
                assertThat(loss).as(what + " crossEntropyRows").isFinite();
                assertFlushed(what + " crossEntropyRows", grad, null);
                grad = new float[n];
                provider.crossEntropyColumns(columns, cols, rows, target, -100, 1f / rows, grad);
                assertFlushed(what + " crossEntropyColumns", grad, null);
            }
        }
    }

    /**
     * Running averages just above the smallest normal, and gradients that are zero (a dead unit) or
     * ordinary: a step's decay takes the first below it, and the state stored must be zero there, not
     * subnormal, while the ordinary elements keep normal state.
     */
    @Test
    void optimizerStepsFlushTheRunningAveragesTheyStore() {
        int n = 37;
        for (KernelProvider provider : GemmKernelsTest.providers()) {
            float[] g = new float[n];
            for (int i = 0; i < n; i += 3) {
                g[i] = 0.5f;
            }
            double[] expectedState = new double[n];
            for (int i = 0; i < n; i++) {
                expectedState[i] = g[i] == 0 ? 0 : 1;
            }
            float[] buffer = state(n);
            provider.sgd(new float[n], 0, g, 0, buffer, n, 0.1, 0.9, 0, 0, false, false, false);
            assertFlushed(provider.name() + " sgd momentum buffer", buffer, expectedState);
            float[] squareAvg = state(n), gradAvg = state(n);
            buffer = state(n);
            provider.rmsprop(new float[n], 0, g, 0, squareAvg, gradAvg, buffer, n, 0.01, 0.9, 1e-8, 0, 0.9, false);
            assertFlushed(provider.name() + " rmsprop square average", squareAvg, expectedState);
            assertFlushed(provider.name() + " rmsprop gradient average", gradAvg, expectedState);
            assertFlushed(provider.name() + " rmsprop momentum buffer", buffer, null);
            float[] m = state(n), v = state(n);
            provider.adam(new float[n], 0, g, 0, m, v, n, 0.9, 0.999, 1e-3, 1, 1e-8, 0, 1, false);
            assertFlushed(provider.name() + " adam first moment", m, expectedState);
            assertFlushed(provider.name() + " adam second moment", v, expectedState);
        }
    }

    /**
     * Parameters at zero, so that any update shows: in the first of each three elements the update's
     * numerator times the learning rate is subnormal (a gradient of 1e-36, or an average of 2.4e-38
     * that a zero gradient decays), so the parameter stays exactly zero as under flush-to-zero; in
     * the others it is normal (a gradient of 1e-20, an average of 1e-20) and the parameter moves.
     */
    @Test
    void optimizerStepsFlushAnUpdateWhoseProductWithTheLearningRateIsSubnormal() {
        int n = 37;
        for (KernelProvider provider : GemmKernelsTest.providers()) {
            float[] tiny = new float[n], average = new float[n];
            for (int i = 0; i < n; i++) {
                tiny[i] = i % 3 == 0 ? 1e-36f : 1e-20f;
                average[i] = i % 3 == 0 ? 2.4e-38f : 1e-20f;
            }
            float[] theta = new float[n];
            provider.sgd(theta, 0, tiny, 0, null, n, 1e-3, 0, 0, 0, false, false, false);
            assertUpdatedWhereNormal(provider.name() + " sgd", theta);
            theta = new float[n];
            provider.sgd(theta, 0, new float[n], 0, average.clone(), n, 1e-3, 0.9, 0, 0, false, false, false);
            assertUpdatedWhereNormal(provider.name() + " sgd with momentum", theta);
            theta = new float[n];
            provider.rmsprop(theta, 0, new float[n], 0, new float[n], null, average.clone(), n, 1e-3, 0.99, 1e-8, 0,
                    0.9, false);
            assertUpdatedWhereNormal(provider.name() + " rmsprop with momentum", theta);
            theta = new float[n];
            provider.adagrad(theta, 0, tiny, 0, new float[n], n, 1e-3, 1e-10, 0, false);
            assertUpdatedWhereNormal(provider.name() + " adagrad", theta);
            theta = new float[n];
            provider.adam(theta, 0, new float[n], 0, average.clone(), new float[n], n, 0.9, 0.999, 1e-3, 1, 1e-8, 0, 1,
                    false);
            assertUpdatedWhereNormal(provider.name() + " adam", theta);
        }
    }

    private static void assertUpdatedWhereNormal(String what, float[] theta) {
        for (int i = 0; i < theta.length; i++) {
            if (i % 3 == 0 && Float.floatToRawIntBits(theta[i]) != 0) {
                fail(what + ": element " + i + " is " + theta[i] + ", expected +0: its update is subnormal");
            }
            if (i % 3 != 0 && !(Math.abs(theta[i]) >= SMALLEST_NORMAL)) {
                fail(what + ": element " + i + " is " + theta[i] + ", expected a normal update");
            }
        }
    }

    /** n running averages of 1.176e-38: normal, and subnormal once multiplied by a decay of 0.999 or less. */
    private static float[] state(int n) {
        float[] s = new float[n];
        java.util.Arrays.fill(s, 1.176e-38f);
        return s;
    }

    @Test
    void aFlushedValueIsAPositiveZeroAndEveryOtherValueIsKept() {
        assertThat(ScalarKernels.flush(Float.MIN_VALUE)).isEqualTo(0f);
        assertThat(ScalarKernels.flush(-Float.MIN_NORMAL / 2)).isEqualTo(0f);
        assertThat(Float.floatToRawIntBits(ScalarKernels.flush(-1e-40))).isZero();
        assertThat(ScalarKernels.flush(Float.MIN_NORMAL)).isEqualTo(Float.MIN_NORMAL);
        assertThat(ScalarKernels.flush(-2.5)).isEqualTo(-2.5f);
        assertThat(ScalarKernels.flush(Double.NaN)).isNaN();
        assertThat(ScalarKernels.flush(Double.NEGATIVE_INFINITY)).isEqualTo(Float.NEGATIVE_INFINITY);
        // rounding first: a double just below the smallest normal float rounds up to it and is kept
        assertThat(ScalarKernels.flush(Math.nextDown((double) Float.MIN_NORMAL))).isEqualTo(Float.MIN_NORMAL);
    }
}
