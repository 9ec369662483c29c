package dev.kiln.ops;

import dev.kiln.DType;
import dev.kiln.Shape;
import dev.kiln.Tensor;
import dev.kiln.autograd.Graph;
import dev.kiln.internal.TensorAccess;
import dev.kiln.kernels.Strided;
import java.util.Arrays;

/**
 * Operations that reinterpret a tensor's layout: most return views sharing storage. Each records a
 * derivative that maps the gradient back to the input's layout.
 */
public final class Views {
    static final TensorAccess ACCESS = TensorAccess.get();

    private Views() {}

    // ---------------------------------------------------------------------------------------------
    // Reading elements (used by every kernel call)

    /**
     * The elements of {@code t} in row-major order as a contiguous array of type {@code dtype}. May be
     * the tensor's own storage array (when it is contiguous from offset 0 and of that type): callers
     * must not write to the result.
     */
    public static Object readAs(Tensor t, DType dtype) {
        Object array = ACCESS.array(t);
        int[] dims = ACCESS.dims(t);
        int[] strides = ACCESS.strides(t);
        int offset = ACCESS.offset(t);
        Object data = offset == 0 && Strided.isContiguous(dims, strides)
                && java.lang.reflect.Array.getLength(array) == t.numel()
                ? array
                : Strided.gather(t.dtype(), array, dims, strides, offset);
        return t.dtype() == dtype ? data : Strided.convert(data, t.dtype(), dtype);
    }

    /**
     * The elements of {@code t} broadcast to {@code dims}, as a contiguous array of type {@code dtype};
     * a one-element tensor gives a one-element array (the kernels broadcast it). Read-only.
     */
    static Object readBroadcast(Tensor t, int[] dims, DType dtype) {
        if (t.numel() == 1 || Arrays.equals(ACCESS.dims(t), dims)) {
            return readAs(t, dtype);
        }
        int[] strides = Broadcast.stridesFor(ACCESS.dims(t), ACCESS.strides(t), dims);
        Object data = Strided.gather(t.dtype(), ACCESS.array(t), dims, strides, ACCESS.offset(t));
        return t.dtype() == dtype ? data : Strided.convert(data, t.dtype(), dtype);
    }

    /** A new tensor owning {@code array} (contiguous, of type {@code dtype}). */
    static Tensor wrap(DType dtype, Object array, int[] dims) {
        return ACCESS.wrap(dtype, array, dims);
    }

    // ---------------------------------------------------------------------------------------------
    // Copies

    /** A contiguous copy of {@code t}, recorded as {@code CloneBackward0}. */
    public static Tensor cloneTensor(Tensor t) {
        Tensor out = Dispatch.onCuda("clone", t) ? dev.kiln.device.cuda.CudaOps.copy(t)
                : wrap(t.dtype(), Strided.gather(t.dtype(), ACCESS.array(t), ACCESS.dims(t), ACCESS.strides(t),
                        ACCESS.offset(t)), ACCESS.dims(t).clone());
        return Graph.record("CloneBackward0", out, new Tensor[] {t}, (g, ctx) -> new Tensor[] {g});
    }

    /** A contiguous copy of non-contiguous {@code t}, as PyTorch's {@code contiguous()}. */
    public static Tensor contiguous(Tensor t) {
        return cloneTensor(t);
    }

    /** A new tensor object viewing all of {@code t}, recorded as {@code AliasBackward0}. */
    public static Tensor alias(Tensor t) {
        Tensor out = ACCESS.view(t, ACCESS.dims(t), ACCESS.strides(t), ACCESS.offset(t));
        return Graph.record("AliasBackward0", out, new Tensor[] {t}, (g, ctx) -> new Tensor[] {g});
    }

    // ---------------------------------------------------------------------------------------------
    // Views

    public static Tensor transpose(Tensor t, int dim0, int dim1) {
        int rank = t.dim();
        int a = Broadcast.dim(dim0, rank, "transpose");
        int b = Broadcast.dim(dim1, rank, "transpose");
        if (rank == 0) {
            return alias(t);
        }
        int[] dims = ACCESS.dims(t).clone();
        int[] strides = ACCESS.strides(t).clone();
        swap(dims, a, b);
        swap(strides, a, b);
        Tensor out = ACCESS.view(t, dims, strides, ACCESS.offset(t));
        String name = rank == 2 && a != b ? "TBackward0" : "TransposeBackward0";
        return Graph.record(name, out, new Tensor[] {t}, (g, ctx) -> new Tensor[] {g.transpose(a, b)});
    }

    private static void swap(int[] x, int i, int j) {
        int tmp = x[i];
        x[i] = x[j];
        x[j] = tmp;
    }

