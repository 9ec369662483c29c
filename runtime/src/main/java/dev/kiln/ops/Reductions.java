package dev.kiln.ops;

import dev.kiln.DType;
import dev.kiln.Shape;
import dev.kiln.Tensor;
import dev.kiln.ValuesAndIndices;
import dev.kiln.autograd.Graph;
import dev.kiln.device.cuda.CudaOps;
import dev.kiln.kernels.Reduce;
import dev.kiln.kernels.Strided;
import java.util.Arrays;

/**
 * Reductions along dimensions (sum, mean, max, min and their indices) and the normalisations that
 * reduce internally (softmax, log-softmax), each with its derivative.
 *
 * <p>A tensor reduced along dimension {@code d} is read as {@code (outer, n, inner)}: {@code n} is
 * the size of {@code d}, {@code outer} the product of the sizes before it, {@code inner} after it.
 */
public final class Reductions {
    private Reductions() {}

    /** Sorted, distinct, wrapped dimensions; all of them when {@code dims} is null. */
    private static int[] reducedDims(int[] dims, int rank, String op) {
        if (dims == null) {
            int[] all = new int[rank];
            for (int i = 0; i < rank; i++) {
                all[i] = i;
            }
            return all;
        }
        int[] wrapped = new int[dims.length];
        for (int i = 0; i < dims.length; i++) {
            wrapped[i] = Broadcast.dim(dims[i], rank, op);
        }
        Arrays.sort(wrapped);
        for (int i = 1; i < wrapped.length; i++) {
            if (wrapped[i] == wrapped[i - 1]) {
                throw new IllegalArgumentException(op + ": dimension " + wrapped[i] + " appears twice in "
                        + Arrays.toString(dims));
            }
        }
        return rank == 0 ? new int[0] : wrapped;
    }

    /** The shape after reducing {@code reduced}, with size-1 dimensions kept or removed. */
    private static int[] reducedShape(int[] dims, int[] reduced, boolean keepDim) {
        int[] kept = dims.clone();
        for (int d : reduced) {
            kept[d] = 1;
        }
        if (keepDim) {
            return kept;
        }
        int[] out = new int[dims.length - reduced.length];
        for (int i = 0, j = 0, r = 0; i < dims.length; i++) {
            if (r < reduced.length && reduced[r] == i) {
                r++;
            } else {
                out[j++] = dims[i];
            }
        }
        return out;
    }

    private static int product(int[] dims, int from, int to) {
        int p = 1;
        for (int i = from; i < to; i++) {
            p *= dims[i];
        }
        return p;
    }

    /**
     * Sums {@code data} (contiguous, of {@code dims}) along each of {@code reduced}, keeping them as size 1:
     * in the array's own type, {@code long[]}, {@code double[]} or {@code float[]} (float32 by the
     * provider's kernel, within float32 tolerance of the double sum).
     */
    private static Object sumKernel(Object data, int[] dims, int[] reduced) {
        if (reduced.length == 0) {
            return data instanceof long[] l ? l.clone() : data instanceof float[] f ? f.clone() : ((double[]) data).clone();
        }
        if (data instanceof float[] values) {
            if (reduced.length == dims.length) {
                return Reduce.sum(values, 1, values.length, 1); // everything: one pass over the array
            }
            int[] current = dims.clone();
            for (int k = reduced.length - 1; k >= 0; k--) {
                int d = reduced[k];
                int outer = product(current, 0, d), n = current[d], inner = product(current, d + 1, current.length);
                values = Reduce.sum(values, outer, n, inner);
                current[d] = 1;
            }
            return values;
        }
        int[] current = dims.clone();
        Object values = data;
        for (int k = reduced.length - 1; k >= 0; k--) {
            int d = reduced[k];
            int outer = product(current, 0, d), n = current[d], inner = product(current, d + 1, current.length);
            values = values instanceof long[] l ? Reduce.sum(l, outer, n, inner) : Reduce.sum((double[]) values, outer, n, inner);
            current[d] = 1;
        }
        return values;
    }

    public static Tensor sum(Tensor x, int[] dimsOrNull, boolean keepDim) {
        int[] inputDims = Views.ACCESS.dims(x).clone();
        int[] reduced = reducedDims(dimsOrNull, inputDims.length, "sum");
        DType type = x.dtype().isFloatingPoint() ? x.dtype() : DType.INT64;
        DType compute = type == DType.INT64 ? DType.INT64 : type == DType.FLOAT32 ? DType.FLOAT32 : DType.FLOAT64;
        int[] outDims = reducedShape(inputDims, reduced, keepDim && dimsOrNull != null);
        Tensor y;
        if (Dispatch.onCuda("sum", x)) {
            y = CudaOps.sum(x, reduced, outDims);
        } else {
            Object sums = sumKernel(Views.readAs(x, compute), inputDims, reduced);
            y = Views.wrap(type, compute == type ? sums : Strided.convert(sums, compute, type), outDims);
        }
        int[] keptDims = reducedShape(inputDims, reduced, true);
        String name = dimsOrNull == null ? "SumBackward0" : "SumBackward1";
        return Graph.record(name, y, new Tensor[] {x}, (g, ctx) -> new Tensor[] {g.reshape(keptDims).expand(inputDims)});
    }

