package dev.kiln.ops;

import dev.kiln.DType;
import dev.kiln.Shape;
import dev.kiln.Tensor;
import dev.kiln.autograd.Graph;
import dev.kiln.kernels.Strided;
import java.util.Arrays;
import java.util.List;

/** Operations that gather or join elements by index: index selection, concatenation, stacking, unique. */
public final class Indexing {
    private Indexing() {}

    public static Tensor indexSelect(Tensor x, int dim, Tensor index) {
        if (index.dtype() != DType.INT64) {
            throw new IllegalArgumentException("indexSelect: the index must be an int64 tensor, but it is "
                    + index.dtype().pytorchName() + "; convert it with toLong()");
        }
        if (index.dim() > 1) {
            throw new IllegalArgumentException("indexSelect: the index must be 1-d, but it has shape "
                    + Shape.describe(Views.ACCESS.dims(index)));
        }
        int[] dims = Views.ACCESS.dims(x).clone();
        int rank = dims.length;
        int d = Broadcast.dim(dim, rank, "indexSelect");
        int size = rank == 0 ? 1 : dims[d];
        long[] at = (long[]) Views.readAs(index, DType.INT64);
        for (long i : at) {
            if (i < -size || i >= size) {
                throw new IndexOutOfBoundsException("indexSelect: index " + i + " is out of bounds for dimension " + d
                        + " with size " + size + " (tensor of shape " + Shape.describe(dims) + ")");
            }
        }
        int outer = 1, inner = 1;
        for (int i = 0; i < d; i++) {
            outer *= dims[i];
        }
        for (int i = d + 1; i < rank; i++) {
            inner *= dims[i];
        }
        Object src = Views.readAs(x, x.dtype());
        Object out = Strided.allocate(x.dtype(), outer * at.length * inner);
        for (int o = 0; o < outer; o++) {
            for (int j = 0; j < at.length; j++) {
                int row = (int) (at[j] < 0 ? at[j] + size : at[j]);
                System.arraycopy(src, (o * size + row) * inner, out, (o * at.length + j) * inner, inner);
            }
        }
        int[] outDims = dims.clone();
        if (rank > 0) {
            outDims[d] = at.length;
        }
        Tensor y = Views.wrap(x.dtype(), out, outDims);
        DType type = x.dtype();
        int sizeFinal = size, outerFinal = outer, innerFinal = inner;
        return Graph.record("IndexSelectBackward0", y, new Tensor[] {x}, new Tensor[] {index}, (g, ctx) -> {
            // Scatter-add: an index listed twice receives both gradients.
            long[] idx = (long[]) Views.readAs(ctx.saved(0), DType.INT64);
            double[] grads = (double[]) Views.readAs(g, DType.FLOAT64);
            double[] acc = new double[outerFinal * sizeFinal * innerFinal];
            for (int o = 0; o < outerFinal; o++) {
                for (int j = 0; j < idx.length; j++) {
                    int row = (int) (idx[j] < 0 ? idx[j] + sizeFinal : idx[j]);
                    int from = (o * idx.length + j) * innerFinal, to = (o * sizeFinal + row) * innerFinal;
                    for (int i = 0; i < innerFinal; i++) {
                        acc[to + i] += grads[from + i];
                    }
                }
            }
            return new Tensor[] {Views.wrap(type, Strided.convert(acc, DType.FLOAT64, type), dims)};
        });
    }

