package dev.kiln.kernels;

/**
 * Reductions over the middle axis of a contiguous array read as {@code (outer, n, inner)}. The
 * loops run over {@code inner} innermost so that memory is read in order. The float32 sums and the
 * softmax of rows run on the {@linkplain Kernels#provider() provider}'s kernels; the others are plain
 * loops in double.
 */
public final class Reduce {
    private static final KernelProvider PROVIDER = Kernels.provider();

    private Reduce() {}

    /** Float32 sums along the middle axis: the result has {@code outer * inner} elements; see {@link KernelProvider#sum}. */
    public static float[] sum(float[] x, int outer, int n, int inner) {
        float[] out = new float[outer * inner];
        PROVIDER.sum(x, outer, n, inner, out);
        return out;
    }

    /** The softmax or log-softmax of each row of a rows x cols float32 matrix, into a new array; see {@link KernelProvider#softmaxRows}. */
    public static float[] softmaxRows(float[] x, int rows, int cols, boolean log) {
        float[] out = new float[rows * cols];
        PROVIDER.softmaxRows(x, out, rows, cols, log);
        return out;
    }

    /** The gradient through {@link #softmaxRows}, into a new array; see {@link KernelProvider#softmaxRowsBackward}. */
    public static float[] softmaxRowsBackward(float[] y, float[] g, int rows, int cols, boolean log) {
        float[] out = new float[rows * cols];
        PROVIDER.softmaxRowsBackward(y, g, out, rows, cols, log);
        return out;
    }

    /** Sums along the middle axis: the result has {@code outer * inner} elements. */
    public static double[] sum(double[] x, int outer, int n, int inner) {
        double[] out = new double[outer * inner];
        for (int o = 0; o < outer; o++) {
            int base = o * n * inner, at = o * inner;
            for (int k = 0; k < n; k++) {
                int row = base + k * inner;
                for (int i = 0; i < inner; i++) {
                    out[at + i] += x[row + i];
                }
            }
        }
        return out;
    }

    /** Sums along the middle axis, in 64-bit integers (wrapping on overflow, as PyTorch). */
    public static long[] sum(long[] x, int outer, int n, int inner) {
        long[] out = new long[outer * inner];
        for (int o = 0; o < outer; o++) {
            int base = o * n * inner, at = o * inner;
            for (int k = 0; k < n; k++) {
                int row = base + k * inner;
                for (int i = 0; i < inner; i++) {
                    out[at + i] += x[row + i];
                }
            }
        }
        return out;
    }

    /**
     * The maxima (or minima) along the middle axis, writing the index of the first one into
     * {@code indices}; a NaN beats every number, so NaNs propagate as in PyTorch.
     */
    public static double[] extreme(double[] x, int outer, int n, int inner, boolean max, long[] indices) {
        double[] out = new double[outer * inner];
        for (int o = 0; o < outer; o++) {
            for (int i = 0; i < inner; i++) {
                int base = o * n * inner + i;
                double best = x[base];
                int bestK = 0;
                for (int k = 1; k < n && !Double.isNaN(best); k++) {
                    double v = x[base + k * inner];
                    if (Double.isNaN(v) || (max ? v > best : v < best)) {
                        best = v;
                        bestK = k;
                    }
                }
                out[o * inner + i] = best;
                indices[o * inner + i] = bestK;
            }
        }
        return out;
    }

    /** As {@link #extreme(double[], int, int, int, boolean, long[])}, for integers. */
    public static long[] extreme(long[] x, int outer, int n, int inner, boolean max, long[] indices) {
        long[] out = new long[outer * inner];
        for (int o = 0; o < outer; o++) {
            for (int i = 0; i < inner; i++) {
                int base = o * n * inner + i;
                long best = x[base];
                int bestK = 0;
                for (int k = 1; k < n; k++) {
                    long v = x[base + k * inner];
                    if (max ? v > best : v < best) {
                        best = v;
                        bestK = k;
                    }
                }
                out[o * inner + i] = best;
                indices[o * inner + i] = bestK;
            }
        }
        return out;
    }

    /**
     * Softmax (or log-softmax) along the middle axis, in place. The maximum is subtracted first, so
     * large inputs do not overflow.
     */
    public static void softmax(double[] x, int outer, int n, int inner, boolean log) {
        for (int o = 0; o < outer; o++) {
            for (int i = 0; i < inner; i++) {
                int base = o * n * inner + i;
                double max = Double.NEGATIVE_INFINITY;
                for (int k = 0; k < n; k++) {
                    max = Math.max(max, x[base + k * inner]);
                }
                if (max == Double.NEGATIVE_INFINITY) {
                    max = 0; // all -inf: keep exp finite; the result is NaN as in PyTorch
                }
                double total = 0;
                for (int k = 0; k < n; k++) {
                    total += Math.exp(x[base + k * inner] - max);
                }
                if (log) {
                    double shift = max + Math.log(total);
                    for (int k = 0; k < n; k++) {
                        x[base + k * inner] -= shift;
                    }
                } else {
                    for (int k = 0; k < n; k++) {
                        int at = base + k * inner;
                        x[at] = Math.exp(x[at] - max) / total;
                    }
                }
            }
        }
    }
}