    public static Tensor permute(Tensor t, int[] order) {
        int rank = t.dim();
        if (order.length != rank) {
            throw new IllegalArgumentException("permute: expected " + rank + " dimensions for a tensor of shape "
                    + Shape.describe(ACCESS.dims(t)) + ", but got " + order.length + ": " + Arrays.toString(order));
        }
        int[] dims = new int[rank];
        int[] strides = new int[rank];
        int[] inverse = new int[rank];
        boolean[] seen = new boolean[rank];
        for (int i = 0; i < rank; i++) {
            int d = Broadcast.dim(order[i], rank, "permute");
            if (seen[d]) {
                throw new IllegalArgumentException("permute: dimension " + d + " appears twice in " + Arrays.toString(order));
            }
            seen[d] = true;
            dims[i] = ACCESS.dims(t)[d];
            strides[i] = ACCESS.strides(t)[d];
            inverse[d] = i;
        }
        Tensor out = ACCESS.view(t, dims, strides, ACCESS.offset(t));
        return Graph.record("PermuteBackward0", out, new Tensor[] {t}, (g, ctx) -> new Tensor[] {g.permute(inverse)});
    }

    /** Resolves a requested shape with at most one -1 against {@code numel} elements. */
    static int[] inferShape(int[] requested, int numel, String op, int[] from) {
        int[] dims = requested.clone();
        int infer = -1;
        long known = 1;
        for (int i = 0; i < dims.length; i++) {
            if (dims[i] == -1) {
                if (infer >= 0) {
                    throw new IllegalArgumentException(op + ": only one size can be -1, but got " + Arrays.toString(requested));
                }
                infer = i;
            } else if (dims[i] < 0) {
                throw new IllegalArgumentException(op + ": invalid size " + dims[i] + " in " + Arrays.toString(requested));
            } else {
                known *= dims[i];
            }
        }
        if (infer >= 0) {
            if (known == 0 || numel % known != 0) {
                throw new IllegalArgumentException(op + ": shape " + Arrays.toString(requested)
                        + " is invalid for a tensor of shape " + Shape.describe(from) + " (" + numel + " elements)");
            }
            dims[infer] = (int) (numel / known);
        } else if (known != numel) {
            throw new IllegalArgumentException(op + ": shape " + Arrays.toString(requested)
                    + " is invalid for a tensor of shape " + Shape.describe(from) + " (" + numel + " elements)");
        }
        return dims;
    }

    /**
     * Strides that give {@code t}'s elements in row-major order under {@code newDims}, or null when
     * no view can (PyTorch's {@code computeStride}: each run of merged dimensions must be contiguous).
     */
    private static int[] viewStrides(int[] oldDims, int[] oldStrides, int[] newDims) {
        int numel = 1;
        for (int d : oldDims) {
            numel *= d;
        }
        int[] newStrides = new int[newDims.length];
        if (numel == 0 || oldDims.length == 0) {
            return Strided.contiguousStrides(newDims);
        }
        int viewD = newDims.length - 1;
        int chunkBaseStride = oldStrides.length == 0 ? 1 : oldStrides[oldStrides.length - 1];
        long tensorNumel = 1;
        long viewNumel = 1;
        for (int tensorD = oldDims.length - 1; tensorD >= 0; tensorD--) {
            tensorNumel *= oldDims[tensorD];
            if (tensorD == 0 || (oldDims[tensorD - 1] != 1
                    && oldStrides[tensorD - 1] != tensorNumel * chunkBaseStride)) {
                while (viewD >= 0 && (viewNumel < tensorNumel || newDims[viewD] == 1)) {
                    newStrides[viewD] = (int) (viewNumel * chunkBaseStride);
                    viewNumel *= newDims[viewD];
                    viewD--;
                }
                if (viewNumel != tensorNumel) {
                    return null;
                }
                if (tensorD > 0) {
                    chunkBaseStride = oldStrides[tensorD - 1];
                    tensorNumel = 1;
                    viewNumel = 1;
                }
            }
        }
        return viewD == -1 ? newStrides : null;
    }

    public static Tensor view(Tensor t, int[] shape) {
        int[] oldDims = ACCESS.dims(t);
        int[] dims = inferShape(shape, t.numel(), "view", oldDims);
        int[] strides = viewStrides(oldDims, ACCESS.strides(t), dims);
        if (strides == null) {
            throw new IllegalArgumentException("view: shape " + Arrays.toString(shape) + " is not compatible with the"
                    + " strides of a tensor of shape " + Shape.describe(oldDims) + " and strides "
                    + Arrays.toString(ACCESS.strides(t)) + " (it is not contiguous); use reshape() instead");
        }
        return viewAs(t, dims, strides, "ViewBackward0");
    }

