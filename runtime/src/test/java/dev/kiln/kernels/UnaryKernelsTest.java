package dev.kiln.kernels;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

/**
 * The elementwise kernels of every provider against {@link UnaryFunction#apply} at sizes around the
 * vector lengths (the vector loop, its tail, and both), with special values among random ones.
 *
 * <p>Tolerance: float32 results are held to {@code torch.testing.assert_close}'s float32 defaults
 * (|got - expected| <= 1e-5 + 1.3e-6 |expected|), the exact value rounded once being the
 * expectation; float64 results to 1e-12 relative. NaN must stay NaN, infinities must match.
 */
class UnaryKernelsTest {
    static final int[] SIZES = {0, 1, 4, 6, 8, 13, 17, 31, 1024, 1031};
    static final double[] SPECIAL = {0.0, -0.0, 1.0, -1.0, Double.NaN, Double.POSITIVE_INFINITY,
            Double.NEGATIVE_INFINITY, 88.0, -88.0, 100.0, -100.0, 1e-30, -1e-30, 20.0, -20.0};

    private static double[] inputs(UnaryFunction f, int n, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        double[] x = new double[n];
        for (int i = 0; i < n; i++) {
            // A special value now and then, at positions that land both in vectors and in the tail.
            x[i] = i % 7 == 3 ? SPECIAL[(i / 7) % SPECIAL.length]
                    : f == UnaryFunction.LOG ? rnd.nextDouble() * 100 : rnd.nextDouble() * 40 - 20;
        }
        return x;
    }

    @Test
    void floatKernelsMatchTheDefinition() {
        for (UnaryFunction f : UnaryFunction.values()) {
            for (int n : SIZES) {
                double[] x = inputs(f, n, n * 31L + f.ordinal());
                float[] xf = new float[n];
                for (int i = 0; i < n; i++) {
                    xf[i] = (float) x[i];
                }
                for (KernelProvider provider : GemmKernelsTest.providers()) {
                    float[] out = new float[n];
                    provider.unary(f, xf, out);
                    for (int i = 0; i < n; i++) {
                        double expected = (float) f.apply(xf[i]);
                        check(provider.name() + " " + f + " n=" + n + " x[" + i + "]=" + xf[i], out[i], expected,
                                1e-5, 1.3e-6);
                    }
                }
            }
        }
    }

    @Test
    void doubleKernelsMatchTheDefinition() {
        for (UnaryFunction f : UnaryFunction.values()) {
            for (int n : SIZES) {
                double[] x = inputs(f, n, n * 17L + f.ordinal());
                for (KernelProvider provider : GemmKernelsTest.providers()) {
                    double[] out = new double[n];
                    provider.unary(f, x, out);
                    for (int i = 0; i < n; i++) {
                        check(provider.name() + " " + f + " n=" + n + " x[" + i + "]=" + x[i], out[i], f.apply(x[i]),
                                1e-300, 1e-12);
                    }
                }
            }
        }
    }