    /**
     * {@code torch.gather}: {@code out[p] = x[p with coordinate dim replaced by index[p]]} for every
     * position {@code p} of {@code index}, which is int64, has {@code x}'s rank and sizes no larger than
     * {@code x}'s outside {@code dim}. The derivative scatter-adds the gradient into zeros of {@code x}'s
     * shape, so an entry picked twice receives both contributions.
     */
    public static Tensor gather(Tensor x, int dim, Tensor index) {
        if (index.dtype() != DType.INT64) {
            throw new IllegalArgumentException("gather: the index must be an int64 tensor, but it is "
                    + index.dtype().pytorchName() + "; convert it with toLong()");
        }
        int[] dims = Views.ACCESS.dims(x).clone();
        int[] indexDims = Views.ACCESS.dims(index).clone();
        int d = Broadcast.dim(dim, dims.length, "gather");
        if (Math.max(indexDims.length, 1) != Math.max(dims.length, 1)) {
            throw new IllegalArgumentException("gather: the index must have as many dimensions as the input, but the"
                    + " input has shape " + Shape.describe(dims) + " and the index " + Shape.describe(indexDims));
        }
        for (int i = 0; i < indexDims.length && dims.length > 0; i++) {
            if (i != d && indexDims[i] > dims[i]) {
                throw new IllegalArgumentException("gather: the index of shape " + Shape.describe(indexDims)
                        + " is larger than the input of shape " + Shape.describe(dims) + " at dimension " + i
                        + " (sizes outside dimension " + d + " must not exceed the input's)");
            }
        }
        long[] at = (long[]) Views.readAs(index, DType.INT64);
        int[] from = gatherSources(dims, d, at, indexDims);
        DType type = x.dtype();
        Object src = Views.readAs(x, type);
        Object out = Strided.allocate(type, from.length);
        switch (type) {
            case FLOAT32 -> {
                float[] s = (float[]) src, o = (float[]) out;
                for (int i = 0; i < from.length; i++) {
                    o[i] = s[from[i]];
                }
            }
            case FLOAT64 -> {
                double[] s = (double[]) src, o = (double[]) out;
                for (int i = 0; i < from.length; i++) {
                    o[i] = s[from[i]];
                }
            }
            case INT64 -> {
                long[] s = (long[]) src, o = (long[]) out;
                for (int i = 0; i < from.length; i++) {
                    o[i] = s[from[i]];
                }
            }
            case BOOL -> {
                boolean[] s = (boolean[]) src, o = (boolean[]) out;
                for (int i = 0; i < from.length; i++) {
                    o[i] = s[from[i]];
                }
            }
        }
        Tensor y = Views.wrap(type, out, indexDims.clone());
        int numel = x.numel();
        return Graph.record("GatherBackward0", y, new Tensor[] {x}, new Tensor[] {index}, (g, ctx) -> {
            Tensor saved = ctx.saved(0);
            int[] sources = gatherSources(dims, d, (long[]) Views.readAs(saved, DType.INT64), Views.ACCESS.dims(saved));
            double[] grads = (double[]) Views.readAs(g, DType.FLOAT64);
            double[] acc = new double[numel];
            for (int i = 0; i < sources.length; i++) {
                acc[sources[i]] += grads[i];
            }
            return new Tensor[] {Views.wrap(type, Strided.convert(acc, DType.FLOAT64, type), dims.clone())};
        });
    }

    /**
     * For each element of an index of {@code indexDims} (row-major), the row-major position in a
     * contiguous tensor of {@code dims} that gather reads; checks each index against the size of {@code d}.
     */
    private static int[] gatherSources(int[] dims, int d, long[] at, int[] indexDims) {
        int rank = dims.length;
        int size = rank == 0 ? 1 : dims[d];
        int[] strides = Strided.contiguousStrides(dims);
        int[] pos = new int[indexDims.length];
        int[] from = new int[at.length];
        for (int i = 0; i < at.length; i++) {
            long k = at[i];
            if (k < 0 || k >= size) {
                throw new IndexOutOfBoundsException("gather: index " + k + " is out of bounds for dimension " + d
                        + " with size " + size + " (input of shape " + Shape.describe(dims) + ", found at position "
                        + Arrays.toString(pos) + " of the index)");
            }
            int flat = 0;
            for (int j = 0; j < rank; j++) {
                flat += (j == d ? (int) k : pos[j]) * strides[j];
            }
            from[i] = flat;
            for (int j = pos.length - 1; j >= 0; j--) {
                if (++pos[j] < indexDims[j]) {
                    break;
                }
                pos[j] = 0;
            }
        }
        return from;
    }

    public static Tensor cat(List<Tensor> tensors, int dim) {
        if (tensors.isEmpty()) {
            throw new IllegalArgumentException("cat: expected a non-empty list of tensors");
        }
        Tensor first = tensors.get(0);
        int rank = first.dim();
        if (rank == 0) {
            throw new IllegalArgumentException("cat: zero-dimensional tensors cannot be concatenated; use stack()");
        }
        int d = Broadcast.dim(dim, rank, "cat");
        int[] dims = Views.ACCESS.dims(first).clone();
        DType type = first.dtype();
        int total = 0;
        int[] sizes = new int[tensors.size()];
        for (int t = 0; t < tensors.size(); t++) {
            Tensor x = tensors.get(t);
            int[] xd = Views.ACCESS.dims(x);
            boolean match = xd.length == rank;
            for (int i = 0; match && i < rank; i++) {
                match = i == d || xd[i] == dims[i];
            }
            if (!match) {
                throw new IllegalArgumentException("cat: tensor " + t + " has shape " + Shape.describe(xd)
                        + " but tensor 0 has shape " + Shape.describe(dims) + "; all sizes except dimension " + d
                        + " must match");
            }
            type = DType.promote(type, x.dtype());
            sizes[t] = xd[d];
            total += xd[d];
        }
        int outer = 1, inner = 1;
        for (int i = 0; i < d; i++) {
            outer *= dims[i];
        }
        for (int i = d + 1; i < rank; i++) {
            inner *= dims[i];
        }
        int[] outDims = dims.clone();
        outDims[d] = total;
        Object out = Strided.allocate(type, outer * total * inner);
        int at = 0;
        for (int t = 0; t < tensors.size(); t++) {
            Object src = Views.readAs(tensors.get(t), type);
            int block = sizes[t] * inner;
            for (int o = 0; o < outer; o++) {
                System.arraycopy(src, o * block, out, (o * total + at) * inner, block);
            }
            at += sizes[t];
        }
        Tensor y = Views.wrap(type, out, outDims);
        Tensor[] inputs = tensors.toArray(new Tensor[0]);
        DType[] types = new DType[inputs.length];
        for (int t = 0; t < inputs.length; t++) {
            types[t] = inputs[t].dtype();
        }
        return Graph.record("CatBackward0", y, inputs, (g, ctx) -> {
            Tensor[] grads = new Tensor[inputs.length];
            for (int t = 0, start = 0; t < inputs.length; start += sizes[t], t++) {
                if (ctx.needsGrad(t)) {
                    grads[t] = g.slice(d, start, start + sizes[t]).to(types[t]);
                }
            }
            return grads;
        });
    }