    public static Tensor mean(Tensor x, int[] dimsOrNull, boolean keepDim) {
        if (!x.dtype().isFloatingPoint()) {
            throw new IllegalArgumentException("mean: the input must be floating point, but it is "
                    + x.dtype().pytorchName() + "; convert it with toFloat() first");
        }
        int[] inputDims = Views.ACCESS.dims(x).clone();
        int[] reduced = reducedDims(dimsOrNull, inputDims.length, "mean");
        int count = 1;
        for (int d : reduced) {
            count *= inputDims[d];
        }
        int[] outDims = reducedShape(inputDims, reduced, keepDim && dimsOrNull != null);
        Tensor y;
        if (Dispatch.onCuda("mean", x)) {
            y = CudaOps.scale(CudaOps.sum(x, reduced, outDims), 1.0 / count);
        } else if (x.dtype() == DType.FLOAT32) {
            float[] sums = (float[]) sumKernel(Views.readAs(x, DType.FLOAT32), inputDims, reduced);
            for (int i = 0; i < sums.length; i++) {
                sums[i] = (float) ((double) sums[i] / count);
            }
            y = Views.wrap(DType.FLOAT32, sums, outDims);
        } else {
            double[] sums = (double[]) sumKernel(Views.readAs(x, DType.FLOAT64), inputDims, reduced);
            for (int i = 0; i < sums.length; i++) {
                sums[i] /= count;
            }
            y = Views.wrap(x.dtype(), Strided.convert(sums, DType.FLOAT64, x.dtype()), outDims);
        }
        int[] keptDims = reducedShape(inputDims, reduced, true);
        double scale = 1.0 / count;
        String name = dimsOrNull == null ? "MeanBackward0" : "MeanBackward1";
        return Graph.record(name, y, new Tensor[] {x},
                (g, ctx) -> new Tensor[] {g.times(scale).reshape(keptDims).expand(inputDims)});
    }

    /** The largest (or smallest) element; the gradient is shared evenly among ties, as PyTorch does. */
    public static Tensor extreme(Tensor x, boolean max) {
        if (x.numel() == 0) {
            throw new IllegalArgumentException((max ? "max" : "min") + ": the tensor has no elements "
                    + Shape.describe(Views.ACCESS.dims(x)) + "; give a dimension to reduce an empty tensor");
        }
        ValuesAndIndices r;
        try (var noGrad = dev.kiln.Kiln.noGrad()) {
            r = extreme(x.reshape(-1), 0, false, max);
        }
        Tensor y = r.values();
        return Graph.record(max ? "MaxBackward1" : "MinBackward1", y, new Tensor[] {x}, new Tensor[] {x, y}, (g, ctx) -> {
            Tensor in = ctx.saved(0);
            Tensor ties = in.eq(ctx.saved(1)).to(g.dtype());
            return new Tensor[] {ties.times(g.div(ties.sum()))};
        });
    }

    /** Values and first indices of the maxima (or minima) along {@code dim}; NaN counts as the extreme. */
    public static ValuesAndIndices extreme(Tensor x, int dim, boolean keepDim, boolean max) {
        String op = max ? "max" : "min";
        int[] inputDims = Views.ACCESS.dims(x).clone();
        int d = Broadcast.dim(dim, inputDims.length, op);
        int rank = inputDims.length;
        int n = rank == 0 ? 1 : inputDims[d];
        if (n == 0) {
            throw new IllegalArgumentException(op + ": cannot reduce dimension " + d + " of size 0 (tensor of shape "
                    + Shape.describe(inputDims) + ")");
        }
        int outer = rank == 0 ? 1 : product(inputDims, 0, d), inner = rank == 0 ? 1 : product(inputDims, d + 1, rank);
        long[] indices = new long[outer * inner];
        DType compute = x.dtype().isFloatingPoint() ? DType.FLOAT64 : DType.INT64;
        Object values = compute == DType.FLOAT64
                ? Reduce.extreme((double[]) Views.readAs(x, compute), outer, n, inner, max, indices)
                : Reduce.extreme((long[]) Views.readAs(x, compute), outer, n, inner, max, indices);
        int[] reduced = rank == 0 ? new int[0] : new int[] {d};
        int[] outDims = reducedShape(inputDims, reduced, keepDim);
        Tensor y = Views.wrap(x.dtype(), Strided.convert(values, compute, x.dtype()), outDims);
        Tensor idx = Views.wrap(DType.INT64, indices, outDims.clone());
        Tensor recorded = Graph.record(max ? "MaxBackward0" : "MinBackward0", y, new Tensor[] {x}, new Tensor[] {idx},
                (g, ctx) -> new Tensor[] {scatterAlong(g, ctx.saved(0), inputDims, d, outer, n, inner)});
        return new ValuesAndIndices(recorded, idx);
    }