    private static Tensor viewAs(Tensor t, int[] dims, int[] strides, String name) {
        int[] inputDims = ACCESS.dims(t).clone();
        Tensor out = ACCESS.view(t, dims, strides, ACCESS.offset(t));
        return Graph.record(name, out, new Tensor[] {t}, (g, ctx) -> new Tensor[] {g.reshape(inputDims)});
    }

    public static Tensor reshape(Tensor t, int[] shape) {
        int[] oldDims = ACCESS.dims(t);
        int[] dims = inferShape(shape, t.numel(), "reshape", oldDims);
        int[] strides = viewStrides(oldDims, ACCESS.strides(t), dims);
        if (strides != null) {
            return viewAs(t, dims, strides, "ViewBackward0");
        }
        return viewAs(contiguous(t), dims, Strided.contiguousStrides(dims), "UnsafeViewBackward0");
    }

    public static Tensor flatten(Tensor t, int startDim, int endDim) {
        int rank = t.dim();
        if (rank == 0) {
            return reshape(t, new int[] {1});
        }
        int s = Broadcast.dim(startDim, rank, "flatten");
        int e = Broadcast.dim(endDim, rank, "flatten");
        if (s > e) {
            throw new IllegalArgumentException("flatten: startDim " + startDim + " comes after endDim " + endDim);
        }
        int[] dims = ACCESS.dims(t);
        int[] out = new int[rank - (e - s)];
        int k = 0;
        for (int i = 0; i < s; i++) {
            out[k++] = dims[i];
        }
        int merged = 1;
        for (int i = s; i <= e; i++) {
            merged *= dims[i];
        }
        out[k++] = merged;
        for (int i = e + 1; i < rank; i++) {
            out[k++] = dims[i];
        }
        return reshape(t, out);
    }

    public static Tensor unsqueeze(Tensor t, int dim) {
        int rank = t.dim();
        int d = Broadcast.dim(dim, rank + 1, "unsqueeze");
        int[] dims = new int[rank + 1];
        int[] strides = new int[rank + 1];
        int[] oldDims = ACCESS.dims(t);
        int[] oldStrides = ACCESS.strides(t);
        for (int i = 0, j = 0; i <= rank; i++) {
            if (i == d) {
                dims[i] = 1;
                strides[i] = d < rank ? oldStrides[d] * oldDims[d] : 1;
            } else {
                dims[i] = oldDims[j];
                strides[i] = oldStrides[j];
                j++;
            }
        }
        Tensor out = ACCESS.view(t, dims, strides, ACCESS.offset(t));
        return Graph.record("UnsqueezeBackward0", out, new Tensor[] {t}, (g, ctx) -> new Tensor[] {g.squeeze(d)});
    }

    public static Tensor squeeze(Tensor t, Integer dim) {
        int rank = t.dim();
        int[] oldDims = ACCESS.dims(t);
        int[] oldStrides = ACCESS.strides(t);
        int only = dim == null ? -1 : Broadcast.dim(dim, rank, "squeeze");
        int keep = 0;
        for (int i = 0; i < rank; i++) {
            if (!(oldDims[i] == 1 && (only < 0 || i == only))) {
                keep++;
            }
        }
        int[] dims = new int[keep];
        int[] strides = new int[keep];
        for (int i = 0, j = 0; i < rank; i++) {
            if (!(oldDims[i] == 1 && (only < 0 || i == only))) {
                dims[j] = oldDims[i];
                strides[j] = oldStrides[i];
                j++;
            }
        }
        int[] inputDims = oldDims.clone();
        Tensor out = ACCESS.view(t, dims, strides, ACCESS.offset(t));
        String name = dim == null ? "SqueezeBackward0" : "SqueezeBackward1";
        return Graph.record(name, out, new Tensor[] {t}, (g, ctx) -> new Tensor[] {g.reshape(inputDims)});
    }

    public static Tensor expand(Tensor t, int[] shape) {
        int[] oldDims = ACCESS.dims(t);
        int[] oldStrides = ACCESS.strides(t);
        int rank = shape.length;
        if (rank < oldDims.length) {
            throw new IllegalArgumentException("expand: the target shape " + Arrays.toString(shape) + " has fewer"
                    + " dimensions than the tensor's shape " + Shape.describe(oldDims));
        }
        int[] dims = new int[rank];
        int[] strides = new int[rank];
        int lead = rank - oldDims.length;
        for (int i = 0; i < rank; i++) {
            int want = shape[i];
            if (i < lead) {
                if (want < 0) {
                    throw new IllegalArgumentException("expand: size -1 is not allowed in a new leading dimension " + i
                            + " of " + Arrays.toString(shape));
                }
                dims[i] = want;
                strides[i] = 0;
                continue;
            }
            int have = oldDims[i - lead];
            if (want == -1 || want == have) {
                dims[i] = have;
                strides[i] = oldStrides[i - lead];
            } else if (have == 1) {
                dims[i] = want;
                strides[i] = 0;
            } else {
                throw new IllegalArgumentException("expand: the size " + have + " of dimension " + (i - lead)
                        + " of a tensor of shape " + Shape.describe(oldDims) + " must match the size " + want
                        + " at dimension " + i + " of " + Arrays.toString(shape) + " (only sizes of 1 can grow)");
            }
        }
        int[] inputDims = oldDims.clone();
        Tensor out = ACCESS.view(t, dims, strides, ACCESS.offset(t));
        return Graph.record("ExpandBackward0", out, new Tensor[] {t},
                (g, ctx) -> new Tensor[] {sumToShape(g, inputDims)});
    }

