package dev.kiln.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Float GEMM as dot products, for narrow products ({@code n < Gemm.NARROW_COLUMNS}) whose operands
 * are both contiguous along k: A's rows and B's columns, as a linear layer's forward {@code x W^T}
 * reads them. The register-tiled kernels of {@link VectorKernels} would first copy B's columns into
 * row slivers and then broadcast one element of A per multiply-add of a vector holding n useful lanes
 * of B (4 of 16 for a 4-class output, 1 for a regression head). Here nothing is copied and every lane
 * does useful work: a tile of 4 rows x 2 columns of C keeps 8 accumulators of k-partial sums, each
 * step loads 4 vectors of A and 2 of B along k and runs 8 FMAs, and the 8 accumulators are summed
 * across their lanes together at the end by a tree of blends, lane permutations and adds (about 30
 * operations for the 8 sums, against about 10 for each sum alone).
 *
 * <p>Each element of C is computed the same way wherever it falls (lane-wise partial sums over the
 * whole of k, then a fixed tree), by exact lane-wise operations, so the result does not depend on the
 * tile, on m, or on whether the code runs interpreted or compiled. Loaded only through
 * {@link VectorKernels}, so only when the Vector API module is present.
 */
final class VectorDotGemm {
    private static final VectorSpecies<Float> FS = FloatVector.SPECIES_PREFERRED;
    private static final int L = FS.length();

    /** Rows of a tile of C. */
    static final int TILE_ROWS = 4;
    /** Columns of a tile of C. */
    static final int TILE_COLUMNS = 2;
    /** Floats of B in one panel of columns: 256 KiB, half of a typical L2. */
    static final int PANEL_FLOATS = 64 * 1024;

    /**
     * The tree (used with 16 lanes only, see {@link #applies}): at step h = 8, 4, 2, 1 lanes apart,
     * lane l takes the pair sum of the first operand when {@code (l & h) == 0} and of the second
     * otherwise: each step's blend mask and partner permutation. Constants in fields of their own, so
     * that C2 sees their exact classes and compiles the operations on them to instructions.
     */
    private static final VectorMask<Float> SECOND_8 = second(8), SECOND_4 = second(4), SECOND_2 = second(2);
    private static final VectorShuffle<Float> PARTNER_8 = partner(8), PARTNER_4 = partner(4), PARTNER_2 = partner(2),
            PARTNER_1 = partner(1);
    /** Which lane of the reduced vector holds the sum of accumulator t (t = row * TILE_COLUMNS + column). */
    private static final int[] LANE_OF = new int[TILE_ROWS * TILE_COLUMNS];

    static {
        // Accumulators are paired in order at the first step (h = 8), then the pairs' results, and so
        // on: bit s of t decides the side at step s, which is lane bit 8 >> s.
        for (int t = 0; t < LANE_OF.length; t++) {
            int lane = 0;
            for (int s = 0; s < 3; s++) {
                if ((t >> s & 1) != 0) {
                    lane |= 8 >> s;
                }
            }
            LANE_OF[t] = lane;
        }
    }

    private static VectorMask<Float> second(int h) {
        boolean[] second = new boolean[L];
        for (int l = 0; l < L; l++) {
            second[l] = (l & h) != 0;
        }
        return VectorMask.fromArray(FS, second, 0);
    }

    private static VectorShuffle<Float> partner(int h) {
        int[] partner = new int[L];
        for (int l = 0; l < L; l++) {
            partner[l] = (l ^ h) % L;
        }
        return VectorShuffle.fromArray(FS, partner, 0);
    }

    private VectorDotGemm() {}