    /** Zeros of {@code dims} with {@code g} written at {@code indices} along dimension {@code d}. */
    private static Tensor scatterAlong(Tensor g, Tensor indices, int[] dims, int d, int outer, int n, int inner) {
        DType type = g.dtype();
        double[] grads = (double[]) Views.readAs(g, DType.FLOAT64);
        long[] at = (long[]) Views.readAs(indices, DType.INT64);
        double[] out = new double[outer * n * inner];
        for (int o = 0; o < outer; o++) {
            for (int i = 0; i < inner; i++) {
                int k = o * inner + i;
                out[(o * n + (int) at[k]) * inner + i] = grads[k];
            }
        }
        return Views.wrap(type, Strided.convert(out, DType.FLOAT64, type), dims.clone());
    }

    public static Tensor softmax(Tensor x, int dim) {
        return normalise(x, dim, false);
    }

    public static Tensor logSoftmax(Tensor x, int dim) {
        return normalise(x, dim, true);
    }

    private static Tensor normalise(Tensor x, int dim, boolean log) {
        String op = log ? "logSoftmax" : "softmax";
        if (!x.dtype().isFloatingPoint()) {
            throw new IllegalArgumentException(op + ": the input must be floating point, but it is "
                    + x.dtype().pytorchName() + "; convert it with toFloat() first");
        }
        int[] dims = Views.ACCESS.dims(x).clone();
        int rank = dims.length;
        int d = Broadcast.dim(dim, rank, op);
        int n = rank == 0 ? 1 : dims[d];
        int outer = rank == 0 ? 1 : product(dims, 0, d), inner = rank == 0 ? 1 : product(dims, d + 1, rank);
        Tensor y;
        if (Dispatch.onCuda(op, x)) {
            y = CudaOps.softmax(x, d, log);
        } else if (x.dtype() == DType.FLOAT32 && inner == 1) {
            return normaliseRows(x, dims, outer, n, log);
        } else {
            double[] values = ((double[]) Views.readAs(x, DType.FLOAT64)).clone();
            Reduce.softmax(values, outer, n, inner, log);
            y = Views.wrap(x.dtype(), Strided.convert(values, DType.FLOAT64, x.dtype()), dims);
        }
        if (log) {
            return Graph.record("LogSoftmaxBackward0", y, new Tensor[] {x}, new Tensor[] {y}, (g, ctx) ->
                    new Tensor[] {g.minus(ctx.saved(0).exp().times(g.sum(d, true)))});
        }
        return Graph.record("SoftmaxBackward0", y, new Tensor[] {x}, new Tensor[] {y}, (g, ctx) -> {
            Tensor out = ctx.saved(0);
            return new Tensor[] {out.times(g.minus(g.times(out).sum(d, true)))};
        });
    }

    /**
     * Softmax or log-softmax of a float32 tensor along its last dimension, forward and backward by the
     * provider's row kernels: one pass each, where the general path builds its derivative from four
     * tensor operations. The same formulas, so the same results within float32 rounding.
     */
    private static Tensor normaliseRows(Tensor x, int[] dims, int rows, int cols, boolean log) {
        float[] values = Reduce.softmaxRows((float[]) Views.readAs(x, DType.FLOAT32), rows, cols, log);
        Tensor y = Views.wrap(DType.FLOAT32, values, dims);
        return Graph.record(log ? "LogSoftmaxBackward0" : "SoftmaxBackward0", y, new Tensor[] {x}, new Tensor[] {y},
                (g, ctx) -> {
                    float[] out = (float[]) Views.readAs(ctx.saved(0), DType.FLOAT32);
                    float[] grad = (float[]) Views.readAs(g, DType.FLOAT32);
                    return new Tensor[] {Views.wrap(DType.FLOAT32, Reduce.softmaxRowsBackward(out, grad, rows, cols, log),
                            dims.clone())};
                });
    }
}
