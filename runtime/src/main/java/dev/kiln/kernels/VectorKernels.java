package dev.kiln.kernels;

import java.util.Arrays;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Kernels on the Java Vector API ({@code jdk.incubator.vector}). Loaded reflectively by
 * {@link Kernels} only when that module is in the boot layer; nothing outside this class sees an
 * incubator type.
 *
 * <h2>SGEMM</h2>
 * The BLIS scheme: C is computed in register tiles of {@value #MR} rows x {@code NR} = two vectors
 * of the preferred species (32 floats with AVX-512); each tile is a chain of {@code kc} rank-1
 * updates, {@code 2 MR} FMAs per step, with the accumulators in registers. Around it:
 * <ul>
 * <li>{@code jc}: B is cut into panels of {@link #NC} columns, and each panel into blocks of
 *     {@link #KC} rows, packed into slivers of NR columns (kc x NR, contiguous, zero-padded at the
 *     right edge): a sliver is the B operand of the micro-kernel and stays in L1;</li>
 * <li>{@code ic}: A is cut into blocks of {@link #MC} rows, packed into slivers of MR rows
 *     (kc x MR, column by column, zero-padded at the bottom): the block stays in L2;</li>
 * <li>the first k block writes C, later ones add to it. An edge tile (fewer than MR rows or NR
 *     columns left) is computed whole from the zero-padded slivers and only its valid corner is
 *     stored, so C is never padded.</li>
 * </ul>
 * Packing reads A and B through their strides, so transposed operands cost no extra copy. Small
 * products (and products with a small k) skip packing: the micro-kernel then reads A through its
 * strides and B's rows in place; only B's last, partial column sliver is copied, zero-padded.
 *
 * <p>The packing buffers belong to the calling thread and are reused, so a steady training loop
 * allocates nothing here.
 *
 * <h2>DGEMM</h2>
 * A simpler vector loop: the scalar kernel's i-k-j order (four rows of B per pass over a row of C),
 * vectorised over the columns; B is copied into rows first when its rows are not contiguous.
 */
final class VectorKernels implements KernelProvider {
    private static final VectorSpecies<Float> FS = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Double> DS = DoubleVector.SPECIES_PREFERRED;
    private static final int L = FS.length();

    /** Rows of a register tile. 6 rows x 2 vectors: 12 accumulators, 2 B vectors and a broadcast A. */
    static final int MR = 6;
    /** Columns of a register tile: two vectors. */
    static final int NR = 2 * L;
    /** Depth of a packed block: a kc x NR sliver of B (32 KiB at 256 x 32 floats) fits L1. */
    static final int KC = 256;
    /** Rows of a packed block of A (a multiple of MR): 144 x 256 floats, 144 KiB, sits in L2. */
    static final int MC = 24 * MR;
    /** Columns of a packed panel of B (a multiple of NR): 256 x 4096 floats, 4 MiB, sits in L3. */
    static final int NC = 4096 / NR * NR;
    /** Products of at most this many multiply-adds (about 64^3) skip packing when B's rows are contiguous. */
    static final long DIRECT_MAX = 1L << 18;
    /** Products this shallow skip packing when B's rows are contiguous: packing would cost as much as the product. */
    static final int DIRECT_MAX_K = 16;

    /** Packing buffers of one thread, grown on demand and then reused. */
    private static final class Buffers {
        float[] a = new float[0];
        float[] b = new float[0];
        double[] d = new double[0];
        final float[] scratch = new float[MR * NR];

        float[] a(int size) {
            return a.length >= size ? a : (a = new float[size]);
        }

        float[] b(int size) {
            return b.length >= size ? b : (b = new float[size]);
        }

        double[] d(int size) {
            return d.length >= size ? d : (d = new double[size]);
        }
    }

    private static final ThreadLocal<Buffers> BUFFERS = ThreadLocal.withInitial(Buffers::new);

    private VectorKernels() {}

    /** Why this JVM should not use these kernels, or null when it should. Called reflectively by {@link Kernels}. */
    static String unsupportedReason() {
        if (FS.vectorBitSize() < 128) {
            return "the preferred vector size of this machine is " + FS.vectorBitSize()
                    + " bits, too narrow for the vector kernels to pay";
        }
        return null;
    }

    /** Called reflectively by {@link Kernels}. */
    static KernelProvider create() {
        return new VectorKernels();
    }

    @Override
    public String name() {
        return "vector";
    }

    @Override
    public String toString() {
        return "vector (Vector API, " + FS.vectorBitSize() + "-bit vectors, sgemm tile " + MR + "x" + NR + ")";
    }

    // ---------------------------------------------------------------------------------------------
    // SGEMM

    @Override
    public void sgemm(int m, int n, int k,
                      float[] a, int aOff, int aRs, int aCs,
                      float[] b, int bOff, int bRs, int bCs,
                      float[] c, int cOff) {
        if (m <= 0 || n <= 0) {
            return;
        }
        if (k <= 0) {
            Arrays.fill(c, cOff, cOff + m * n, 0f);
            return;
        }
        if (n == 1) {
            bCs = 1; // a single column: its column stride is never used
        }
        if (bCs == 1 && (k <= DIRECT_MAX_K || (long) m * n * k <= DIRECT_MAX)) {
            direct(m, n, k, a, aOff, aRs, aCs, b, bOff, bRs, c, cOff);
        } else {
            blocked(m, n, k, a, aOff, aRs, aCs, b, bOff, bRs, bCs, c, cOff);
        }
    }

    /** No packing: tiles read A through its strides and B's contiguous rows in place. */
    private static void direct(int m, int n, int k,
                               float[] a, int aOff, int aRs, int aCs,
                               float[] b, int bOff, int bRs,
                               float[] c, int cOff) {
        Buffers buffers = BUFFERS.get();
        float[] scratch = buffers.scratch;
        int nFull = n - n % NR;
        for (int j0 = 0; j0 < nFull; j0 += NR) {
            for (int i0 = 0; i0 < m; i0 += MR) {
                int mr = Math.min(MR, m - i0);
                tile(k, a, aOff + i0 * aRs, aRs, aCs, b, bOff + j0, bRs, c, cOff + i0 * n + j0, n, mr, NR, false, scratch);
            }
        }
        if (nFull < n) {
            // The last columns would make the tile read past B's rows: copy them, zero-padded, once.
            int nr = n - nFull;
            float[] edge = buffers.b(k * NR);
            for (int p = 0; p < k; p++) {
                int src = bOff + p * bRs + nFull, dst = p * NR;
                System.arraycopy(b, src, edge, dst, nr);
                Arrays.fill(edge, dst + nr, dst + NR, 0f);
            }
            for (int i0 = 0; i0 < m; i0 += MR) {
                int mr = Math.min(MR, m - i0);
                tile(k, a, aOff + i0 * aRs, aRs, aCs, edge, 0, NR, c, cOff + i0 * n + nFull, n, mr, nr, false, scratch);
            }
        }
    }

    private static void blocked(int m, int n, int k,
                                float[] a, int aOff, int aRs, int aCs,
                                float[] b, int bOff, int bRs, int bCs,
                                float[] c, int cOff) {
        Buffers buffers = BUFFERS.get();
        int kcMax = Math.min(KC, k);
        float[] bp = buffers.b(kcMax * roundUp(Math.min(NC, n), NR));
        float[] ap = buffers.a(kcMax * roundUp(Math.min(MC, m), MR));
        float[] scratch = buffers.scratch;
        for (int jc = 0; jc < n; jc += NC) {
            int nc = Math.min(NC, n - jc);
            for (int pc = 0; pc < k; pc += KC) {
                int kc = Math.min(KC, k - pc);
                boolean accumulate = pc > 0;
                packB(kc, nc, b, bOff + pc * bRs + jc * bCs, bRs, bCs, bp);
                for (int ic = 0; ic < m; ic += MC) {
                    int mc = Math.min(MC, m - ic);
                    packA(mc, kc, a, aOff + ic * aRs + pc * aCs, aRs, aCs, ap);
                    for (int jr = 0; jr < nc; jr += NR) {
                        int nr = Math.min(NR, nc - jr);
                        int cCol = cOff + jc + jr;
                        for (int ir = 0; ir < mc; ir += MR) {
                            int mr = Math.min(MR, mc - ir);
                            tile(kc, ap, ir * kc, 1, MR, bp, jr * kc, NR, c, cCol + (ic + ir) * n, n, mr, nr, accumulate, scratch);
                        }
                    }
                }
            }
        }
    }

    private static int roundUp(int x, int multiple) {
        return (x + multiple - 1) / multiple * multiple;
    }

    /** B's kc x nc block into slivers of NR columns: sliver s at s kc NR, element (p, j) at p NR + j; zero-padded. */
    private static void packB(int kc, int nc, float[] b, int base, int bRs, int bCs, float[] bp) {
        for (int jr = 0; jr < nc; jr += NR) {
            int nr = Math.min(NR, nc - jr);
            int dst = jr * kc;
            if (bCs == 1 && nr == NR) {
                for (int p = 0, src = base + jr; p < kc; p++, src += bRs, dst += NR) {
                    FloatVector.fromArray(FS, b, src).intoArray(bp, dst);
                    FloatVector.fromArray(FS, b, src + L).intoArray(bp, dst + L);
                }
            } else if (bCs == 1) {
                for (int p = 0, src = base + jr; p < kc; p++, src += bRs, dst += NR) {
                    System.arraycopy(b, src, bp, dst, nr);
                    Arrays.fill(bp, dst + nr, dst + NR, 0f);
                }
            } else {
                if (nr < NR) {
                    Arrays.fill(bp, dst, dst + kc * NR, 0f);
                }
                for (int j = 0; j < nr; j++) {
                    for (int p = 0, src = base + (jr + j) * bCs, d = dst + j; p < kc; p++, src += bRs, d += NR) {
                        bp[d] = b[src];
                    }
                }
            }
        }
    }

    /** A's mc x kc block into slivers of MR rows: sliver s at s kc MR, element (i, p) at p MR + i; zero-padded. */
    private static void packA(int mc, int kc, float[] a, int base, int aRs, int aCs, float[] ap) {
        for (int ir = 0; ir < mc; ir += MR) {
            int mr = Math.min(MR, mc - ir);
            int dst = ir * kc;
            if (mr < MR) {
                Arrays.fill(ap, dst, dst + kc * MR, 0f);
            }
            int rows = base + ir * aRs;
            if (Math.abs(aRs) < Math.abs(aCs)) {
                // A transposed: a column of the sliver is contiguous in A.
                for (int p = 0, src = rows, d = dst; p < kc; p++, src += aCs, d += MR) {
                    for (int i = 0; i < mr; i++) {
                        ap[d + i] = a[src + i * aRs];
                    }
                }
            } else {
                for (int i = 0; i < mr; i++) {
                    for (int p = 0, src = rows + i * aRs, d = dst + i; p < kc; p++, src += aCs, d += MR) {
                        ap[d] = a[src];
                    }
                }
            }
        }
    }

    /**
     * The micro-kernel: an mr x nr tile of C (mr <= MR, nr <= NR) as the sum over p < kc of
     * A(i, p) B(p, j), with A(i, p) at {@code a[aBase + i aRs + p aCs]} and B's row p at
     * {@code b[bBase + p bRs]} (NR readable floats: packed, or a full tile of B's rows). Rows past
     * mr repeat the last row and are not stored. Writes C, or adds to it when {@code accumulate};
     * edge tiles go through {@code scratch} (MR x NR floats).
     */
    private static void tile(int kc, float[] a, int aBase, int aRs, int aCs, float[] b, int bBase, int bRs,
                             float[] c, int cBase, int ldc, int mr, int nr, boolean accumulate, float[] scratch) {
        int a0 = aBase;
        int a1 = aBase + Math.min(1, mr - 1) * aRs;
        int a2 = aBase + Math.min(2, mr - 1) * aRs;
        int a3 = aBase + Math.min(3, mr - 1) * aRs;
        int a4 = aBase + Math.min(4, mr - 1) * aRs;
        int a5 = aBase + Math.min(5, mr - 1) * aRs;
        // One zero() per accumulator: C2 keeps a vector in a register only while it can follow each
        // loop-carried value to its own allocation; twelve phis sharing one box get boxed every step.
        FloatVector c00 = FloatVector.zero(FS), c01 = FloatVector.zero(FS);
        FloatVector c10 = FloatVector.zero(FS), c11 = FloatVector.zero(FS);
        FloatVector c20 = FloatVector.zero(FS), c21 = FloatVector.zero(FS);
        FloatVector c30 = FloatVector.zero(FS), c31 = FloatVector.zero(FS);
        FloatVector c40 = FloatVector.zero(FS), c41 = FloatVector.zero(FS);
        FloatVector c50 = FloatVector.zero(FS), c51 = FloatVector.zero(FS);
        if (aRs == 1 && aCs == MR && bRs == NR) {
            // Packed operands: constant strides, so C2 can hoist the range checks out of the loop.
            for (int p = 0; p < kc; p++) {
                int pa = p * MR, pb = bBase + p * NR;
                FloatVector b0 = FloatVector.fromArray(FS, b, pb);
                FloatVector b1 = FloatVector.fromArray(FS, b, pb + L);
                FloatVector x = FloatVector.broadcast(FS, a[a0 + pa]);
                c00 = b0.fma(x, c00);
                c01 = b1.fma(x, c01);
                x = FloatVector.broadcast(FS, a[a1 + pa]);
                c10 = b0.fma(x, c10);
                c11 = b1.fma(x, c11);
                x = FloatVector.broadcast(FS, a[a2 + pa]);
                c20 = b0.fma(x, c20);
                c21 = b1.fma(x, c21);
                x = FloatVector.broadcast(FS, a[a3 + pa]);
                c30 = b0.fma(x, c30);
                c31 = b1.fma(x, c31);
                x = FloatVector.broadcast(FS, a[a4 + pa]);
                c40 = b0.fma(x, c40);
                c41 = b1.fma(x, c41);
                x = FloatVector.broadcast(FS, a[a5 + pa]);
                c50 = b0.fma(x, c50);
                c51 = b1.fma(x, c51);
            }
        } else {
            for (int p = 0, pa = 0, pb = bBase; p < kc; p++, pa += aCs, pb += bRs) {
                FloatVector b0 = FloatVector.fromArray(FS, b, pb);
                FloatVector b1 = FloatVector.fromArray(FS, b, pb + L);
                FloatVector x = FloatVector.broadcast(FS, a[a0 + pa]);
                c00 = b0.fma(x, c00);
                c01 = b1.fma(x, c01);
                x = FloatVector.broadcast(FS, a[a1 + pa]);
                c10 = b0.fma(x, c10);
                c11 = b1.fma(x, c11);
                x = FloatVector.broadcast(FS, a[a2 + pa]);
                c20 = b0.fma(x, c20);
                c21 = b1.fma(x, c21);
                x = FloatVector.broadcast(FS, a[a3 + pa]);
                c30 = b0.fma(x, c30);
                c31 = b1.fma(x, c31);
                x = FloatVector.broadcast(FS, a[a4 + pa]);
                c40 = b0.fma(x, c40);
                c41 = b1.fma(x, c41);
                x = FloatVector.broadcast(FS, a[a5 + pa]);
                c50 = b0.fma(x, c50);
                c51 = b1.fma(x, c51);
            }
        }
        // Everything after the loop stays in this method: a vector handed to a call that is not
        // inlined escapes, and C2 then boxes the loop-carried accumulators on every step.
        if (mr == MR && nr == NR) {
            int c1 = cBase + ldc, c2 = c1 + ldc, c3 = c2 + ldc, c4 = c3 + ldc, c5 = c4 + ldc;
            if (accumulate) {
                c00 = FloatVector.fromArray(FS, c, cBase).add(c00);
                c01 = FloatVector.fromArray(FS, c, cBase + L).add(c01);
                c10 = FloatVector.fromArray(FS, c, c1).add(c10);
                c11 = FloatVector.fromArray(FS, c, c1 + L).add(c11);
                c20 = FloatVector.fromArray(FS, c, c2).add(c20);
                c21 = FloatVector.fromArray(FS, c, c2 + L).add(c21);
                c30 = FloatVector.fromArray(FS, c, c3).add(c30);
                c31 = FloatVector.fromArray(FS, c, c3 + L).add(c31);
                c40 = FloatVector.fromArray(FS, c, c4).add(c40);
                c41 = FloatVector.fromArray(FS, c, c4 + L).add(c41);
                c50 = FloatVector.fromArray(FS, c, c5).add(c50);
                c51 = FloatVector.fromArray(FS, c, c5 + L).add(c51);
            }
            c00.intoArray(c, cBase);
            c01.intoArray(c, cBase + L);
            c10.intoArray(c, c1);
            c11.intoArray(c, c1 + L);
            c20.intoArray(c, c2);
            c21.intoArray(c, c2 + L);
            c30.intoArray(c, c3);
            c31.intoArray(c, c3 + L);
            c40.intoArray(c, c4);
            c41.intoArray(c, c4 + L);
            c50.intoArray(c, c5);
            c51.intoArray(c, c5 + L);
        } else {
            // An edge tile: through the scratch tile, then only its mr x nr corner into C.
            c00.intoArray(scratch, 0);
            c01.intoArray(scratch, L);
            c10.intoArray(scratch, NR);
            c11.intoArray(scratch, NR + L);
            c20.intoArray(scratch, 2 * NR);
            c21.intoArray(scratch, 2 * NR + L);
            c30.intoArray(scratch, 3 * NR);
            c31.intoArray(scratch, 3 * NR + L);
            c40.intoArray(scratch, 4 * NR);
            c41.intoArray(scratch, 4 * NR + L);
            c50.intoArray(scratch, 5 * NR);
            c51.intoArray(scratch, 5 * NR + L);
            storeEdge(scratch, c, cBase, ldc, mr, nr, accumulate);
        }
    }

    private static void storeEdge(float[] scratch, float[] c, int cBase, int ldc, int mr, int nr, boolean accumulate) {
        for (int i = 0; i < mr; i++) {
            int row = cBase + i * ldc;
            if (accumulate) {
                for (int j = 0; j < nr; j++) {
                    c[row + j] += scratch[i * NR + j];
                }
            } else {
                System.arraycopy(scratch, i * NR, c, row, nr);
            }
        }
    }

    // ---------------------------------------------------------------------------------------------
    // DGEMM

    @Override
    public void dgemm(int m, int n, int k,
                      double[] a, int aOff, int aRs, int aCs,
                      double[] b, int bOff, int bRs, int bCs,
                      double[] c, int cOff) {
        if (m <= 0 || n <= 0) {
            return;
        }
        if (n == 1) {
            bCs = 1;
        }
        if (bCs != 1) {
            double[] rows = BUFFERS.get().d(k * n);
            for (int p = 0; p < k; p++) {
                for (int j = 0, src = bOff + p * bRs; j < n; j++, src += bCs) {
                    rows[p * n + j] = b[src];
                }
            }
            b = rows;
            bOff = 0;
            bRs = n;
        }
        for (int i = 0; i < m; i++) {
            int cRow = cOff + i * n;
            Arrays.fill(c, cRow, cRow + n, 0.0);
            int aRow = aOff + i * aRs;
            int p = 0;
            for (; p + 4 <= k; p += 4) {
                int x = aRow + p * aCs;
                daxpy4(n, a[x], a[x + aCs], a[x + 2 * aCs], a[x + 3 * aCs], b, bOff + p * bRs, bRs, c, cRow);
            }
            for (; p < k; p++) {
                daxpy(n, a[aRow + p * aCs], b, bOff + p * bRs, c, cRow);
            }
        }
    }

    /** y += alpha x over n elements. */
    private static void daxpy(int n, double alpha, double[] x, int xOff, double[] y, int yOff) {
        DoubleVector v = DoubleVector.broadcast(DS, alpha);
        int j = 0;
        for (int bound = DS.loopBound(n); j < bound; j += DS.length()) {
            DoubleVector.fromArray(DS, x, xOff + j).fma(v, DoubleVector.fromArray(DS, y, yOff + j)).intoArray(y, yOff + j);
        }
        for (; j < n; j++) {
            y[yOff + j] += alpha * x[xOff + j];
        }
    }

    /** y += a0 x0 + a1 x1 + a2 x2 + a3 x3 over n elements, x_r starting at xOff + r xStride. */
    private static void daxpy4(int n, double a0, double a1, double a2, double a3, double[] x, int xOff, int xStride,
                               double[] y, int yOff) {
        int x1 = xOff + xStride, x2 = x1 + xStride, x3 = x2 + xStride;
        DoubleVector v0 = DoubleVector.broadcast(DS, a0), v1 = DoubleVector.broadcast(DS, a1);
        DoubleVector v2 = DoubleVector.broadcast(DS, a2), v3 = DoubleVector.broadcast(DS, a3);
        int j = 0;
        for (int bound = DS.loopBound(n); j < bound; j += DS.length()) {
            DoubleVector acc = DoubleVector.fromArray(DS, y, yOff + j);
            acc = DoubleVector.fromArray(DS, x, xOff + j).fma(v0, acc);
            acc = DoubleVector.fromArray(DS, x, x1 + j).fma(v1, acc);
            acc = DoubleVector.fromArray(DS, x, x2 + j).fma(v2, acc);
            acc = DoubleVector.fromArray(DS, x, x3 + j).fma(v3, acc);
            acc.intoArray(y, yOff + j);
        }
        for (; j < n; j++) {
            y[yOff + j] += a0 * x[xOff + j] + a1 * x[x1 + j] + a2 * x[x2 + j] + a3 * x[x3 + j];
        }
    }
}
