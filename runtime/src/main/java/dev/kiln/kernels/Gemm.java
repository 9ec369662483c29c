package dev.kiln.kernels;

/**
 * Matrix products {@code C = A B} where {@code A} is m x k and {@code B} is k x n, read through row
 * and column strides, so a transposed operand is read in place instead of copied; {@code C} is
 * written row-major (row stride n) from {@code cOff}, overwriting what was there.
 *
 * <p>These entry points are stable (operations and generated code call them); they run the
 * {@linkplain Kernels#provider() provider} chosen for this JVM: a blocked, packed Vector API GEMM
 * when the Vector API is enabled, plain loops otherwise.
 *
 * <p>A product of at least {@link #PARALLEL_MIN_WORK} multiply-adds is split over up to
 * {@link Threads#count()} threads, in blocks of whole columns of C (or of whole rows, when C is taller
 * than wide, or when its last columns are ragged and B's rows contiguous: see {@link Split#of}); each
 * element is computed by one thread exactly as it would be by one thread alone, so the result does
 * not depend on the number of threads. A block of columns with another to its right is computed
 * into a buffer of its thread's and then copied into C, so that two cores do not write the cache
 * line their blocks share in each row at the same time (see {@link Split#APART_MAX}).
 */
public final class Gemm {
    private static final KernelProvider PROVIDER = Kernels.provider();

    /**
     * The least work (m n k multiply-adds) split over threads: 2^25, about 320 x 320 x 320. Handing
     * a part to a pool thread costs far more on a virtual machine than on bare metal (waking an idle
     * vCPU, or waiting for one another process holds), and each part packs its own copy of the
     * operand it shares. Measured with {@code ./kiln bench 'GemmBench.sgemm$' -p n=...
     * -p threads=1,2 -bm avgt} on the 2-vCPU machine with one other busy process (load 1.2): two
     * threads took 121 us against 59 at n = 128, 301 against 180 at 192 and 715 against 453 at 256,
     * but 1323 against 1517 at 384 and 3.0 against 3.5 ms at 512 (and 18.3 against 25.1 ms at 1024).
     * So below the crossover a product stays on the calling thread: the MLP's 256 x 512 x 784 layer
     * forks, the two-layer net's 64 x 100 x 1000 and every smaller tutorial layer do not.
     */
    static final long PARALLEL_MIN_WORK = 1L << 25;
    /** Columns of C per block when splitting by columns: a multiple of every provider's register tile width. */
    static final int COLUMN_GRANULE = 64;
    /**
     * Products narrower than this may be computed by a method of their own (see {@link KernelProvider}),
     * so a split never cuts a product at least this wide into blocks narrower than this: a ragged
     * last block of fewer columns joins the block before it.
     */
    public static final int NARROW_COLUMNS = 16;
    /** Rows of C per block when splitting by rows: the register tile's height. */
    static final int ROW_GRANULE = 6;
    /** The least rows per part for which a product with ragged last columns is split by rows (see {@link Split#of}). */
    static final int RAGGED_MIN_ROWS = 32 * ROW_GRANULE;

    private Gemm() {}

    /** Single precision; see the class description. */
    public static void gemm(int m, int n, int k,
                            float[] a, int aOff, int aRs, int aCs,
                            float[] b, int bOff, int bRs, int bCs,
                            float[] c, int cOff) {
        gemm(PROVIDER, Threads.available(), PARALLEL_MIN_WORK, m, n, k, a, aOff, aRs, aCs, b, bOff, bRs, bCs, c, cOff);
    }

    /** Double precision; see the class description. */
    public static void gemm(int m, int n, int k,
                            double[] a, int aOff, int aRs, int aCs,
                            double[] b, int bOff, int bRs, int bCs,
                            double[] c, int cOff) {
        gemm(PROVIDER, Threads.available(), PARALLEL_MIN_WORK, m, n, k, a, aOff, aRs, aCs, b, bOff, bRs, bCs, c, cOff);
    }