    /**
     * Whether a product runs here: 16-lane vectors, a narrow C (fewer than {@link Gemm#NARROW_COLUMNS}
     * columns), A's rows and B's columns contiguous, and a depth from {@code minK} to {@code maxK} and
     * of at least one vector (the last k % L elements are read as the vector that ends at k).
     * The choice never depends on m, and {@link Gemm} never cuts a product at least that wide into
     * narrower blocks nor a narrower one into columns at all, so blocks of a product split over
     * threads run here exactly when the whole would (minK may depend on n).
     */
    static boolean applies(int n, int k, int aCs, int bRs, int minK, int maxK) {
        return L == 16 && n < Gemm.NARROW_COLUMNS && aCs == 1 && bRs == 1 && k >= Math.max(minK, L) && k <= maxK;
    }

    /**
     * C = A B with A(i, p) at {@code a[aOff + i aRs + p]} and B(p, j) at {@code b[bOff + j bCs + p]};
     * {@code scratch} holds at least L floats.
     * Columns of B are taken in panels of about 256 KiB, which stay in L2 while every tile of rows of A
     * (4 x k, in L1) runs over them.
     */
    static void sgemm(int m, int n, int k, float[] a, int aOff, int aRs, float[] b, int bOff, int bCs,
                      float[] c, int cOff, int ldc, float[] scratch) {
        int panel = Math.max(TILE_COLUMNS, (PANEL_FLOATS / k) / TILE_COLUMNS * TILE_COLUMNS);
        for (int jc = 0; jc < n; jc += panel) {
            int nc = Math.min(panel, n - jc);
            for (int i0 = 0; i0 < m; i0 += TILE_ROWS) {
                int mr = Math.min(TILE_ROWS, m - i0);
                for (int j0 = jc; j0 < jc + nc; j0 += TILE_COLUMNS) {
                    int nr = Math.min(TILE_COLUMNS, jc + nc - j0);
                    tile(k, a, aOff + i0 * aRs, aRs, b, bOff + j0 * bCs, bCs, c, cOff + i0 * ldc + j0, ldc, mr, nr,
                            scratch);
                }
            }
        }
    }

