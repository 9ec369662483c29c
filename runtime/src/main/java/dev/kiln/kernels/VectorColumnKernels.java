package dev.kiln.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Vector API's kernels for the batch-along-vectors layout of a compiled training step, for
 * {@link VectorKernels}: a matrix of features x batch, one row per feature. There a vector holds L
 * samples of one feature, so a classifier's three logits or a layer's eight outputs fill whole
 * vectors instead of a few lanes of one, and a row's bias is one broadcast value.
 */
final class VectorColumnKernels {
    private static final VectorSpecies<Float> FS = FloatVector.SPECIES_PREFERRED;
    private static final int L = FS.length();
    /** A 16 x 16 block on its way through {@link #addRowVectorUnaryTransposed}, one per thread. */
    private static final ThreadLocal<float[]> BLOCK = ThreadLocal.withInitial(() -> new float[16 * 16]);
    /** The last rows of {@link #addRowVectorUnaryTransposed}, zero-padded to a 16 x 16 block. */
    private static final ThreadLocal<float[]> PADDED = ThreadLocal.withInitial(() -> new float[16 * 16]);
    /** The lanes of a loss sum on their way into a double: {@link #crossEntropyColumns}. */
    private static final ThreadLocal<float[]> LANES = ThreadLocal.withInitial(() -> new float[L]);

    private VectorColumnKernels() {}

    /**
     * {@link KernelProvider#addRowVectorUnaryTransposed}: blocks of 16 rows by up to 16 columns go
     * through registers ({@link VectorKernels#transpose16}) into a 16 x 16 block, whose rows (the
     * block's columns, 16 samples of one feature each) get their bias as one broadcast value and the
     * activation before they are stored. A block narrower than 16 columns (a layer of 13 features)
     * reads past its columns into the next row; the last rows, and a block whose reads would leave
     * the array, are read from a zero-padded copy. With other lane counts, elements one by one, then
     * the activation in place.
     */
    static void addRowVectorUnaryTransposed(UnaryFunction f, float[] x, float[] row, float[] out, int rows,
                                            int cols) {
        if (L != VectorKernels.TRANSPOSE_LANES) {
            for (int r = 0; r < rows; r++) {
                for (int c = 0; c < cols; c++) {
                    out[c * rows + r] = row == null ? x[r * cols + c] : x[r * cols + c] + row[c];
                }
            }
            VectorKernels.unary(f, out, out, 0, rows * cols);
            return;
        }
        float[] block = BLOCK.get();
        for (int r0 = 0; r0 < rows; r0 += 16) {
            int live = Math.min(16, rows - r0);
            VectorMask<Float> lanes = FS.indexInRange(0, live);
            for (int c0 = 0; c0 < cols; c0 += 16) {
                int width = Math.min(16, cols - c0);
                int from = r0 * cols + c0;
                if (live == 16 && from + 15 * cols + 16 <= x.length) {
                    VectorKernels.transpose16(x, from, cols, block, 0, 16);
                } else {
                    // the rows left, each padded to 16 columns, then zero rows
                    float[] padded = PADDED.get();
                    java.util.Arrays.fill(padded, 0f);
                    for (int r = 0; r < live; r++) {
                        System.arraycopy(x, from + r * cols, padded, r * 16, width);
                    }
                    VectorKernels.transpose16(padded, 0, 16, block, 0, 16);
                }
                for (int c = 0; c < width; c++) {
                    FloatVector v = FloatVector.fromArray(FS, block, c * 16);
                    if (row != null) {
                        v = v.add(row[c0 + c]);
                    }
                    VectorKernels.apply(f, v).intoArray(out, (c0 + c) * rows + r0, lanes);
                }
            }
        }
    }

    /**
     * {@link KernelProvider#addColumnVector} and, with f not null, {@link KernelProvider#addColumnVectorUnary}:
     * each row's value broadcast once, the row in vectors and a masked last vector.
     */
    static void addColumnVector(UnaryFunction f, float[] x, float[] column, float[] out, int rows, int cols) {
        int bound = FS.loopBound(cols);
        for (int r = 0; r < rows; r++) {
            FloatVector bias = FloatVector.broadcast(FS, column[r]);
            int base = r * cols;
            int c = 0;
            for (; c < bound; c += L) {
                FloatVector v = FloatVector.fromArray(FS, x, base + c).add(bias);
                (f == null ? v : VectorKernels.apply(f, v)).intoArray(out, base + c);
            }
            if (c < cols) {
                VectorMask<Float> tail = FS.indexInRange(c, cols);
                FloatVector v = FloatVector.fromArray(FS, x, base + c, tail).add(bias);
                (f == null ? v : VectorKernels.apply(f, v)).intoArray(out, base + c, tail);
            }
        }
    }