    /**
     * A Linear layer's product, bias and activation: {@code out = f(A B + bias)}, the bias added to
     * each of the m rows of n columns, with the numbers of {@link #gemm} into {@code work} followed
     * by {@link KernelProvider#addRowVectorUnary(UnaryFunction, float[], float[], float[], int, int)}
     * (which {@code Compiled.biasActivation} runs). {@code work}, at least m n elements, is scratch:
     * what it holds afterwards is unspecified. out may be work.
     *
     * <p>Where the product is split by columns (and n is a multiple of 16, so that the blocks'
     * rows are whole vectors of the pass), each thread adds the bias and applies the activation to
     * its own block as soon as the block is computed, while it is in its core's cache; otherwise
     * the pass runs after the product, over all of it.
     */
    public static void gemmBiasActivation(UnaryFunction f, int m, int n, int k,
                                          float[] a, int aOff, int aRs, int aCs,
                                          float[] b, int bOff, int bRs, int bCs,
                                          float[] bias, float[] work, float[] out) {
        gemmBiasActivation(PROVIDER, Threads.available(), PARALLEL_MIN_WORK, f, m, n, k, a, aOff, aRs, aCs,
                b, bOff, bRs, bCs, bias, work, out);
    }

    /** {@link #gemmBiasActivation(UnaryFunction, int, int, int, float[], int, int, int, float[], int, int, int, float[], float[], float[])} on a given provider, thread count and least work to split. */
    static void gemmBiasActivation(KernelProvider provider, int threads, long minWork, UnaryFunction f,
                                   int m, int n, int k, float[] a, int aOff, int aRs, int aCs,
                                   float[] b, int bOff, int bRs, int bCs, float[] bias, float[] work, float[] out) {
        Split split = Split.of(threads, minWork, m, n, k, bCs == 1);
        if (split == null || !split.byColumns() || n % BLOCK_PASS_COLUMNS != 0) {
            gemm(provider, threads, minWork, m, n, k, a, aOff, aRs, aCs, b, bOff, bRs, bCs, work, 0);
            provider.addRowVectorUnary(f, work, bias, out, m, n);
            return;
        }
        split.run(m, n, (i0, rows, j0, cols, apart) -> {
            // blocks of columns (i0 is 0, rows is m); one computed apart goes through the pass from
            // its buffer: work never needs it
            float[] c = apart ? PART_RESULTS.get().floats(rows * cols) : work;
            int cOff = apart ? 0 : j0, ldc = apart ? cols : n;
            provider.sgemm(rows, cols, k, a, aOff, aRs, aCs, b, bOff + j0 * bCs, bRs, bCs, c, cOff, ldc);
            provider.addRowVectorUnary(f, c, cOff, ldc, bias, j0, out, j0, n, rows, cols);
        });
    }

    /**
     * The least multiple of a row's length for which a split product's blocks go through the bias and
     * activation one by one: every provider's vectors are at most 16 floats wide, so each block's rows
     * are then whole vectors of the pass over the whole product, and get its bits.
     */
    private static final int BLOCK_PASS_COLUMNS = 16;

    /**
     * Runs two independent pieces of work that each begin with a product of m x n x k multiply-adds,
     * such as a layer's weight gradient and its input's gradient (which always have the same size):
     * on two threads, and when each product is at least half of {@link #PARALLEL_MIN_WORK}, side by
     * side, {@code here} on the calling thread and {@code there} on a pool thread (or after
     * {@code here} on the calling thread, when no pool thread has taken it by then), each running its
     * kernels whole on its own thread; otherwise {@code there}, then {@code here}, each kernel split
     * as it would be alone. Results are the same either way: each piece computes what it would alone.
     *
     * <p>Two products split in halves one after the other pack each one's shared operand twice and
     * hand half of each result's lines to the other core; side by side, the MLP benchmark's second
     * layer (two 256 x 512 x 256 products and the fused pass after the input gradient) took 546 to
     * 573 us instead of 614 to 617 on two threads. With more threads, a split over all of them still
     * uses them all, where side by side would use two, so only two threads run side by side.
     * An exception in either piece is thrown here once both have finished.
     */
    public static void sideBySide(int m, int n, int k, Runnable there, Runnable here) {
        sideBySide(Threads.available(), PARALLEL_MIN_WORK, m, n, k, there, here);
    }

