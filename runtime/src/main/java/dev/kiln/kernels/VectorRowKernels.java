package dev.kiln.kernels;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Vector API's sums, softmax and its gradient, for {@link VectorKernels}.
 *
 * <p>Rows of a classifier's logits are short (3 or 10 classes), far shorter than a vector, so the
 * softmax does not vectorise along a row: it runs across rows instead, one row per lane, on the
 * columns of a block of rows gathered into vectors. Long rows get vector loops along the row for
 * their maxima, sums and scaling, and one flat pass of exponentials.
 *
 * <p>Sums add in float within blocks of {@link #BLOCK} rows (or elements) and carry each block's
 * result in double, so a long sum stays within float32 tolerance of the exact one. Every sum here
 * runs in a fixed order of lane-wise operations and plain additions (no {@code reduceLanes}, whose
 * order may differ between the interpreter and compiled code), so the same input gives the same bits
 * at every point of a run.
 */
final class VectorRowKernels {
    private static final VectorSpecies<Float> FS = FloatVector.SPECIES_PREFERRED;
    private static final int L = FS.length();
    /** Values added in float before the sum moves to double: 16 per lane of a vector accumulator. */
    static final int BLOCK = 16 * 16;

    /** Work arrays of one thread, grown on demand and reused. */
    private static final class Buffers {
        float[] values = new float[0];
        float[] rows = new float[0];
        final float[] lanes = new float[L];
        /** Accumulators of {@link #narrowColumnSums}: at most L - 1 vectors. */
        final float[] periodic = new float[L * L];
        double[] totals = new double[0];
        /** A block's column sums in float, for {@link #backwardColumnSums}. */
        float[] blockSums = new float[0];
        /** A block of L short rows as columns, column j at j L: at most L - 1 of them. */
        final float[] columns = new float[L * L];
        /** The targets of a block of L rows, as floats, -1 for a row not counted: {@link #crossEntropyShortRows}. */
        final float[] classes = new float[L];
        /** Where each of L consecutive short rows starts, for the gathers of {@link #softmaxShortRows}. */
        final int[] starts = new int[L];

        /**
         * Lane i at i cols for the first {@code live} lanes, and 0 (the first row again) for the
         * rest: the JDK checks the indexes of masked-off lanes of a gather too, so none may point
         * past the array.
         */
        int[] starts(int cols, int live) {
            for (int i = 0; i < L; i++) {
                starts[i] = i < live ? i * cols : 0;
            }
            return starts;
        }

        float[] values(int size) {
            return values.length >= size ? values : (values = new float[size]);
        }

        float[] rows(int size) {
            return rows.length >= size ? rows : (rows = new float[size]);
        }

        double[] totals(int size) {
            return totals.length >= size ? totals : (totals = new double[size]);
        }

        float[] blockSums(int size) {
            return blockSums.length >= size ? blockSums : (blockSums = new float[size]);
        }
    }

    private static final ThreadLocal<Buffers> BUFFERS = ThreadLocal.withInitial(Buffers::new);

    private VectorRowKernels() {}

    static void sum(float[] x, int outer, int n, int inner, float[] out) {
        Buffers buffers = BUFFERS.get();
        if (inner == 1) {
            for (int o = 0; o < outer; o++) {
                out[o] = (float) rowSum(x, o * n, n, buffers.lanes);
            }
            return;
        }
        if (inner < L && n >= L) {
            narrowColumnSums(x, outer, n, inner, out, buffers);
            return;
        }
        double[] totals = buffers.totals(inner);
        int bound = FS.loopBound(inner);
        float[] sums = buffers.blockSums(bound);
        for (int o = 0; o < outer; o++) {
            Arrays.fill(totals, 0, inner, 0.0);
            int base = o * n * inner;
            // Blocks of rows added in float, then carried in double. The whole vectors of columns row
            // by row into the block's sums (in L1), four rows per read and write of each vector of
            // sums, so that x streams in order (walking each vector of columns down the rows crossed
            // x with a stride of a row); each column's sum is the same sequence of float additions.
            for (int r0 = 0; r0 < n; r0 += BLOCK) {
                int r1 = Math.min(n, r0 + BLOCK);
                Arrays.fill(sums, 0, bound, 0f);
                for (int r = r0; r < r1; r += 4) {
                    int count = Math.min(4, r1 - r);
                    for (int i = 0; i < bound; i += L) {
                        FloatVector acc = FloatVector.fromArray(FS, sums, i);
                        for (int q = 0, at = base + r * inner + i; q < count; q++, at += inner) {
                            acc = acc.add(FloatVector.fromArray(FS, x, at));
                        }
                        acc.intoArray(sums, i);
                    }
                }
                for (int i = 0; i < bound; i++) {
                    totals[i] += sums[i];
                }
                for (int i = bound; i < inner; i++) {
                    float acc = 0;
                    for (int r = r0, at = base + r0 * inner + i; r < r1; r++, at += inner) {
                        acc += x[at];
                    }
                    totals[i] += acc;
                }
            }
            for (int i = 0; i < inner; i++) {
                out[o * inner + i] = (float) totals[i];
            }
        }
    }

    /**
     * {@link #sum} over rows narrower than a vector (a classifier's gradient, summed for its bias):
     * L rows are {@code inner} whole vectors, and lane l of the v-th always holds column
     * {@code (v L + l) % inner}, so whole vectors are added (in float over a block of BLOCK rows, then
     * carried in double, as {@link #sum} does) and each lane is folded into its column at the end of
     * the block.
     */
    private static void narrowColumnSums(float[] x, int outer, int n, int inner, float[] out, Buffers buffers) {
        double[] totals = buffers.totals(inner);
        float[] acc = buffers.periodic;
        int period = inner * L;
        int wholeBlocks = n / L;
        for (int o = 0; o < outer; o++) {
            Arrays.fill(totals, 0, inner, 0.0);
            int base = o * n * inner;
            for (int b0 = 0; b0 < wholeBlocks; b0 += BLOCK / L) {
                int b1 = Math.min(wholeBlocks, b0 + BLOCK / L);
                // each vector of the period summed down the block in a register, then stored once:
                // an accumulator kept in memory would make every addition wait for the store before it
                for (int v = 0; v < period; v += L) {
                    FloatVector sum = FloatVector.zero(FS);
                    for (int b = b0, at = base + b0 * period + v; b < b1; b++, at += period) {
                        sum = sum.add(FloatVector.fromArray(FS, x, at));
                    }
                    sum.intoArray(acc, v);
                }
                // lane by lane in order, row by row (an index % inner per element would cost an
                // integer division each, more than the block's additions)
                for (int p = 0; p < period; p += inner) {
                    for (int c = 0; c < inner; c++) {
                        totals[c] += acc[p + c];
                    }
                }
            }
            for (int at = base + wholeBlocks * period, end = base + n * inner; at < end; at += inner) {
                for (int c = 0; c < inner; c++) {
                    totals[c] += x[at + c];
                }
            }
            for (int i = 0; i < inner; i++) {
                out[o * inner + i] = (float) totals[i];
            }
        }
    }

    /** The sum of {@code x[from .. from + n)}: four vector accumulators per block, the blocks in double. */
    private static double rowSum(float[] x, int from, int n, float[] lanes) {
        double total = 0;
        int end = from + n;
        int i = from;
        while (end - i >= 4 * L) {
            int blockEnd = Math.min(end, i + 4 * BLOCK);
            FloatVector s0 = FloatVector.zero(FS), s1 = FloatVector.zero(FS);
            FloatVector s2 = FloatVector.zero(FS), s3 = FloatVector.zero(FS);
            for (; i + 4 * L <= blockEnd; i += 4 * L) {
                s0 = s0.add(FloatVector.fromArray(FS, x, i));
                s1 = s1.add(FloatVector.fromArray(FS, x, i + L));
                s2 = s2.add(FloatVector.fromArray(FS, x, i + 2 * L));
                s3 = s3.add(FloatVector.fromArray(FS, x, i + 3 * L));
            }
            s0.add(s1).add(s2.add(s3)).intoArray(lanes, 0);
            for (int l = 0; l < L; l++) {
                total += lanes[l];
            }
        }
        float tail = 0;
        for (; i < end; i++) {
            tail += x[i];
        }
        return total + tail;
    }

    static void softmaxRows(float[] x, float[] out, int rows, int cols, boolean log) {
        int size = rows * cols;
        if (size == 0) {
            return;
        }
        Buffers buffers = BUFFERS.get();
        if (cols < L) {
            softmaxShortRows(x, out, rows, cols, log, buffers);
            return;
        }
        // shifted = x - max of its row, in out; e = exp(shifted), in out for the softmax, else aside.
        for (int r = 0; r < rows; r++) {
            int base = r * cols;
            float max = rowMax(x, base, cols);
            if (max == Float.NEGATIVE_INFINITY) {
                max = 0; // all -inf: keep exp finite; the result is NaN as in PyTorch
            }
            subtract(x, out, base, cols, max);
        }
        float[] e = log ? buffers.values(size) : out;
        exp(out, e, size);
        for (int r = 0; r < rows; r++) {
            float sum = (float) rowSum(e, r * cols, cols, buffers.lanes);
            if (log) {
                subtract(out, out, r * cols, cols, (float) Math.log(sum));
            } else {
                scale(out, r * cols, cols, 1f / sum);
            }
        }
    }

    /**
     * Softmax or log-softmax of rows shorter than a vector, L rows at a time across the lanes: each
     * column of the block is gathered once (lane i from row i, {@code cols} apart), so the maxima,
     * exponentials, sums and logarithms are lane-wise operations with no loop along a row; the
     * results are scattered back. A mask covers the last, partial block. A row's exponentials are
     * added in column order, as {@link #sumShortRows} adds them.
     */
    private static void softmaxShortRows(float[] x, float[] out, int rows, int cols, boolean log, Buffers buffers) {
        int[] starts = buffers.starts(cols, L);
        float[] columns = buffers.columns;
        FloatVector zero = FloatVector.zero(FS);
        for (int r0 = 0; r0 < rows; r0 += L) {
            VectorMask<Float> live = FS.indexInRange(r0, rows);
            if (r0 + L > rows) {
                starts = buffers.starts(cols, rows - r0);
            }
            int base = r0 * cols;
            FloatVector max = gatherColumns(x, base, cols, starts, live, columns);
            FloatVector sum = zero;
            for (int j = 0; j < cols; j++) {
                FloatVector shifted = FloatVector.fromArray(FS, columns, j * L).sub(max);
                FloatVector e = shifted.lanewise(VectorOperators.EXP);
                sum = sum.add(e);
                (log ? shifted : e).intoArray(columns, j * L);
            }
            FloatVector logSum = log ? sum.lanewise(VectorOperators.LOG) : zero;
            FloatVector inverse = log ? zero : FloatVector.broadcast(FS, 1f).div(sum);
            for (int j = 0; j < cols; j++) {
                FloatVector v = FloatVector.fromArray(FS, columns, j * L);
                (log ? v.sub(logSum) : VectorKernels.flush(v.mul(inverse))).intoArray(out, base + j, starts, 0, live);
            }
        }
    }

    /**
     * {@link KernelProvider#crossEntropyRows} for rows shorter than a vector, L rows at a time across
     * the lanes as in {@link #softmaxShortRows}: the columns gathered once, their maxima, exponentials
     * and sums lane-wise, the target's shifted logit picked by a comparison per class, and each column
     * of the gradient, {@code scale (e / sum - onehot)}, scattered straight into grad. One gather and
     * one scatter per column, where a log-softmax followed by passes over its output would read and
     * write every element three more times.
     */
    static double crossEntropyShortRows(float[] x, int rows, int cols, long[] target, long ignoreIndex, float scale,
                                        float[] grad) {
        Buffers buffers = BUFFERS.get();
        int[] starts = buffers.starts(cols, L);
        float[] columns = buffers.columns;
        float[] classes = buffers.classes;
        float[] losses = buffers.lanes;
        FloatVector zero = FloatVector.zero(FS);
        FloatVector scaleVector = FloatVector.broadcast(FS, scale);
        // the rows' losses added lane-wise in float over BLOCK rows, each block's sum carried in double
        FloatVector block = zero;
        double total = 0;
        for (int r0 = 0; r0 < rows; r0 += L) {
            if (r0 % BLOCK == 0 && r0 > 0) {
                block.intoArray(losses, 0);
                total += laneSum(losses);
                block = zero;
            }
            int live = Math.min(L, rows - r0);
            VectorMask<Float> inRange = FS.indexInRange(r0, rows);
            if (live < L) {
                starts = buffers.starts(cols, live);
            }
            FloatVector cls = classes(target, r0, live, ignoreIndex, classes);
            VectorMask<Float> counted = cls.compare(VectorOperators.GE, 0f);
            int base = r0 * cols;
            FloatVector max = gatherColumns(x, base, cols, starts, inRange, columns);
            FloatVector sum = zero;
            FloatVector picked = zero;
            for (int j = 0; j < cols; j++) {
                FloatVector shifted = FloatVector.fromArray(FS, columns, j * L).sub(max);
                picked = picked.blend(shifted, cls.eq((float) j));
                FloatVector e = shifted.lanewise(VectorOperators.EXP);
                sum = sum.add(e);
                e.intoArray(columns, j * L);
            }
            // -log softmax at the target = log(sum) - shifted target logit; zero in rows not counted
            block = block.add(zero.blend(sum.lanewise(VectorOperators.LOG).sub(picked), counted));
            FloatVector inverse = scaleVector.div(sum);
            for (int j = 0; j < cols; j++) {
                FloatVector g = FloatVector.fromArray(FS, columns, j * L).mul(inverse);
                g = VectorKernels.flush(g.sub(zero.blend(scaleVector, cls.eq((float) j))));
                zero.blend(g, counted).intoArray(grad, base + j, starts, 0, inRange);
            }
        }
        block.intoArray(losses, 0);
        return total + laneSum(losses);
    }

    /**
     * The class targets of {@code count} samples from {@code from}, one per lane as floats, with -1
     * for an ignored sample and for the lanes past count; {@code lanes} holds them on the way.
     */
    static FloatVector classes(long[] target, int from, int count, long ignoreIndex, float[] lanes) {
        for (int i = 0; i < L; i++) {
            long t = i < count ? target[from + i] : ignoreIndex;
            lanes[i] = t == ignoreIndex ? -1f : t;
        }
        return FloatVector.fromArray(FS, lanes, 0);
    }

    /**
     * The first L floats of {@code lanes}, where the caller stored a vector, added in lane order in
     * double: a fixed order, unlike {@code reduceLanes}. The vector is stored by the caller rather
     * than passed here: C2 boxes a vector passed to a call it leaves out of line, which allocated
     * once per call of the loss kernels, in every training step.
     */
    static double laneSum(float[] lanes) {
        double sum = 0;
        for (int i = 0; i < L; i++) {
            sum += lanes[i];
        }
        return sum;
    }

    /**
     * The columns of a block of short rows from {@code base}, gathered into {@code columns} (column j
     * at j L, lane i from row i); returns each row's maximum, the shift before its exponentials, 0 for
     * a row of minus infinities (which keeps exp finite; the result is NaN as in PyTorch).
     */
    private static FloatVector gatherColumns(float[] x, int base, int cols, int[] starts, VectorMask<Float> live,
                                             float[] columns) {
        FloatVector max = FloatVector.broadcast(FS, Float.NEGATIVE_INFINITY);
        for (int j = 0; j < cols; j++) {
            FloatVector column = FloatVector.fromArray(FS, x, base + j, starts, 0, live);
            column.intoArray(columns, j * L);
            max = max.max(column);
        }
        return max.blend(FloatVector.zero(FS), max.eq(Float.NEGATIVE_INFINITY));
    }

    /** Rows shorter than a vector: each row's sum, added in order in float (as {@link #rowSum} adds a short tail). */
    private static void sumShortRows(float[] x, float[] sums, int rows, int cols) {
        for (int r = 0, base = 0; r < rows; r++, base += cols) {
            float total = 0;
            for (int j = base; j < base + cols; j++) {
                total += x[j];
            }
            sums[r] = total;
        }
    }

    static void softmaxRowsBackward(float[] y, float[] g, float[] out, int rows, int cols, boolean log) {
        int size = rows * cols;
        if (size == 0) {
            return;
        }
        Buffers buffers = BUFFERS.get();
        float[] sums = buffers.rows(rows);
        if (log) {
            if (cols < L) {
                sumShortRows(g, sums, rows, cols);
            } else {
                for (int r = 0; r < rows; r++) {
                    sums[r] = (float) rowSum(g, r * cols, cols, buffers.lanes);
                }
            }
            float[] e = buffers.values(size);
            exp(y, e, size);
            // out = g - e * sum(g) of the row
            for (int r = 0; r < rows; r++) {
                int base = r * cols, end = base + cols;
                float s = sums[r];
                int j = base;
                for (int bound = base + FS.loopBound(cols); j < bound; j += L) {
                    VectorKernels.flush(FloatVector.fromArray(FS, e, j).mul(-s).add(FloatVector.fromArray(FS, g, j))).intoArray(out, j);
                }
                for (; j < end; j++) {
                    out[j] = ScalarKernels.flush(g[j] - e[j] * s);
                }
            }
            return;
        }
        // out = y * (g - sum(g y) of the row)
        float[] products = buffers.values(size);
        int i = 0;
        for (int bound = FS.loopBound(size); i < bound; i += L) {
            FloatVector.fromArray(FS, g, i).mul(FloatVector.fromArray(FS, y, i)).intoArray(products, i);
        }
        for (; i < size; i++) {
            products[i] = g[i] * y[i];
        }
        if (cols < L) {
            sumShortRows(products, sums, rows, cols);
        } else {
            for (int r = 0; r < rows; r++) {
                sums[r] = (float) rowSum(products, r * cols, cols, buffers.lanes);
            }
        }
        for (int r = 0; r < rows; r++) {
            int base = r * cols, end = base + cols;
            float s = sums[r];
            int j = base;
            for (int bound = base + FS.loopBound(cols); j < bound; j += L) {
                VectorKernels.flush(FloatVector.fromArray(FS, g, j).sub(s).mul(FloatVector.fromArray(FS, y, j))).intoArray(out, j);
            }
            for (; j < end; j++) {
                out[j] = ScalarKernels.flush(y[j] * (g[j] - s));
            }
        }
    }

    /** The largest of {@code x[from .. from + n)}, NaN if any is NaN. Maxima do not depend on the order. */
    private static float rowMax(float[] x, int from, int n) {
        float max = Float.NEGATIVE_INFINITY;
        int i = from, end = from + n;
        if (n >= L) {
            FloatVector m = FloatVector.broadcast(FS, Float.NEGATIVE_INFINITY);
            for (int bound = from + FS.loopBound(n); i < bound; i += L) {
                m = m.max(FloatVector.fromArray(FS, x, i));
            }
            max = m.reduceLanes(VectorOperators.MAX);
        }
        for (; i < end; i++) {
            max = Math.max(max, x[i]);
        }
        return max;
    }

    /** {@code out[i] = x[i] - v} over {@code [from, from + n)}. */
    private static void subtract(float[] x, float[] out, int from, int n, float v) {
        int i = from, end = from + n;
        for (int bound = from + FS.loopBound(n); i < bound; i += L) {
            FloatVector.fromArray(FS, x, i).sub(v).intoArray(out, i);
        }
        for (; i < end; i++) {
            out[i] = x[i] - v;
        }
    }

    /** {@code x[i] *= v} over {@code [from, from + n)}, subnormal products flushed to zero. */
    static void scale(float[] x, int from, int n, float v) {
        int i = from, end = from + n;
        for (int bound = from + FS.loopBound(n); i < bound; i += L) {
            VectorKernels.flush(FloatVector.fromArray(FS, x, i).mul(v)).intoArray(x, i);
        }
        for (; i < end; i++) {
            x[i] = ScalarKernels.flush(x[i] * v);
        }
    }

    /** {@code out[i] = exp(x[i])} for i below n, as the provider's EXP kernel computes it. */
    private static void exp(float[] x, float[] out, int n) {
        int i = 0;
        for (int bound = FS.loopBound(n); i < bound; i += L) {
            FloatVector.fromArray(FS, x, i).lanewise(VectorOperators.EXP).intoArray(out, i);
        }
        for (; i < n; i++) {
            out[i] = (float) Math.exp(x[i]);
        }
    }

    /**
     * {@link KernelProvider#outerUnaryBackward} (w not null: the incoming gradient of element (r, c)
     * is {@code g[r] w[c]}) and {@link KernelProvider#unaryBackwardColumnSums} (w null: it is
     * {@code g[r * cols + c]}): row by row, each row a vector of columns at a time, added into the
     * block's column sums in a buffer (in L1), so that y, g and out stream in order; the sums add
     * in float over {@link #BLOCK} rows and carry each block in double. Walking a vector of columns
     * down all the rows instead, with its sum in a register, took 92 us for 256 x 512 against 51
     * for the derivative and the column sums as two passes (a 2 KiB stride through three arrays).
     * The last columns are a vector overlapping the one before, summed in a slot of its own whose
     * lanes already summed by the one before are left out; rows narrower than a vector go element
     * by element. Each column's sum is the same sequence of float additions either way.
     */
    static void backwardColumnSums(UnaryFunction f, float[] g, float[] w, float[] y, float[] out, int rows, int cols,
                                   float[] columnSums) {
        int parts = cols < L ? 1 : Math.min(VectorKernels.elementwiseParts(rows * cols), cols / L);
        if (parts == 1) {
            backwardColumnSums(f, g, w, y, out, rows, cols, 0, cols, columnSums);
            return;
        }
        // whole columns to each part, so that each column's sum is the one it would be alone
        Threads.run(parts, t -> backwardColumnSums(f, g, w, y, out, rows, cols,
                VectorKernels.partStart(t, parts, cols), VectorKernels.partStart(t + 1, parts, cols), columnSums));
    }

    /**
     * {@link #backwardColumnSums(UnaryFunction, float[], float[], float[], float[], int, int, float[])}
     * for columns {@code from} to {@code to} of each row: at least a vector of them, or all.
     */
    private static void backwardColumnSums(UnaryFunction f, float[] g, float[] w, float[] y, float[] out, int rows,
                                           int cols, int from, int to, float[] columnSums) {
        int width = to - from;
        Buffers buffers = BUFFERS.get();
        double[] totals = buffers.totals(width);
        Arrays.fill(totals, 0, width, 0.0);
        if (width >= L) {
            int whole = width - width % L, last = width - L;
            // the block's sums: the whole vectors', then the overlapping last vector's
            float[] sums = buffers.blockSums(whole + L);
            for (int r0 = 0; r0 < rows; r0 += BLOCK) {
                int r1 = Math.min(rows, r0 + BLOCK);
                Arrays.fill(sums, 0, whole + L, 0f);
                // rows four at a time, so that each vector of sums is read and written once per four rows
                for (int r = r0; r < r1; r += 4) {
                    int count = Math.min(4, r1 - r);
                    for (int c = 0; c < whole; c += L) {
                        backwardInto(f, g, w, y, out, r, count, cols, from + c, sums, c);
                    }
                    if (whole < width) {
                        backwardInto(f, g, w, y, out, r, count, cols, from + last, sums, whole);
                    }
                }
                for (int c = 0; c < whole; c++) {
                    totals[c] += sums[c];
                }
                for (int c = whole; c < width; c++) {
                    totals[c] += sums[whole + c - last];
                }
            }
        } else {
            narrowBackwardColumnSums(f, g, w, y, out, rows, cols, totals);
        }
        for (int c = 0; columnSums != null && c < width; c++) {
            columnSums[from + c] = (float) totals[c];
        }
    }

    /**
     * {@link #backwardColumnSums} of rows narrower than a vector, into {@code totals}: the incoming
     * gradient, then the derivative over all rows as one run of elements, then the column sums.
     */
    private static void narrowBackwardColumnSums(UnaryFunction f, float[] g, float[] w, float[] y, float[] out,
                                                 int rows, int cols, double[] totals) {
        float[] incoming = g;
        if (w != null) {
            for (int r = 0, at = 0; r < rows; r++) {
                for (int c = 0; c < cols; c++, at++) {
                    out[at] = g[r] * w[c];
                }
            }
            incoming = out;
        }
        // the derivative's loop here rather than through VectorKernels.unaryBackward, which some JVMs
        // left compiled at C1's second tier for good, its vector operations plain Java: 18.9 KB
        // allocated per three-class training step (13- and 8-wide layers)
        int n = rows * cols, bound = FS.loopBound(n), i = 0;
        for (; i < bound; i += L) {
            VectorKernels.backward(f, FloatVector.fromArray(FS, y, i), FloatVector.fromArray(FS, incoming, i))
                    .intoArray(out, i);
        }
        for (; i < n; i++) {
            out[i] = ScalarKernels.backward(f, y[i], incoming[i]);
        }
        for (int r = 0, at = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++, at++) {
                totals[c] += out[at];
            }
        }
    }

    /**
     * One vector of {@link #backwardColumnSums}: columns c to c + L of {@code count} rows from r into
     * out, added in row order to the sums at {@code sums[s ..]}.
     */
    private static void backwardInto(UnaryFunction f, float[] g, float[] w, float[] y, float[] out, int r, int count,
                                     int cols, int c, float[] sums, int s) {
        FloatVector sum = FloatVector.fromArray(FS, sums, s);
        // never a null vector: C2 (JDK 25) failed to compile this method and the caller, "Bad graph
        // detected in build_loop_late", once other models' steps had run in the JVM, and left both to
        // C1, whose vector operations are plain Java (a fizzbuzz step took 102 us instead of 18)
        FloatVector wc = w == null ? FloatVector.zero(FS) : FloatVector.fromArray(FS, w, c);
        for (int q = 0, at = r * cols + c; q < count; q++, at += cols) {
            FloatVector incoming = w == null ? FloatVector.fromArray(FS, g, at) : wc.mul(g[r + q]);
            FloatVector d = VectorKernels.backward(f, FloatVector.fromArray(FS, y, at), incoming);
            d.intoArray(out, at);
            sum = sum.add(d);
        }
        sum.intoArray(sums, s);
    }
}