    public static Tensor stack(List<Tensor> tensors, int dim) {
        if (tensors.isEmpty()) {
            throw new IllegalArgumentException("stack: expected a non-empty list of tensors");
        }
        int[] dims = Views.ACCESS.dims(tensors.get(0));
        for (int t = 1; t < tensors.size(); t++) {
            if (!Arrays.equals(Views.ACCESS.dims(tensors.get(t)), dims)) {
                throw new IllegalArgumentException("stack: expects each tensor to be equal size, but got "
                        + Shape.describe(dims) + " at entry 0 and " + Shape.describe(Views.ACCESS.dims(tensors.get(t)))
                        + " at entry " + t);
            }
        }
        int d = Broadcast.dim(dim, dims.length + 1, "stack");
        Tensor y;
        try (var noGrad = dev.kiln.Kiln.noGrad()) {
            y = cat(tensors.stream().map(t -> t.unsqueeze(d)).toList(), d);
        }
        // One node, named as PyTorch names it; entry t of the gradient along d goes to input t.
        Tensor[] inputs = tensors.toArray(new Tensor[0]);
        DType[] types = new DType[inputs.length];
        for (int t = 0; t < inputs.length; t++) {
            types[t] = inputs[t].dtype();
        }
        return Graph.record("StackBackward0", y, inputs, (g, ctx) -> {
            Tensor[] grads = new Tensor[inputs.length];
            for (int t = 0; t < inputs.length; t++) {
                if (ctx.needsGrad(t)) {
                    grads[t] = g.select(d, t).to(types[t]);
                }
            }
            return grads;
        });
    }

    /** Sorted distinct elements; -0.0 and 0.0 count as one value (they compare equal), and so do NaNs. */
    public static Tensor unique(Tensor x) {
        DType type = x.dtype();
        Object values = Views.readAs(x, type);
        Object sorted = switch (values) {
            case float[] a -> {
                float[] s = a.clone();
                Arrays.sort(s);
                int n = distinct(s.length, i -> s[i] != s[i - 1] && Float.compare(s[i], s[i - 1]) != 0, (to, from) -> s[to] = s[from]);
                yield Arrays.copyOf(s, n);
            }
            case double[] a -> {
                double[] s = a.clone();
                Arrays.sort(s);
                int n = distinct(s.length, i -> s[i] != s[i - 1] && Double.compare(s[i], s[i - 1]) != 0, (to, from) -> s[to] = s[from]);
                yield Arrays.copyOf(s, n);
            }
            case long[] a -> {
                long[] s = a.clone();
                Arrays.sort(s);
                int n = distinct(s.length, i -> s[i] != s[i - 1], (to, from) -> s[to] = s[from]);
                yield Arrays.copyOf(s, n);
            }
            case boolean[] a -> {
                boolean anyFalse = false, anyTrue = false;
                for (boolean b : a) {
                    anyFalse |= !b;
                    anyTrue |= b;
                }
                boolean[] s = new boolean[(anyFalse ? 1 : 0) + (anyTrue ? 1 : 0)];
                if (anyTrue) {
                    s[s.length - 1] = true;
                }
                yield s;
            }
            default -> throw new IllegalStateException();
        };
        return Views.wrap(type, sorted, new int[] {java.lang.reflect.Array.getLength(sorted)});
    }

    /** Compacts runs of equal neighbours in a sorted array to their first element; returns the count kept. */
    private static int distinct(int length, java.util.function.IntPredicate differsFromPrevious,
                                java.util.function.BiConsumer<Integer, Integer> move) {
        if (length == 0) {
            return 0;
        }
        int kept = 1;
        for (int i = 1; i < length; i++) {
            if (differsFromPrevious.test(i)) {
                move.accept(kept++, i);
            }
        }
        return kept;
    }
}
