package dev.kiln.kernels;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.Arrays;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

/**
 * The kernels of the layout with one row per feature, every provider against the definition: a
 * first layer's bias and activation transposed into it, a bias per row with and without an activation, and the cross-entropy of logits
 * stored one row per class, at sizes around the 16 x 16 blocks and the vector length.
 */
class ColumnKernelsTest {
    private static final int[][] SHAPES = {{0, 0}, {0, 5}, {5, 0}, {1, 1}, {3, 5}, {16, 16}, {17, 13}, {32, 13},
            {500, 13}, {33, 40}, {16, 100}, {31, 17}, {64, 3}, {48, 20}, {15, 16}};

    private static float[] random(SplittableRandom rnd, int n, double scale) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) ((rnd.nextDouble() * 2 - 1) * scale);
        }
        return x;
    }

    @Test
    void theTransposeMovesEveryElementWithItsBiasAndActivationAndNothingElse() {
        SplittableRandom rnd = new SplittableRandom(5);
        for (int[] shape : SHAPES) {
            int rows = shape[0], cols = shape[1];
            // x exactly rows x cols: the blocks' reads past a row must stop before its end
            float[] x = random(rnd, rows * cols, 3), bias = random(rnd, cols, 1);
            for (KernelProvider provider : GemmKernelsTest.providers()) {
                String what = String.format("%s %dx%d", provider.name(), rows, cols);
                float[] out = new float[rows * cols + 1];
                out[rows * cols] = 42f;
                // no bias and relu, which is exact: every element lands where it belongs, with its own value
                provider.addRowVectorUnaryTransposed(UnaryFunction.RELU, x, null, out, rows, cols);
                for (int r = 0; r < rows; r++) {
                    for (int c = 0; c < cols; c++) {
                        float expected = Math.max(x[r * cols + c], 0f);
                        if (out[c * rows + r] != expected) {
                            fail(String.format("%s: element (%d, %d) is %s, expected %s", what, r, c,
                                    out[c * rows + r], expected));
                        }
                    }
                }
                assertThat(out[rows * cols]).as("%s wrote past out", what).isEqualTo(42f);
                for (UnaryFunction f : UnaryFunction.values()) {
                    provider.addRowVectorUnaryTransposed(f, x, bias, out, rows, cols);
                    for (int r = 0; r < rows; r++) {
                        for (int c = 0; c < cols; c++) {
                            close(what + " " + f, r, c, out[c * rows + r],
                                    definition(f, (double) (x[r * cols + c] + bias[c])));
                        }
                    }
                    assertThat(out[rows * cols]).as("%s %s wrote past out", what, f).isEqualTo(42f);
                }
            }
        }
    }

    private static void close(String what, int r, int c, double got, double expected) {
        if (!(Math.abs(got - expected) <= 1e-5 + 1.3e-6 * Math.abs(expected))
                && !(Double.isNaN(got) && Double.isNaN(expected))) {
            fail(String.format("%s at (%d, %d): got %s, expected %s", what, r, c, got, expected));
        }
    }

    @Test
    void aBiasPerRowIsAddedWithOrWithoutAnActivation() {
        SplittableRandom rnd = new SplittableRandom(6);
        for (int[] shape : SHAPES) {
            int rows = shape[0], cols = shape[1];
            float[] x = random(rnd, rows * cols, 3), bias = random(rnd, rows, 1);
            for (KernelProvider provider : GemmKernelsTest.providers()) {
                String what = String.format("%s %dx%d", provider.name(), rows, cols);
                float[] out = new float[rows * cols + 1];
                out[rows * cols] = 42f;
                provider.addColumnVector(x, bias, out, rows, cols);
                for (int r = 0; r < rows; r++) {
                    for (int c = 0; c < cols; c++) {
                        assertThat(out[r * cols + c]).as("%s (%d, %d)", what, r, c).isEqualTo(x[r * cols + c] + bias[r]);
                    }
                }
                assertThat(out[rows * cols]).as("%s wrote past out", what).isEqualTo(42f);
                for (UnaryFunction f : UnaryFunction.values()) {
                    float[] activated = Arrays.copyOf(x, rows * cols + 1);
                    activated[rows * cols] = 42f;
                    // in place, as the compiled step runs it
                    provider.addColumnVectorUnary(f, activated, bias, activated, rows, cols);
                    for (int r = 0; r < rows; r++) {
                        for (int c = 0; c < cols; c++) {
                            close(what + " " + f, r, c, activated[r * cols + c],
                                    definition(f, (double) (x[r * cols + c] + bias[r])));
                        }
                    }
                    assertThat(activated[rows * cols]).as("%s %s wrote past out", what, f).isEqualTo(42f);
                }
            }
        }
    }

    private static double definition(UnaryFunction f, double v) {
        return switch (f) {
            case EXP -> Math.exp(v);
            case LOG -> Math.log(v);
            case TANH -> Math.tanh(v);
            case SIGMOID -> 1 / (1 + Math.exp(-v));
            case RELU -> Math.max(v, 0);
        };
    }

    @Test
    void crossEntropyOfLogitsStoredOneRowPerClassIsTheRowKernelsTransposed() {
        SplittableRandom rnd = new SplittableRandom(7);
        long ignore = -100;
        for (int classes : new int[] {1, 2, 3, 4, 10, 16, 17, 33}) {
            for (int n : new int[] {1, 5, 16, 17, 40, 300}) {
                float[] rows = random(rnd, n * classes, 30);
                float[] columns = new float[n * classes];
                long[] target = new long[n];
                for (int j = 0; j < n; j++) {
                    target[j] = j % 7 == 3 ? ignore : j % 5 == 0 ? classes - 1 : rnd.nextInt(classes);
                    for (int c = 0; c < classes; c++) {
                        columns[c * n + j] = rows[j * classes + c];
                    }
                }
                float scale = 0.25f;
                double[] exact = new double[n * classes];
                double loss = 0, magnitude = 0;
                for (int j = 0; j < n; j++) {
                    if (target[j] == ignore) {
                        continue;
                    }
                    double max = Double.NEGATIVE_INFINITY, sum = 0;
                    for (int c = 0; c < classes; c++) {
                        max = Math.max(max, rows[j * classes + c]);
                    }
                    for (int c = 0; c < classes; c++) {
                        sum += Math.exp(rows[j * classes + c] - max);
                    }
                    double term = Math.log(sum) - (rows[j * classes + (int) target[j]] - max);
                    loss += term;
                    magnitude += Math.abs(term);
                    for (int c = 0; c < classes; c++) {
                        double p = Math.exp(rows[j * classes + c] - max) / sum;
                        exact[c * n + j] = (p - (c == target[j] ? 1 : 0)) * scale;
                    }
                }
                for (KernelProvider provider : GemmKernelsTest.providers()) {
                    String what = String.format("%s %d classes x %d", provider.name(), classes, n);
                    float[] grad = new float[n * classes + 1];
                    grad[n * classes] = 42f;
                    double got = provider.crossEntropyColumns(columns, classes, n, target, ignore, scale, grad);
                    if (!(Math.abs(got - loss) <= 1e-5 + 1.3e-6 * magnitude)) {
                        fail(String.format("%s loss: got %s, expected %s", what, got, loss));
                    }
                    for (int i = 0; i < n * classes; i++) {
                        if (!(Math.abs(grad[i] - exact[i]) <= 1e-5 + 1.3e-6 * Math.abs(exact[i]))) {
                            fail(String.format("%s gradient at %d: got %s, expected %s", what, i, grad[i], exact[i]));
                        }
                    }
                    assertThat(grad[n * classes]).as("%s wrote past the gradient", what).isEqualTo(42f);
                    float[] inPlace = Arrays.copyOf(columns, n * classes + 1);
                    inPlace[n * classes] = 42f;
                    assertThat(provider.crossEntropyColumns(inPlace, classes, n, target, ignore, scale, inPlace))
                            .as("%s in place", what).isEqualTo(got);
                    assertThat(inPlace).as("%s in place", what).isEqualTo(grad);
                }
            }
        }
    }
}
