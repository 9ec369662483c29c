package dev.kiln.kernels;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;

import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The GEMM kernels of every provider against a naive triple loop in double precision, at awkward
 * sizes (each of m, n, k in turn over {@link #SIZES}, the others odd), with A and B plain or
 * transposed through their strides, at non-zero offsets, and against each other.
 */
class GemmKernelsTest {
    /** Sizes around the vector lengths (16 floats, 8 doubles), the register tiles (6 x 64, 6 x 32) and the blocks (KC 512, MC 96). */
    static final int[] SIZES = {1, 4, 6, 7, 8, 13, 16, 17, 31, 33, 64, 65, 100, 127, 256, 1000};

    /** The providers of this JVM: the scalar one, and the vector one when the module is present. */
    static List<KernelProvider> providers() {
        List<KernelProvider> list = new ArrayList<>(List.of(Kernels.scalar()));
        KernelProvider auto = Kernels.choose("auto").provider();
        if (auto != Kernels.scalar()) {
            list.add(auto);
        }
        return list;
    }

    static Stream<Arguments> shapes() {
        List<Arguments> out = new ArrayList<>();
        for (int s : SIZES) {
            out.add(Arguments.of(s, 17, 13));
            out.add(Arguments.of(13, s, 17));
            out.add(Arguments.of(17, 13, s));
        }
        // Across block edges: k past KC (C accumulated over k blocks), m past MC, n past NC,
        // tiny k with large m and n (no packing), and all of them at once.
        out.add(Arguments.of(300, 70, 600));
        out.add(Arguments.of(20, 130, 1100));
        out.add(Arguments.of(7, 4200, 20));
        out.add(Arguments.of(150, 100, 3));
        out.add(Arguments.of(200, 300, 513));
        out.add(Arguments.of(1, 1000, 256));
        out.add(Arguments.of(1000, 1, 256));
        // a single row of A: whole vectors and a last vector overlapping them, k within one block
        // and just past it
        for (int[] s : new int[][] {{1, 16, 1}, {1, 17, 5}, {1, 100, 64}, {1, 20, 128}, {1, 70, 129}, {1, 20, 512}, {1, 70, 513}}) {
            out.add(Arguments.of(s[0], s[1], s[2]));
        }
        // few rows and many columns, as a training step stores values one row per feature: the last
        // one to three rows of a tile, whole tiles and their edge columns, k within a block and past it
        for (int[] s : new int[][] {{3, 500, 8}, {8, 500, 13}, {13, 500, 8}, {2, 130, 3}, {1, 200, 20}, {9, 70, 600}}) {
            out.add(Arguments.of(s[0], s[1], s[2]));
        }
        // edge tiles three vectors wide: 33 and 48 columns after whole tiles, direct and packed
        out.add(Arguments.of(50, 97, 40));
        out.add(Arguments.of(70, 112, 700));
        // Narrow outputs as the tutorials' heads have them: shallow and deep, through every kernel
        // for narrow products, with rows and columns left over from their tiles.
        // Depths 63, 64, 2048 and 2049 sit on the edges of the dot-product kernel's range, and 129
        // and 130 on its edge for 13 columns; 100 x 10 x 128 to 64 x 7 x 600 are computed transposed
        // when A is (a weight's gradient), m a multiple of 16 or not.
        for (int[] s : new int[][] {{500, 3, 8}, {500, 8, 3}, {3, 8, 500}, {500, 13, 8}, {8, 13, 500},
                {128, 4, 100}, {16, 1, 128}, {1, 128, 16}, {128, 13, 16}, {7, 15, 64}, {5, 2, 63}, {9, 1, 1000},
                {5, 20, 2048}, {5, 20, 2049}, {7, 3, 2}, {40, 20, 500}, {250, 90, 600},
                {13, 2, 1}, {11, 5, 7}, {19, 6, 2049}, {8, 7, 33}, {3, 4, 3}, {61, 2, 5},
                {100, 10, 128}, {37, 15, 33}, {33, 3, 32}, {64, 7, 600}, {6, 13, 129}, {6, 13, 130}}) {
            out.add(Arguments.of(s[0], s[1], s[2]));
        }
        return out.stream();
    }

    /**
     * A matrix of rows x cols stored at an offset in a larger array, plain (row-major) or transposed
     * (column-major). The cells before and after the matrix hold NaN, so a kernel that lets an
     * element outside the matrix reach C fails the check; with no cells after it, the array ends with
     * the matrix, so kernels that read whole vectors must stop at its end.
     */
    record Operand(float[] data, int off, int rs, int cs, int rows, int cols) {
        static Operand random(SplittableRandom rnd, int rows, int cols, boolean transposed, int off) {
            return random(rnd, rows, cols, transposed, off, 0);
        }

        static Operand random(SplittableRandom rnd, int rows, int cols, boolean transposed, int off, int after) {
            float[] data = new float[off + rows * cols + after];
            java.util.Arrays.fill(data, Float.NaN);
            for (int i = off; i < off + rows * cols; i++) {
                data[i] = (float) (rnd.nextDouble() * 2 - 1);
            }
            return transposed ? new Operand(data, off, 1, rows, rows, cols) : new Operand(data, off, cols, 1, rows, cols);
        }

        double at(int i, int j) {
            return data[off + i * rs + j * cs];
        }
    }

    @ParameterizedTest(name = "{0}x{1}x{2}")
    @MethodSource("shapes")
    void sgemmMatchesNaiveProduct(int m, int n, int k) {
        SplittableRandom rnd = new SplittableRandom(31L * m + 7L * n + k);
        // A plain and transposed, each ending its array and followed by NaN cells (kernels read
        // whole vectors of A past a row's or a column's end, into lanes that must never reach C)
        for (int layout = 0; layout < 4; layout++) {
            boolean ta = layout % 2 == 1, nanAfter = layout >= 2;
            for (boolean tb : new boolean[] {false, true}) {
                Operand a = Operand.random(rnd, m, k, ta, 3, nanAfter ? 7 : 0);
                Operand b = Operand.random(rnd, k, n, tb, 11);
                for (KernelProvider provider : providers()) {
                    check(provider, a, b, m, n, k, "A" + (ta ? "^T" : "") + (nanAfter ? "+NaN" : "") + " B" + (tb ? "^T" : ""));
                }
            }
        }
    }

    /**
     * Runs one product into a C full of NaN, at an offset and with a row stride wider than n, then
     * checks every element, and that the guard cells around C and between its rows are untouched.
     */
    private static void check(KernelProvider provider, Operand a, Operand b, int m, int n, int k, String layout) {
        int cOff = 5, ldc = n + 3;
        float[] c = new float[cOff + (m - 1) * ldc + n + 7];
        java.util.Arrays.fill(c, Float.NaN);
        provider.sgemm(m, n, k, a.data, a.off, a.rs, a.cs, b.data, b.off, b.rs, b.cs, c, cOff, ldc);
        for (int x = 0; x < c.length; x++) {
            int i = (x - cOff) / ldc, j = (x - cOff) % ldc;
            boolean inC = x >= cOff && i < m && j < n;
            if (!inC) {
                assertThat(c[x]).as("%s %s wrote outside C at %d", provider.name(), layout, x).isNaN();
            }
        }
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double sum = 0, abs = 0;
                for (int p = 0; p < k; p++) {
                    double t = a.at(i, p) * b.at(p, j);
                    sum += t;
                    abs += Math.abs(t);
                }
                // The classic bound for a float sum of k products, whatever the order: (k+1) u sum|a b|.
                double tol = (k + 1) * 0x1p-24 * abs + 1e-30;
                float got = c[cOff + i * ldc + j];
                if (!(Math.abs(got - sum) <= tol)) {
                    fail(String.format("%s %dx%dx%d %s: C[%d][%d] = %s, expected %s (tolerance %s)",
                            provider.name(), m, n, k, layout, i, j, got, sum, tol));
                }
            }
        }
    }

    @Test
    void providersAgreeOnTrainingShapes() {
        int[][] shapes = {{64, 1000, 100}, {64, 100, 1000}, {128, 10, 100}, {256, 784, 512}, {16, 13, 128}};
        SplittableRandom rnd = new SplittableRandom(5);
        for (int[] s : shapes) {
            int m = s[0], n = s[1], k = s[2];
            Operand a = Operand.random(rnd, m, k, false, 0);
            Operand b = Operand.random(rnd, k, n, false, 0);
            float[] expected = new float[m * n];
            Kernels.scalar().sgemm(m, n, k, a.data, 0, a.rs, a.cs, b.data, 0, b.rs, b.cs, expected, 0, n);
            for (KernelProvider provider : providers()) {
                float[] got = new float[m * n];
                provider.sgemm(m, n, k, a.data, 0, a.rs, a.cs, b.data, 0, b.rs, b.cs, got, 0, n);
                for (int i = 0; i < got.length; i++) {
                    assertThat((double) got[i]).as("%s %dx%dx%d at %d", provider.name(), m, n, k, i)
                            .isCloseTo(expected[i], org.assertj.core.data.Offset.offset(2 * k * 0x1p-24 * 4));
                }
            }
        }
    }

    /**
     * A row of A times B alone (a one-row product, which has a loop of its own) gets the bits of its
     * row in the whole product, within one block of k and over several, whose sums the row must add
     * to C as the tiles do: the contract that lets a product be split at any row.
     */
    @Test
    void aRowAloneGetsTheBitsOfItsRowInTheWholeProduct() {
        SplittableRandom rnd = new SplittableRandom(17);
        // 64 x 100 and 96 x 36 whole are computed as C^T (ragged columns, rows that fill the tiles)
        for (int[] s : new int[][] {{13, 16, 100}, {7, 20, 128}, {9, 70, 129}, {20, 100, 300}, {8, 200, 600},
                {64, 100, 300}, {96, 36, 400}}) {
            int m = s[0], n = s[1], k = s[2];
            Operand a = Operand.random(rnd, m, k, rnd.nextBoolean(), 3);
            Operand b = Operand.random(rnd, k, n, false, 0);
            for (KernelProvider provider : providers()) {
                float[] whole = new float[m * n];
                provider.sgemm(m, n, k, a.data, a.off, a.rs, a.cs, b.data, 0, b.rs, b.cs, whole, 0, n);
                for (int i = 0; i < m; i++) {
                    float[] row = new float[n];
                    provider.sgemm(1, n, k, a.data, a.off + i * a.rs, a.rs, a.cs, b.data, 0, b.rs, b.cs, row, 0, n);
                    assertThat(row).as("%s %dx%dx%d row %d", provider.name(), m, n, k, i)
                            .containsExactly(java.util.Arrays.copyOfRange(whole, i * n, (i + 1) * n));
                }
            }
        }
    }

    @Test
    void infinitiesGiveInfinitiesNotNaN() {
        // An infinity in every position of a row of A and a column of B, one at a time, at depths that
        // are not whole vectors: kernels that read a part of k twice (and discard it) must not turn
        // inf x 0 into NaN. B's columns contiguous (a forward x W^T) and its rows contiguous.
        int m = 5, n = 3;
        for (int k : new int[] {17, 100}) {
            for (KernelProvider provider : providers()) {
                for (boolean tb : new boolean[] {false, true}) {
                    for (int at = 0; at < k; at++) {
                        float[] a = new float[m * k], b = new float[k * n], c = new float[m * n];
                        java.util.Arrays.fill(a, 1f);
                        java.util.Arrays.fill(b, 0.5f);
                        a[2 * k + at] = Float.POSITIVE_INFINITY;
                        int bRs = tb ? 1 : n, bCs = tb ? k : 1;
                        b[1 * bCs + at * bRs] = Float.NEGATIVE_INFINITY;
                        provider.sgemm(m, n, k, a, 0, k, 1, b, 0, bRs, bCs, c, 0, n);
                        for (int i = 0; i < m; i++) {
                            for (int j = 0; j < n; j++) {
                                float expected = j == 1 ? Float.NEGATIVE_INFINITY // inf x -inf, or 1 x -inf
                                        : i == 2 ? Float.POSITIVE_INFINITY : k * 0.5f;
                                assertThat(c[i * n + j]).as("%s k=%d B%s infinity at %d, C[%d][%d]",
                                        provider.name(), k, tb ? "^T" : "", at, i, j).isEqualTo(expected);
                            }
                        }
                    }
                }
            }
        }
    }


    @Test
    void broadcastOperandsWithZeroStrides() {
        // A's rows all the same (row stride 0) and B a single column read with column stride 0, as mv and expand give.
        int m = 9, n = 1, k = 40;
        float[] a = new float[k];
        float[] b = new float[k];
        for (int p = 0; p < k; p++) {
            a[p] = p * 0.25f - 3;
            b[p] = 1 - p * 0.125f;
        }
        double dot = 0;
        for (int p = 0; p < k; p++) {
            dot += (double) a[p] * b[p];
        }
        for (KernelProvider provider : providers()) {
            float[] c = new float[m * n];
            provider.sgemm(m, n, k, a, 0, 0, 1, b, 0, 1, 0, c, 0, n);
            for (float v : c) {
                assertThat((double) v).as(provider.name()).isCloseTo(dot, org.assertj.core.data.Offset.offset(1e-3));
            }
        }
    }

    @Test
    void emptyDepthWritesZeros() {
        for (KernelProvider provider : providers()) {
            float[] c = {Float.NaN, Float.NaN, Float.NaN, Float.NaN, Float.NaN, Float.NaN};
            provider.sgemm(2, 3, 0, new float[0], 0, 0, 1, new float[0], 0, 3, 1, c, 0, 3);
            assertThat(c).as(provider.name()).containsOnly(0f);
            double[] d = {Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN};
            provider.dgemm(3, 2, 0, new double[0], 0, 0, 1, new double[0], 0, 2, 1, d, 0, 2);
            assertThat(d).as(provider.name()).containsOnly(0.0);
        }
    }

    @ParameterizedTest(name = "{0}x{1}x{2}")
    @MethodSource("shapes")
    void dgemmMatchesNaiveProduct(int m, int n, int k) {
        SplittableRandom rnd = new SplittableRandom(m * 1000L + n * 10L + k);
        for (boolean ta : new boolean[] {false, true}) {
            for (boolean tb : new boolean[] {false, true}) {
                int aOff = 2, bOff = 9, cOff = 4;
                double[] a = rnd.doubles(aOff + m * k, -1, 1).toArray();
                double[] b = rnd.doubles(bOff + k * n, -1, 1).toArray();
                int aRs = ta ? 1 : k, aCs = ta ? m : 1, bRs = tb ? 1 : n, bCs = tb ? k : 1;
                for (KernelProvider provider : providers()) {
                    double[] c = new double[cOff + m * n];
                    java.util.Arrays.fill(c, Double.NaN);
                    provider.dgemm(m, n, k, a, aOff, aRs, aCs, b, bOff, bRs, bCs, c, cOff, n);
                    for (int i = 0; i < m; i++) {
                        for (int j = 0; j < n; j++) {
                            double sum = 0, abs = 0;
                            for (int p = 0; p < k; p++) {
                                double t = a[aOff + i * aRs + p * aCs] * b[bOff + p * bRs + j * bCs];
                                sum += t;
                                abs += Math.abs(t);
                            }
                            double tol = (k + 1) * 0x1p-53 * abs + 1e-300;
                            double got = c[cOff + i * n + j];
                            if (!(Math.abs(got - sum) <= tol)) {
                                fail(String.format("%s dgemm %dx%dx%d ta=%s tb=%s: C[%d][%d] = %s, expected %s",
                                        provider.name(), m, n, k, ta, tb, i, j, got, sum));
                            }
                        }
                    }
                    assertThat(c[0]).isNaN();
                }
            }
        }
    }

    @Test
    void propertyScalarForcesTheScalarKernels() {
        Kernels.Choice choice = Kernels.choose("scalar");
        assertThat(choice.provider()).isSameAs(Kernels.scalar());
        assertThat(choice.reason()).contains("kiln.kernels=scalar");
        assertThat(Kernels.choose(" Scalar ").provider()).isSameAs(Kernels.scalar());
    }

    @Test
    void vectorKernelsAreChosenWhenTheModuleIsPresent() {
        boolean present = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
        Kernels.Choice choice = Kernels.choose(null);
        if (present) {
            // Surefire runs with --add-modules jdk.incubator.vector (the parent pom's argLine).
            assertThat(choice.provider().name()).isEqualTo("vector");
            assertThat(Kernels.provider().name()).isEqualTo(System.getProperty(Kernels.PROPERTY, "auto")
                    .equals("scalar") ? "scalar" : "vector");
        } else {
            assertThat(choice.provider()).isSameAs(Kernels.scalar());
            assertThat(choice.level()).isEqualTo(Level.INFO);
            assertThat(choice.reason()).contains("--add-modules jdk.incubator.vector");
        }
    }

    @Test
    void unknownPropertyValueWarnsAndChoosesAutomatically() {
        Kernels.Choice choice = Kernels.choose("avx9000");
        assertThat(choice.level()).isEqualTo(Level.WARNING);
        assertThat(choice.reason()).contains("avx9000");
        assertThat(choice.provider().name()).isEqualTo(Kernels.choose("auto").provider().name());
    }
}