    /** {@link #sideBySide(int, int, int, Runnable, Runnable)} for a given thread count and least work to split. */
    static void sideBySide(int threads, long minWork, int m, int n, int k, Runnable there, Runnable here) {
        if (threads != 2 || (long) m * n * k < minWork / 2) {
            there.run();
            here.run();
            return;
        }
        Threads.run(2, t -> (t == 0 ? here : there).run());
    }

    /** {@link #gemm(int, int, int, float[], int, int, int, float[], int, int, int, float[], int)} on a given provider, thread count and least work to split. */
    static void gemm(KernelProvider provider, int threads, long minWork, int m, int n, int k,
                     float[] a, int aOff, int aRs, int aCs,
                     float[] b, int bOff, int bRs, int bCs,
                     float[] c, int cOff) {
        Split split = Split.of(threads, minWork, m, n, k, bCs == 1);
        if (split == null) {
            provider.sgemm(m, n, k, a, aOff, aRs, aCs, b, bOff, bRs, bCs, c, cOff, n);
        } else {
            split.run(m, n, (i0, rows, j0, cols, apart) -> {
                float[] block = apart ? PART_RESULTS.get().floats(rows * cols) : c;
                int at = cOff + i0 * n + j0;
                provider.sgemm(rows, cols, k, a, aOff + i0 * aRs, aRs, aCs, b, bOff + j0 * bCs, bRs, bCs,
                        block, apart ? 0 : at, apart ? cols : n);
                if (apart) {
                    copyRows(block, rows, cols, c, at, n);
                }
            });
        }
    }

    /** {@link #gemm(int, int, int, double[], int, int, int, double[], int, int, int, double[], int)} on a given provider, thread count and least work to split. */
    static void gemm(KernelProvider provider, int threads, long minWork, int m, int n, int k,
                     double[] a, int aOff, int aRs, int aCs,
                     double[] b, int bOff, int bRs, int bCs,
                     double[] c, int cOff) {
        Split split = Split.of(threads, minWork, m, n, k, bCs == 1);
        if (split == null) {
            provider.dgemm(m, n, k, a, aOff, aRs, aCs, b, bOff, bRs, bCs, c, cOff, n);
        } else {
            split.run(m, n, (i0, rows, j0, cols, apart) -> {
                double[] block = apart ? PART_RESULTS.get().doubles(rows * cols) : c;
                int at = cOff + i0 * n + j0;
                provider.dgemm(rows, cols, k, a, aOff + i0 * aRs, aRs, aCs, b, bOff + j0 * bCs, bRs, bCs,
                        block, apart ? 0 : at, apart ? cols : n);
                if (apart) {
                    copyRows(block, rows, cols, c, at, n);
                }
            });
        }
    }

    /**
     * The product of one block of C: {@code rows} rows from {@code i0}, {@code cols} columns from
     * {@code j0}; {@code apart} when it is computed into a buffer of its thread's and then copied
     * into C (see {@link Split#APART_MAX}).
     */
    @FunctionalInterface
    interface Block {
        void compute(int i0, int rows, int j0, int cols, boolean apart);
    }

    /** A thread's buffers for the blocks it computes apart, grown on demand and then reused. */
    private static final class PartResults {
        private float[] floats = new float[0];
        private double[] doubles = new double[0];

        float[] floats(int size) {
            return floats.length >= size ? floats : (floats = new float[size]);
        }

        double[] doubles(int size) {
            return doubles.length >= size ? doubles : (doubles = new double[size]);
        }
    }

    private static final ThreadLocal<PartResults> PART_RESULTS = ThreadLocal.withInitial(PartResults::new);

