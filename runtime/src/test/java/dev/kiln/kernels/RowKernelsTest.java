package dev.kiln.kernels;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

/**
 * The sums, softmax and softmax gradient of every provider against the definition computed in double,
 * at awkward sizes (empty, one element, odd, around the vector length, past the summation block), and
 * the providers against each other. Float32 results are held to {@code torch.testing.assert_close}'s
 * float32 tolerance (1e-5 + 1.3e-6 |expected|); sums, whose error grows with their terms, to that
 * scaled by the sum of the terms' magnitudes.
 */
class RowKernelsTest {
    /** Row lengths and counts: 0, 1, the tutorials' 3 and 10 classes, around 16 lanes, past a 256-row block. */
    static final int[] SIZES = {0, 1, 3, 7, 10, 15, 16, 17, 33, 64, 100, 257, 1000};

    private static float[] random(SplittableRandom rnd, int n, double scale) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) ((rnd.nextDouble() * 2 - 1) * scale);
        }
        return x;
    }

    private static void close(String what, double got, double expected, double tolerance) {
        if (Double.isNaN(expected) ? !Double.isNaN(got) : !(Math.abs(got - expected) <= tolerance)) {
            fail(String.format("%s: got %s, expected %s (tolerance %s)", what, got, expected, tolerance));
        }
    }

    @Test
    void sumsMatchTheDoubleSums() {
        SplittableRandom rnd = new SplittableRandom(11);
        int[][] shapes = {{1, 0, 1}, {1, 1, 1}, {1, 17, 1}, {3, 1000, 1}, {1, 100_003, 1}, {1, 500, 13}, {2, 257, 17},
                {4, 3, 100}, {1, 1000, 1}, {5, 64, 16}, {1, 2, 0}, {0, 5, 3}, {1, 3000, 33}, {2, 300, 3}, {3, 37, 8},
                {1, 513, 4}, {1, 16, 15}};
        for (int[] s : shapes) {
            int outer = s[0], n = s[1], inner = s[2];
            float[] x = random(rnd, outer * n * inner, 10);
            for (KernelProvider provider : GemmKernelsTest.providers()) {
                float[] out = new float[outer * inner + 2];
                out[outer * inner] = 42f;
                provider.sum(x, outer, n, inner, out);
                for (int o = 0; o < outer; o++) {
                    for (int i = 0; i < inner; i++) {
                        double exact = 0, abs = 0;
                        for (int r = 0; r < n; r++) {
                            double v = x[(o * n + r) * inner + i];
                            exact += v;
                            abs += Math.abs(v);
                        }
                        close(String.format("%s sum (%d, %d, %d) at %d, %d", provider.name(), outer, n, inner, o, i),
                                out[o * inner + i], exact, 1e-5 + 1.3e-6 * abs);
                    }
                }
                assertThat(out[outer * inner]).as("%s wrote past the sums", provider.name()).isEqualTo(42f);
            }
        }
    }

    /** Softmax of each row, in double: the definition. */
    private static double[] softmax(float[] x, int rows, int cols, boolean log) {
        double[] out = new double[rows * cols];
        for (int r = 0; r < rows; r++) {
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < cols; j++) {
                max = Math.max(max, x[r * cols + j]);
            }
            double total = 0;
            for (int j = 0; j < cols; j++) {
                total += Math.exp(x[r * cols + j] - max);
            }
            for (int j = 0; j < cols; j++) {
                double shifted = x[r * cols + j] - max;
                out[r * cols + j] = log ? shifted - Math.log(total) : Math.exp(shifted) / total;
            }
        }
        return out;
    }

    @Test
    void softmaxRowsMatchTheDefinition() {
        SplittableRandom rnd = new SplittableRandom(12);
        for (int cols : SIZES) {
            for (int rows : new int[] {0, 1, 5, 17}) {
                float[] x = random(rnd, rows * cols, 30);
                double[] soft = softmax(x, rows, cols, false), logSoft = softmax(x, rows, cols, true);
                for (KernelProvider provider : GemmKernelsTest.providers()) {
                    for (boolean log : new boolean[] {false, true}) {
                        float[] out = new float[rows * cols];
                        provider.softmaxRows(x, out, rows, cols, log);
                        double[] expected = log ? logSoft : soft;
                        for (int i = 0; i < out.length; i++) {
                            close(String.format("%s %s %dx%d at %d", provider.name(), log ? "logSoftmax" : "softmax",
                                    rows, cols, i), out[i], expected[i], 1e-5 + 1.3e-6 * Math.abs(expected[i]));
                        }
                        // In place gives the same.
                        float[] inPlace = x.clone();
                        provider.softmaxRows(inPlace, inPlace, rows, cols, log);
                        assertThat(inPlace).as("%s in place %dx%d", provider.name(), rows, cols).isEqualTo(out);
                    }
                }
            }
        }
    }

    @Test
    void softmaxRowsOfSpecialValuesFollowPyTorch() {
        float inf = Float.POSITIVE_INFINITY;
        // A row with NaN gives NaNs; a row of -inf gives NaNs; -inf entries get probability 0;
        // huge values do not overflow.
        float[] x = {1, Float.NaN, 2, -inf, -inf, -inf, 0, -inf, 1, 1e30f, 1e30f, -1e30f};
        for (KernelProvider provider : GemmKernelsTest.providers()) {
            float[] soft = new float[x.length], log = new float[x.length];
            provider.softmaxRows(x, soft, 4, 3, false);
            provider.softmaxRows(x, log, 4, 3, true);
            assertThat(soft).as(provider.name()).startsWith(Float.NaN, Float.NaN, Float.NaN, Float.NaN, Float.NaN, Float.NaN);
            assertThat(log).as(provider.name()).startsWith(Float.NaN, Float.NaN, Float.NaN, Float.NaN, Float.NaN, Float.NaN);
            assertThat(soft[7]).as(provider.name()).isZero();
            assertThat(log[7]).as(provider.name()).isEqualTo(-inf);
            assertThat((double) soft[9]).as(provider.name()).isCloseTo(0.5, org.assertj.core.data.Offset.offset(1e-6));
            assertThat(soft[11]).as(provider.name()).isZero();
        }
    }

    @Test
    void crossEntropyRowsGiveTheLossAndTheSoftmaxGradientWithIgnoredRowsLeftOut() {
        SplittableRandom rnd = new SplittableRandom(13);
        long ignore = -100;
        for (int cols : new int[] {1, 2, 3, 4, 10, 15, 16, 17, 33}) {
            for (int rows : new int[] {1, 5, 16, 17, 40, 300}) {
                float[] x = random(rnd, rows * cols, 30);
                long[] target = new long[rows];
                for (int r = 0; r < rows; r++) {
                    // every seventh row ignored, and the last class and class 0 among the others
                    target[r] = r % 7 == 3 ? ignore : r % 5 == 0 ? cols - 1 : rnd.nextInt(cols);
                }
                float scale = 0.25f;
                double[] logSoft = softmax(x, rows, cols, true);
                double loss = 0, magnitude = 0;
                double[] grad = new double[rows * cols];
                for (int r = 0; r < rows; r++) {
                    if (target[r] == ignore) {
                        continue;
                    }
                    loss -= logSoft[r * cols + (int) target[r]];
                    magnitude += Math.abs(logSoft[r * cols + (int) target[r]]);
                    for (int j = 0; j < cols; j++) {
                        grad[r * cols + j] = (Math.exp(logSoft[r * cols + j]) - (j == target[r] ? 1 : 0)) * scale;
                    }
                }
                for (KernelProvider provider : GemmKernelsTest.providers()) {
                    String what = String.format("%s %dx%d", provider.name(), rows, cols);
                    float[] out = new float[rows * cols + 1];
                    out[rows * cols] = 42f;
                    double got = provider.crossEntropyRows(x, rows, cols, target, ignore, scale, out);
                    close(what + " loss", got, loss, 1e-5 + 1.3e-6 * magnitude);
                    for (int i = 0; i < rows * cols; i++) {
                        close(what + " gradient at " + i, out[i], grad[i], 1e-5 + 1.3e-6 * Math.abs(grad[i]));
                    }
                    assertThat(out[rows * cols]).as("%s wrote past the gradient", what).isEqualTo(42f);
                    // In place gives the same.
                    float[] inPlace = java.util.Arrays.copyOf(x, rows * cols + 1);
                    inPlace[rows * cols] = 42f;
                    assertThat(provider.crossEntropyRows(inPlace, rows, cols, target, ignore, scale, inPlace))
                            .as("%s in place", what).isEqualTo(got);
                    assertThat(inPlace).as("%s in place", what).isEqualTo(out);
                }
            }
        }
    }

    @Test
    void softmaxGradientsMatchTheDefinition() {
        SplittableRandom rnd = new SplittableRandom(13);
        for (int cols : SIZES) {
            for (int rows : new int[] {0, 1, 6, 13}) {
                float[] x = random(rnd, rows * cols, 5), g = random(rnd, rows * cols, 2);
                for (boolean log : new boolean[] {false, true}) {
                    float[] y = new float[rows * cols];
                    Kernels.scalar().softmaxRows(x, y, rows, cols, log);
                    double[] expected = new double[rows * cols];
                    double[] scale = new double[rows * cols];
                    for (int r = 0; r < rows; r++) {
                        double total = 0, abs = 0;
                        for (int j = 0; j < cols; j++) {
                            int at = r * cols + j;
                            total += log ? g[at] : (double) g[at] * y[at];
                            abs += log ? Math.abs(g[at]) : Math.abs((double) g[at] * y[at]);
                        }
                        for (int j = 0; j < cols; j++) {
                            int at = r * cols + j;
                            expected[at] = log ? g[at] - Math.exp(y[at]) * total : y[at] * (g[at] - total);
                            scale[at] = Math.abs(g[at]) + (log ? Math.exp(y[at]) : Math.abs(y[at])) * abs;
                        }
                    }
                    for (KernelProvider provider : GemmKernelsTest.providers()) {
                        float[] out = new float[rows * cols];
                        provider.softmaxRowsBackward(y, g, out, rows, cols, log);
                        for (int i = 0; i < out.length; i++) {
                            close(String.format("%s %s backward %dx%d at %d", provider.name(),
                                    log ? "logSoftmax" : "softmax", rows, cols, i),
                                    out[i], expected[i], 1e-5 + 1.3e-6 * scale[i]);
                        }
                        float[] inPlace = g.clone();
                        provider.softmaxRowsBackward(y, inPlace, inPlace, rows, cols, log);
                        assertThat(inPlace).as("%s backward in place", provider.name()).isEqualTo(out);
                    }
                }
            }
        }
    }

    @Test
    void vectorSumsAreReproducible() {
        // The same input gives the same bits on every call, early (interpreted) and late (compiled).
        SplittableRandom rnd = new SplittableRandom(14);
        float[] x = random(rnd, 70_001, 1);
        for (KernelProvider provider : GemmKernelsTest.providers()) {
            float[] first = new float[1];
            provider.sum(x, 1, x.length, 1, first);
            for (int i = 0; i < 300; i++) {
                float[] again = new float[1];
                provider.sum(x, 1, x.length, 1, again);
                assertThat(again[0]).as("%s call %d", provider.name(), i).isEqualTo(first[0]);
            }
        }
    }
}