    /**
     * One tile of mr x nr (at most 4 x 2) elements of C; rows past mr repeat the last row and a column
     * past nr repeats the last column, and are not stored. Eight accumulators, one loop and the tree:
     * C1 runs out of registers on a 16-accumulator version and leaves it interpreted until C2 is done.
     */
    private static void tile(int k, float[] a, int aBase, int aRs, float[] b, int bBase, int bCs,
                             float[] c, int cBase, int ldc, int mr, int nr, float[] scratch) {
        int a0 = aBase;
        int a1 = aBase + Math.min(1, mr - 1) * aRs;
        int a2 = aBase + Math.min(2, mr - 1) * aRs;
        int a3 = aBase + Math.min(3, mr - 1) * aRs;
        int b0 = bBase;
        int b1 = bBase + Math.min(1, nr - 1) * bCs;
        FloatVector s00 = FloatVector.zero(FS), s01 = FloatVector.zero(FS);
        FloatVector s10 = FloatVector.zero(FS), s11 = FloatVector.zero(FS);
        FloatVector s20 = FloatVector.zero(FS), s21 = FloatVector.zero(FS);
        FloatVector s30 = FloatVector.zero(FS), s31 = FloatVector.zero(FS);
        // Whole vectors along k, then the last k % L elements.
        int bound = FS.loopBound(k);
        for (int p = 0; p < bound; p += L) {
            FloatVector y0 = FloatVector.fromArray(FS, b, b0 + p);
            FloatVector y1 = FloatVector.fromArray(FS, b, b1 + p);
            FloatVector x = FloatVector.fromArray(FS, a, a0 + p);
            s00 = x.fma(y0, s00);
            s01 = x.fma(y1, s01);
            x = FloatVector.fromArray(FS, a, a1 + p);
            s10 = x.fma(y0, s10);
            s11 = x.fma(y1, s11);
            x = FloatVector.fromArray(FS, a, a2 + p);
            s20 = x.fma(y0, s20);
            s21 = x.fma(y1, s21);
            x = FloatVector.fromArray(FS, a, a3 + p);
            s30 = x.fma(y0, s30);
            s31 = x.fma(y1, s31);
        }
        if (bound < k) {
            // The last k % L elements: the whole vector that ends at k, overlapping the previous
            // one, with its lanes already summed set to zero in both operands (so that an infinity
            // there adds 0 x 0 rather than inf x 0). Nothing is read past a row or column.
            int last = k - L, tail = k - bound;
            VectorMask<Float> fresh = FS.indexInRange(tail - L, tail);
            FloatVector zero = FloatVector.zero(FS);
            FloatVector y0 = zero.blend(FloatVector.fromArray(FS, b, b0 + last), fresh);
            FloatVector y1 = zero.blend(FloatVector.fromArray(FS, b, b1 + last), fresh);
            FloatVector x = zero.blend(FloatVector.fromArray(FS, a, a0 + last), fresh);
            s00 = x.fma(y0, s00);
            s01 = x.fma(y1, s01);
            x = zero.blend(FloatVector.fromArray(FS, a, a1 + last), fresh);
            s10 = x.fma(y0, s10);
            s11 = x.fma(y1, s11);
            x = zero.blend(FloatVector.fromArray(FS, a, a2 + last), fresh);
            s20 = x.fma(y0, s20);
            s21 = x.fma(y1, s21);
            x = zero.blend(FloatVector.fromArray(FS, a, a3 + last), fresh);
            s30 = x.fma(y0, s30);
            s31 = x.fma(y1, s31);
        }
        // The tree over accumulators in the order t = row * 2 + column; the last step adds the
        // vector to itself one lane apart, leaving each sum in two lanes.
        // Written out rather than called: a vector passed to a call C2 does not inline is boxed.
        // Each step: x.blend(y, second) + y.blend(x, second).rearrange(partner).
        FloatVector q0 = s00.blend(s01, SECOND_8).add(s01.blend(s00, SECOND_8).rearrange(PARTNER_8));
        FloatVector q1 = s10.blend(s11, SECOND_8).add(s11.blend(s10, SECOND_8).rearrange(PARTNER_8));
        FloatVector q2 = s20.blend(s21, SECOND_8).add(s21.blend(s20, SECOND_8).rearrange(PARTNER_8));
        FloatVector q3 = s30.blend(s31, SECOND_8).add(s31.blend(s30, SECOND_8).rearrange(PARTNER_8));
        FloatVector e0 = q0.blend(q1, SECOND_4).add(q1.blend(q0, SECOND_4).rearrange(PARTNER_4));
        FloatVector e1 = q2.blend(q3, SECOND_4).add(q3.blend(q2, SECOND_4).rearrange(PARTNER_4));
        FloatVector f = e0.blend(e1, SECOND_2).add(e1.blend(e0, SECOND_2).rearrange(PARTNER_2));
        f = f.add(f.rearrange(PARTNER_1));
        // A whole tile straight from the lanes, LANE_OF's values written out (a scalar read of a
        // vector just stored would wait for the store); the edges through scratch.
        if (mr == TILE_ROWS && nr == TILE_COLUMNS) {
            c[cBase] = f.lane(0);
            c[cBase + 1] = f.lane(8);
            c[cBase + ldc] = f.lane(4);
            c[cBase + ldc + 1] = f.lane(12);
            c[cBase + 2 * ldc] = f.lane(2);
            c[cBase + 2 * ldc + 1] = f.lane(10);
            c[cBase + 3 * ldc] = f.lane(6);
            c[cBase + 3 * ldc + 1] = f.lane(14);
            return;
        }
        f.intoArray(scratch, 0);
        for (int i = 0; i < mr; i++) {
            int row = cBase + i * ldc;
            for (int j = 0; j < nr; j++) {
                c[row + j] = scratch[LANE_OF[i * TILE_COLUMNS + j]];
            }
        }
    }
}