    public static Tensor slice(Tensor t, int dim, int start, int end, int step) {
        int rank = t.dim();
        if (rank == 0) {
            throw new IllegalArgumentException("slice: cannot slice a 0-d tensor");
        }
        int d = Broadcast.dim(dim, rank, "slice");
        if (step <= 0) {
            throw new IllegalArgumentException("slice: step must be positive, but got " + step);
        }
        int size = ACCESS.dims(t)[d];
        int s = clampIndex(start, size);
        int e = Math.max(clampIndex(end, size), s);
        int count = (e - s + step - 1) / step;
        int[] dims = ACCESS.dims(t).clone();
        int[] strides = ACCESS.strides(t).clone();
        int offset = ACCESS.offset(t) + s * strides[d];
        dims[d] = count;
        strides[d] *= step;
        int[] inputDims = ACCESS.dims(t).clone();
        DType dtype = t.dtype();
        Tensor out = ACCESS.view(t, dims, strides, offset);
        return Graph.record("SliceBackward0", out, new Tensor[] {t}, (g, ctx) -> {
            Tensor grad = Tensor.zeros(dtype, inputDims);
            grad.slice(d, s, e, step).copyFrom(g);
            return new Tensor[] {grad};
        });
    }

    /** Python's slice-bound rule: negative counts from the end, and out-of-range bounds clamp. */
    private static int clampIndex(int index, int size) {
        if (index < 0) {
            index += size;
        }
        return Math.max(0, Math.min(index, size));
    }

    public static Tensor select(Tensor t, int dim, int index) {
        int rank = t.dim();
        if (rank == 0) {
            throw new IndexOutOfBoundsException("get: a 0-d tensor cannot be indexed; use item()");
        }
        int d = Broadcast.dim(dim, rank, "select");
        int size = ACCESS.dims(t)[d];
        if (index < -size || index >= size) {
            throw new IndexOutOfBoundsException("index " + index + " is out of bounds for dimension " + d
                    + " with size " + size + " (tensor of shape " + Shape.describe(ACCESS.dims(t)) + ")");
        }
        int i = index < 0 ? index + size : index;
        int[] oldDims = ACCESS.dims(t);
        int[] oldStrides = ACCESS.strides(t);
        int[] dims = new int[rank - 1];
        int[] strides = new int[rank - 1];
        for (int k = 0, j = 0; k < rank; k++) {
            if (k != d) {
                dims[j] = oldDims[k];
                strides[j] = oldStrides[k];
                j++;
            }
        }
        int[] inputDims = oldDims.clone();
        DType dtype = t.dtype();
        Tensor out = ACCESS.view(t, dims, strides, ACCESS.offset(t) + i * oldStrides[d]);
        return Graph.record("SelectBackward0", out, new Tensor[] {t}, (g, ctx) -> {
            Tensor grad = Tensor.zeros(dtype, inputDims);
            grad.select(d, i).copyFrom(g);
            return new Tensor[] {grad};
        });
    }

    /**
     * Sums {@code g} down to {@code dims}, undoing broadcasting: leading dimensions are summed away and
     * dimensions of size 1 in {@code dims} are summed with keepDim. The derivative of every broadcast.
     */
    public static Tensor sumToShape(Tensor g, int[] dims) {
        int[] gDims = ACCESS.dims(g);
        if (Arrays.equals(gDims, dims)) {
            return g;
        }
        int lead = gDims.length - dims.length;
        Tensor r = g;
        if (lead > 0) {
            int[] leading = new int[lead];
            for (int i = 0; i < lead; i++) {
                leading[i] = i;
            }
            r = r.sum(leading, false);
        }
        int count = 0;
        for (int i = 0; i < dims.length; i++) {
            if (dims[i] == 1 && ACCESS.dims(r)[i] != 1) {
                count++;
            }
        }
        if (count > 0) {
            int[] ones = new int[count];
            for (int i = 0, k = 0; i < dims.length; i++) {
                if (dims[i] == 1 && ACCESS.dims(r)[i] != 1) {
                    ones[k++] = i;
                }
            }
            r = r.sum(ones, true);
        }
        return r;
    }
}