    @Test
    void providersAgreeOnActivationSizedArrays() {
        // A 256 x 512 activation, as in the MLP: the vector kernel against the scalar one.
        SplittableRandom rnd = new SplittableRandom(9);
        float[] x = new float[256 * 512];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (rnd.nextGaussian() * 3);
        }
        for (UnaryFunction f : new UnaryFunction[] {UnaryFunction.EXP, UnaryFunction.TANH, UnaryFunction.SIGMOID,
                UnaryFunction.RELU}) {
            float[] expected = new float[x.length];
            Kernels.scalar().unary(f, x, expected);
            for (KernelProvider provider : GemmKernelsTest.providers()) {
                float[] got = new float[x.length];
                provider.unary(f, x, got);
                for (int i = 0; i < x.length; i++) {
                    check(provider.name() + " " + f + " at " + i, got[i], expected[i], 1e-5, 1.3e-6);
                }
            }
        }
    }

    @Test
    void backwardKernelsFoldTheDerivativeFromTheOutput() {
        for (UnaryFunction f : UnaryFunction.values()) {
            if (!f.derivativeFromOutput()) {
                continue;
            }
            for (int n : SIZES) {
                SplittableRandom rnd = new SplittableRandom(n * 7L + f.ordinal());
                float[] y = new float[n + 3];
                float[] g = new float[n + 3];
                double[] yd = new double[n];
                double[] gd = new double[n];
                for (int i = 0; i < n; i++) {
                    // outputs as each function gives them: relu's half zero, sigmoid's in (0, 1), tanh's in (-1, 1)
                    double x = rnd.nextDouble() * 8 - 4;
                    yd[i] = f.apply(i % 9 == 4 ? 0.0 : x);
                    y[i] = (float) yd[i];
                    gd[i] = rnd.nextDouble() * 6 - 3;
                    g[i] = (float) gd[i];
                }
                y[n] = 5f; // past n: never read
                g[n] = 7f;
                for (KernelProvider provider : GemmKernelsTest.providers()) {
                    float[] out = new float[n + 3];
                    out[n] = -1f;
                    provider.unaryBackward(f, y, g, out, n);
                    double[] outD = new double[n];
                    provider.unaryBackward(f, yd, gd, outD, n);
                    for (int i = 0; i < n; i++) {
                        double expected = (float) (g[i] * f.derivativeAt(y[i]));
                        check(provider.name() + " " + f + " backward n=" + n + " i=" + i, out[i], expected, 1e-5, 1.3e-6);
                        check(provider.name() + " " + f + " double backward n=" + n + " i=" + i, outD[i],
                                gd[i] * f.derivativeAt(yd[i]), 1e-300, 1e-12);
                    }
                    assertThat(out[n]).as("nothing written past n").isEqualTo(-1f);
                    float[] inPlace = g.clone();
                    provider.unaryBackward(f, y, inPlace, inPlace, n);
                    for (int i = 0; i < n; i++) {
                        assertThat(inPlace[i]).as(provider.name() + " in place i=" + i).isEqualTo(out[i]);
                    }
                }
            }
            for (KernelProvider provider : GemmKernelsTest.providers()) {
                org.assertj.core.api.Assertions.assertThatThrownBy(
                        () -> provider.unaryBackward(UnaryFunction.LOG, new float[1], new float[1], new float[1], 1))
                        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("LOG");
            }
        }
    }

    @Test
    void addingARowVectorGivesTheSumOfEachElementAndItsColumnsValue() {
        for (int cols : SIZES) {
            for (int rows : new int[] {0, 1, 3, 7, 16, 33, 300}) {
                SplittableRandom rnd = new SplittableRandom(rows * 1000L + cols);
                float[] start = new float[rows * cols];
                float[] row = new float[cols];
                double[] startD = new double[rows * cols];
                double[] rowD = new double[cols];
                for (int i = 0; i < start.length; i++) {
                    startD[i] = rnd.nextDouble(-3, 3);
                    start[i] = (float) startD[i];
                }
                for (int c = 0; c < cols; c++) {
                    rowD[c] = rnd.nextDouble(-3, 3);
                    row[c] = (float) rowD[c];
                }
                for (KernelProvider provider : GemmKernelsTest.providers()) {
                    float[] out = start.clone();
                    double[] outD = startD.clone();
                    provider.addRowVector(out, row, rows, cols);
                    provider.addRowVector(outD, rowD, rows, cols);
                    for (int i = 0; i < out.length; i++) {
                        assertThat(out[i]).as(provider.name() + " float rows=" + rows + " cols=" + cols + " i=" + i)
                                .isEqualTo(start[i] + row[i % cols]);
                        assertThat(outD[i]).as(provider.name() + " double rows=" + rows + " cols=" + cols + " i=" + i)
                                .isEqualTo(startD[i] + rowD[i % cols]);
                    }
                }
            }
        }
    }

    /**
     * The fused bias and activation gives, bit for bit, what adding the row and then applying the
     * function to an array of exactly rows x cols elements gives (as the eager path computes it),
     * for rows narrower and wider than a vector, ragged lengths, in place and not.
     */
    @Test
    void biasAndActivationInOnePassGiveTheBitsOfTheTwoPasses() {
        for (UnaryFunction f : UnaryFunction.values()) {
            for (int cols : new int[] {1, 3, 8, 13, 16, 17, 100}) {
                for (int rows : new int[] {0, 1, 5, 16, 33}) {
                    SplittableRandom rnd = new SplittableRandom(rows * 101L + cols * 7L + f.ordinal());
                    int n = rows * cols;
                    float[] x = new float[n + 5];
                    float[] row = new float[cols];
                    for (int i = 0; i < x.length; i++) {
                        x[i] = (float) (f == UnaryFunction.LOG ? rnd.nextDouble(0, 10) : rnd.nextDouble(-9, 9));
                    }
                    for (int c = 0; c < cols; c++) {
                        row[c] = (float) (f == UnaryFunction.LOG ? rnd.nextDouble(0.5, 2) : rnd.nextDouble(-2, 2));
                    }
                    for (KernelProvider provider : GemmKernelsTest.providers()) {
                        float[] expected = java.util.Arrays.copyOf(x, n);
                        provider.addRowVector(expected, row, rows, cols);
                        provider.unary(f, expected, expected);
                        float[] out = new float[n + 5];
                        out[n] = -1f;
                        provider.addRowVectorUnary(f, x, row, out, rows, cols);
                        String what = provider.name() + " " + f + " rows=" + rows + " cols=" + cols;
                        same(what, out, expected, f);
                        assertThat(out[n]).as(what + ": nothing written past rows x cols").isEqualTo(-1f);
                        float[] inPlace = x.clone();
                        provider.addRowVectorUnary(f, inPlace, row, inPlace, rows, cols);
                        same(what + " in place", inPlace, expected, f);
                    }
                }
            }
        }
    }

    /**
     * A block of the bias and activation pass, read from its place in the whole matrix or from an
     * array of its own (as a split product's block computed apart), gets the whole pass's numbers
     * and writes nothing outside the block.
     */
    @Test
    void blocksOfTheBiasAndActivationPassGetTheWholePassesNumbers() {
        int rows = 7;
        for (UnaryFunction f : UnaryFunction.values()) {
            for (int[] s : new int[][] {{64, 16, 32}, {512, 256, 256}, {100, 64, 36}, {29, 3, 13}, {48, 0, 48}}) {
                int width = s[0], j0 = s[1], cols = s[2];
                SplittableRandom rnd = new SplittableRandom(width * 31L + j0 + f.ordinal());
                float[] x = new float[rows * width];
                float[] row = new float[width];
                for (int i = 0; i < x.length; i++) {
                    x[i] = (float) (f == UnaryFunction.LOG ? rnd.nextDouble(0, 10) : rnd.nextDouble(-9, 9));
                }
                for (int c = 0; c < width; c++) {
                    row[c] = (float) (f == UnaryFunction.LOG ? rnd.nextDouble(0.5, 2) : rnd.nextDouble(-2, 2));
                }
                float[] block = new float[rows * cols];
                for (int r = 0; r < rows; r++) {
                    System.arraycopy(x, r * width + j0, block, r * cols, cols);
                }
                for (KernelProvider provider : GemmKernelsTest.providers()) {
                    float[] whole = new float[rows * width];
                    provider.addRowVectorUnary(f, x, row, whole, rows, width);
                    String what = provider.name() + " " + f + " " + cols + " of " + width + " columns from " + j0;
                    float[] inPlace = new float[rows * width];
                    java.util.Arrays.fill(inPlace, -1f);
                    provider.addRowVectorUnary(f, x, j0, width, row, j0, inPlace, j0, width, rows, cols);
                    float[] apart = new float[rows * width];
                    java.util.Arrays.fill(apart, -1f);
                    provider.addRowVectorUnary(f, block, 0, cols, row, j0, apart, j0, width, rows, cols);
                    for (int r = 0; r < rows; r++) {
                        for (int c = 0; c < width; c++) {
                            int i = r * width + c;
                            if (c < j0 || c >= j0 + cols) {
                                assertThat(inPlace[i]).as(what + ": outside the block, at " + i).isEqualTo(-1f);
                                assertThat(apart[i]).as(what + ": outside the block, at " + i).isEqualTo(-1f);
                                inPlace[i] = apart[i] = whole[i];
                            }
                        }
                    }
                    same(what, inPlace, whole, f);
                    same(what + ", read apart", apart, whole, f);
                    if (width % 16 == 0 && j0 % 16 == 0 && cols % 16 == 0 && f == UnaryFunction.RELU) {
                        assertThat(apart).as(what + ": whole vectors, the same bits").isEqualTo(whole);
                    }
                }
            }
        }
    }

    /**
     * The same bits for RELU; for the transcendental functions, within the float32 tolerance, since
     * the Vector API's EXP, LOG and TANH may round differently before C2 compiles a loop than after.
     */
    private static void same(String what, float[] got, float[] expected, UnaryFunction f) {
        for (int i = 0; i < expected.length; i++) {
            if (f == UnaryFunction.RELU) {
                assertThat(got[i]).as(what + " i=" + i).isEqualTo(expected[i]);
            } else {
                check(what + " i=" + i, got[i], expected[i], 1e-5, 1.3e-6);
            }
        }
    }

    /**
     * Passes over at least {@link VectorKernels#PARALLEL_MIN_ELEMENTS} elements per thread are split
     * over the kernel threads; every element must come out as from one thread, including those of
     * the scalar tail and of the rows each part starts with (a ragged row length, 517).
     */
    @Test
    void largePassesGetTheSameBitsFromEveryThreadCount() {
        assumeTrue(Threads.PROCESSORS > 1, "one processor: a pass is never split");
        int cols = 517, rows = 3 * VectorKernels.PARALLEL_MIN_ELEMENTS / cols + 1, n = rows * cols;
        SplittableRandom rnd = new SplittableRandom(5);
        float[] x = new float[n], y = new float[n], g = new float[n], bias = new float[cols];
        for (int i = 0; i < n; i++) {
            x[i] = (float) rnd.nextDouble(-20, 20);
            y[i] = x[i] / 20;
            g[i] = (float) rnd.nextDouble(-1, 1);
        }
        for (int c = 0; c < cols; c++) {
            bias[c] = (float) rnd.nextDouble(-1, 1);
        }
        int before = Threads.count();
        try {
            for (KernelProvider provider : GemmKernelsTest.providers()) {
                float[][] first = null;
                for (int threads = 1; threads <= Threads.PROCESSORS; threads++) {
                    Threads.setCount(threads);
                    // The forward pass of RELU only: the Vector API's EXP, LOG and TANH may round
                    // differently before C2 compiles the loop than after, whatever the threads. The
                    // backward passes are plain arithmetic on a given output (x / 20, in (-1, 1)).
                    List<float[]> results = new ArrayList<>();
                    float[] relu = new float[n];
                    provider.unary(UnaryFunction.RELU, x, relu);
                    results.add(relu);
                    for (UnaryFunction f : UnaryFunction.values()) {
                        if (f != UnaryFunction.LOG) {
                            float[] grad = new float[n];
                            provider.unaryBackward(f, y, g, grad, n);
                            results.add(grad);
                            // the fused passes with the column sums, split by whole columns
                            float[] fusedGrad = new float[n], sums = new float[cols];
                            provider.unaryBackwardColumnSums(f, y, g, fusedGrad, rows, cols, sums);
                            results.add(fusedGrad);
                            results.add(sums);
                            float[] outerGrad = new float[n], outerSums = new float[cols];
                            provider.outerUnaryBackward(f, g, bias, y, outerGrad, rows, cols, outerSums);
                            results.add(outerGrad);
                            results.add(outerSums);
                        }
                    }
                    float[] biased = x.clone();
                    provider.addRowVector(biased, bias, rows, cols);
                    results.add(biased);
                    float[] fused = new float[n];
                    provider.addRowVectorUnary(UnaryFunction.RELU, x, bias, fused, rows, cols);
                    results.add(fused);
                    if (first == null) {
                        first = results.toArray(float[][]::new);
                    } else {
                        for (int i = 0; i < results.size(); i++) {
                            assertThat(results.get(i)).as("%s, %d threads, result %d", provider.name(), threads, i)
                                    .isEqualTo(first[i]);
                        }
                    }
                }
            }
        } finally {
            Threads.setCount(before);
        }
    }

    @Test
    void reluKeepsNaNAndZeroesNegativeZero() {
        for (KernelProvider provider : GemmKernelsTest.providers()) {
            float[] x = new float[40];
            x[3] = Float.NaN;
            x[20] = -0f;
            x[21] = -5f;
            x[39] = Float.NaN;
            float[] out = new float[40];
            provider.unary(UnaryFunction.RELU, x, out);
            assertThat(out[3]).as(provider.name()).isNaN();
            assertThat(out[39]).as(provider.name()).isNaN();
            assertThat(Float.floatToRawIntBits(out[21])).as(provider.name()).isZero();
        }
    }

    private static void check(String what, double got, double expected, double atol, double rtol) {
        if (Double.isNaN(expected)) {
            if (!Double.isNaN(got)) {
                fail(what + ": expected NaN, got " + got);
            }
            return;
        }
        if (Double.isInfinite(expected)) {
            if (got != expected) {
                fail(what + ": expected " + expected + ", got " + got);
            }
            return;
        }
        if (!(Math.abs(got - expected) <= atol + rtol * Math.abs(expected))) {
            fail(what + ": expected " + expected + ", got " + got);
        }
    }

    @Test
    void theDerivativeOfAnOuterProductOrAMatrixWithItsColumnSumsMatchesTheDefinition() {
        SplittableRandom rnd = new SplittableRandom(17);
        int[][] shapes = {{0, 0}, {1, 1}, {16, 128}, {32, 20}, {17, 13}, {300, 33}, {257, 16}, {600, 5}, {3, 0}};
        for (UnaryFunction f : UnaryFunction.values()) {
            if (!f.derivativeFromOutput()) {
                continue;
            }
            for (int[] shape : shapes) {
                int rows = shape[0], cols = shape[1];
                float[] g = new float[rows], w = new float[cols], y = new float[rows * cols];
                for (int r = 0; r < rows; r++) {
                    g[r] = (float) (rnd.nextDouble() * 2 - 1);
                }
                for (int c = 0; c < cols; c++) {
                    w[c] = (float) (rnd.nextDouble() * 2 - 1);
                }
                for (int i = 0; i < y.length; i++) {
                    // outputs of the activation: in (0, 1) for sigmoid, (-1, 1) for tanh, some zeros for relu
                    y[i] = (float) (f == UnaryFunction.RELU ? Math.max(0, rnd.nextDouble() * 2 - 1)
                            : f == UnaryFunction.TANH ? rnd.nextDouble() * 2 - 1 : rnd.nextDouble());
                }
                for (KernelProvider provider : GemmKernelsTest.providers()) {
                    String what = String.format("%s %s %dx%d", provider.name(), f, rows, cols);
                    float[] out = new float[rows * cols + 1], sums = new float[cols + 1];
                    out[rows * cols] = 42f;
                    sums[cols] = 42f;
                    provider.outerUnaryBackward(f, g, w, y, out, rows, cols, sums);
                    for (int c = 0; c < cols; c++) {
                        double exact = 0, magnitude = 0;
                        for (int r = 0; r < rows; r++) {
                            double expected = (double) (g[r] * w[c]) * f.derivativeAt(y[r * cols + c]);
                            double got = out[r * cols + c];
                            if (!(Math.abs(got - expected) <= 1e-5 + 1.3e-6 * Math.abs(expected))) {
                                fail(String.format("%s at (%d, %d): got %s, expected %s", what, r, c, got, expected));
                            }
                            exact += expected;
                            magnitude += Math.abs(expected);
                        }
                        if (!(Math.abs(sums[c] - exact) <= 1e-5 + 1.3e-6 * magnitude)) {
                            fail(String.format("%s sum of column %d: got %s, expected %s", what, c, sums[c], exact));
                        }
                    }
                    assertThat(out[rows * cols]).as("%s wrote past out", what).isEqualTo(42f);
                    assertThat(sums[cols]).as("%s wrote past the sums", what).isEqualTo(42f);
                    float[] again = new float[rows * cols + 1];
                    again[rows * cols] = 42f;
                    provider.outerUnaryBackward(f, g, w, y, again, rows, cols, null);
                    assertThat(again).as("%s without sums", what).isEqualTo(out);
                    // the same gradient given as a matrix, g w rounded: the derivative and the sums in one pass
                    float[] incoming = new float[rows * cols], matrix = new float[rows * cols + 1];
                    float[] matrixSums = new float[cols + 1];
                    for (int i = 0; i < rows * cols; i++) {
                        incoming[i] = g[i / cols] * w[i % cols];
                    }
                    matrix[rows * cols] = 42f;
                    matrixSums[cols] = 42f;
                    provider.unaryBackwardColumnSums(f, y, incoming, matrix, rows, cols, matrixSums);
                    float[] plain = new float[rows * cols + 1];
                    plain[rows * cols] = 42f;
                    provider.unaryBackward(f, y, incoming, plain, rows * cols);
                    for (int i = 0; i < rows * cols; i++) {
                        assertThat(matrix[i]).as("%s matrix element %d", what, i).isCloseTo(plain[i], within(1e-6f));
                    }
                    assertThat(matrix[rows * cols]).as("%s matrix wrote past out", what).isEqualTo(42f);
                    for (int c = 0; c <= cols; c++) {
                        assertThat(matrixSums[c]).as("%s matrix sum %d", what, c).isCloseTo(sums[c], within(1e-5f));
                    }
                }
            }
        }
    }
}