    /** A block computed apart (rows x cols, row-major) into C from {@code at}, rows {@code ldc} apart: float[] or double[] alike. */
    private static void copyRows(Object block, int rows, int cols, Object c, int at, int ldc) {
        for (int i = 0; i < rows; i++) {
            System.arraycopy(block, i * cols, c, at + i * ldc, cols);
        }
    }

    /**
     * How a product is cut: into {@code parts} ranges of columns (or rows) of C, each a whole number
     * of granules but the last, as even as granules allow.
     */
    record Split(boolean byColumns, int parts, int granule, int granules, int size) {
        /** The split for this product, or null when it runs on the calling thread alone. */
        static Split of(int threads, long minWork, int m, int n, int k) {
            return of(threads, minWork, m, n, k, false);
        }

        /**
         * The split for this product, {@code bRowsContiguous} when B's rows are contiguous (its
         * column stride is 1), or null when it runs on the calling thread alone.
         */
        static Split of(int threads, long minWork, int m, int n, int k, boolean bRowsContiguous) {
            if (threads < 2 || (long) m * n * k < minWork) {
                return null;
            }
            // Split the wider side: each part packs all of the other operand, so the copy
            // duplicated across threads is the smaller one. But by rows when columns would leave
            // one part the ragged last columns, whose narrow tiles run at a fraction of the speed,
            // on top of an equal share, where B's rows are contiguous (each part then copies all of
            // B whole rows at a time, which costs little) and each part gets enough rows: a weight's
            // gradient 512 x 784 x 256 took 730 us on two threads by columns (384 and 400), 680 by
            // rows (258 and 254).
            boolean byColumns = n >= m && !(bRowsContiguous && n % COLUMN_GRANULE != 0
                    && m >= threads * RAGGED_MIN_ROWS);
            int size = byColumns ? n : m;
            int granule = byColumns ? COLUMN_GRANULE : ROW_GRANULE;
            int granules = (size + granule - 1) / granule;
            if (byColumns && size % granule != 0 && size % granule < NARROW_COLUMNS) {
                granules--; // the ragged last granule joins the one before it
            }
            int parts = Math.min(threads, granules);
            return parts < 2 ? null : new Split(byColumns, parts, granule, granules, size);
        }

        /** The first column (or row) of part t; {@code start(parts)} is the size. */
        int start(int t) {
            return t == parts ? size : Math.min(size, (int) ((long) granules * t / parts) * granule);
        }

        /**
         * The most elements of a block of columns computed apart: 2^17 (512 KiB of floats), so that
         * the block is still in its core's L2 when copied into C.
         *
         * <p>Blocks of columns side by side share a cache line in each row of C, where one block
         * ends and the next begins (unless the row's boundary happens to fall on a line's, which
         * Java cannot arrange). Written by two cores at once, these lines move from core to core at
         * every store: the MLP's 256 x 256 x 512 layer took 311 to 324 us on two threads with both
         * halves written into C, 269 to 274 with each half in an array of its own. So every block of
         * columns but the last is computed into a buffer of its thread's and copied into C at the
         * end, when the block to its right has long written its first columns: 262 to 291 us, and
         * the MLP's two-thread training step 2864 against 2912 us (alternating in one JVM). Larger
         * blocks go straight into C: the buffer would leave L2 before the copy, and a row's shared
         * line is a small share of its hundreds of columns. Blocks of rows share at most one line.
         */
        static final long APART_MAX = 1L << 17;

        /**
         * Computes the blocks of an m x n product, one per part, on the kernel threads: every block
         * of columns but the last apart, when at most {@link #APART_MAX} elements.
         */
        void run(int m, int n, Block block) {
            Threads.run(parts, t -> {
                int from = start(t), to = start(t + 1);
                if (byColumns) {
                    block.compute(0, m, from, to - from, t < parts - 1 && (long) m * (to - from) <= APART_MAX);
                } else {
                    block.compute(from, to - from, 0, n, false);
                }
            });
        }
    }
}