    /**
     * {@link KernelProvider#crossEntropyColumns}: L samples at a time, one per lane, as
     * {@link VectorRowKernels#crossEntropyShortRows} computes rows, but each class's logits of the L
     * samples are one contiguous load instead of a gather. The exponentials wait in grad for the
     * sums; the losses add lane-wise in float over {@link VectorRowKernels#BLOCK} samples, each
     * block's sum carried in double.
     */
    static double crossEntropyColumns(float[] x, int classes, int n, long[] target, long ignoreIndex, float scale,
                                      float[] grad) {
        float[] lanes = LANES.get();
        Samples samples = SAMPLES.get().of(n);
        // the targets as floats, -1 for a sample not counted and past n: read as vectors below
        for (int i = 0, size = (n + L - 1) / L * L; i < size; i++) {
            long t = i < n ? target[i] : ignoreIndex;
            samples.classes[i] = t == ignoreIndex ? -1f : t;
        }
        FloatVector zero = FloatVector.zero(FS);
        FloatVector one = FloatVector.broadcast(FS, 1f);
        FloatVector scaleVector = FloatVector.broadcast(FS, scale);
        // Each sample's loss is log(sum) - its shifted target logit. A sum lies in [1, classes] (the
        // maximum's own term is 1), so the sums of several vectors of samples multiply lane-wise
        // without overflow (at most 2^126) and one logarithm serves them all.
        int perLog = Math.max(1, Math.min(VectorRowKernels.BLOCK / L, (int) (126 / log2(classes))));
        FloatVector product = one, picks = zero, block = zero;
        int pending = 0;
        double total = 0;
        for (int j0 = 0; j0 < n; j0 += L) {
            VectorMask<Float> live = FS.indexInRange(j0, n);
            FloatVector cls = FloatVector.fromArray(FS, samples.classes, j0);
            VectorMask<Float> counted = cls.compare(VectorOperators.GE, 0f);
            FloatVector max = FloatVector.broadcast(FS, Float.NEGATIVE_INFINITY);
            for (int c = 0; c < classes; c++) {
                max = max.max(FloatVector.fromArray(FS, x, c * n + j0, live));
            }
            // a sample of minus infinities: keep exp finite; the result is NaN as in PyTorch
            max = max.blend(zero, max.eq(Float.NEGATIVE_INFINITY));
            FloatVector sum = zero;
            FloatVector picked = zero;
            for (int c = 0; c < classes; c++) {
                FloatVector shifted = FloatVector.fromArray(FS, x, c * n + j0, live).sub(max);
                picked = picked.blend(shifted, cls.eq((float) c));
                FloatVector e = shifted.lanewise(VectorOperators.EXP);
                sum = sum.add(e);
                e.intoArray(grad, c * n + j0, live);
            }
            // samples not counted multiply by 1 and add 0
            product = product.mul(one.blend(sum, counted));
            picks = picks.add(zero.blend(picked, counted));
            if (++pending == perLog || j0 + L >= n) {
                block = block.add(product.lanewise(VectorOperators.LOG).sub(picks));
                product = one;
                picks = zero;
                pending = 0;
            }
            scaleVector.div(sum).intoArray(samples.inverses, j0);
            // the losses added lane-wise in float over BLOCK samples, each block's sum carried in double
            if ((j0 + L) % VectorRowKernels.BLOCK == 0) {
                block.intoArray(lanes, 0);
                total += VectorRowKernels.laneSum(lanes);
                block = zero;
            }
        }
        crossEntropyColumnsGradient(classes, n, scaleVector, samples, grad);
        block.intoArray(lanes, 0);
        return total + VectorRowKernels.laneSum(lanes);
    }

    /**
     * The gradient of {@link #crossEntropyColumns} from the exponentials in grad: each times its
     * sample's scale / sum, minus the scale at the target class, zero in samples not counted. A
     * method of its own: in one with the loss, C2 reached its node limit for inlining before the end
     * and ran these vector operations as plain Java, allocating each result (19 KB per three-class
     * training step).
     */
    private static void crossEntropyColumnsGradient(int classes, int n, FloatVector scaleVector, Samples samples,
                                                    float[] grad) {
        FloatVector zero = FloatVector.zero(FS);
        for (int j0 = 0; j0 < n; j0 += L) {
            VectorMask<Float> live = FS.indexInRange(j0, n);
            FloatVector cls = FloatVector.fromArray(FS, samples.classes, j0);
            VectorMask<Float> counted = cls.compare(VectorOperators.GE, 0f);
            FloatVector inverse = FloatVector.fromArray(FS, samples.inverses, j0);
            for (int c = 0; c < classes; c++) {
                FloatVector g = FloatVector.fromArray(FS, grad, c * n + j0, live).mul(inverse);
                g = VectorKernels.flush(g.sub(zero.blend(scaleVector, cls.eq((float) c))));
                zero.blend(g, counted).intoArray(grad, c * n + j0, live);
            }
        }
    }

    /** Per sample of {@link #crossEntropyColumns}, one thread's: scale / sum of exponentials, and the target (-1 when not counted). */
    private static final class Samples {
        float[] inverses = new float[0];
        float[] classes = new float[0];

        Samples of(int n) {
            int size = (n + L - 1) / L * L;
            if (inverses.length < size) {
                inverses = new float[size];
                classes = new float[size];
            }
            return this;
        }
    }

    private static final ThreadLocal<Samples> SAMPLES = ThreadLocal.withInitial(Samples::new);

    private static double log2(int classes) {
        return Math.log(Math.max(2, classes)) / Math.log(2);
    }
}
