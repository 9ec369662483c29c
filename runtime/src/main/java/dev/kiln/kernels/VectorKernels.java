package dev.kiln.kernels;

import java.util.Arrays;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Kernels on the Java Vector API ({@code jdk.incubator.vector}). Loaded reflectively by
 * {@link Kernels} only when that module is in the boot layer; nothing outside this class sees an
 * incubator type.
 *
 * <h2>GEMM</h2>
 * The BLIS scheme, the same for both precisions. C is computed in register tiles of {@value #MR}
 * rows x {@value #VECS} vectors (6 x 64 floats or 6 x 32 doubles with 512-bit vectors): 24
 * accumulators, four vectors of B and one broadcast element of A, 29 of AVX-512's 32 registers, so
 * nothing spills. Each step of a tile is a rank-1 update, 24 FMAs on four loads of B and six of A.
 * Around it:
 * <ul>
 * <li>{@code jc}: B is cut into panels of {@code NC} columns, and k into blocks of at most
 *     {@code KC} = 128 (equal blocks, so 784 is 7 x 112, not 6 x 128 + 16); up to
 *     {@code PACKED_BLOCKS} blocks of a panel are packed at once into slivers of NR columns
 *     (kp x NR, contiguous, zero-padded to whole vectors at the right edge), and the tiles run one
 *     block of k at a time down all the rows, so that the block's 128 x NR of the sliver stays in
 *     L1;</li>
 * <li>{@code ic}: for products over {@code DIRECT_MAX} multiply-adds, A is cut into blocks of
 *     {@code MC} rows, packed into slivers of MR rows (kp x MR, column by column, zero-padded at
 *     the bottom), which stay in L2 while the B slivers pass; smaller products read A in
 *     place through its strides (it is in cache already, and packing it would cost as much as the
 *     tiles save);</li>
 * <li>the first k block writes C, later ones add to it. A full tile goes straight from its
 *     registers into C; an edge tile (fewer than MR rows or NR columns left) goes through a
 *     scratch tile and into C through lane masks, row by row, so C is never padded.</li>
 * <li>a sliver at most one vector wide runs a tile of MR rows x one vector, so that a product
 *     with ten columns does not spend four vectors' FMAs on each step; in float, a sliver of 17 to
 *     32 columns runs a tile two vectors wide, and one of 33 to 48 columns a tile three vectors
 *     wide. They write C through a lane mask of their columns, and the first two have a
 *     half-height version (three rows) for the last rows of a product when at most three are left,
 *     as the last row of a 13-row weight gradient over a batch of 500 is.</li>
 * </ul>
 * A narrow float product (C fewer than {@code Gemm.NARROW_COLUMNS} wide) whose A rows and B columns
 * are both contiguous along k ({@code x W^T}) and whose depth is from {@value #DOT_MIN_K} (and
 * {@value #DOT_MIN_K_PER_COLUMN} per column) to {@value #DOT_MAX_K} runs as dot products instead
 * ({@link VectorDotGemm}): nothing packed, every lane used however narrow C is. A narrow float
 * product whose A is transposed (a weight's gradient {@code dY^T x}), tall and deep enough, runs
 * transposed, {@code C^T = B^T A^T}, into a buffer copied into C through {@link #transpose16}: its
 * tiles are as wide as m.
 * Packing reads A and B through their strides, so transposed operands cost no extra copy; with
 * 512-bit vectors, the packings that transpose (a B read as {@code W^T}, a row-major A into MR-row
 * slivers) go through registers in blocks of 16 columns ({@link #transpose16},
 * {@link #interleaveRows}). When B's
 * rows are contiguous and k is small (or the whole product is), nothing is packed: tiles read A
 * through its strides and B's rows in place (the last partial sliver reads whole vectors, whose
 * lanes past the edge are never stored; near the end of B's array, from a copy of those columns).
 *
 * <p>The code stays in small methods (one store block each, and one loop or one per layout of A):
 * C2 compiles them sooner,
 * and C1 compiles them at all (a larger tile method runs out of C1's virtual registers and is
 * interpreted until C2 is done).
 *
 * <p>Both paths split k into the same blocks and run each tile's sum in the same order, so every
 * element of C is computed the same way whichever path, tile position or column range it falls in:
 * splitting a product over threads does not change a bit of the result.
 *
 * <p>The packing buffers belong to the calling thread and are reused, so a steady training loop
 * allocates nothing here.
 */
final class VectorKernels implements KernelProvider {
    private static final VectorSpecies<Float> FS = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Double> DS = DoubleVector.SPECIES_PREFERRED;
    private static final int L = FS.length();
    private static final int DL = DS.length();

    /** Rows of a register tile. */
    static final int MR = 6;
    /** Vectors across a register tile: 6 x 4 accumulators, plus 4 of B and a broadcast, fit 32 registers. */
    static final int VECS = 4;
    /** Columns of a float register tile: 64 with 512-bit vectors. */
    static final int NR = VECS * L;
    /** Columns of a double register tile: 32 with 512-bit vectors. */
    static final int DNR = VECS * DL;
    /**
     * Largest depth of a block of k over which a tile sums in its registers before adding to C: 128,
     * so that a packed sliver of B (KC x NR floats, 32 KiB) stays in a 48 KiB L1 while the tiles of
     * its column run. With 512, which streamed each sliver from L2, a 256 x 784 x 512 product ran at
     * 125 to 134 GFLOP/s on an Intel core, against 138 to 149 with 128.
     */
    static final int KC = 128;
    /**
     * How many blocks of {@link #KC} are packed together: the tiles of a packed block run block of k
     * by block of k, so C is read and written once per packed block (a 1024 x 1024 C is 4 MiB, past
     * L2) while its MC x NR part stays in L2 between the blocks.
     */
    static final int PACKED_BLOCKS = 4;
    /** Largest depth of a block of doubles, which the double GEMM packs one at a time. */
    static final int DKC = 256;
    /** Rows of a packed block of A (a multiple of MR): 192 x 4 KC floats, 384 KiB, sits in L2. */
    static final int MC = 32 * MR;
    /** Columns of a packed panel of B (a multiple of NR and of DNR). */
    static final int NC = 2048;
    /**
     * Products of at most this many multiply-adds (about 100^3) skip packing A, and B too when its rows
     * are contiguous: copying costs more than it saves when the operands already fit the caches.
     */
    static final long DIRECT_MAX = 1L << 20;
    /** Products this shallow skip packing when B's rows are contiguous: packing would cost as much as the product. */
    static final int DIRECT_MAX_K = 16;
    /**
     * The depths at which a narrow product with A's rows and B's columns contiguous runs as dot
     * products ({@link VectorDotGemm}): below 64, or below 10 n for n columns, summing each tile's
     * accumulators across lanes costs more than the lanes the register tiles leave idle (measured on
     * a Zen 4 core: 504 x 13 x 64 took 24 us as dot products against 14 in tiles one vector wide,
     * and x 128 36 against 27, while x 256 took 56 against 72 and 504 x 10 x 128 24 against 37);
     * above 2048, a tile's rows of A (4 x k floats) no longer sit in L1.
     */
    static final int DOT_MIN_K = 64;
    /** See {@link #DOT_MIN_K}: the least depth per column of C. */
    static final int DOT_MIN_K_PER_COLUMN = 10;
    /** See {@link #DOT_MIN_K}. */
    static final int DOT_MAX_K = 2048;

    /**
     * Elements per kernel thread from which an optimizer step, an activation pass (forward or
     * backward) or a bias addition is split over the threads: about 65,000, some tens of
     * microseconds of work, well above the cost of a hand-off to a polling thread (see
     * {@link Threads#SPIN_NANOS}). Each part is a range of whole vectors (of whole rows for the
     * bias, of whole columns where the pass sums columns), so every element goes through the same
     * arithmetic whatever the thread count.
     *
     * <p>Not less: a pass reads what the operation before it wrote, and a part on the other core
     * reads its share from that core's cache, about three times slower than from its own (a
     * 256 KiB array another core had just written copied in 16 us, one this core had written in
     * 5.5). Halving this, so that the two-layer net's Adam step over its 100 x 1000 weight split in
     * two, made its training step slower on two threads: 340 us against 298.
     */
    static final int PARALLEL_MIN_ELEMENTS = 1 << 16;

    /** Packing buffers of one thread, grown on demand and then reused. */
    private static final class Buffers {
        float[] a = new float[0];
        float[] b = new float[0];
        double[] da = new double[0];
        double[] db = new double[0];
        /** The last columns of a transposed B, copied where 16-wide reads would leave its array (see {@link #packB(int, int, float[], int, int, int, float[], Buffers)}). */
        float[] edge = new float[0];
        /** C^T of a product computed transposed, on its way to C (see {@link #sgemm}). */
        float[] transposed = new float[0];
        /**
         * C^T of a product computed transposed for its ragged columns (see {@link #sgemm}): apart
         * from {@link #transposed}, which may be the output of the product that uses this one.
         */
        float[] raggedTransposed = new float[0];
        /** A row repeated over a whole number of vectors, for {@link #addNarrowRowVector}. */
        final float[] tiled = new float[L * L];
        /** A row repeated, one vector past its end, for {@link #addRowVectorUnary}. */
        float[] rowRepeated = new float[0];
        /** A register tile on its way to C, for edge tiles and later k blocks. */
        final float[] scratch = new float[MR * NR];
        /** Sixteen rows of a packed sliver of B on their way into it (see {@link #packB}). */
        final float[] sliverRows = new float[TRANSPOSE_LANES * NR];
        final double[] dscratch = new double[MR * DNR];

        float[] a(int size) {
            return a.length >= size ? a : (a = new float[size]);
        }

        float[] b(int size) {
            return b.length >= size ? b : (b = new float[size]);
        }

        double[] da(int size) {
            return da.length >= size ? da : (da = new double[size]);
        }

        double[] db(int size) {
            return db.length >= size ? db : (db = new double[size]);
        }

        float[] transposed(int size) {
            return transposed.length >= size ? transposed : (transposed = new float[size]);
        }

        float[] raggedTransposed(int size) {
            return raggedTransposed.length >= size ? raggedTransposed : (raggedTransposed = new float[size]);
        }

        float[] edge(int size) {
            return edge.length >= size ? edge : (edge = new float[size]);
        }

        float[] rowRepeated(int size) {
            return rowRepeated.length >= size ? rowRepeated : (rowRepeated = new float[size]);
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
        return "vector (Vector API, " + FS.vectorBitSize() + "-bit vectors, gemm tiles " + MR + "x" + NR + " float, "
                + MR + "x" + DNR + " double)";
    }

    /** The depth of the k blocks: k cut into equal blocks of at most {@code max}. Depends on k alone. */
    static int blockDepth(int k, int max) {
        int blocks = (k + max - 1) / max;
        return (k + blocks - 1) / blocks;
    }

    private static int roundUp(int x, int multiple) {
        return (x + multiple - 1) / multiple * multiple;
    }

    // ---------------------------------------------------------------------------------------------
    // SGEMM

    @Override
    public void sgemm(int m, int n, int k,
                      float[] a, int aOff, int aRs, int aCs,
                      float[] b, int bOff, int bRs, int bCs,
                      float[] c, int cOff, int ldc) {
        if (m <= 0 || n <= 0) {
            return;
        }
        if (k <= 0) {
            for (int i = 0; i < m; i++) {
                Arrays.fill(c, cOff + i * ldc, cOff + i * ldc + n, 0f);
            }
            return;
        }
        if (n == 1) {
            bCs = 1; // a single column: its column stride is never used
        }
        if (VectorDotGemm.applies(n, k, aCs, bRs, Math.max(DOT_MIN_K, DOT_MIN_K_PER_COLUMN * n), DOT_MAX_K)) {
            VectorDotGemm.sgemm(m, n, k, a, aOff, aRs, b, bOff, bCs, c, cOff, ldc, BUFFERS.get().scratch);
            return;
        }
        if (n == 1 && ldc == 1 && m > 1) {
            // A matrix times a vector, C one contiguous column: computed as the row C^T = b^T A^T, whose
            // m outputs fill the lanes of one row of tiles where a column would use one lane in 16.
            // Each output is the same chain of multiply-adds over k, so the bits do not change.
            sgemm(1, m, k, b, bOff, bCs, bRs, a, aOff, aCs, aRs, c, cOff, m);
            return;
        }
        if (aRs == 1 && n < L && m >= 2 * L && k >= 2 * L) {
            // Few columns, many rows, A's columns contiguous (a weight's gradient dY^T x): computed
            // as C^T = B^T A^T into a buffer, whose tiles are as wide as m where C's would hold n
            // useful lanes in each vector, then copied into C (which pays from a depth of about 32).
            // Each output is the same chain of multiply-adds over k, so the bits do not change.
            Buffers buffers = BUFFERS.get();
            // L rows of m, so that copyTransposed can read whole 16 x 16 blocks
            float[] t = buffers.transposed(L * m);
            sgemm(n, m, k, b, bOff, bCs, bRs, a, aOff, aCs, aRs, t, 0, m);
            copyTransposed(t, m, n, c, cOff, ldc, buffers.scratch);
            return;
        }
        if (n >= L && m >= NR && k >= TRANSPOSED_MIN_K && (long) m * n * k > DIRECT_MAX
                && (long) m * n <= TRANSPOSED_MAX_SIZE && transposedTilesFewer(m, n)) {
            // Ragged columns that waste many lanes of the tiles, rows that fill them (x W^T with 100
            // outputs over a batch of 64: 112 lanes for 100 columns): computed as C^T = B^T A^T into
            // a buffer, whose tiles run across m, then copied into C. 64 x 100 x 1000 took 143 us
            // as C and 124 as C^T. Only for blocked products at least NR rows tall, whose C^T runs
            // full tiles: a 13 x 20 x 500 weight gradient as C^T ran one-vector tiles, which wait on
            // their six chains of multiply-adds, and made the three-class step 20% slower. Each
            // output is the same chain of multiply-adds over k, so the bits do not change.
            Buffers buffers = BUFFERS.get();
            // whole blocks of L rows, so that copyTransposed can read 16 x 16 blocks
            float[] t = buffers.raggedTransposed(roundUp(n, L) * m);
            sgemmTiles(n, m, k, b, bOff, bCs, bRs, a, aOff, aCs, aRs, t, 0, m);
            copyTransposed(t, m, n, c, cOff, ldc, buffers.scratch);
            return;
        }
        sgemmTiles(m, n, k, a, aOff, aRs, aCs, b, bOff, bRs, bCs, c, cOff, ldc);
    }

    /** The least depth for which {@link #transposedTilesFewer} may choose C^T: the copy into C must be small beside the product. */
    private static final int TRANSPOSED_MIN_K = 64;
    /** The most elements of a C computed as C^T for its ragged columns: the buffer stays at most 1 MiB a thread. */
    private static final long TRANSPOSED_MAX_SIZE = 1L << 18;

    /**
     * Whether C^T (n rows, m columns) needs at most 90% of the tile lanes and rows that C needs: the
     * columns of a product run in slivers of NR and a last one of whole vectors, its rows in tiles
     * of MR and a last one of three or six rows.
     */
    private static boolean transposedTilesFewer(int m, int n) {
        return 10L * tileLanes(m) * tileRows(n) <= 9L * tileLanes(n) * tileRows(m);
    }

    private static int tileLanes(int columns) {
        return roundUp(columns, L);
    }

    private static int tileRows(int rows) {
        int last = rows % MR;
        return rows - last + (last == 0 ? 0 : last <= MR / 2 ? MR / 2 : MR);
    }

    /** The tiled GEMM: sgemm once its special shapes are ruled out. */
    private static void sgemmTiles(int m, int n, int k,
                                   float[] a, int aOff, int aRs, int aCs,
                                   float[] b, int bOff, int bRs, int bCs,
                                   float[] c, int cOff, int ldc) {
        int kc = blockDepth(k, KC);
        if (m == 1 && n >= L && bCs == 1) {
            // one row, k in the tiles' blocks: the first stores C, later ones add to it
            for (int pc = 0; pc < k; pc += kc) {
                sgemmRow(n, Math.min(kc, k - pc), a, aOff + pc * aCs, aCs, b, bOff + pc * bRs, bRs, c, cOff, pc > 0);
            }
            return;
        }
        if (bCs == 1 && (k <= DIRECT_MAX_K || (long) m * n * k <= DIRECT_MAX)) {
            sgemmDirect(m, n, k, kc, a, aOff, aRs, aCs, b, bOff, bRs, c, cOff, ldc);
        } else {
            sgemmBlocked(m, n, k, kc, a, aOff, aRs, aCs, b, bOff, bRs, bCs, c, cOff, ldc);
        }
    }

    /**
     * C (m x n, row stride ldc) from its transpose t (n rows of m, then rows up to a multiple of L
     * that are read and never stored): with 16 lanes, blocks of 16 x 16 through
     * {@link #transpose16} into {@code block} and into C, the last block of columns through a mask
     * of its lanes; the rows past the last whole block element by element.
     */
    private static void copyTransposed(float[] t, int m, int n, float[] c, int cOff, int ldc, float[] block) {
        int i0 = 0;
        if (L == TRANSPOSE_LANES) {
            int whole = n - n % L;
            VectorMask<Float> lanes = FS.indexInRange(whole, n);
            // a masked store that may run past C's array sometimes compiles to a slow path
            for (; i0 + L <= m && cOff + (i0 + L - 1) * ldc + roundUp(n, L) <= c.length; i0 += L) {
                for (int j0 = 0; j0 < whole; j0 += L) {
                    transpose16(t, j0 * m + i0, m, block, 0, L);
                    for (int r = 0, row = cOff + i0 * ldc + j0; r < L; r++, row += ldc) {
                        FloatVector.fromArray(FS, block, r * L).intoArray(c, row);
                    }
                }
                if (whole < n) {
                    transpose16(t, whole * m + i0, m, block, 0, L);
                    for (int r = 0, row = cOff + i0 * ldc + whole; r < L; r++, row += ldc) {
                        FloatVector.fromArray(FS, block, r * L).intoArray(c, row, lanes);
                    }
                }
            }
        }
        for (int i = i0; i < m; i++) {
            for (int j = 0, row = cOff + i * ldc; j < n; j++) {
                c[row + j] = t[j * m + i];
            }
        }
    }

    /**
     * One row of A times B over one block of k, B's rows contiguous, stored into C's row or
     * ({@code accumulate}) added to it: four vectors at a time, each the chain of multiply-adds over
     * the block that a tile's row would compute, added to C as a tile adds (so the bits are those of
     * a row of any tile), where a tile would compute five more rows only to drop them (the gradient
     * of a single output's weights, 1 x 128 over a batch of 16, took 0.27 us, now 0.08). n is at
     * least L, so that the columns past the last whole vector are the end of one more.
     */
    private static void sgemmRow(int n, int k, float[] a, int aOff, int aCs, float[] b, int bOff, int bRs,
                                 float[] c, int cOff, boolean accumulate) {
        int j = 0;
        for (; j + NR <= n; j += NR) {
            FloatVector c0 = FloatVector.zero(FS), c1 = FloatVector.zero(FS);
            FloatVector c2 = FloatVector.zero(FS), c3 = FloatVector.zero(FS);
            for (int p = 0, pa = aOff, pb = bOff + j; p < k; p++, pa += aCs, pb += bRs) {
                FloatVector x = FloatVector.broadcast(FS, a[pa]);
                c0 = FloatVector.fromArray(FS, b, pb).fma(x, c0);
                c1 = FloatVector.fromArray(FS, b, pb + L).fma(x, c1);
                c2 = FloatVector.fromArray(FS, b, pb + 2 * L).fma(x, c2);
                c3 = FloatVector.fromArray(FS, b, pb + 3 * L).fma(x, c3);
            }
            store(c0, c, cOff + j, accumulate);
            store(c1, c, cOff + j + L, accumulate);
            store(c2, c, cOff + j + 2 * L, accumulate);
            store(c3, c, cOff + j + 3 * L, accumulate);
        }
        for (; j + L <= n; j += L) {
            FloatVector c0 = FloatVector.zero(FS);
            for (int p = 0, pa = aOff, pb = bOff + j; p < k; p++, pa += aCs, pb += bRs) {
                c0 = FloatVector.fromArray(FS, b, pb).fma(FloatVector.broadcast(FS, a[pa]), c0);
            }
            store(c0, c, cOff + j, accumulate);
        }
        if (j < n) {
            // The last L columns, overlapping ones already done: stored, they get the same bits
            // again; added, only the lanes not done yet take the sum.
            int done = j;
            j = n - L;
            FloatVector c0 = FloatVector.zero(FS);
            for (int p = 0, pa = aOff, pb = bOff + j; p < k; p++, pa += aCs, pb += bRs) {
                c0 = FloatVector.fromArray(FS, b, pb).fma(FloatVector.broadcast(FS, a[pa]), c0);
            }
            if (accumulate) {
                c0.add(FloatVector.fromArray(FS, c, cOff + j)).intoArray(c, cOff + j, FS.indexInRange(j - done, L));
            } else {
                c0.intoArray(c, cOff + j);
            }
        }
    }

    /** v into c at {@code at}, or added to what is there: a tile's store for the first block of k or a later one. */
    private static void store(FloatVector v, float[] c, int at, boolean accumulate) {
        (accumulate ? v.add(FloatVector.fromArray(FS, c, at)) : v).intoArray(c, at);
    }

    /** No packing: tiles read A through its strides and B's contiguous rows in place. */
    private static void sgemmDirect(int m, int n, int k, int kcMax,
                                    float[] a, int aOff, int aRs, int aCs,
                                    float[] b, int bOff, int bRs,
                                    float[] c, int cOff, int ldc) {
        Buffers buffers = BUFFERS.get();
        float[] scratch = buffers.scratch;
        int nFull = n - n % NR;
        float[] edge = nFull < n ? buffers.b(kcMax * NR) : null;
        for (int pc = 0; pc < k; pc += kcMax) {
            int kc = Math.min(kcMax, k - pc);
            boolean accumulate = pc > 0;
            for (int j0 = 0; j0 < nFull; j0 += NR) {
                for (int i0 = 0; i0 < m; i0 += MR) {
                    int mr = Math.min(MR, m - i0);
                    if (mr <= MR / 2) {
                        stileDirectShort(kc, a, aOff + i0 * aRs + pc * aCs, aRs, aCs, b, bOff + pc * bRs + j0, bRs,
                                c, cOff + i0 * ldc + j0, ldc, mr, NR, accumulate, scratch);
                        continue;
                    }
                    stileDirect(kc, a, aOff + i0 * aRs + pc * aCs, aRs, aCs, b, bOff + pc * bRs + j0, bRs,
                            c, cOff + i0 * ldc + j0, ldc, mr, NR, accumulate, scratch);
                }
            }
            if (nFull < n) {
                // The last nr columns: a tile reads whole vectors, past nr (those lanes are never
                // stored), which is fine inside B; near B's end, it reads a copy: one block copy when
                // B's rows are exactly these columns, else row by row into rows of NR. (A masked load
                // would need no copy, but where it may run past the array C2 sometimes compiles the
                // whole tile far slower. Reading only the last rows from a copy would change the order
                // of the sums, and with it the bits, between thread counts.)
                int nr = n - nFull;
                float[] bEdge = b;
                int bEdgeOff = bOff + pc * bRs + nFull, bEdgeRs = bRs;
                int width = tileWidth(nr);
                if (bEdgeOff + (kc - 1) * bRs + width > b.length && kc == k && nFull >= width) {
                    // One block of k, so C is only stored: the tile moves left to end at column n,
                    // inside B, and stores whole vectors; the columns it shares with the tiles
                    // before it are the same chains of multiply-adds and get the same bits again.
                    int j = n - width;
                    stileRows(kc, a, aOff, aRs, aCs, b, bOff + j, bRs, c, cOff + j, ldc, m, width, false, scratch);
                    continue;
                }
                if (bEdgeOff + (kc - 1) * bRs + width > b.length) {
                    if (bRs == nr) {
                        System.arraycopy(b, bEdgeOff, edge, 0, kc * nr);
                    } else {
                        bEdgeRs = NR;
                        copyEdgeRows(b, bEdgeOff, bRs, kc, nr, edge);
                    }
                    bEdge = edge;
                    bEdgeOff = 0;
                }
                stileRows(kc, a, aOff + pc * aCs, aRs, aCs, bEdge, bEdgeOff, bEdgeRs, c, cOff + nFull, ldc, m, nr,
                        accumulate, scratch);
            }
        }
    }

    /**
     * Rows {@code [0, kc)} of B's last nr columns (rows bRs apart from off) into rows NR apart in
     * edge: whole vectors, as many as the tile reads, while they stay inside b's array, then the
     * last rows' nr columns alone. The lanes past nr are read by the tile and never stored. (A call
     * of arraycopy per row cost a 100 x 10 x 128 weight gradient a microsecond of its 3.7.)
     */
    private static void copyEdgeRows(float[] b, int off, int bRs, int kc, int nr, float[] edge) {
        int width = tileWidth(nr);
        int p = 0;
        for (int src = off; p < kc && src + width <= b.length; p++, src += bRs) {
            for (int j = 0; j < width; j += L) {
                FloatVector.fromArray(FS, b, src + j).intoArray(edge, p * NR + j);
            }
        }
        for (; p < kc; p++) {
            System.arraycopy(b, off + p * bRs, edge, p * NR, nr);
        }
    }

    /** How many columns of each row of B the tile for nr <= NR columns reads: whole vectors. */
    private static int tileWidth(int nr) {
        return nr <= L ? L : nr <= 2 * L ? 2 * L : nr <= 3 * L ? 3 * L : NR;
    }

    /**
     * The tiles of m rows of A read through its strides and nr <= NR columns of B, from row 0 at
     * aBase and cBase: a tile one vector wide loops over the rows itself, without a call per tile
     * (which cost about as much as a tile of six steps of k).
     */
    private static void stileRows(int kc, float[] a, int aBase, int aRs, int aCs, float[] b, int bBase, int bRs,
                                  float[] c, int cBase, int ldc, int m, int nr, boolean accumulate, float[] scratch) {
        if (L == NarrowTiles.MAX_COLUMNS && nr <= L && NarrowTiles.Choice.PREFERRED) {
            // 512-bit vectors on a core that splits them: 256-bit tiles run so narrow a product faster
            NarrowTiles.tiles(kc, a, aBase, aRs, aCs, b, bBase, bRs, c, cBase, ldc, m, nr, accumulate, scratch);
            return;
        }
        if (nr <= L) {
            stileNarrow(kc, a, aBase, aRs, aCs, b, bBase, bRs, c, cBase, ldc, m, nr, accumulate, scratch);
            return;
        }
        for (int i0 = 0; i0 < m; i0 += MR) {
            stileEdge(kc, a, aBase + i0 * aRs, aRs, aCs, b, bBase, bRs, c, cBase + i0 * ldc, ldc, Math.min(MR, m - i0),
                    nr, accumulate, scratch);
        }
    }

    /**
     * A tile of A read through its strides and nr <= NR columns of B: as many vectors wide as nr
     * needs, one to four; one or two vectors wide, half as tall when at most MR / 2 rows are left.
     */
    private static void stileEdge(int kc, float[] a, int aBase, int aRs, int aCs, float[] b, int bBase, int bRs,
                                  float[] c, int cBase, int ldc, int mr, int nr, boolean accumulate, float[] scratch) {
        boolean shortTile = mr <= MR / 2;
        if (nr <= L) {
            stileNarrow(kc, a, aBase, aRs, aCs, b, bBase, bRs, c, cBase, ldc, mr, nr, accumulate, scratch);
        } else if (nr <= 2 * L && shortTile) {
            stileHalfShort(kc, a, aBase, aRs, aCs, b, bBase, bRs, c, cBase, ldc, mr, nr, accumulate, scratch);
        } else if (nr <= 2 * L) {
            stileHalf(kc, a, aBase, aRs, aCs, b, bBase, bRs, c, cBase, ldc, mr, nr, accumulate, scratch);
        } else if (nr <= 3 * L) {
            stileThreeQuarters(kc, a, aBase, aRs, aCs, b, bBase, bRs, c, cBase, ldc, mr, nr, accumulate, scratch);
        } else if (shortTile) {
            stileDirectShort(kc, a, aBase, aRs, aCs, b, bBase, bRs, c, cBase, ldc, mr, nr, accumulate, scratch);
        } else {
            stileDirect(kc, a, aBase, aRs, aCs, b, bBase, bRs, c, cBase, ldc, mr, nr, accumulate, scratch);
        }
    }

    private static void sgemmBlocked(int m, int n, int k, int kcMax,
                                     float[] a, int aOff, int aRs, int aCs,
                                     float[] b, int bOff, int bRs, int bCs,
                                     float[] c, int cOff, int ldc) {
        Buffers buffers = BUFFERS.get();
        int kpMax = Math.min(k, PACKED_BLOCKS * kcMax);
        // slack of L rows of a sliver: see packB's transposed blocks
        float[] bp = buffers.b(kpMax * roundUp(Math.min(NC, n), NR) + L * NR);
        boolean small = (long) m * n * k <= DIRECT_MAX;
        // slack of L columns of a sliver and one vector: see packA's vector stores
        float[] ap = small ? null : buffers.a(kpMax * roundUp(Math.min(MC, m), MR) + L * MR + L);
        float[] scratch = buffers.scratch;
        for (int jc = 0; jc < n; jc += NC) {
            int nc = Math.min(NC, n - jc);
            // up to PACKED_BLOCKS blocks of k packed at once; the tiles still sum block by block
            for (int pp = 0; pp < k; pp += kpMax) {
                int kp = Math.min(kpMax, k - pp);
                packB(kp, nc, b, bOff + pp * bRs + jc * bCs, bRs, bCs, bp, buffers);
                if (small) {
                    // B packed, A read in place: tiles step through A by its strides.
                    for (int jr = 0; jr < nc; jr += NR) {
                        for (int pk = 0; pk < kp; pk += kcMax) {
                            stileRows(Math.min(kcMax, kp - pk), a, aOff + (pp + pk) * aCs, aRs, aCs, bp,
                                    jr * kp + pk * NR, NR, c, cOff + jc + jr, ldc, m, Math.min(NR, nc - jr),
                                    pp + pk > 0, scratch);
                        }
                    }
                    continue;
                }
                for (int ic = 0; ic < m; ic += MC) {
                    int mc = Math.min(MC, m - ic);
                    packA(mc, kp, a, aOff + ic * aRs + pp * aCs, aRs, aCs, ap);
                    for (int jr = 0; jr < nc; jr += NR) {
                        int nr = Math.min(NR, nc - jr);
                        int cCol = cOff + jc + jr;
                        // block by block of k, each over all the rows: the block's part of the B sliver
                        // stays in L1, and the MC x NR part of C it adds to in L2
                        for (int pk = 0; pk < kp; pk += kcMax) {
                            int kc = Math.min(kcMax, kp - pk);
                            boolean accumulate = pp + pk > 0;
                            int bBase = jr * kp + pk * NR;
                            int ir = 0;
                            if (nr <= L) {
                                // two slivers of A at a time while two whole ones are left
                                for (; ir + 2 * MR <= mc; ir += 2 * MR) {
                                    stileNarrowTall(kc, ap, ir * kp + pk * MR, MR * kp, bp, bBase, c,
                                            cCol + (ic + ir) * ldc, ldc, nr, accumulate, scratch);
                                }
                            }
                            for (; ir < mc; ir += MR) {
                                int mr = Math.min(MR, mc - ir);
                                int cBase = cCol + (ic + ir) * ldc;
                                // a packed sliver of A is A read with strides 1 and MR
                                int aBase = ir * kp + pk * MR;
                                if (nr <= 3 * L) {
                                    stileEdge(kc, ap, aBase, 1, MR, bp, bBase, NR, c, cBase, ldc, mr, nr, accumulate,
                                            scratch);
                                } else {
                                    stilePacked(kc, ap, aBase, bp, bBase, c, cBase, ldc, mr, nr, accumulate, scratch);
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /**
     * B's kc x nc block into slivers of NR columns: sliver s at s kc NR, element (p, j) at p NR + j;
     * a partial sliver zero-padded to a whole number of vectors (the columns its tiles read).
     */
    private static void packB(int kc, int nc, float[] b, int base, int bRs, int bCs, float[] bp, Buffers buffers) {
        for (int jr = 0; jr < nc; jr += NR) {
            int nr = Math.min(NR, nc - jr);
            int dst = jr * kc;
            if (bCs == 1 && nr == NR) {
                for (int p = 0, src = base + jr; p < kc; p++, src += bRs, dst += NR) {
                    FloatVector.fromArray(FS, b, src).intoArray(bp, dst);
                    FloatVector.fromArray(FS, b, src + L).intoArray(bp, dst + L);
                    FloatVector.fromArray(FS, b, src + 2 * L).intoArray(bp, dst + 2 * L);
                    FloatVector.fromArray(FS, b, src + 3 * L).intoArray(bp, dst + 3 * L);
                }
            } else if (bCs == 1) {
                for (int p = 0, src = base + jr; p < kc; p++, src += bRs, dst += NR) {
                    System.arraycopy(b, src, bp, dst, nr);
                    Arrays.fill(bp, dst + nr, dst + roundUp(nr, L), 0f);
                }
            } else {
                if (nr % L != 0) {
                    // zeros from nr to the end of its vector, the last a tile reads: a tile of a partial
                    // sliver is as many vectors wide as nr needs (see stileEdge), so the columns past
                    // them are never read, and zeroing all of a 500-row sliver took as long as packing it
                    for (int p = 0, d = dst + nr - nr % L; p < kc; p++, d += NR) {
                        FloatVector.zero(FS).intoArray(bp, d);
                    }
                }
                int src = base + jr * bCs;
                if (bRs == 1 && L == TRANSPOSE_LANES && nr == NR && src + (NR - 1) * bCs + roundUp(kc, L) <= b.length) {
                    // B transposed (x W^T), a whole sliver readable by blocks of 16 rows: each 16 rows
                    // of the sliver as four blocks of 16 columns through registers (transpose16) into
                    // a buffer, then into the sliver by one arraycopy. Stored straight into the
                    // sliver, most 64-byte vectors would straddle two cache lines, as a float[] is
                    // rarely 64-byte aligned (the heap decides): packing 500 rows of W^T took 14.4 us
                    // into a sliver 32 bytes off a line and 8.3 into one on a line; through the
                    // buffer, whose copy aligns its own stores, 9.3 to 10.3 either way.
                    float[] rows = buffers.sliverRows;
                    for (int p0 = 0; p0 < kc; p0 += L) {
                        for (int j0 = 0; j0 < NR; j0 += L) {
                            transpose16(b, src + j0 * bCs + p0, bCs, rows, j0, NR);
                        }
                        System.arraycopy(rows, 0, bp, dst + p0 * NR, Math.min(L, kc - p0) * NR);
                    }
                } else if (bRs == 1 && L == TRANSPOSE_LANES) {
                    // B transposed, a partial sliver or one near B's end: blocks of 16 columns go
                    // through registers 16 rows at a time, a last partial block of rows too (k is
                    // 13 or 20 in small layers). Its rows past kc land in the next sliver, packed
                    // after this one, or in the buffer's slack of L rows: never in a row that a tile
                    // reads. Near B's end, where 16-wide reads would leave the array, the block's
                    // remaining rows are read from a copy followed by zeros. Columns past the last
                    // whole block of 16 go element by element.
                    int jFull = nr - nr % L;
                    for (int j0 = 0; j0 < jFull; j0 += L) {
                        int column = src + j0 * bCs, p0 = 0;
                        for (; p0 < kc && column + (L - 1) * bCs + p0 + L <= b.length; p0 += L) {
                            transpose16(b, column + p0, bCs, bp, dst + p0 * NR + j0, NR);
                        }
                        if (p0 < kc) {
                            int span = (L - 1) * bCs + kc - p0;
                            float[] copy = buffers.edge(span + L);
                            System.arraycopy(b, column + p0, copy, 0, span);
                            Arrays.fill(copy, span, span + L, 0f);
                            for (int q = 0; p0 + q < kc; q += L) {
                                transpose16(copy, q, bCs, bp, dst + (p0 + q) * NR + j0, NR);
                            }
                        }
                    }
                    packColumns(b, src, bRs, bCs, bp, dst, jFull, nr, 0, kc);
                } else {
                    packColumns(b, src, bRs, bCs, bp, dst, 0, nr, 0, kc);
                }
            }
        }
    }

    /**
     * Columns {@code [j0, j1)} and rows {@code [p0, p1)} of a sliver of B, element by element, for a
     * B whose columns are not contiguous rows: 16 rows of the sliver at a time, so that the rows being
     * written stay in L1 while each column is read down 16 steps.
     */
    private static void packColumns(float[] b, int src, int bRs, int bCs, float[] bp, int dst,
                                    int j0, int j1, int p0, int p1) {
        for (int q0 = p0; q0 < p1; q0 += 16) {
            int q1 = Math.min(p1, q0 + 16);
            for (int j = j0; j < j1; j++) {
                for (int p = q0, s = src + j * bCs + q0 * bRs, d = dst + q0 * NR + j; p < q1; p++, s += bRs, d += NR) {
                    bp[d] = b[s];
                }
            }
        }
    }

    /** The lane count {@link #transpose16} is written for: 512-bit vectors of floats. */
    static final int TRANSPOSE_LANES = 16;
    /** Lane indexes into two vectors x, y (y's lanes from 16): x0 y0 x1 y1 ... x7 y7. */
    private static final FloatVector INTERLEAVE_LOW = interleave(0);
    /** As {@link #INTERLEAVE_LOW}, from the upper halves: x8 y8 ... x15 y15. */
    private static final FloatVector INTERLEAVE_HIGH = interleave(TRANSPOSE_LANES / 2);

    private static FloatVector interleave(int from) {
        float[] lanes = new float[L];
        for (int i = 0; i < L / 2 && L == TRANSPOSE_LANES; i++) {
            lanes[2 * i] = from + i;
            lanes[2 * i + 1] = L + from + i;
        }
        return FloatVector.fromArray(FS, lanes, 0);
    }

    /**
     * A 16 x 16 block, rows {@code s + i ld} of the source, into rows {@code d + j dld} of the
     * destination transposed, in registers. Four rounds of a perfect shuffle: each writes
     * interleave(r_i, r_{i+8}) into rows 2i and 2i + 1, which moves one bit of the row index into the
     * column index, so four rounds exchange the two 4-bit indexes. Each interleave is one two-table
     * permute ({@code selectFrom}). Unrolled by hand: vectors kept in an array would be boxed.
     */
    static void transpose16(float[] src, int s, int ld, float[] dst, int d, int dld) {
        FloatVector r0 = FloatVector.fromArray(FS, src, s), r1 = FloatVector.fromArray(FS, src, s + ld);
        FloatVector r2 = FloatVector.fromArray(FS, src, s + 2 * ld), r3 = FloatVector.fromArray(FS, src, s + 3 * ld);
        FloatVector r4 = FloatVector.fromArray(FS, src, s + 4 * ld), r5 = FloatVector.fromArray(FS, src, s + 5 * ld);
        FloatVector r6 = FloatVector.fromArray(FS, src, s + 6 * ld), r7 = FloatVector.fromArray(FS, src, s + 7 * ld);
        FloatVector r8 = FloatVector.fromArray(FS, src, s + 8 * ld), r9 = FloatVector.fromArray(FS, src, s + 9 * ld);
        FloatVector r10 = FloatVector.fromArray(FS, src, s + 10 * ld), r11 = FloatVector.fromArray(FS, src, s + 11 * ld);
        FloatVector r12 = FloatVector.fromArray(FS, src, s + 12 * ld), r13 = FloatVector.fromArray(FS, src, s + 13 * ld);
        FloatVector r14 = FloatVector.fromArray(FS, src, s + 14 * ld), r15 = FloatVector.fromArray(FS, src, s + 15 * ld);
        for (int round = 0; round < 4; round++) {
            FloatVector t0 = low(r0, r8), t1 = high(r0, r8), t2 = low(r1, r9), t3 = high(r1, r9);
            FloatVector t4 = low(r2, r10), t5 = high(r2, r10), t6 = low(r3, r11), t7 = high(r3, r11);
            FloatVector t8 = low(r4, r12), t9 = high(r4, r12), t10 = low(r5, r13), t11 = high(r5, r13);
            FloatVector t12 = low(r6, r14), t13 = high(r6, r14), t14 = low(r7, r15), t15 = high(r7, r15);
            r0 = t0; r1 = t1; r2 = t2; r3 = t3; r4 = t4; r5 = t5; r6 = t6; r7 = t7;
            r8 = t8; r9 = t9; r10 = t10; r11 = t11; r12 = t12; r13 = t13; r14 = t14; r15 = t15;
        }
        r0.intoArray(dst, d);
        r1.intoArray(dst, d + dld);
        r2.intoArray(dst, d + 2 * dld);
        r3.intoArray(dst, d + 3 * dld);
        r4.intoArray(dst, d + 4 * dld);
        r5.intoArray(dst, d + 5 * dld);
        r6.intoArray(dst, d + 6 * dld);
        r7.intoArray(dst, d + 7 * dld);
        r8.intoArray(dst, d + 8 * dld);
        r9.intoArray(dst, d + 9 * dld);
        r10.intoArray(dst, d + 10 * dld);
        r11.intoArray(dst, d + 11 * dld);
        r12.intoArray(dst, d + 12 * dld);
        r13.intoArray(dst, d + 13 * dld);
        r14.intoArray(dst, d + 14 * dld);
        r15.intoArray(dst, d + 15 * dld);
    }

    /** Lanes 0-5 and 8-13 to the front: two columns of six rows out of two of eight (16 lanes only). */
    private static final VectorShuffle<Float> DROP_SPARE_ROWS = VectorShuffle.fromOp(FS,
            i -> i < 2 * MR && L == TRANSPOSE_LANES ? i / MR * 8 + i % MR : 0);

    /**
     * Sixteen columns of a sliver's MR = 6 rows, rows {@code s + i ld} of A, into the packed layout
     * (element (i, p) at {@code d + p MR + i}): 96 floats, plus spare lanes past them. As
     * {@link #transpose16} on eight rows (the last two repeat row 5) in three rounds, which leaves
     * columns p and p + 1 in one vector, eight lanes each; one more permute drops the spare rows, and
     * the vectors are stored 12 floats apart, in order, so that each store overwrites the spare lanes
     * of the one before.
     */
    private static void interleaveRows(float[] src, int s, int ld, float[] dst, int d) {
        FloatVector r0 = FloatVector.fromArray(FS, src, s), r1 = FloatVector.fromArray(FS, src, s + ld);
        FloatVector r2 = FloatVector.fromArray(FS, src, s + 2 * ld), r3 = FloatVector.fromArray(FS, src, s + 3 * ld);
        FloatVector r4 = FloatVector.fromArray(FS, src, s + 4 * ld), r5 = FloatVector.fromArray(FS, src, s + 5 * ld);
        FloatVector r6 = r5, r7 = r5;
        for (int round = 0; round < 3; round++) {
            FloatVector t0 = low(r0, r4), t1 = high(r0, r4), t2 = low(r1, r5), t3 = high(r1, r5);
            FloatVector t4 = low(r2, r6), t5 = high(r2, r6), t6 = low(r3, r7), t7 = high(r3, r7);
            r0 = t0; r1 = t1; r2 = t2; r3 = t3; r4 = t4; r5 = t5; r6 = t6; r7 = t7;
        }
        r0.rearrange(DROP_SPARE_ROWS).intoArray(dst, d);
        r1.rearrange(DROP_SPARE_ROWS).intoArray(dst, d + 2 * MR);
        r2.rearrange(DROP_SPARE_ROWS).intoArray(dst, d + 4 * MR);
        r3.rearrange(DROP_SPARE_ROWS).intoArray(dst, d + 6 * MR);
        r4.rearrange(DROP_SPARE_ROWS).intoArray(dst, d + 8 * MR);
        r5.rearrange(DROP_SPARE_ROWS).intoArray(dst, d + 10 * MR);
        r6.rearrange(DROP_SPARE_ROWS).intoArray(dst, d + 12 * MR);
        r7.rearrange(DROP_SPARE_ROWS).intoArray(dst, d + 14 * MR);
    }

    private static FloatVector low(FloatVector x, FloatVector y) {
        return (FloatVector) INTERLEAVE_LOW.selectFrom(x, y);
    }

    private static FloatVector high(FloatVector x, FloatVector y) {
        return (FloatVector) INTERLEAVE_HIGH.selectFrom(x, y);
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
            int p0 = 0;
            if (aCs == 1 && mr == MR && L == TRANSPOSE_LANES) {
                // A's rows contiguous (x of x W^T, g of g W): blocks of 16 columns of the sliver
                // interleaved in registers. The last block's columns past kc land in the next
                // sliver, packed after this one, or in the buffer's slack.
                for (; p0 < kc && rows + (MR - 1) * aRs + p0 + L <= a.length; p0 += L) {
                    interleaveRows(a, rows + p0, aRs, ap, dst + p0 * MR);
                }
                if (p0 >= kc) {
                    continue;
                }
            }
            if (Math.abs(aRs) < Math.abs(aCs)) {
                // A transposed (g^T of a weight's gradient): a column of the sliver is contiguous in
                // A, so one vector (of at least MR lanes) moves it, its spare lanes overwritten by the
                // next column's store (the last one's land in the next sliver or the buffer's slack).
                int p = 0;
                if (aRs == 1 && aCs > 0 && mr == MR && L >= MR) {
                    for (int src = rows, d = dst; p < kc && src + L <= a.length; p++, src += aCs, d += MR) {
                        FloatVector.fromArray(FS, a, src).intoArray(ap, d);
                    }
                }
                for (int src = rows + p * aCs, d = dst + p * MR; p < kc; p++, src += aCs, d += MR) {
                    for (int i = 0; i < mr; i++) {
                        ap[d + i] = a[src + i * aRs];
                    }
                }
            } else {
                for (int i = 0; i < mr; i++) {
                    for (int p = p0, src = rows + i * aRs + p0 * aCs, d = dst + p0 * MR + i; p < kc;
                         p++, src += aCs, d += MR) {
                        ap[d] = a[src];
                    }
                }
            }
        }
    }

    /**
     * The micro-kernel on packed slivers: an mr x nr tile of C (mr <= MR, nr <= NR) as the sum over
     * p < kc of A(i, p) B(p, j), with A(i, p) at {@code a[aBase + p MR + i]} and B(p, j) at
     * {@code b[bBase + p NR + j]}. Writes C, or adds to it when {@code accumulate}.
     *
     * <p>The accumulators never leave this method as objects: a vector handed to a call that is not
     * inlined escapes, and C2 then boxes the loop-carried accumulators on every step. So a full tile
     * is stored straight into C, and any other goes through {@code scratch} (MR x NR) to
     * {@link #merge}. One zero() per accumulator for the same reason: C2 keeps a vector in a register
     * only while it can follow each loop-carried value to its own allocation. The method is kept
     * small (one loop, one store block) so that C1 compiles it too and C2 compiles it quickly.
     */
    private static void stilePacked(int kc, float[] a, int aBase, float[] b, int bBase,
                                    float[] c, int cBase, int ldc, int mr, int nr, boolean accumulate, float[] scratch) {
        int a0 = aBase, a1 = aBase + 1, a2 = aBase + 2, a3 = aBase + 3, a4 = aBase + 4, a5 = aBase + 5;
        FloatVector c00 = FloatVector.zero(FS), c01 = FloatVector.zero(FS), c02 = FloatVector.zero(FS), c03 = FloatVector.zero(FS);
        FloatVector c10 = FloatVector.zero(FS), c11 = FloatVector.zero(FS), c12 = FloatVector.zero(FS), c13 = FloatVector.zero(FS);
        FloatVector c20 = FloatVector.zero(FS), c21 = FloatVector.zero(FS), c22 = FloatVector.zero(FS), c23 = FloatVector.zero(FS);
        FloatVector c30 = FloatVector.zero(FS), c31 = FloatVector.zero(FS), c32 = FloatVector.zero(FS), c33 = FloatVector.zero(FS);
        FloatVector c40 = FloatVector.zero(FS), c41 = FloatVector.zero(FS), c42 = FloatVector.zero(FS), c43 = FloatVector.zero(FS);
        FloatVector c50 = FloatVector.zero(FS), c51 = FloatVector.zero(FS), c52 = FloatVector.zero(FS), c53 = FloatVector.zero(FS);
        for (int p = 0; p < kc; p++) {
            int pa = p * MR, pb = bBase + p * NR;
                FloatVector b0 = FloatVector.fromArray(FS, b, pb);
                FloatVector b1 = FloatVector.fromArray(FS, b, pb + L);
                FloatVector b2 = FloatVector.fromArray(FS, b, pb + 2 * L);
                FloatVector b3 = FloatVector.fromArray(FS, b, pb + 3 * L);
                FloatVector x = FloatVector.broadcast(FS, a[a0 + pa]);
                c00 = b0.fma(x, c00);
                c01 = b1.fma(x, c01);
                c02 = b2.fma(x, c02);
                c03 = b3.fma(x, c03);
                x = FloatVector.broadcast(FS, a[a1 + pa]);
                c10 = b0.fma(x, c10);
                c11 = b1.fma(x, c11);
                c12 = b2.fma(x, c12);
                c13 = b3.fma(x, c13);
                x = FloatVector.broadcast(FS, a[a2 + pa]);
                c20 = b0.fma(x, c20);
                c21 = b1.fma(x, c21);
                c22 = b2.fma(x, c22);
                c23 = b3.fma(x, c23);
                x = FloatVector.broadcast(FS, a[a3 + pa]);
                c30 = b0.fma(x, c30);
                c31 = b1.fma(x, c31);
                c32 = b2.fma(x, c32);
                c33 = b3.fma(x, c33);
                x = FloatVector.broadcast(FS, a[a4 + pa]);
                c40 = b0.fma(x, c40);
                c41 = b1.fma(x, c41);
                c42 = b2.fma(x, c42);
                c43 = b3.fma(x, c43);
                x = FloatVector.broadcast(FS, a[a5 + pa]);
                c50 = b0.fma(x, c50);
                c51 = b1.fma(x, c51);
                c52 = b2.fma(x, c52);
                c53 = b3.fma(x, c53);
        }
        int r0 = cBase, r1 = r0 + ldc, r2 = r1 + ldc, r3 = r2 + ldc, r4 = r3 + ldc, r5 = r4 + ldc;
        if (mr == MR && nr == NR) {
            if (accumulate) {
                c00 = c00.add(FloatVector.fromArray(FS, c, r0));
                c01 = c01.add(FloatVector.fromArray(FS, c, r0 + L));
                c02 = c02.add(FloatVector.fromArray(FS, c, r0 + 2 * L));
                c03 = c03.add(FloatVector.fromArray(FS, c, r0 + 3 * L));
                c10 = c10.add(FloatVector.fromArray(FS, c, r1));
                c11 = c11.add(FloatVector.fromArray(FS, c, r1 + L));
                c12 = c12.add(FloatVector.fromArray(FS, c, r1 + 2 * L));
                c13 = c13.add(FloatVector.fromArray(FS, c, r1 + 3 * L));
                c20 = c20.add(FloatVector.fromArray(FS, c, r2));
                c21 = c21.add(FloatVector.fromArray(FS, c, r2 + L));
                c22 = c22.add(FloatVector.fromArray(FS, c, r2 + 2 * L));
                c23 = c23.add(FloatVector.fromArray(FS, c, r2 + 3 * L));
                c30 = c30.add(FloatVector.fromArray(FS, c, r3));
                c31 = c31.add(FloatVector.fromArray(FS, c, r3 + L));
                c32 = c32.add(FloatVector.fromArray(FS, c, r3 + 2 * L));
                c33 = c33.add(FloatVector.fromArray(FS, c, r3 + 3 * L));
                c40 = c40.add(FloatVector.fromArray(FS, c, r4));
                c41 = c41.add(FloatVector.fromArray(FS, c, r4 + L));
                c42 = c42.add(FloatVector.fromArray(FS, c, r4 + 2 * L));
                c43 = c43.add(FloatVector.fromArray(FS, c, r4 + 3 * L));
                c50 = c50.add(FloatVector.fromArray(FS, c, r5));
                c51 = c51.add(FloatVector.fromArray(FS, c, r5 + L));
                c52 = c52.add(FloatVector.fromArray(FS, c, r5 + 2 * L));
                c53 = c53.add(FloatVector.fromArray(FS, c, r5 + 3 * L));
            }
            c00.intoArray(c, r0);
            c01.intoArray(c, r0 + L);
            c02.intoArray(c, r0 + 2 * L);
            c03.intoArray(c, r0 + 3 * L);
            c10.intoArray(c, r1);
            c11.intoArray(c, r1 + L);
            c12.intoArray(c, r1 + 2 * L);
            c13.intoArray(c, r1 + 3 * L);
            c20.intoArray(c, r2);
            c21.intoArray(c, r2 + L);
            c22.intoArray(c, r2 + 2 * L);
            c23.intoArray(c, r2 + 3 * L);
            c30.intoArray(c, r3);
            c31.intoArray(c, r3 + L);
            c32.intoArray(c, r3 + 2 * L);
            c33.intoArray(c, r3 + 3 * L);
            c40.intoArray(c, r4);
            c41.intoArray(c, r4 + L);
            c42.intoArray(c, r4 + 2 * L);
            c43.intoArray(c, r4 + 3 * L);
            c50.intoArray(c, r5);
            c51.intoArray(c, r5 + L);
            c52.intoArray(c, r5 + 2 * L);
            c53.intoArray(c, r5 + 3 * L);
        } else {
            c00.intoArray(scratch, 0);
            c01.intoArray(scratch, 0 + L);
            c02.intoArray(scratch, 0 + 2 * L);
            c03.intoArray(scratch, 0 + 3 * L);
            c10.intoArray(scratch, 1 * NR);
            c11.intoArray(scratch, 1 * NR + L);
            c12.intoArray(scratch, 1 * NR + 2 * L);
            c13.intoArray(scratch, 1 * NR + 3 * L);
            c20.intoArray(scratch, 2 * NR);
            c21.intoArray(scratch, 2 * NR + L);
            c22.intoArray(scratch, 2 * NR + 2 * L);
            c23.intoArray(scratch, 2 * NR + 3 * L);
            c30.intoArray(scratch, 3 * NR);
            c31.intoArray(scratch, 3 * NR + L);
            c32.intoArray(scratch, 3 * NR + 2 * L);
            c33.intoArray(scratch, 3 * NR + 3 * L);
            c40.intoArray(scratch, 4 * NR);
            c41.intoArray(scratch, 4 * NR + L);
            c42.intoArray(scratch, 4 * NR + 2 * L);
            c43.intoArray(scratch, 4 * NR + 3 * L);
            c50.intoArray(scratch, 5 * NR);
            c51.intoArray(scratch, 5 * NR + L);
            c52.intoArray(scratch, 5 * NR + 2 * L);
            c53.intoArray(scratch, 5 * NR + 3 * L);
            merge(scratch, c, cBase, ldc, mr, nr, accumulate);
        }
    }

    /**
     * {@link #stileDirect} for the last mr <= MR / 2 rows of a product (a layer of 8 features stored
     * one row per feature is a tile of six rows and one of two), as {@link #stileNarrowShort} is for
     * {@link #stileNarrow}: three rows of four vectors, half the multiply-adds of a six-row tile
     * whose spare rows repeat the last one. Each element's chain over k is the same, so are the bits.
     */
    private static void stileDirectShort(int kc, float[] a, int aBase, int aRs, int aCs, float[] b, int bBase,
                                         int bRs, float[] c, int cBase, int ldc, int mr, int nr, boolean accumulate,
                                         float[] scratch) {
        int a0 = aBase;
        int a1 = aBase + Math.min(1, mr - 1) * aRs;
        int a2 = aBase + Math.min(2, mr - 1) * aRs;
        FloatVector c00 = FloatVector.zero(FS), c01 = FloatVector.zero(FS), c02 = FloatVector.zero(FS), c03 = FloatVector.zero(FS);
        FloatVector c10 = FloatVector.zero(FS), c11 = FloatVector.zero(FS), c12 = FloatVector.zero(FS), c13 = FloatVector.zero(FS);
        FloatVector c20 = FloatVector.zero(FS), c21 = FloatVector.zero(FS), c22 = FloatVector.zero(FS), c23 = FloatVector.zero(FS);
        for (int p = 0, pa = 0, pb = bBase; p < kc; p++, pa += aCs, pb += bRs) {
            FloatVector b0 = FloatVector.fromArray(FS, b, pb);
            FloatVector b1 = FloatVector.fromArray(FS, b, pb + L);
            FloatVector b2 = FloatVector.fromArray(FS, b, pb + 2 * L);
            FloatVector b3 = FloatVector.fromArray(FS, b, pb + 3 * L);
            FloatVector x = FloatVector.broadcast(FS, a[a0 + pa]);
            c00 = b0.fma(x, c00);
            c01 = b1.fma(x, c01);
            c02 = b2.fma(x, c02);
            c03 = b3.fma(x, c03);
            x = FloatVector.broadcast(FS, a[a1 + pa]);
            c10 = b0.fma(x, c10);
            c11 = b1.fma(x, c11);
            c12 = b2.fma(x, c12);
            c13 = b3.fma(x, c13);
            x = FloatVector.broadcast(FS, a[a2 + pa]);
            c20 = b0.fma(x, c20);
            c21 = b1.fma(x, c21);
            c22 = b2.fma(x, c22);
            c23 = b3.fma(x, c23);
        }
        c00.intoArray(scratch, 0);
        c01.intoArray(scratch, L);
        c02.intoArray(scratch, 2 * L);
        c03.intoArray(scratch, 3 * L);
        c10.intoArray(scratch, NR);
        c11.intoArray(scratch, NR + L);
        c12.intoArray(scratch, NR + 2 * L);
        c13.intoArray(scratch, NR + 3 * L);
        c20.intoArray(scratch, 2 * NR);
        c21.intoArray(scratch, 2 * NR + L);
        c22.intoArray(scratch, 2 * NR + 2 * L);
        c23.intoArray(scratch, 2 * NR + 3 * L);
        merge(scratch, c, cBase, ldc, mr, nr, accumulate);
    }

    /**
     * The micro-kernel on unpacked operands: as {@link #stilePacked}, with A(i, p) at
     * {@code a[aBase + i aRs + p aCs]} and B(p, j) at {@code b[bBase + p bRs + j]}. Rows past mr
     * repeat the last row and are not stored; columns past nr are not read.
     */
    private static void stileDirect(int kc, float[] a, int aBase, int aRs, int aCs, float[] b, int bBase, int bRs,
                                    float[] c, int cBase, int ldc, int mr, int nr, boolean accumulate, float[] scratch) {
        int a0 = aBase;
        int a1 = aBase + Math.min(1, mr - 1) * aRs;
        int a2 = aBase + Math.min(2, mr - 1) * aRs;
        int a3 = aBase + Math.min(3, mr - 1) * aRs;
        int a4 = aBase + Math.min(4, mr - 1) * aRs;
        int a5 = aBase + Math.min(5, mr - 1) * aRs;
        FloatVector c00 = FloatVector.zero(FS), c01 = FloatVector.zero(FS), c02 = FloatVector.zero(FS), c03 = FloatVector.zero(FS);
        FloatVector c10 = FloatVector.zero(FS), c11 = FloatVector.zero(FS), c12 = FloatVector.zero(FS), c13 = FloatVector.zero(FS);
        FloatVector c20 = FloatVector.zero(FS), c21 = FloatVector.zero(FS), c22 = FloatVector.zero(FS), c23 = FloatVector.zero(FS);
        FloatVector c30 = FloatVector.zero(FS), c31 = FloatVector.zero(FS), c32 = FloatVector.zero(FS), c33 = FloatVector.zero(FS);
        FloatVector c40 = FloatVector.zero(FS), c41 = FloatVector.zero(FS), c42 = FloatVector.zero(FS), c43 = FloatVector.zero(FS);
        FloatVector c50 = FloatVector.zero(FS), c51 = FloatVector.zero(FS), c52 = FloatVector.zero(FS), c53 = FloatVector.zero(FS);
        for (int p = 0, pa = 0, pb = bBase; p < kc; p++, pa += aCs, pb += bRs) {
                FloatVector b0 = FloatVector.fromArray(FS, b, pb);
                FloatVector b1 = FloatVector.fromArray(FS, b, pb + L);
                FloatVector b2 = FloatVector.fromArray(FS, b, pb + 2 * L);
                FloatVector b3 = FloatVector.fromArray(FS, b, pb + 3 * L);
                FloatVector x = FloatVector.broadcast(FS, a[a0 + pa]);
                c00 = b0.fma(x, c00);
                c01 = b1.fma(x, c01);
                c02 = b2.fma(x, c02);
                c03 = b3.fma(x, c03);
                x = FloatVector.broadcast(FS, a[a1 + pa]);
                c10 = b0.fma(x, c10);
                c11 = b1.fma(x, c11);
                c12 = b2.fma(x, c12);
                c13 = b3.fma(x, c13);
                x = FloatVector.broadcast(FS, a[a2 + pa]);
                c20 = b0.fma(x, c20);
                c21 = b1.fma(x, c21);
                c22 = b2.fma(x, c22);
                c23 = b3.fma(x, c23);
                x = FloatVector.broadcast(FS, a[a3 + pa]);
                c30 = b0.fma(x, c30);
                c31 = b1.fma(x, c31);
                c32 = b2.fma(x, c32);
                c33 = b3.fma(x, c33);
                x = FloatVector.broadcast(FS, a[a4 + pa]);
                c40 = b0.fma(x, c40);
                c41 = b1.fma(x, c41);
                c42 = b2.fma(x, c42);
                c43 = b3.fma(x, c43);
                x = FloatVector.broadcast(FS, a[a5 + pa]);
                c50 = b0.fma(x, c50);
                c51 = b1.fma(x, c51);
                c52 = b2.fma(x, c52);
                c53 = b3.fma(x, c53);
        }
        int r0 = cBase, r1 = r0 + ldc, r2 = r1 + ldc, r3 = r2 + ldc, r4 = r3 + ldc, r5 = r4 + ldc;
        if (mr == MR && nr == NR) {
            if (accumulate) {
                c00 = c00.add(FloatVector.fromArray(FS, c, r0));
                c01 = c01.add(FloatVector.fromArray(FS, c, r0 + L));
                c02 = c02.add(FloatVector.fromArray(FS, c, r0 + 2 * L));
                c03 = c03.add(FloatVector.fromArray(FS, c, r0 + 3 * L));
                c10 = c10.add(FloatVector.fromArray(FS, c, r1));
                c11 = c11.add(FloatVector.fromArray(FS, c, r1 + L));
                c12 = c12.add(FloatVector.fromArray(FS, c, r1 + 2 * L));
                c13 = c13.add(FloatVector.fromArray(FS, c, r1 + 3 * L));
                c20 = c20.add(FloatVector.fromArray(FS, c, r2));
                c21 = c21.add(FloatVector.fromArray(FS, c, r2 + L));
                c22 = c22.add(FloatVector.fromArray(FS, c, r2 + 2 * L));
                c23 = c23.add(FloatVector.fromArray(FS, c, r2 + 3 * L));
                c30 = c30.add(FloatVector.fromArray(FS, c, r3));
                c31 = c31.add(FloatVector.fromArray(FS, c, r3 + L));
                c32 = c32.add(FloatVector.fromArray(FS, c, r3 + 2 * L));
                c33 = c33.add(FloatVector.fromArray(FS, c, r3 + 3 * L));
                c40 = c40.add(FloatVector.fromArray(FS, c, r4));
                c41 = c41.add(FloatVector.fromArray(FS, c, r4 + L));
                c42 = c42.add(FloatVector.fromArray(FS, c, r4 + 2 * L));
                c43 = c43.add(FloatVector.fromArray(FS, c, r4 + 3 * L));
                c50 = c50.add(FloatVector.fromArray(FS, c, r5));
                c51 = c51.add(FloatVector.fromArray(FS, c, r5 + L));
                c52 = c52.add(FloatVector.fromArray(FS, c, r5 + 2 * L));
                c53 = c53.add(FloatVector.fromArray(FS, c, r5 + 3 * L));
            }
            c00.intoArray(c, r0);
            c01.intoArray(c, r0 + L);
            c02.intoArray(c, r0 + 2 * L);
            c03.intoArray(c, r0 + 3 * L);
            c10.intoArray(c, r1);
            c11.intoArray(c, r1 + L);
            c12.intoArray(c, r1 + 2 * L);
            c13.intoArray(c, r1 + 3 * L);
            c20.intoArray(c, r2);
            c21.intoArray(c, r2 + L);
            c22.intoArray(c, r2 + 2 * L);
            c23.intoArray(c, r2 + 3 * L);
            c30.intoArray(c, r3);
            c31.intoArray(c, r3 + L);
            c32.intoArray(c, r3 + 2 * L);
            c33.intoArray(c, r3 + 3 * L);
            c40.intoArray(c, r4);
            c41.intoArray(c, r4 + L);
            c42.intoArray(c, r4 + 2 * L);
            c43.intoArray(c, r4 + 3 * L);
            c50.intoArray(c, r5);
            c51.intoArray(c, r5 + L);
            c52.intoArray(c, r5 + 2 * L);
            c53.intoArray(c, r5 + 3 * L);
        } else {
            c00.intoArray(scratch, 0);
            c01.intoArray(scratch, 0 + L);
            c02.intoArray(scratch, 0 + 2 * L);
            c03.intoArray(scratch, 0 + 3 * L);
            c10.intoArray(scratch, 1 * NR);
            c11.intoArray(scratch, 1 * NR + L);
            c12.intoArray(scratch, 1 * NR + 2 * L);
            c13.intoArray(scratch, 1 * NR + 3 * L);
            c20.intoArray(scratch, 2 * NR);
            c21.intoArray(scratch, 2 * NR + L);
            c22.intoArray(scratch, 2 * NR + 2 * L);
            c23.intoArray(scratch, 2 * NR + 3 * L);
            c30.intoArray(scratch, 3 * NR);
            c31.intoArray(scratch, 3 * NR + L);
            c32.intoArray(scratch, 3 * NR + 2 * L);
            c33.intoArray(scratch, 3 * NR + 3 * L);
            c40.intoArray(scratch, 4 * NR);
            c41.intoArray(scratch, 4 * NR + L);
            c42.intoArray(scratch, 4 * NR + 2 * L);
            c43.intoArray(scratch, 4 * NR + 3 * L);
            c50.intoArray(scratch, 5 * NR);
            c51.intoArray(scratch, 5 * NR + L);
            c52.intoArray(scratch, 5 * NR + 2 * L);
            c53.intoArray(scratch, 5 * NR + 3 * L);
            merge(scratch, c, cBase, ldc, mr, nr, accumulate);
        }
    }

    /**
     * The micro-kernel for tiles at most one vector wide (nr <= L), over m rows: tiles of MR rows x
     * one vector, so that a product with few columns does not spend four vectors' FMAs on one
     * vector's work, the row tiles looped here rather than by a call each, and the last rows by
     * {@link #stileNarrowShort} when at most MR / 2 are left. A(i, p) at
     * {@code a[aBase + i aRs + p aCs]}, B(p, j) at {@code b[bBase + p bRs + j]}; in a tile of fewer
     * than MR rows, rows past its last repeat that row and are not stored; B's rows are read as whole
     * vectors (L readable elements each).
     * A tile of MR rows goes into C through a lane mask of nr lanes where a whole vector fits in C's
     * array from each row (a masked store that may run past the array sometimes compiles to a slow
     * path), others through {@code scratch}. One loop per layout of A and one store block, so that C1
     * compiles it too (see the class description).
     */
    private static void stileNarrow(int kc, float[] a, int aBase, int aRs, int aCs, float[] b, int bBase, int bRs,
                                    float[] c, int cBase, int ldc, int m, int nr, boolean accumulate,
                                    float[] scratch) {
        for (int i0 = 0; i0 < m; i0 += MR) {
            int mr = Math.min(MR, m - i0);
            int aRow = aBase + i0 * aRs, cRow = cBase + i0 * ldc;
            if (mr <= MR / 2) {
                stileNarrowShort(kc, a, aRow, aRs, aCs, b, bBase, bRs, c, cRow, ldc, mr, nr, accumulate, scratch);
                continue;
            }
            int a0 = aRow;
            int a1 = aRow + Math.min(1, mr - 1) * aRs;
            int a2 = aRow + Math.min(2, mr - 1) * aRs;
            int a3 = aRow + Math.min(3, mr - 1) * aRs;
            int a4 = aRow + Math.min(4, mr - 1) * aRs;
            int a5 = aRow + Math.min(5, mr - 1) * aRs;
            FloatVector c0 = FloatVector.zero(FS), c1 = FloatVector.zero(FS), c2 = FloatVector.zero(FS);
            FloatVector c3 = FloatVector.zero(FS), c4 = FloatVector.zero(FS), c5 = FloatVector.zero(FS);
            if (aCs == 1) {
                // A's rows contiguous: indexes linear in the loop counter, and two steps of k per pass
                // (fewer instructions per step: dY W at 128x10x100 took 8.2-8.6 us, now 6.0-6.3). Each
                // accumulator still adds its products in the order of k, so the bits do not change.
                // The loop runs to kc rounded down to even, a limit its counter is compared with
                // directly, so that C2 moves the range checks of A's reads out of it (it kept all
                // twelve per pass for "p + 1 < kc": 500x13x20 took 5.2 us, now 5.0). The odd last
                // step is written out: letting the strided loop below take it made C2 compile this
                // method twice as slow.
                int p = 0, pb = bBase, pairs = kc & ~1;
                for (; p < pairs; p += 2, pb += 2 * bRs) {
                    FloatVector b0 = FloatVector.fromArray(FS, b, pb);
                    FloatVector b1 = FloatVector.fromArray(FS, b, pb + bRs);
                    c0 = b1.fma(FloatVector.broadcast(FS, a[a0 + p + 1]), b0.fma(FloatVector.broadcast(FS, a[a0 + p]), c0));
                    c1 = b1.fma(FloatVector.broadcast(FS, a[a1 + p + 1]), b0.fma(FloatVector.broadcast(FS, a[a1 + p]), c1));
                    c2 = b1.fma(FloatVector.broadcast(FS, a[a2 + p + 1]), b0.fma(FloatVector.broadcast(FS, a[a2 + p]), c2));
                    c3 = b1.fma(FloatVector.broadcast(FS, a[a3 + p + 1]), b0.fma(FloatVector.broadcast(FS, a[a3 + p]), c3));
                    c4 = b1.fma(FloatVector.broadcast(FS, a[a4 + p + 1]), b0.fma(FloatVector.broadcast(FS, a[a4 + p]), c4));
                    c5 = b1.fma(FloatVector.broadcast(FS, a[a5 + p + 1]), b0.fma(FloatVector.broadcast(FS, a[a5 + p]), c5));
                }
                if (p < kc) {
                    FloatVector b0 = FloatVector.fromArray(FS, b, pb);
                    c0 = b0.fma(FloatVector.broadcast(FS, a[a0 + p]), c0);
                    c1 = b0.fma(FloatVector.broadcast(FS, a[a1 + p]), c1);
                    c2 = b0.fma(FloatVector.broadcast(FS, a[a2 + p]), c2);
                    c3 = b0.fma(FloatVector.broadcast(FS, a[a3 + p]), c3);
                    c4 = b0.fma(FloatVector.broadcast(FS, a[a4 + p]), c4);
                    c5 = b0.fma(FloatVector.broadcast(FS, a[a5 + p]), c5);
                }
            } else {
                for (int p = 0, pa = 0, pb = bBase; p < kc; p++, pa += aCs, pb += bRs) {
                    FloatVector b0 = FloatVector.fromArray(FS, b, pb);
                    c0 = b0.fma(FloatVector.broadcast(FS, a[a0 + pa]), c0);
                    c1 = b0.fma(FloatVector.broadcast(FS, a[a1 + pa]), c1);
                    c2 = b0.fma(FloatVector.broadcast(FS, a[a2 + pa]), c2);
                    c3 = b0.fma(FloatVector.broadcast(FS, a[a3 + pa]), c3);
                    c4 = b0.fma(FloatVector.broadcast(FS, a[a4 + pa]), c4);
                    c5 = b0.fma(FloatVector.broadcast(FS, a[a5 + pa]), c5);
                }
            }
            if (mr == MR && !accumulate && cRow + 5 * ldc + L <= c.length) {
                VectorMask<Float> lanes = FS.indexInRange(0, nr);
                c0.intoArray(c, cRow, lanes);
                c1.intoArray(c, cRow + ldc, lanes);
                c2.intoArray(c, cRow + 2 * ldc, lanes);
                c3.intoArray(c, cRow + 3 * ldc, lanes);
                c4.intoArray(c, cRow + 4 * ldc, lanes);
                c5.intoArray(c, cRow + 5 * ldc, lanes);
            } else {
                c0.intoArray(scratch, 0);
                c1.intoArray(scratch, NR);
                c2.intoArray(scratch, 2 * NR);
                c3.intoArray(scratch, 3 * NR);
                c4.intoArray(scratch, 4 * NR);
                c5.intoArray(scratch, 5 * NR);
                merge(scratch, c, cRow, ldc, mr, nr, accumulate);
            }
        }
    }

    /**
     * A packed sliver of B at most one vector wide against two packed slivers of A at once (at
     * aBase and aBase + sliverStride): 2 MR rows x one vector, for the ragged last columns of a
     * blocked product (the last 16 of 784 in dY W and in a weight gradient of 784 inputs). Six
     * rows give six chains of multiply-adds, fewer than the FMA units' latency times their number
     * (4 x 2), so the six-row tile waits on them: over one L1-resident block of 128 steps it ran at
     * 69 GFLOP/s, against 143 for a full tile; this one runs at 117. dY W for 784 inputs (2.1% more
     * work than for 768) took 2.0 to 2.8% longer than for 768 with it, 2.2 to 8.3% without. Each
     * accumulator adds its products in the order of k, as in {@link #stileNarrow}, so the bits do
     * not change.
     */
    private static void stileNarrowTall(int kc, float[] a, int aBase, int sliverStride, float[] b, int bBase,
                                        float[] c, int cBase, int ldc, int nr, boolean accumulate, float[] scratch) {
        int u = aBase + sliverStride;
        FloatVector c0 = FloatVector.zero(FS), c1 = FloatVector.zero(FS), c2 = FloatVector.zero(FS);
        FloatVector c3 = FloatVector.zero(FS), c4 = FloatVector.zero(FS), c5 = FloatVector.zero(FS);
        FloatVector c6 = FloatVector.zero(FS), c7 = FloatVector.zero(FS), c8 = FloatVector.zero(FS);
        FloatVector c9 = FloatVector.zero(FS), c10 = FloatVector.zero(FS), c11 = FloatVector.zero(FS);
        for (int p = 0; p < kc; p++) {
            int pa = aBase + p * MR, pu = u + p * MR;
            FloatVector b0 = FloatVector.fromArray(FS, b, bBase + p * NR);
            c0 = b0.fma(FloatVector.broadcast(FS, a[pa]), c0);
            c1 = b0.fma(FloatVector.broadcast(FS, a[pa + 1]), c1);
            c2 = b0.fma(FloatVector.broadcast(FS, a[pa + 2]), c2);
            c3 = b0.fma(FloatVector.broadcast(FS, a[pa + 3]), c3);
            c4 = b0.fma(FloatVector.broadcast(FS, a[pa + 4]), c4);
            c5 = b0.fma(FloatVector.broadcast(FS, a[pa + 5]), c5);
            c6 = b0.fma(FloatVector.broadcast(FS, a[pu]), c6);
            c7 = b0.fma(FloatVector.broadcast(FS, a[pu + 1]), c7);
            c8 = b0.fma(FloatVector.broadcast(FS, a[pu + 2]), c8);
            c9 = b0.fma(FloatVector.broadcast(FS, a[pu + 3]), c9);
            c10 = b0.fma(FloatVector.broadcast(FS, a[pu + 4]), c10);
            c11 = b0.fma(FloatVector.broadcast(FS, a[pu + 5]), c11);
        }
        // through the scratch tile: a method taking the vectors, when C2 does not inline it, boxes
        // them (a narrow tile that stored through one allocated 2.5 MB per three-class eager step)
        c0.intoArray(scratch, 0);
        c1.intoArray(scratch, NR);
        c2.intoArray(scratch, 2 * NR);
        c3.intoArray(scratch, 3 * NR);
        c4.intoArray(scratch, 4 * NR);
        c5.intoArray(scratch, 5 * NR);
        merge(scratch, c, cBase, ldc, MR, nr, accumulate);
        c6.intoArray(scratch, 0);
        c7.intoArray(scratch, NR);
        c8.intoArray(scratch, 2 * NR);
        c9.intoArray(scratch, 3 * NR);
        c10.intoArray(scratch, 4 * NR);
        c11.intoArray(scratch, 5 * NR);
        merge(scratch, c, cBase + MR * ldc, ldc, MR, nr, accumulate);
    }

    /**
     * As {@link #stileDirect}, two vectors wide: a tile of at most MR rows x 2L columns, for the last
     * columns of a product when they need more than one vector and fewer than NR, where the full tile
     * would spend half or more of its multiply-adds on lanes that are never stored (a 13 x 20
     * gradient of a weight, 20 columns). B's rows are read 2L wide.
     */
    private static void stileHalf(int kc, float[] a, int aBase, int aRs, int aCs, float[] b, int bBase, int bRs,
                                  float[] c, int cBase, int ldc, int mr, int nr, boolean accumulate, float[] scratch) {
        int a0 = aBase;
        int a1 = aBase + Math.min(1, mr - 1) * aRs;
        int a2 = aBase + Math.min(2, mr - 1) * aRs;
        int a3 = aBase + Math.min(3, mr - 1) * aRs;
        int a4 = aBase + Math.min(4, mr - 1) * aRs;
        int a5 = aBase + Math.min(5, mr - 1) * aRs;
        FloatVector c00 = FloatVector.zero(FS), c01 = FloatVector.zero(FS), c10 = FloatVector.zero(FS), c11 = FloatVector.zero(FS);
        FloatVector c20 = FloatVector.zero(FS), c21 = FloatVector.zero(FS), c30 = FloatVector.zero(FS), c31 = FloatVector.zero(FS);
        FloatVector c40 = FloatVector.zero(FS), c41 = FloatVector.zero(FS), c50 = FloatVector.zero(FS), c51 = FloatVector.zero(FS);
        for (int p = 0, pa = 0, pb = bBase; p < kc; p++, pa += aCs, pb += bRs) {
            FloatVector b0 = FloatVector.fromArray(FS, b, pb);
            FloatVector b1 = FloatVector.fromArray(FS, b, pb + L);
            FloatVector x0 = FloatVector.broadcast(FS, a[a0 + pa]);
            c00 = b0.fma(x0, c00);
            c01 = b1.fma(x0, c01);
            FloatVector x1 = FloatVector.broadcast(FS, a[a1 + pa]);
            c10 = b0.fma(x1, c10);
            c11 = b1.fma(x1, c11);
            FloatVector x2 = FloatVector.broadcast(FS, a[a2 + pa]);
            c20 = b0.fma(x2, c20);
            c21 = b1.fma(x2, c21);
            FloatVector x3 = FloatVector.broadcast(FS, a[a3 + pa]);
            c30 = b0.fma(x3, c30);
            c31 = b1.fma(x3, c31);
            FloatVector x4 = FloatVector.broadcast(FS, a[a4 + pa]);
            c40 = b0.fma(x4, c40);
            c41 = b1.fma(x4, c41);
            FloatVector x5 = FloatVector.broadcast(FS, a[a5 + pa]);
            c50 = b0.fma(x5, c50);
            c51 = b1.fma(x5, c51);
        }
        if (mr == MR && !accumulate && cBase + 5 * ldc + 2 * L <= c.length) {
            // the second vector through a lane mask, as stileNarrow stores its one
            VectorMask<Float> lanes = FS.indexInRange(L, nr);
            c00.intoArray(c, cBase);
            c01.intoArray(c, cBase + L, lanes);
            c10.intoArray(c, cBase + ldc);
            c11.intoArray(c, cBase + ldc + L, lanes);
            c20.intoArray(c, cBase + 2 * ldc);
            c21.intoArray(c, cBase + 2 * ldc + L, lanes);
            c30.intoArray(c, cBase + 3 * ldc);
            c31.intoArray(c, cBase + 3 * ldc + L, lanes);
            c40.intoArray(c, cBase + 4 * ldc);
            c41.intoArray(c, cBase + 4 * ldc + L, lanes);
            c50.intoArray(c, cBase + 5 * ldc);
            c51.intoArray(c, cBase + 5 * ldc + L, lanes);
            return;
        }
        c00.intoArray(scratch, 0 * NR);
        c01.intoArray(scratch, 0 * NR + L);
        c10.intoArray(scratch, 1 * NR);
        c11.intoArray(scratch, 1 * NR + L);
        c20.intoArray(scratch, 2 * NR);
        c21.intoArray(scratch, 2 * NR + L);
        c30.intoArray(scratch, 3 * NR);
        c31.intoArray(scratch, 3 * NR + L);
        c40.intoArray(scratch, 4 * NR);
        c41.intoArray(scratch, 4 * NR + L);
        c50.intoArray(scratch, 5 * NR);
        c51.intoArray(scratch, 5 * NR + L);
        merge(scratch, c, cBase, ldc, mr, nr, accumulate);
    }

    /**
     * The micro-kernel for a tile three vectors wide (2L < nr <= 3L): MR rows x three vectors, so that
     * the 33 to 48 columns left after whole tiles (100 = 64 + 36) do not spend a fourth vector's FMAs
     * on columns that are never stored. As {@link #stileHalf}, with the third vector stored through a
     * lane mask; each element's sum runs in the order of k as in every tile, so the bits are those
     * of the four-vector tile.
     */
    private static void stileThreeQuarters(int kc, float[] a, int aBase, int aRs, int aCs, float[] b, int bBase,
                                           int bRs, float[] c, int cBase, int ldc, int mr, int nr,
                                           boolean accumulate, float[] scratch) {
        int a0 = aBase;
        int a1 = aBase + Math.min(1, mr - 1) * aRs;
        int a2 = aBase + Math.min(2, mr - 1) * aRs;
        int a3 = aBase + Math.min(3, mr - 1) * aRs;
        int a4 = aBase + Math.min(4, mr - 1) * aRs;
        int a5 = aBase + Math.min(5, mr - 1) * aRs;
        FloatVector c00 = FloatVector.zero(FS), c01 = FloatVector.zero(FS), c02 = FloatVector.zero(FS);
        FloatVector c10 = FloatVector.zero(FS), c11 = FloatVector.zero(FS), c12 = FloatVector.zero(FS);
        FloatVector c20 = FloatVector.zero(FS), c21 = FloatVector.zero(FS), c22 = FloatVector.zero(FS);
        FloatVector c30 = FloatVector.zero(FS), c31 = FloatVector.zero(FS), c32 = FloatVector.zero(FS);
        FloatVector c40 = FloatVector.zero(FS), c41 = FloatVector.zero(FS), c42 = FloatVector.zero(FS);
        FloatVector c50 = FloatVector.zero(FS), c51 = FloatVector.zero(FS), c52 = FloatVector.zero(FS);
        if (aRs == 1 && aCs == MR && bRs == NR) {
            // Packed slivers (the last 33 to 48 columns of a blocked product): the same loop with
            // constant strides, from which C2 takes the bounds checks out. With the strides in
            // variables it checks all nine reads on every step, and this tile took 92% of the time of
            // a four-vector one instead of 75% (64 x 100 x 1000 with B = W^T: 96 -> 102 GFLOP/s).
            for (int p = 0; p < kc; p++) {
                int pa = p * MR, pb = bBase + p * NR;
                FloatVector b0 = FloatVector.fromArray(FS, b, pb);
                FloatVector b1 = FloatVector.fromArray(FS, b, pb + L);
                FloatVector b2 = FloatVector.fromArray(FS, b, pb + 2 * L);
                FloatVector x = FloatVector.broadcast(FS, a[a0 + pa]);
                c00 = b0.fma(x, c00);
                c01 = b1.fma(x, c01);
                c02 = b2.fma(x, c02);
                x = FloatVector.broadcast(FS, a[a1 + pa]);
                c10 = b0.fma(x, c10);
                c11 = b1.fma(x, c11);
                c12 = b2.fma(x, c12);
                x = FloatVector.broadcast(FS, a[a2 + pa]);
                c20 = b0.fma(x, c20);
                c21 = b1.fma(x, c21);
                c22 = b2.fma(x, c22);
                x = FloatVector.broadcast(FS, a[a3 + pa]);
                c30 = b0.fma(x, c30);
                c31 = b1.fma(x, c31);
                c32 = b2.fma(x, c32);
                x = FloatVector.broadcast(FS, a[a4 + pa]);
                c40 = b0.fma(x, c40);
                c41 = b1.fma(x, c41);
                c42 = b2.fma(x, c42);
                x = FloatVector.broadcast(FS, a[a5 + pa]);
                c50 = b0.fma(x, c50);
                c51 = b1.fma(x, c51);
                c52 = b2.fma(x, c52);
            }
        } else {
            for (int p = 0, pa = 0, pb = bBase; p < kc; p++, pa += aCs, pb += bRs) {
                FloatVector b0 = FloatVector.fromArray(FS, b, pb);
                FloatVector b1 = FloatVector.fromArray(FS, b, pb + L);
                FloatVector b2 = FloatVector.fromArray(FS, b, pb + 2 * L);
                FloatVector x = FloatVector.broadcast(FS, a[a0 + pa]);
                c00 = b0.fma(x, c00);
                c01 = b1.fma(x, c01);
                c02 = b2.fma(x, c02);
                x = FloatVector.broadcast(FS, a[a1 + pa]);
                c10 = b0.fma(x, c10);
                c11 = b1.fma(x, c11);
                c12 = b2.fma(x, c12);
                x = FloatVector.broadcast(FS, a[a2 + pa]);
                c20 = b0.fma(x, c20);
                c21 = b1.fma(x, c21);
                c22 = b2.fma(x, c22);
                x = FloatVector.broadcast(FS, a[a3 + pa]);
                c30 = b0.fma(x, c30);
                c31 = b1.fma(x, c31);
                c32 = b2.fma(x, c32);
                x = FloatVector.broadcast(FS, a[a4 + pa]);
                c40 = b0.fma(x, c40);
                c41 = b1.fma(x, c41);
                c42 = b2.fma(x, c42);
                x = FloatVector.broadcast(FS, a[a5 + pa]);
                c50 = b0.fma(x, c50);
                c51 = b1.fma(x, c51);
                c52 = b2.fma(x, c52);
            }
        }
        if (mr == MR && !accumulate && cBase + 5 * ldc + 3 * L <= c.length) {
            VectorMask<Float> lanes = FS.indexInRange(2 * L, nr);
            c00.intoArray(c, cBase);
            c01.intoArray(c, cBase + L);
            c02.intoArray(c, cBase + 2 * L, lanes);
            c10.intoArray(c, cBase + ldc);
            c11.intoArray(c, cBase + ldc + L);
            c12.intoArray(c, cBase + ldc + 2 * L, lanes);
            c20.intoArray(c, cBase + 2 * ldc);
            c21.intoArray(c, cBase + 2 * ldc + L);
            c22.intoArray(c, cBase + 2 * ldc + 2 * L, lanes);
            c30.intoArray(c, cBase + 3 * ldc);
            c31.intoArray(c, cBase + 3 * ldc + L);
            c32.intoArray(c, cBase + 3 * ldc + 2 * L, lanes);
            c40.intoArray(c, cBase + 4 * ldc);
            c41.intoArray(c, cBase + 4 * ldc + L);
            c42.intoArray(c, cBase + 4 * ldc + 2 * L, lanes);
            c50.intoArray(c, cBase + 5 * ldc);
            c51.intoArray(c, cBase + 5 * ldc + L);
            c52.intoArray(c, cBase + 5 * ldc + 2 * L, lanes);
            return;
        }
        c00.intoArray(scratch, 0);
        c01.intoArray(scratch, L);
        c02.intoArray(scratch, 2 * L);
        c10.intoArray(scratch, NR);
        c11.intoArray(scratch, NR + L);
        c12.intoArray(scratch, NR + 2 * L);
        c20.intoArray(scratch, 2 * NR);
        c21.intoArray(scratch, 2 * NR + L);
        c22.intoArray(scratch, 2 * NR + 2 * L);
        c30.intoArray(scratch, 3 * NR);
        c31.intoArray(scratch, 3 * NR + L);
        c32.intoArray(scratch, 3 * NR + 2 * L);
        c40.intoArray(scratch, 4 * NR);
        c41.intoArray(scratch, 4 * NR + L);
        c42.intoArray(scratch, 4 * NR + 2 * L);
        c50.intoArray(scratch, 5 * NR);
        c51.intoArray(scratch, 5 * NR + L);
        c52.intoArray(scratch, 5 * NR + 2 * L);
        merge(scratch, c, cBase, ldc, mr, nr, accumulate);
    }

    /**
     * {@link #stileNarrow} for the last mr <= MR / 2 rows of a product: three accumulators instead of
     * six, so that the last row of a weight gradient (13 = 6 + 6 + 1 rows over k = 500) does not cost
     * six rows' multiply-adds. Rows past mr repeat the last; the tile goes into C through scratch.
     * Each element is the same chain of multiply-adds as in the full tile, so the bits do not change.
     */
    private static void stileNarrowShort(int kc, float[] a, int aBase, int aRs, int aCs, float[] b, int bBase,
                                         int bRs, float[] c, int cBase, int ldc, int mr, int nr, boolean accumulate,
                                         float[] scratch) {
        int a0 = aBase;
        int a1 = aBase + Math.min(1, mr - 1) * aRs;
        int a2 = aBase + Math.min(2, mr - 1) * aRs;
        FloatVector c0 = FloatVector.zero(FS), c1 = FloatVector.zero(FS), c2 = FloatVector.zero(FS);
        for (int p = 0, pa = 0, pb = bBase; p < kc; p++, pa += aCs, pb += bRs) {
            FloatVector b0 = FloatVector.fromArray(FS, b, pb);
            c0 = b0.fma(FloatVector.broadcast(FS, a[a0 + pa]), c0);
            c1 = b0.fma(FloatVector.broadcast(FS, a[a1 + pa]), c1);
            c2 = b0.fma(FloatVector.broadcast(FS, a[a2 + pa]), c2);
        }
        c0.intoArray(scratch, 0);
        c1.intoArray(scratch, NR);
        c2.intoArray(scratch, 2 * NR);
        merge(scratch, c, cBase, ldc, mr, nr, accumulate);
    }

    /** {@link #stileHalf} for the last mr <= MR / 2 rows of a product, as {@link #stileNarrowShort} is for {@link #stileNarrow}. */
    private static void stileHalfShort(int kc, float[] a, int aBase, int aRs, int aCs, float[] b, int bBase,
                                       int bRs, float[] c, int cBase, int ldc, int mr, int nr, boolean accumulate,
                                       float[] scratch) {
        int a0 = aBase;
        int a1 = aBase + Math.min(1, mr - 1) * aRs;
        int a2 = aBase + Math.min(2, mr - 1) * aRs;
        FloatVector c00 = FloatVector.zero(FS), c01 = FloatVector.zero(FS), c10 = FloatVector.zero(FS);
        FloatVector c11 = FloatVector.zero(FS), c20 = FloatVector.zero(FS), c21 = FloatVector.zero(FS);
        for (int p = 0, pa = 0, pb = bBase; p < kc; p++, pa += aCs, pb += bRs) {
            FloatVector b0 = FloatVector.fromArray(FS, b, pb);
            FloatVector b1 = FloatVector.fromArray(FS, b, pb + L);
            FloatVector x0 = FloatVector.broadcast(FS, a[a0 + pa]);
            c00 = b0.fma(x0, c00);
            c01 = b1.fma(x0, c01);
            FloatVector x1 = FloatVector.broadcast(FS, a[a1 + pa]);
            c10 = b0.fma(x1, c10);
            c11 = b1.fma(x1, c11);
            FloatVector x2 = FloatVector.broadcast(FS, a[a2 + pa]);
            c20 = b0.fma(x2, c20);
            c21 = b1.fma(x2, c21);
        }
        c00.intoArray(scratch, 0);
        c01.intoArray(scratch, L);
        c10.intoArray(scratch, NR);
        c11.intoArray(scratch, NR + L);
        c20.intoArray(scratch, 2 * NR);
        c21.intoArray(scratch, 2 * NR + L);
        merge(scratch, c, cBase, ldc, mr, nr, accumulate);
    }

    /**
     * Copies the mr x nr corner of a tile held in {@code scratch} (row stride NR) into C, or adds it
     * to C when {@code accumulate}: edge tiles, and k blocks after the first of edge tiles.
     */
    static void merge(float[] scratch, float[] c, int cBase, int ldc, int mr, int nr, boolean accumulate) {
        int whole = nr - nr % L;
        for (int i = 0; i < mr; i++) {
            int row = cBase + i * ldc, s = i * NR;
            for (int j = 0; j < whole; j += L) {
                FloatVector v = FloatVector.fromArray(FS, scratch, s + j);
                if (accumulate) {
                    v = v.add(FloatVector.fromArray(FS, c, row + j));
                }
                v.intoArray(c, row + j);
            }
            // The last partial vector element by element: cheaper here than a masked store, which
            // also leaves the fast path near the end of the array.
            for (int j = whole; j < nr; j++) {
                c[row + j] = accumulate ? c[row + j] + scratch[s + j] : scratch[s + j];
            }
        }
    }

    // ---------------------------------------------------------------------------------------------
    // DGEMM: the same scheme on doubles, tiles of MR x DNR, blocks of DKC.

    @Override
    public void dgemm(int m, int n, int k,
                      double[] a, int aOff, int aRs, int aCs,
                      double[] b, int bOff, int bRs, int bCs,
                      double[] c, int cOff, int ldc) {
        if (m <= 0 || n <= 0) {
            return;
        }
        if (k <= 0) {
            for (int i = 0; i < m; i++) {
                Arrays.fill(c, cOff + i * ldc, cOff + i * ldc + n, 0.0);
            }
            return;
        }
        if (n == 1) {
            bCs = 1;
        }
        int kc = blockDepth(k, DKC);
        if (bCs == 1 && (k <= DIRECT_MAX_K || (long) m * n * k <= DIRECT_MAX)) {
            dgemmDirect(m, n, k, kc, a, aOff, aRs, aCs, b, bOff, bRs, c, cOff, ldc);
        } else {
            dgemmBlocked(m, n, k, kc, a, aOff, aRs, aCs, b, bOff, bRs, bCs, c, cOff, ldc);
        }
    }

    private static void dgemmDirect(int m, int n, int k, int kcMax,
                                    double[] a, int aOff, int aRs, int aCs,
                                    double[] b, int bOff, int bRs,
                                    double[] c, int cOff, int ldc) {
        Buffers buffers = BUFFERS.get();
        double[] scratch = buffers.dscratch;
        int nFull = n - n % DNR;
        double[] edge = nFull < n ? buffers.db(kcMax * DNR) : null;
        for (int pc = 0; pc < k; pc += kcMax) {
            int kc = Math.min(kcMax, k - pc);
            boolean accumulate = pc > 0;
            for (int j0 = 0; j0 < nFull; j0 += DNR) {
                for (int i0 = 0; i0 < m; i0 += MR) {
                    int mr = Math.min(MR, m - i0);
                    dtileDirect(kc, a, aOff + i0 * aRs + pc * aCs, aRs, aCs, b, bOff + pc * bRs + j0, bRs,
                            c, cOff + i0 * ldc + j0, ldc, mr, DNR, accumulate, scratch);
                }
            }
            if (nFull < n) {
                // The last nr columns, as in sgemmDirect: near B's end, a tile reads a copy.
                int nr = n - nFull;
                double[] bEdge = b;
                int bEdgeOff = bOff + pc * bRs + nFull, bEdgeRs = bRs;
                if (bEdgeOff + (kc - 1) * bRs + (nr <= DL ? DL : DNR) > b.length) {
                    if (bRs == nr) {
                        System.arraycopy(b, bEdgeOff, edge, 0, kc * nr);
                    } else {
                        bEdgeRs = DNR;
                        for (int p = 0; p < kc; p++) {
                            System.arraycopy(b, bEdgeOff + p * bRs, edge, p * DNR, nr);
                        }
                    }
                    bEdge = edge;
                    bEdgeOff = 0;
                }
                for (int i0 = 0; i0 < m; i0 += MR) {
                    int mr = Math.min(MR, m - i0);
                    dtileEdge(kc, a, aOff + i0 * aRs + pc * aCs, aRs, aCs, bEdge, bEdgeOff, bEdgeRs,
                            c, cOff + i0 * ldc + nFull, ldc, mr, nr, accumulate, scratch);
                }
            }
        }
    }

    /** As {@link #stileEdge}, on doubles. */
    private static void dtileEdge(int kc, double[] a, int aBase, int aRs, int aCs, double[] b, int bBase, int bRs,
                                  double[] c, int cBase, int ldc, int mr, int nr, boolean accumulate, double[] scratch) {
        if (nr <= DL) {
            dtileNarrow(kc, a, aBase, aRs, aCs, b, bBase, bRs, c, cBase, ldc, mr, nr, accumulate, scratch);
        } else {
            dtileDirect(kc, a, aBase, aRs, aCs, b, bBase, bRs, c, cBase, ldc, mr, nr, accumulate, scratch);
        }
    }

    private static void dgemmBlocked(int m, int n, int k, int kcMax,
                                     double[] a, int aOff, int aRs, int aCs,
                                     double[] b, int bOff, int bRs, int bCs,
                                     double[] c, int cOff, int ldc) {
        Buffers buffers = BUFFERS.get();
        double[] bp = buffers.db(kcMax * roundUp(Math.min(NC, n), DNR));
        boolean small = (long) m * n * k <= DIRECT_MAX;
        double[] ap = small ? null : buffers.da(kcMax * roundUp(Math.min(MC, m), MR));
        double[] scratch = buffers.dscratch;
        for (int jc = 0; jc < n; jc += NC) {
            int nc = Math.min(NC, n - jc);
            for (int pc = 0; pc < k; pc += kcMax) {
                int kc = Math.min(kcMax, k - pc);
                boolean accumulate = pc > 0;
                packB(kc, nc, b, bOff + pc * bRs + jc * bCs, bRs, bCs, bp);
                if (small) {
                    // B packed, A read in place: tiles step through A by its strides.
                    for (int jr = 0; jr < nc; jr += DNR) {
                        int nr = Math.min(DNR, nc - jr);
                        for (int i0 = 0; i0 < m; i0 += MR) {
                            int mr = Math.min(MR, m - i0);
                            int aBase = aOff + i0 * aRs + pc * aCs, cBase = cOff + jc + jr + i0 * ldc;
                            dtileEdge(kc, a, aBase, aRs, aCs, bp, jr * kc, DNR, c, cBase, ldc, mr, nr, accumulate, scratch);
                        }
                    }
                    continue;
                }
                for (int ic = 0; ic < m; ic += MC) {
                    int mc = Math.min(MC, m - ic);
                    packA(mc, kc, a, aOff + ic * aRs + pc * aCs, aRs, aCs, ap);
                    for (int jr = 0; jr < nc; jr += DNR) {
                        int nr = Math.min(DNR, nc - jr);
                        int cCol = cOff + jc + jr;
                        for (int ir = 0; ir < mc; ir += MR) {
                            int mr = Math.min(MR, mc - ir);
                            int cBase = cCol + (ic + ir) * ldc;
                            if (nr <= DL) {
                                dtileNarrow(kc, ap, ir * kc, 1, MR, bp, jr * kc, DNR, c, cBase, ldc, mr, nr, accumulate,
                                        scratch);
                            } else {
                                dtilePacked(kc, ap, ir * kc, bp, jr * kc, c, cBase, ldc, mr, nr, accumulate, scratch);
                            }
                        }
                    }
                }
            }
        }
    }

    /** As {@link #packB(int, int, float[], int, int, int, float[], Buffers)}, slivers of DNR columns. */
    private static void packB(int kc, int nc, double[] b, int base, int bRs, int bCs, double[] bp) {
        for (int jr = 0; jr < nc; jr += DNR) {
            int nr = Math.min(DNR, nc - jr);
            int dst = jr * kc;
            if (bCs == 1 && nr == DNR) {
                for (int p = 0, src = base + jr; p < kc; p++, src += bRs, dst += DNR) {
                    DoubleVector.fromArray(DS, b, src).intoArray(bp, dst);
                    DoubleVector.fromArray(DS, b, src + DL).intoArray(bp, dst + DL);
                    DoubleVector.fromArray(DS, b, src + 2 * DL).intoArray(bp, dst + 2 * DL);
                    DoubleVector.fromArray(DS, b, src + 3 * DL).intoArray(bp, dst + 3 * DL);
                }
            } else if (bCs == 1) {
                for (int p = 0, src = base + jr; p < kc; p++, src += bRs, dst += DNR) {
                    System.arraycopy(b, src, bp, dst, nr);
                    Arrays.fill(bp, dst + nr, dst + DNR, 0.0);
                }
            } else {
                if (nr < DNR) {
                    Arrays.fill(bp, dst, dst + kc * DNR, 0.0);
                }
                // B transposed: a column of B is contiguous. A block of 16 rows of the sliver at a time,
                // so that the rows being written stay in L1 while every column is read down 16 steps.
                for (int p0 = 0; p0 < kc; p0 += 16) {
                    int p1 = Math.min(kc, p0 + 16);
                    for (int j = 0; j < nr; j++) {
                        int src = base + (jr + j) * bCs + p0 * bRs, d = dst + p0 * DNR + j;
                        for (int p = p0; p < p1; p++, src += bRs, d += DNR) {
                            bp[d] = b[src];
                        }
                    }
                }
            }
        }
    }

    /** As {@link #packA(int, int, float[], int, int, int, float[])}. */
    private static void packA(int mc, int kc, double[] a, int base, int aRs, int aCs, double[] ap) {
        for (int ir = 0; ir < mc; ir += MR) {
            int mr = Math.min(MR, mc - ir);
            int dst = ir * kc;
            if (mr < MR) {
                Arrays.fill(ap, dst, dst + kc * MR, 0.0);
            }
            int rows = base + ir * aRs;
            if (Math.abs(aRs) < Math.abs(aCs)) {
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

    /** As {@link #stilePacked}, on doubles (B(p, j) at {@code b[bBase + p DNR + j]}). */
    private static void dtilePacked(int kc, double[] a, int aBase, double[] b, int bBase,
                                    double[] c, int cBase, int ldc, int mr, int nr, boolean accumulate, double[] scratch) {
        int a0 = aBase, a1 = aBase + 1, a2 = aBase + 2, a3 = aBase + 3, a4 = aBase + 4, a5 = aBase + 5;
        DoubleVector c00 = DoubleVector.zero(DS), c01 = DoubleVector.zero(DS), c02 = DoubleVector.zero(DS), c03 = DoubleVector.zero(DS);
        DoubleVector c10 = DoubleVector.zero(DS), c11 = DoubleVector.zero(DS), c12 = DoubleVector.zero(DS), c13 = DoubleVector.zero(DS);
        DoubleVector c20 = DoubleVector.zero(DS), c21 = DoubleVector.zero(DS), c22 = DoubleVector.zero(DS), c23 = DoubleVector.zero(DS);
        DoubleVector c30 = DoubleVector.zero(DS), c31 = DoubleVector.zero(DS), c32 = DoubleVector.zero(DS), c33 = DoubleVector.zero(DS);
        DoubleVector c40 = DoubleVector.zero(DS), c41 = DoubleVector.zero(DS), c42 = DoubleVector.zero(DS), c43 = DoubleVector.zero(DS);
        DoubleVector c50 = DoubleVector.zero(DS), c51 = DoubleVector.zero(DS), c52 = DoubleVector.zero(DS), c53 = DoubleVector.zero(DS);
        for (int p = 0; p < kc; p++) {
            int pa = p * MR, pb = bBase + p * DNR;
                DoubleVector b0 = DoubleVector.fromArray(DS, b, pb);
                DoubleVector b1 = DoubleVector.fromArray(DS, b, pb + DL);
                DoubleVector b2 = DoubleVector.fromArray(DS, b, pb + 2 * DL);
                DoubleVector b3 = DoubleVector.fromArray(DS, b, pb + 3 * DL);
                DoubleVector x = DoubleVector.broadcast(DS, a[a0 + pa]);
                c00 = b0.fma(x, c00);
                c01 = b1.fma(x, c01);
                c02 = b2.fma(x, c02);
                c03 = b3.fma(x, c03);
                x = DoubleVector.broadcast(DS, a[a1 + pa]);
                c10 = b0.fma(x, c10);
                c11 = b1.fma(x, c11);
                c12 = b2.fma(x, c12);
                c13 = b3.fma(x, c13);
                x = DoubleVector.broadcast(DS, a[a2 + pa]);
                c20 = b0.fma(x, c20);
                c21 = b1.fma(x, c21);
                c22 = b2.fma(x, c22);
                c23 = b3.fma(x, c23);
                x = DoubleVector.broadcast(DS, a[a3 + pa]);
                c30 = b0.fma(x, c30);
                c31 = b1.fma(x, c31);
                c32 = b2.fma(x, c32);
                c33 = b3.fma(x, c33);
                x = DoubleVector.broadcast(DS, a[a4 + pa]);
                c40 = b0.fma(x, c40);
                c41 = b1.fma(x, c41);
                c42 = b2.fma(x, c42);
                c43 = b3.fma(x, c43);
                x = DoubleVector.broadcast(DS, a[a5 + pa]);
                c50 = b0.fma(x, c50);
                c51 = b1.fma(x, c51);
                c52 = b2.fma(x, c52);
                c53 = b3.fma(x, c53);
        }
        int r0 = cBase, r1 = r0 + ldc, r2 = r1 + ldc, r3 = r2 + ldc, r4 = r3 + ldc, r5 = r4 + ldc;
        if (mr == MR && nr == DNR) {
            if (accumulate) {
                c00 = c00.add(DoubleVector.fromArray(DS, c, r0));
                c01 = c01.add(DoubleVector.fromArray(DS, c, r0 + DL));
                c02 = c02.add(DoubleVector.fromArray(DS, c, r0 + 2 * DL));
                c03 = c03.add(DoubleVector.fromArray(DS, c, r0 + 3 * DL));
                c10 = c10.add(DoubleVector.fromArray(DS, c, r1));
                c11 = c11.add(DoubleVector.fromArray(DS, c, r1 + DL));
                c12 = c12.add(DoubleVector.fromArray(DS, c, r1 + 2 * DL));
                c13 = c13.add(DoubleVector.fromArray(DS, c, r1 + 3 * DL));
                c20 = c20.add(DoubleVector.fromArray(DS, c, r2));
                c21 = c21.add(DoubleVector.fromArray(DS, c, r2 + DL));
                c22 = c22.add(DoubleVector.fromArray(DS, c, r2 + 2 * DL));
                c23 = c23.add(DoubleVector.fromArray(DS, c, r2 + 3 * DL));
                c30 = c30.add(DoubleVector.fromArray(DS, c, r3));
                c31 = c31.add(DoubleVector.fromArray(DS, c, r3 + DL));
                c32 = c32.add(DoubleVector.fromArray(DS, c, r3 + 2 * DL));
                c33 = c33.add(DoubleVector.fromArray(DS, c, r3 + 3 * DL));
                c40 = c40.add(DoubleVector.fromArray(DS, c, r4));
                c41 = c41.add(DoubleVector.fromArray(DS, c, r4 + DL));
                c42 = c42.add(DoubleVector.fromArray(DS, c, r4 + 2 * DL));
                c43 = c43.add(DoubleVector.fromArray(DS, c, r4 + 3 * DL));
                c50 = c50.add(DoubleVector.fromArray(DS, c, r5));
                c51 = c51.add(DoubleVector.fromArray(DS, c, r5 + DL));
                c52 = c52.add(DoubleVector.fromArray(DS, c, r5 + 2 * DL));
                c53 = c53.add(DoubleVector.fromArray(DS, c, r5 + 3 * DL));
            }
            c00.intoArray(c, r0);
            c01.intoArray(c, r0 + DL);
            c02.intoArray(c, r0 + 2 * DL);
            c03.intoArray(c, r0 + 3 * DL);
            c10.intoArray(c, r1);
            c11.intoArray(c, r1 + DL);
            c12.intoArray(c, r1 + 2 * DL);
            c13.intoArray(c, r1 + 3 * DL);
            c20.intoArray(c, r2);
            c21.intoArray(c, r2 + DL);
            c22.intoArray(c, r2 + 2 * DL);
            c23.intoArray(c, r2 + 3 * DL);
            c30.intoArray(c, r3);
            c31.intoArray(c, r3 + DL);
            c32.intoArray(c, r3 + 2 * DL);
            c33.intoArray(c, r3 + 3 * DL);
            c40.intoArray(c, r4);
            c41.intoArray(c, r4 + DL);
            c42.intoArray(c, r4 + 2 * DL);
            c43.intoArray(c, r4 + 3 * DL);
            c50.intoArray(c, r5);
            c51.intoArray(c, r5 + DL);
            c52.intoArray(c, r5 + 2 * DL);
            c53.intoArray(c, r5 + 3 * DL);
        } else {
            c00.intoArray(scratch, 0);
            c01.intoArray(scratch, 0 + DL);
            c02.intoArray(scratch, 0 + 2 * DL);
            c03.intoArray(scratch, 0 + 3 * DL);
            c10.intoArray(scratch, 1 * DNR);
            c11.intoArray(scratch, 1 * DNR + DL);
            c12.intoArray(scratch, 1 * DNR + 2 * DL);
            c13.intoArray(scratch, 1 * DNR + 3 * DL);
            c20.intoArray(scratch, 2 * DNR);
            c21.intoArray(scratch, 2 * DNR + DL);
            c22.intoArray(scratch, 2 * DNR + 2 * DL);
            c23.intoArray(scratch, 2 * DNR + 3 * DL);
            c30.intoArray(scratch, 3 * DNR);
            c31.intoArray(scratch, 3 * DNR + DL);
            c32.intoArray(scratch, 3 * DNR + 2 * DL);
            c33.intoArray(scratch, 3 * DNR + 3 * DL);
            c40.intoArray(scratch, 4 * DNR);
            c41.intoArray(scratch, 4 * DNR + DL);
            c42.intoArray(scratch, 4 * DNR + 2 * DL);
            c43.intoArray(scratch, 4 * DNR + 3 * DL);
            c50.intoArray(scratch, 5 * DNR);
            c51.intoArray(scratch, 5 * DNR + DL);
            c52.intoArray(scratch, 5 * DNR + 2 * DL);
            c53.intoArray(scratch, 5 * DNR + 3 * DL);
            merge(scratch, c, cBase, ldc, mr, nr, accumulate);
        }
    }

    /** As {@link #stileDirect}, on doubles. */
    private static void dtileDirect(int kc, double[] a, int aBase, int aRs, int aCs, double[] b, int bBase, int bRs,
                                    double[] c, int cBase, int ldc, int mr, int nr, boolean accumulate, double[] scratch) {
        int a0 = aBase;
        int a1 = aBase + Math.min(1, mr - 1) * aRs;
        int a2 = aBase + Math.min(2, mr - 1) * aRs;
        int a3 = aBase + Math.min(3, mr - 1) * aRs;
        int a4 = aBase + Math.min(4, mr - 1) * aRs;
        int a5 = aBase + Math.min(5, mr - 1) * aRs;
        DoubleVector c00 = DoubleVector.zero(DS), c01 = DoubleVector.zero(DS), c02 = DoubleVector.zero(DS), c03 = DoubleVector.zero(DS);
        DoubleVector c10 = DoubleVector.zero(DS), c11 = DoubleVector.zero(DS), c12 = DoubleVector.zero(DS), c13 = DoubleVector.zero(DS);
        DoubleVector c20 = DoubleVector.zero(DS), c21 = DoubleVector.zero(DS), c22 = DoubleVector.zero(DS), c23 = DoubleVector.zero(DS);
        DoubleVector c30 = DoubleVector.zero(DS), c31 = DoubleVector.zero(DS), c32 = DoubleVector.zero(DS), c33 = DoubleVector.zero(DS);
        DoubleVector c40 = DoubleVector.zero(DS), c41 = DoubleVector.zero(DS), c42 = DoubleVector.zero(DS), c43 = DoubleVector.zero(DS);
        DoubleVector c50 = DoubleVector.zero(DS), c51 = DoubleVector.zero(DS), c52 = DoubleVector.zero(DS), c53 = DoubleVector.zero(DS);
        for (int p = 0, pa = 0, pb = bBase; p < kc; p++, pa += aCs, pb += bRs) {
                DoubleVector b0 = DoubleVector.fromArray(DS, b, pb);
                DoubleVector b1 = DoubleVector.fromArray(DS, b, pb + DL);
                DoubleVector b2 = DoubleVector.fromArray(DS, b, pb + 2 * DL);
                DoubleVector b3 = DoubleVector.fromArray(DS, b, pb + 3 * DL);
                DoubleVector x = DoubleVector.broadcast(DS, a[a0 + pa]);
                c00 = b0.fma(x, c00);
                c01 = b1.fma(x, c01);
                c02 = b2.fma(x, c02);
                c03 = b3.fma(x, c03);
                x = DoubleVector.broadcast(DS, a[a1 + pa]);
                c10 = b0.fma(x, c10);
                c11 = b1.fma(x, c11);
                c12 = b2.fma(x, c12);
                c13 = b3.fma(x, c13);
                x = DoubleVector.broadcast(DS, a[a2 + pa]);
                c20 = b0.fma(x, c20);
                c21 = b1.fma(x, c21);
                c22 = b2.fma(x, c22);
                c23 = b3.fma(x, c23);
                x = DoubleVector.broadcast(DS, a[a3 + pa]);
                c30 = b0.fma(x, c30);
                c31 = b1.fma(x, c31);
                c32 = b2.fma(x, c32);
                c33 = b3.fma(x, c33);
                x = DoubleVector.broadcast(DS, a[a4 + pa]);
                c40 = b0.fma(x, c40);
                c41 = b1.fma(x, c41);
                c42 = b2.fma(x, c42);
                c43 = b3.fma(x, c43);
                x = DoubleVector.broadcast(DS, a[a5 + pa]);
                c50 = b0.fma(x, c50);
                c51 = b1.fma(x, c51);
                c52 = b2.fma(x, c52);
                c53 = b3.fma(x, c53);
        }
        int r0 = cBase, r1 = r0 + ldc, r2 = r1 + ldc, r3 = r2 + ldc, r4 = r3 + ldc, r5 = r4 + ldc;
        if (mr == MR && nr == DNR) {
            if (accumulate) {
                c00 = c00.add(DoubleVector.fromArray(DS, c, r0));
                c01 = c01.add(DoubleVector.fromArray(DS, c, r0 + DL));
                c02 = c02.add(DoubleVector.fromArray(DS, c, r0 + 2 * DL));
                c03 = c03.add(DoubleVector.fromArray(DS, c, r0 + 3 * DL));
                c10 = c10.add(DoubleVector.fromArray(DS, c, r1));
                c11 = c11.add(DoubleVector.fromArray(DS, c, r1 + DL));
                c12 = c12.add(DoubleVector.fromArray(DS, c, r1 + 2 * DL));
                c13 = c13.add(DoubleVector.fromArray(DS, c, r1 + 3 * DL));
                c20 = c20.add(DoubleVector.fromArray(DS, c, r2));
                c21 = c21.add(DoubleVector.fromArray(DS, c, r2 + DL));
                c22 = c22.add(DoubleVector.fromArray(DS, c, r2 + 2 * DL));
                c23 = c23.add(DoubleVector.fromArray(DS, c, r2 + 3 * DL));
                c30 = c30.add(DoubleVector.fromArray(DS, c, r3));
                c31 = c31.add(DoubleVector.fromArray(DS, c, r3 + DL));
                c32 = c32.add(DoubleVector.fromArray(DS, c, r3 + 2 * DL));
                c33 = c33.add(DoubleVector.fromArray(DS, c, r3 + 3 * DL));
                c40 = c40.add(DoubleVector.fromArray(DS, c, r4));
                c41 = c41.add(DoubleVector.fromArray(DS, c, r4 + DL));
                c42 = c42.add(DoubleVector.fromArray(DS, c, r4 + 2 * DL));
                c43 = c43.add(DoubleVector.fromArray(DS, c, r4 + 3 * DL));
                c50 = c50.add(DoubleVector.fromArray(DS, c, r5));
                c51 = c51.add(DoubleVector.fromArray(DS, c, r5 + DL));
                c52 = c52.add(DoubleVector.fromArray(DS, c, r5 + 2 * DL));
                c53 = c53.add(DoubleVector.fromArray(DS, c, r5 + 3 * DL));
            }
            c00.intoArray(c, r0);
            c01.intoArray(c, r0 + DL);
            c02.intoArray(c, r0 + 2 * DL);
            c03.intoArray(c, r0 + 3 * DL);
            c10.intoArray(c, r1);
            c11.intoArray(c, r1 + DL);
            c12.intoArray(c, r1 + 2 * DL);
            c13.intoArray(c, r1 + 3 * DL);
            c20.intoArray(c, r2);
            c21.intoArray(c, r2 + DL);
            c22.intoArray(c, r2 + 2 * DL);
            c23.intoArray(c, r2 + 3 * DL);
            c30.intoArray(c, r3);
            c31.intoArray(c, r3 + DL);
            c32.intoArray(c, r3 + 2 * DL);
            c33.intoArray(c, r3 + 3 * DL);
            c40.intoArray(c, r4);
            c41.intoArray(c, r4 + DL);
            c42.intoArray(c, r4 + 2 * DL);
            c43.intoArray(c, r4 + 3 * DL);
            c50.intoArray(c, r5);
            c51.intoArray(c, r5 + DL);
            c52.intoArray(c, r5 + 2 * DL);
            c53.intoArray(c, r5 + 3 * DL);
        } else {
            c00.intoArray(scratch, 0);
            c01.intoArray(scratch, 0 + DL);
            c02.intoArray(scratch, 0 + 2 * DL);
            c03.intoArray(scratch, 0 + 3 * DL);
            c10.intoArray(scratch, 1 * DNR);
            c11.intoArray(scratch, 1 * DNR + DL);
            c12.intoArray(scratch, 1 * DNR + 2 * DL);
            c13.intoArray(scratch, 1 * DNR + 3 * DL);
            c20.intoArray(scratch, 2 * DNR);
            c21.intoArray(scratch, 2 * DNR + DL);
            c22.intoArray(scratch, 2 * DNR + 2 * DL);
            c23.intoArray(scratch, 2 * DNR + 3 * DL);
            c30.intoArray(scratch, 3 * DNR);
            c31.intoArray(scratch, 3 * DNR + DL);
            c32.intoArray(scratch, 3 * DNR + 2 * DL);
            c33.intoArray(scratch, 3 * DNR + 3 * DL);
            c40.intoArray(scratch, 4 * DNR);
            c41.intoArray(scratch, 4 * DNR + DL);
            c42.intoArray(scratch, 4 * DNR + 2 * DL);
            c43.intoArray(scratch, 4 * DNR + 3 * DL);
            c50.intoArray(scratch, 5 * DNR);
            c51.intoArray(scratch, 5 * DNR + DL);
            c52.intoArray(scratch, 5 * DNR + 2 * DL);
            c53.intoArray(scratch, 5 * DNR + 3 * DL);
            merge(scratch, c, cBase, ldc, mr, nr, accumulate);
        }
    }

    /**
     * The micro-kernel for a tile at most one vector wide (nr <= DL): MR rows x one vector, so that a
     * product with few columns does not spend four vectors' FMAs on one vector's work. A(i, p) at
     * {@code a[aBase + i aRs + p aCs]}, B(p, j) at {@code b[bBase + p bRs + j]} (DL readable
     * readable elements per row); rows past mr repeat the last row and are not stored.
     */
    private static void dtileNarrow(int kc, double[] a, int aBase, int aRs, int aCs, double[] b, int bBase, int bRs,
                                    double[] c, int cBase, int ldc, int mr, int nr, boolean accumulate,
                                    double[] scratch) {
        int a0 = aBase;
        int a1 = aBase + Math.min(1, mr - 1) * aRs;
        int a2 = aBase + Math.min(2, mr - 1) * aRs;
        int a3 = aBase + Math.min(3, mr - 1) * aRs;
        int a4 = aBase + Math.min(4, mr - 1) * aRs;
        int a5 = aBase + Math.min(5, mr - 1) * aRs;
        DoubleVector c0 = DoubleVector.zero(DS), c1 = DoubleVector.zero(DS), c2 = DoubleVector.zero(DS);
        DoubleVector c3 = DoubleVector.zero(DS), c4 = DoubleVector.zero(DS), c5 = DoubleVector.zero(DS);
        for (int p = 0, pa = 0, pb = bBase; p < kc; p++, pa += aCs, pb += bRs) {
            DoubleVector b0 = DoubleVector.fromArray(DS, b, pb);
            c0 = b0.fma(DoubleVector.broadcast(DS, a[a0 + pa]), c0);
            c1 = b0.fma(DoubleVector.broadcast(DS, a[a1 + pa]), c1);
            c2 = b0.fma(DoubleVector.broadcast(DS, a[a2 + pa]), c2);
            c3 = b0.fma(DoubleVector.broadcast(DS, a[a3 + pa]), c3);
            c4 = b0.fma(DoubleVector.broadcast(DS, a[a4 + pa]), c4);
            c5 = b0.fma(DoubleVector.broadcast(DS, a[a5 + pa]), c5);
        }
        if (mr == MR && nr == DL && !accumulate) {
            c0.intoArray(c, cBase);
            c1.intoArray(c, cBase + ldc);
            c2.intoArray(c, cBase + 2 * ldc);
            c3.intoArray(c, cBase + 3 * ldc);
            c4.intoArray(c, cBase + 4 * ldc);
            c5.intoArray(c, cBase + 5 * ldc);
        } else {
            c0.intoArray(scratch, 0);
            c1.intoArray(scratch, DNR);
            c2.intoArray(scratch, 2 * DNR);
            c3.intoArray(scratch, 3 * DNR);
            c4.intoArray(scratch, 4 * DNR);
            c5.intoArray(scratch, 5 * DNR);
            merge(scratch, c, cBase, ldc, mr, nr, accumulate);
        }
    }

    /**
     * Copies the mr x nr corner of a tile held in {@code scratch} (row stride DNR) into C, or adds it
     * to C when {@code accumulate}: edge tiles, and k blocks after the first of edge tiles.
     */
    private static void merge(double[] scratch, double[] c, int cBase, int ldc, int mr, int nr, boolean accumulate) {
        int whole = nr - nr % DL;
        for (int i = 0; i < mr; i++) {
            int row = cBase + i * ldc, s = i * DNR;
            for (int j = 0; j < whole; j += DL) {
                DoubleVector v = DoubleVector.fromArray(DS, scratch, s + j);
                if (accumulate) {
                    v = v.add(DoubleVector.fromArray(DS, c, row + j));
                }
                v.intoArray(c, row + j);
            }
            // The last partial vector element by element: cheaper here than a masked store, which
            // also leaves the fast path near the end of the array.
            for (int j = whole; j < nr; j++) {
                c[row + j] = accumulate ? c[row + j] + scratch[s + j] : scratch[s + j];
            }
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Elementwise functions: whole vectors up to the loop bound, then the scalar kernels' own
    // definition for the tail. exp, log and tanh are the Vector API's lanewise operations (the JDK's
    // vector math library where it has one); sigmoid is 1 / (1 + e^-x), which saturates to 0 or 1
    // where e^-x overflows or vanishes.

    @Override
    public void unaryBackward(UnaryFunction f, float[] y, float[] g, float[] out, int n) {
        ScalarKernels.requireFromOutput(f);
        int parts = elementwiseParts(n);
        if (parts <= 1) {
            unaryBackward(f, y, g, out, 0, n);
            return;
        }
        Threads.run(parts, t -> unaryBackward(f, y, g, out, partStart(t, parts, n), partStart(t + 1, parts, n)));
    }

    @Override
    public void outerUnaryBackward(UnaryFunction f, float[] g, float[] w, float[] y, float[] out, int rows, int cols,
                                   float[] columnSums) {
        ScalarKernels.requireFromOutput(f);
        VectorRowKernels.backwardColumnSums(f, g, w, y, out, rows, cols, columnSums);
    }

    @Override
    public void unaryBackwardColumnSums(UnaryFunction f, float[] y, float[] g, float[] out, int rows, int cols,
                                        float[] columnSums) {
        ScalarKernels.requireFromOutput(f);
        VectorRowKernels.backwardColumnSums(f, g, null, y, out, rows, cols, columnSums);
    }

    /**
     * {@code g f'(y)} lane-wise from the output y: what {@link #unaryBackward} and the fused
     * backward passes compute for each element. Small enough for C2 to inline into their loops, as
     * {@link #apply} is. Relu blends on the sign of the output instead of branching, which would
     * mispredict on half the elements of a typical activation.
     */
    static FloatVector backward(UnaryFunction f, FloatVector y, FloatVector g) {
        return flush(switch (f) {
            case EXP -> g.mul(y);
            case TANH -> g.mul(y.mul(y).neg().add(1f));
            case SIGMOID -> g.mul(y.mul(y.neg().add(1f)));
            case RELU -> FloatVector.zero(FS).blend(g, y.compare(VectorOperators.GT, 0f));
            case LOG -> throw new IllegalStateException("log's derivative is read from its input");
        });
    }

    /**
     * v with its subnormal lanes, those below {@link Float#MIN_NORMAL} in magnitude, set to zero: the
     * vector form of {@link ScalarKernels#flush}, for the kernels {@link KernelProvider} names under
     * subnormal results. NaN lanes stay NaN.
     */
    static FloatVector flush(FloatVector v) {
        return v.blend(0f, v.abs().compare(VectorOperators.LT, Float.MIN_NORMAL));
    }

    /**
     * The smallest magnitude whose product with {@code scale} is normal: {@link Float#MIN_NORMAL}
     * over |scale| where |scale| < 1, else {@link Float#MIN_NORMAL}; for {@link #scaled}.
     */
    static float smallestScaled(float scale) {
        return Float.MIN_NORMAL / Math.min(1f, Math.abs(scale));
    }

    /**
     * v times scale, with the lanes whose product would be subnormal (those below
     * {@code smallest}, from {@link #smallestScaled}) zeroed before the multiply, as a CPU in
     * flush-to-zero mode computes it. Flushing after the multiply would be too late: an x86 multiply
     * whose result is subnormal takes a microcode assist. An optimizer multiplies its update by the
     * learning rate, and where a gradient stays zero a stored average decays through the range
     * just above {@link Float#MIN_NORMAL} over dozens of steps (at 1e-3, Adam's average spends 65
     * steps there); in the MLP benchmark that made Adam's step take 1.9 ms instead of 0.3 for
     * a few hundred steps, although every stored average was flushed.
     */
    static FloatVector scaled(FloatVector v, float scale, float smallest) {
        return v.blend(0f, v.abs().compare(VectorOperators.LT, smallest)).mul(scale);
    }

    /** Elements [from, to) of {@link #unaryBackward(UnaryFunction, float[], float[], float[], int)}; from is a multiple of L. */
    static void unaryBackward(UnaryFunction f, float[] y, float[] g, float[] out, int from, int to) {
        int bound = from + FS.loopBound(to - from);
        int i = from;
        for (; i < bound; i += L) {
            backward(f, FloatVector.fromArray(FS, y, i), FloatVector.fromArray(FS, g, i)).intoArray(out, i);
        }
        for (; i < to; i++) {
            out[i] = ScalarKernels.backward(f, y[i], g[i]);
        }
    }

    @Override
    public void unary(UnaryFunction f, float[] x, float[] out) {
        int n = x.length;
        int parts = elementwiseParts(n);
        if (parts <= 1) {
            unary(f, x, out, 0, n);
            return;
        }
        Threads.run(parts, t -> unary(f, x, out, partStart(t, parts, n), partStart(t + 1, parts, n)));
    }

    /** Elements [from, to) of {@link #unary(UnaryFunction, float[], float[])}; from is a multiple of L. */
    static void unary(UnaryFunction f, float[] x, float[] out, int from, int to) {
        int bound = from + FS.loopBound(to - from);
        int i = from;
        for (; i < bound; i += L) {
            apply(f, FloatVector.fromArray(FS, x, i)).intoArray(out, i);
        }
        for (; i < to; i++) {
            out[i] = ScalarKernels.flush(f.apply(x[i]));
        }
    }

    /**
     * f in every lane: the vector form of {@link UnaryFunction#apply}, in one place for
     * {@link #unary} and {@link #addRowVectorUnary}, so both give the same bits. Small enough for C2
     * to inline into their loops, where the switch on a loop-invariant f costs a predicted branch.
     */
    static FloatVector apply(UnaryFunction f, FloatVector v) {
        return switch (f) {
            case EXP -> flush(v.lanewise(VectorOperators.EXP));
            // a logarithm is never subnormal
            case LOG -> v.lanewise(VectorOperators.LOG);
            case TANH -> flush(v.lanewise(VectorOperators.TANH));
            case SIGMOID -> flush(FloatVector.broadcast(FS, 1f).div(v.neg().lanewise(VectorOperators.EXP).add(1f)));
            // max(v, 0) with subnormals flushed in one comparison; a NaN lane compares false and stays NaN
            case RELU -> v.blend(0f, v.compare(VectorOperators.LT, Float.MIN_NORMAL));
        };
    }

    @Override
    public void addRowVectorUnary(UnaryFunction f, float[] x, float[] row, float[] out, int rows, int cols) {
        int n = rows * cols;
        if (n == 0) {
            return;
        }
        // The row repeated, tiled[t] = row[t % cols] for t < cols + L: the L values of the row that
        // a vector starting at column c meets, from its end into the next row, are tiled[c .. c + L).
        float[] tiled = BUFFERS.get().rowRepeated(cols + L);
        for (int t = 0; t < cols + L; t++) {
            tiled[t] = row[t % cols];
        }
        int parts = elementwiseParts(n);
        if (parts <= 1) {
            addRowVectorUnary(f, x, row, tiled, out, cols, 0, n);
            return;
        }
        Threads.run(parts, t -> addRowVectorUnary(f, x, row, tiled, out, cols, partStart(t, parts, n),
                partStart(t + 1, parts, n)));
    }

    @Override
    public void addRowVectorUnary(UnaryFunction f, float[] x, int xOff, int xLd, float[] row, int rowOff,
                                  float[] out, int outOff, int outLd, int rows, int cols) {
        int bound = FS.loopBound(cols);
        for (int r = 0; r < rows; r++) {
            int xi = xOff + r * xLd, oi = outOff + r * outLd;
            int c = 0;
            for (; c < bound; c += L) {
                FloatVector v = FloatVector.fromArray(FS, x, xi + c).add(FloatVector.fromArray(FS, row, rowOff + c));
                apply(f, v).intoArray(out, oi + c);
            }
            for (; c < cols; c++) {
                out[oi + c] = ScalarKernels.flush(f.apply(x[xi + c] + row[rowOff + c]));
            }
        }
    }

    /**
     * Elements [from, to) of {@link #addRowVectorUnary(UnaryFunction, float[], float[], float[], int, int)},
     * from a multiple of L: vectors and scalar tail where {@link #unary} has them for the same n, so
     * that each element gets the bits of the sum's float rounding followed by unary's f.
     */
    private static void addRowVectorUnary(UnaryFunction f, float[] x, float[] row, float[] tiled, float[] out,
                                          int cols, int from, int to) {
        int bound = from + FS.loopBound(to - from);
        int step = L % cols;
        int i = from, c = from % cols;
        for (; i < bound; i += L) {
            FloatVector v = FloatVector.fromArray(FS, x, i).add(FloatVector.fromArray(FS, tiled, c));
            apply(f, v).intoArray(out, i);
            // (c + L) % cols without a division, and without a branch that would follow the
            // pattern of row ends (a conditional move)
            int next = c + step - cols;
            c = next < 0 ? next + cols : next;
        }
        for (; i < to; i++) {
            out[i] = ScalarKernels.flush(f.apply(x[i] + row[i % cols]));
        }
    }

    @Override
    public void unary(UnaryFunction f, double[] x, double[] out) {
        int n = x.length;
        int bound = DS.loopBound(n);
        int i = 0;
        switch (f) {
            case EXP -> {
                for (; i < bound; i += DL) {
                    DoubleVector.fromArray(DS, x, i).lanewise(VectorOperators.EXP).intoArray(out, i);
                }
            }
            case LOG -> {
                for (; i < bound; i += DL) {
                    DoubleVector.fromArray(DS, x, i).lanewise(VectorOperators.LOG).intoArray(out, i);
                }
            }
            case TANH -> {
                for (; i < bound; i += DL) {
                    DoubleVector.fromArray(DS, x, i).lanewise(VectorOperators.TANH).intoArray(out, i);
                }
            }
            case SIGMOID -> {
                DoubleVector one = DoubleVector.broadcast(DS, 1.0);
                for (; i < bound; i += DL) {
                    DoubleVector e = DoubleVector.fromArray(DS, x, i).neg().lanewise(VectorOperators.EXP);
                    one.div(e.add(1.0)).intoArray(out, i);
                }
            }
            case RELU -> {
                for (; i < bound; i += DL) {
                    DoubleVector.fromArray(DS, x, i).lanewise(VectorOperators.MAX, 0.0).intoArray(out, i);
                }
            }
        }
        for (; i < n; i++) {
            out[i] = f.apply(x[i]);
        }
    }

    /**
     * {@link #addRowVector} for rows narrower than a vector (a classifier's 3 to 13 outputs), which
     * would otherwise be all scalar tail: L rows are {@code cols} whole vectors, and lane l of the v-th
     * always meets column {@code (v L + l) % cols}, so the row repeated over them is added vector by
     * vector, the same float additions as element by element.
     */
    private static void addNarrowRowVector(float[] out, float[] row, int rows, int cols) {
        int period = cols * L;
        float[] tiled = BUFFERS.get().tiled;
        for (int r = 0; r < L; r++) {
            System.arraycopy(row, 0, tiled, r * cols, cols);
        }
        int end = rows * cols, at = 0;
        for (int whole = rows / L * period; at < whole; at += period) {
            for (int v = 0; v < period; v += L) {
                FloatVector.fromArray(FS, out, at + v).add(FloatVector.fromArray(FS, tiled, v)).intoArray(out, at + v);
            }
        }
        // the rows after the last whole period (row by row: an index % cols per element would cost
        // an integer division each)
        for (; at < end; at += cols) {
            for (int c = 0; c < cols; c++) {
                out[at + c] += row[c];
            }
        }
    }

    @Override
    public void addRowVector(float[] out, float[] row, int rows, int cols) {
        if (cols < L && rows >= L) {
            addNarrowRowVector(out, row, rows, cols);
            return;
        }
        int parts = elementwiseParts(rows * cols);
        if (parts <= 1) {
            addRowVector(out, row, 0, rows, cols);
            return;
        }
        Threads.run(parts, t -> addRowVector(out, row, t * rows / parts, (t + 1) * rows / parts, cols));
    }

    /** Rows [from, to) of {@link #addRowVector(float[], float[], int, int)}. */
    private static void addRowVector(float[] out, float[] row, int from, int to, int cols) {
        int bound = FS.loopBound(cols);
        for (int r = from; r < to; r++) {
            int base = r * cols;
            int c = 0;
            for (; c < bound; c += L) {
                FloatVector.fromArray(FS, out, base + c).add(FloatVector.fromArray(FS, row, c)).intoArray(out, base + c);
            }
            for (; c < cols; c++) {
                out[base + c] += row[c];
            }
        }
    }

    @Override
    public void addRowVector(double[] out, double[] row, int rows, int cols) {
        int lanes = DS.length();
        int bound = DS.loopBound(cols);
        for (int r = 0; r < rows; r++) {
            int base = r * cols;
            int c = 0;
            for (; c < bound; c += lanes) {
                DoubleVector.fromArray(DS, out, base + c).add(DoubleVector.fromArray(DS, row, c)).intoArray(out, base + c);
            }
            for (; c < cols; c++) {
                out[base + c] += row[c];
            }
        }
    }

    /**
     * A parameter of at least {@link #PARALLEL_MIN_ELEMENTS} elements per thread is updated by the
     * kernel threads, in ranges of whole vectors: every element goes through the same arithmetic
     * (vector lanes, and the scalar tail at the end) whatever the thread count.
     */
    @Override
    public void adam(float[] theta, int thetaAt, float[] g, int gAt, float[] m, float[] v, int n, double beta1,
                     double beta2, double stepSize, double bc2Sqrt, double eps, double l2, double shrink,
                     boolean maximize) {
        int parts = elementwiseParts(n);
        if (parts <= 1) {
            adam(theta, thetaAt, g, gAt, m, v, 0, n, n, beta1, beta2, stepSize, bc2Sqrt, eps, l2, shrink, maximize);
            return;
        }
        Threads.run(parts, t -> adam(theta, thetaAt, g, gAt, m, v, partStart(t, parts, n), partStart(t + 1, parts, n),
                n, beta1, beta2, stepSize, bc2Sqrt, eps, l2, shrink, maximize));
    }

    /** Into how many parts a pass over n elements is split: one below {@link #PARALLEL_MIN_ELEMENTS} per thread. */
    static int elementwiseParts(int n) {
        return Math.max(1, Math.min(Threads.available(), n / PARALLEL_MIN_ELEMENTS));
    }

    /** The first element of part t of n elements cut into parts of whole vectors; {@code partStart(parts)} is n. */
    static int partStart(int t, int parts, int n) {
        return t == parts ? n : (int) ((long) (n / L) * t / parts) * L;
    }

    /** As {@link #adam(float[], int, float[], int, float[], float[], int, double, double, double, double, double, double, double, boolean)}, split the same way. */
    @Override
    public void sgd(float[] theta, int thetaAt, float[] g, int gAt, float[] buffer, int n, double lr, double momentum,
                    double dampening, double weightDecay, boolean nesterov, boolean maximize, boolean firstStep) {
        int parts = elementwiseParts(n);
        if (parts <= 1) {
            sgd(theta, thetaAt, g, gAt, buffer, 0, n, n, lr, momentum, dampening, weightDecay, nesterov, maximize,
                    firstStep);
            return;
        }
        Threads.run(parts, t -> sgd(theta, thetaAt, g, gAt, buffer, partStart(t, parts, n), partStart(t + 1, parts, n),
                n, lr, momentum, dampening, weightDecay, nesterov, maximize, firstStep));
    }

    /** As {@link #adam(float[], int, float[], int, float[], float[], int, double, double, double, double, double, double, double, boolean)}, split the same way. */
    @Override
    public void rmsprop(float[] theta, int thetaAt, float[] g, int gAt, float[] squareAvg, float[] gradAvg,
                        float[] buffer, int n, double lr, double alpha, double eps, double weightDecay,
                        double momentum, boolean maximize) {
        int parts = elementwiseParts(n);
        if (parts <= 1) {
            rmsprop(theta, thetaAt, g, gAt, squareAvg, gradAvg, buffer, 0, n, n, lr, alpha, eps, weightDecay, momentum,
                    maximize);
            return;
        }
        Threads.run(parts, t -> rmsprop(theta, thetaAt, g, gAt, squareAvg, gradAvg, buffer, partStart(t, parts, n),
                partStart(t + 1, parts, n), n, lr, alpha, eps, weightDecay, momentum, maximize));
    }

    /** Elements [from, to) of {@link #rmsprop(float[], int, float[], int, float[], float[], float[], int, double, double, double, double, double, boolean)}. */
    private static void rmsprop(float[] theta, int thetaAt, float[] g, int gAt, float[] squareAvg, float[] gradAvg,
                                float[] buffer, int from, int to, int n, double lr, double alpha, double eps,
                                double weightDecay, double momentum, boolean maximize) {
        float rate = (float) lr, a = (float) alpha, rest = (float) (1 - alpha), e = (float) eps;
        float decay = (float) weightDecay, mu = (float) momentum, smallest = smallestScaled(rate);
        int bound = Math.min(to, FS.loopBound(n));
        int i = from;
        for (; i < bound; i += L) {
            FloatVector p = FloatVector.fromArray(FS, theta, thetaAt + i);
            FloatVector d = FloatVector.fromArray(FS, g, gAt + i);
            if (maximize) {
                d = d.neg();
            }
            if (weightDecay != 0) {
                d = d.add(p.mul(decay));
            }
            FloatVector v = flush(FloatVector.fromArray(FS, squareAvg, i).mul(a).add(d.mul(d).mul(rest)));
            v.intoArray(squareAvg, i);
            if (gradAvg != null) {
                FloatVector mean = flush(FloatVector.fromArray(FS, gradAvg, i).mul(a).add(d.mul(rest)));
                mean.intoArray(gradAvg, i);
                v = v.sub(mean.mul(mean));
            }
            FloatVector step = d.div(v.sqrt().add(e));
            if (buffer != null) {
                step = flush(FloatVector.fromArray(FS, buffer, i).mul(mu).add(step));
                step.intoArray(buffer, i);
            }
            p.sub(scaled(step, rate, smallest)).intoArray(theta, thetaAt + i);
        }
        for (; i < to; i++) {
            theta[thetaAt + i] = (float) ScalarKernels.rmspropElement(theta[thetaAt + i], g[gAt + i], squareAvg, gradAvg,
                    buffer, i, lr, alpha, eps, weightDecay, momentum, maximize);
        }
    }

    /** As {@link #adam(float[], int, float[], int, float[], float[], int, double, double, double, double, double, double, double, boolean)}, split the same way. */
    @Override
    public void adagrad(float[] theta, int thetaAt, float[] g, int gAt, float[] sum, int n, double lr, double eps,
                        double weightDecay, boolean maximize) {
        int parts = elementwiseParts(n);
        if (parts <= 1) {
            adagrad(theta, thetaAt, g, gAt, sum, 0, n, n, lr, eps, weightDecay, maximize);
            return;
        }
        Threads.run(parts, t -> adagrad(theta, thetaAt, g, gAt, sum, partStart(t, parts, n), partStart(t + 1, parts, n),
                n, lr, eps, weightDecay, maximize));
    }

    /** Elements [from, to) of {@link #adagrad(float[], int, float[], int, float[], int, double, double, double, boolean)}. */
    private static void adagrad(float[] theta, int thetaAt, float[] g, int gAt, float[] sum, int from, int to, int n,
                                double lr, double eps, double weightDecay, boolean maximize) {
        float rate = (float) lr, e = (float) eps, decay = (float) weightDecay, smallest = smallestScaled(rate);
        int bound = Math.min(to, FS.loopBound(n));
        int i = from;
        for (; i < bound; i += L) {
            FloatVector p = FloatVector.fromArray(FS, theta, thetaAt + i);
            FloatVector d = FloatVector.fromArray(FS, g, gAt + i);
            if (maximize) {
                d = d.neg();
            }
            if (weightDecay != 0) {
                d = d.add(p.mul(decay));
            }
            FloatVector s = FloatVector.fromArray(FS, sum, i).add(d.mul(d));
            s.intoArray(sum, i);
            p.sub(scaled(d, rate, smallest).div(s.sqrt().add(e))).intoArray(theta, thetaAt + i);
        }
        for (; i < to; i++) {
            theta[thetaAt + i] = (float) ScalarKernels.adagradElement(theta[thetaAt + i], g[gAt + i], sum, i, lr, eps,
                    weightDecay, maximize);
        }
    }

    /** Elements [from, to) of {@link #sgd(float[], int, float[], int, float[], int, double, double, double, double, boolean, boolean, boolean)}. */
    private static void sgd(float[] theta, int thetaAt, float[] g, int gAt, float[] buffer, int from, int to, int n,
                            double lr, double momentum, double dampening, double weightDecay, boolean nesterov,
                            boolean maximize, boolean firstStep) {
        float rate = (float) lr, mu = (float) momentum, keep = (float) (1 - dampening), decay = (float) weightDecay;
        float smallest = smallestScaled(rate);
        int bound = Math.min(to, FS.loopBound(n));
        int i = from;
        for (; i < bound; i += L) {
            FloatVector p = FloatVector.fromArray(FS, theta, thetaAt + i);
            FloatVector d = FloatVector.fromArray(FS, g, gAt + i);
            if (maximize) {
                d = d.neg();
            }
            if (weightDecay != 0) {
                d = d.add(p.mul(decay));
            }
            if (momentum != 0) {
                FloatVector b = flush(firstStep ? d : FloatVector.fromArray(FS, buffer, i).mul(mu).add(d.mul(keep)));
                b.intoArray(buffer, i);
                d = nesterov ? d.add(b.mul(mu)) : b;
            }
            p.sub(scaled(d, rate, smallest)).intoArray(theta, thetaAt + i);
        }
        for (; i < to; i++) {
            theta[thetaAt + i] = (float) ScalarKernels.sgdElement(theta[thetaAt + i], g[gAt + i], buffer, i, lr, momentum,
                    dampening, weightDecay, nesterov, maximize, firstStep);
        }
    }

    /** Elements [from, to) of {@link #adam(float[], int, float[], int, float[], float[], int, double, double, double, double, double, double, double, boolean)}. */
    private static void adam(float[] theta, int thetaAt, float[] g, int gAt, float[] m, float[] v, int from, int to,
                             int n, double beta1, double beta2, double stepSize, double bc2Sqrt, double eps, double l2,
                             double shrink, boolean maximize) {
        float b1 = (float) beta1, b2 = (float) beta2, c1 = (float) (1 - beta1), c2 = (float) (1 - beta2);
        float decay = (float) l2, s = (float) shrink;
        // step m / (sqrt(v) / bc2 + eps) as (step bc2) m / (sqrt(v) + eps bc2): one division per
        // element instead of two, which share the divider with the square root and bound the loop
        float stepBc2 = (float) (stepSize * bc2Sqrt), epsBc2 = (float) (eps * bc2Sqrt);
        float smallest = smallestScaled(stepBc2);
        int bound = Math.min(to, FS.loopBound(n));
        int i = from;
        for (; i < bound; i += L) {
            FloatVector p = FloatVector.fromArray(FS, theta, thetaAt + i).mul(s);
            FloatVector d = FloatVector.fromArray(FS, g, gAt + i);
            if (maximize) {
                d = d.neg();
            }
            if (l2 != 0) {
                d = d.add(p.mul(decay));
            }
            FloatVector mi = flush(FloatVector.fromArray(FS, m, i).mul(b1).add(d.mul(c1)));
            FloatVector vi = flush(FloatVector.fromArray(FS, v, i).mul(b2).add(d.mul(d).mul(c2)));
            mi.intoArray(m, i);
            vi.intoArray(v, i);
            p.sub(scaled(mi, stepBc2, smallest).div(vi.sqrt().add(epsBc2))).intoArray(theta, thetaAt + i);
        }
        for (; i < to; i++) {
            theta[thetaAt + i] = (float) ScalarKernels.adamElement(theta, thetaAt + i, g[gAt + i], m, v, i, beta1, beta2,
                    stepSize, bc2Sqrt, eps, l2, shrink, maximize);
        }
    }

    @Override
    public void sum(float[] x, int outer, int n, int inner, float[] out) {
        VectorRowKernels.sum(x, outer, n, inner, out);
    }

    @Override
    public void softmaxRows(float[] x, float[] out, int rows, int cols, boolean log) {
        VectorRowKernels.softmaxRows(x, out, rows, cols, log);
    }

    @Override
    public void softmaxRowsBackward(float[] y, float[] g, float[] out, int rows, int cols, boolean log) {
        VectorRowKernels.softmaxRowsBackward(y, g, out, rows, cols, log);
    }

    @Override
    public void addRowVectorUnaryTransposed(UnaryFunction f, float[] x, float[] row, float[] out, int rows, int cols) {
        VectorColumnKernels.addRowVectorUnaryTransposed(f, x, row, out, rows, cols);
    }

    @Override
    public void addColumnVector(float[] x, float[] column, float[] out, int rows, int cols) {
        VectorColumnKernels.addColumnVector(null, x, column, out, rows, cols);
    }

    @Override
    public void addColumnVectorUnary(UnaryFunction f, float[] x, float[] column, float[] out, int rows, int cols) {
        VectorColumnKernels.addColumnVector(f, x, column, out, rows, cols);
    }

    @Override
    public double crossEntropyColumns(float[] x, int classes, int n, long[] target, long ignoreIndex, float scale,
                                      float[] grad) {
        return VectorColumnKernels.crossEntropyColumns(x, classes, n, target, ignoreIndex, scale, grad);
    }

    @Override
    public double crossEntropyRows(float[] x, int rows, int cols, long[] target, long ignoreIndex, float scale,
                                   float[] grad) {
        if (cols < L) {
            return VectorRowKernels.crossEntropyShortRows(x, rows, cols, target, ignoreIndex, scale, grad);
        }
        // Long rows: the log-softmax by rows into grad, the losses read off it, then the softmax as one
        // flat pass of exponentials, "- onehot" and the scale.
        int size = rows * cols;
        VectorRowKernels.softmaxRows(x, grad, rows, cols, true);
        double total = 0;
        for (int r = 0; r < rows; r++) {
            if (target[r] != ignoreIndex) {
                total -= grad[r * cols + (int) target[r]];
            }
        }
        unary(UnaryFunction.EXP, grad, grad, 0, size);
        for (int r = 0; r < rows; r++) {
            int row = r * cols;
            if (target[r] == ignoreIndex) {
                Arrays.fill(grad, row, row + cols, 0f);
            } else {
                grad[row + (int) target[r]] -= 1f;
            }
        }
        // the scale in one pass over the whole matrix, subnormal products flushed as by the short rows
        VectorRowKernels.scale(grad, 0, size, scale);
        return total;
    }
}
