package dev.kiln.device.cuda;

import dev.kiln.DType;
import dev.kiln.Shape;
import dev.kiln.Tensor;
import dev.kiln.device.Device;
import dev.kiln.internal.TensorAccess;
import dev.kiln.kernels.Strided;
import dev.kiln.ops.Dispatch;
import dev.kiln.ops.Views;
import java.util.Arrays;

/**
 * The forward computations of Kiln's operations on tensors in CUDA memory: each takes tensors on one
 * device (checked by the caller through {@link Dispatch}) and returns a new contiguous tensor there,
 * launching {@link CudaBackend}'s kernels and cuBLAS. Nothing here records autograd history: the
 * operations in {@code dev.kiln.ops} call these for their forward and record their derivatives, which
 * are written with the same operations and so run on the device too.
 *
 * <p>Operands that are views (a slice, a broadcast row, a transpose that cuBLAS cannot read in place)
 * are first made contiguous on the device by the gather kernel; element types are float32 and
 * float64 for arithmetic, and int64 for class targets. What has no kernel fails with
 * {@link Dispatch#unsupported(String, Device)}.
 */
public final class CudaOps {
    private static final TensorAccess ACCESS = TensorAccess.get();

    private CudaOps() {}

    // ---- storage ----

    /** The device storage of {@code t}, which must be on a CUDA device. */
    public static CudaStorage storage(Tensor t) {
        return (CudaStorage) ACCESS.storage(t);
    }

    private static CudaBackend backend(Tensor t) {
        return storage(t).backend();
    }

    private static DeviceBuffer buffer(Tensor t) {
        return storage(t).buffer();
    }

    /** A new tensor of {@code dims} on {@code device} whose elements are not set yet. */
    static Tensor empty(CudaBackend backend, Device device, DType dtype, int[] dims) {
        int n = Shape.of(dims).numel();
        DeviceBuffer buffer = backend.allocate((long) n * CudaBackend.elementBytes(dtype));
        return ACCESS.wrapStorage(dtype, new CudaStorage(device, backend, buffer, dtype, n), dims.clone());
    }

    /** A new tensor of {@code dims} with {@code t}'s type on {@code t}'s device, its elements not set yet. */
    private static Tensor emptyLike(Tensor t, int[] dims) {
        return empty(backend(t), t.device(), t.dtype(), dims);
    }

    /** A contiguous copy of CPU tensor {@code t} on {@code device}, of the same type (bit for bit) and shape. */
    public static Tensor upload(Tensor t, Device device) {
        CudaBackend backend = CudaBackend.of(device);
        Object data = Views.readAs(t, t.dtype());
        DeviceBuffer buffer = backend.uploadArray(data);
        return ACCESS.wrapStorage(t.dtype(), new CudaStorage(device, backend, buffer, t.dtype(), t.numel()),
                t.shape().toArray());
    }

    /** A contiguous CPU copy of device tensor {@code t}, bit for bit. */
    public static Tensor download(Tensor t) {
        Tensor dense = contiguous(t);
        long byteOffset = (long) ACCESS.offset(dense) * CudaBackend.elementBytes(t.dtype());
        Object data = backend(dense).downloadArray(buffer(dense), byteOffset, t.dtype(), t.numel());
        return ACCESS.wrapStorage(t.dtype(), data, t.shape().toArray());
    }

    /** Whether {@code t} lies row-major without gaps from element {@code offset} of its storage. */
    private static boolean isDenseFrom(Tensor t, int offset) {
        return ACCESS.offset(t) == offset && Strided.isContiguous(ACCESS.dims(t), ACCESS.strides(t));
    }

    /**
     * {@code t} itself when it lies row-major without gaps in its storage (from any offset), else a
     * contiguous copy made on the device.
     */
    static Tensor contiguous(Tensor t) {
        if (Strided.isContiguous(ACCESS.dims(t), ACCESS.strides(t))) {
            return t;
        }
        return gathered(t, ACCESS.dims(t), ACCESS.strides(t));
    }

    /** {@code t} as a tensor contiguous from element 0 of its own buffer, which kernels read from the start. */
    static Tensor dense(Tensor t) {
        if (isDenseFrom(t, 0)) {
            return t;
        }
        if (Strided.isContiguous(ACCESS.dims(t), ACCESS.strides(t))) {
            Tensor out = emptyLike(t, ACCESS.dims(t));
            int bytes = CudaBackend.elementBytes(t.dtype());
            backend(t).copy(buffer(t), (long) ACCESS.offset(t) * bytes, buffer(out), 0, (long) t.numel() * bytes);
            return out;
        }
        return gathered(t, ACCESS.dims(t), ACCESS.strides(t));
    }

    /** A new contiguous copy of {@code t} on its device. */
    public static Tensor copy(Tensor t) {
        Tensor d = dense(t);
        if (d != t) {
            return d;
        }
        Tensor out = emptyLike(t, ACCESS.dims(t));
        backend(t).copy(buffer(t), buffer(out), (long) t.numel() * CudaBackend.elementBytes(t.dtype()));
        return out;
    }

    /** {@code t} broadcast to {@code dims} (as NumPy broadcasts) and stored densely. */
    static Tensor broadcast(Tensor t, int[] dims) {
        int[] own = ACCESS.dims(t);
        if (Arrays.equals(own, dims)) {
            return dense(t);
        }
        int[] strides = new int[dims.length];
        int lead = dims.length - own.length;
        for (int d = lead; d < dims.length; d++) {
            strides[d] = own[d - lead] == 1 ? 0 : ACCESS.strides(t)[d - lead];
        }
        return gathered(t, dims, strides);
    }

    private static Tensor gathered(Tensor t, int[] dims, int[] strides) {
        if (dims.length > CudaBackend.GATHER_RANK) {
            throw Dispatch.unsupported("a view of more than " + CudaBackend.GATHER_RANK + " dimensions", t.device());
        }
        if (t.dtype() == DType.BOOL) {
            throw Dispatch.unsupported("a view of a bool tensor", t.device());
        }
        Tensor out = emptyLike(t, dims);
        backend(t).gather(t.dtype(), buffer(t), ACCESS.offset(t), dims, strides, buffer(out));
        return out;
    }

    private static void requireFloating(String op, Tensor t) {
        if (!t.dtype().isFloatingPoint()) {
            throw Dispatch.unsupported(op + " of " + t.dtype().pytorchName() + " tensors", t.device());
        }
    }

    private static void requireSameType(String op, Tensor a, Tensor b) {
        if (a.dtype() != b.dtype()) {
            throw Dispatch.unsupported(op + " of " + a.dtype().pytorchName() + " and " + b.dtype().pytorchName()
                    + " tensors (a type conversion)", b.device());
        }
    }

    // ---- elementwise ----

    /** {@code op(x)} elementwise, for the unary kernels ({@link CudaBackend.Unary}, by the operation's name). */
    public static Tensor unary(String op, Tensor x) {
        requireFloating(op.toLowerCase(java.util.Locale.ROOT), x);
        CudaBackend.Unary kernel = CudaBackend.Unary.valueOf(op);
        Tensor in = dense(x), y = emptyLike(x, ACCESS.dims(x));
        backend(x).unary(kernel, x.dtype(), buffer(in), buffer(y), x.numel());
        return y;
    }

    /**
     * {@code a op b} broadcast to {@code dims} in element type {@code type}, for the binary kernels
     * ({@link CudaBackend.Binary}, by name). A 0-d CPU operand is passed to the kernel as a scalar; a
     * row vector added to a matrix goes through the bias kernel.
     */
    public static Tensor binary(String op, String method, Tensor a, Tensor b, int[] dims, DType type) {
        Tensor onDevice = a.device().isCuda() ? a : b;
        Device device = onDevice.device();
        if (a.dtype() != type && a.device().isCuda() || b.dtype() != type && b.device().isCuda()) {
            throw Dispatch.unsupported(method + " of " + a.dtype().pytorchName() + " and " + b.dtype().pytorchName()
                    + " tensors (a type conversion)", device);
        }
        if (!type.isFloatingPoint()) {
            throw Dispatch.unsupported(method + " of " + type.pytorchName() + " tensors", device);
        }
        CudaBackend.Binary kernel = CudaBackend.Binary.valueOf(op);
        Tensor y = empty(backend(onDevice), device, type, dims);
        int n = y.numel();
        if (!b.device().isCuda()) {
            Tensor in = broadcast(a, dims);
            backend(y).binary(kernel, type, buffer(in), b.item(), buffer(y), n);
        } else if (!a.device().isCuda()) {
            Tensor in = broadcast(b, dims);
            backend(y).binary(kernel, type, a.item(), buffer(in), buffer(y), n);
        } else if (kernel == CudaBackend.Binary.ADD && dims.length == 2 && Arrays.equals(ACCESS.dims(a), dims)
                && b.dim() == 1 && b.size(0) == dims[1] && dims[1] > 1) {
            Tensor in = dense(a), bias = dense(b);
            backend(y).copy(buffer(in), buffer(y), (long) n * CudaBackend.elementBytes(type));
            backend(y).addBias(type, buffer(y), buffer(bias), dims[0], dims[1]);
        } else {
            Tensor left = broadcast(a, dims), right = broadcast(b, dims);
            backend(y).binary(kernel, type, buffer(left), buffer(right), buffer(y), n);
        }
        return y;
    }

    /** {@code x ^ e} elementwise. */
    public static Tensor pow(Tensor x, double e) {
        requireFloating("pow", x);
        Tensor in = dense(x), y = emptyLike(x, ACCESS.dims(x));
        backend(x).binary(CudaBackend.Binary.POW, x.dtype(), buffer(in), e, buffer(y), x.numel());
        return y;
    }

    /** {@code min(max(x, min), max)} elementwise; a NaN bound is absent. */
    public static Tensor clamp(Tensor x, double min, double max) {
        requireFloating("clamp", x);
        Tensor in = dense(x), y = emptyLike(x, ACCESS.dims(x));
        backend(x).clamp(x.dtype(), buffer(in), buffer(y), lower(min), upper(max), x.numel());
        return y;
    }

    /** {@code g} where {@code min <= x <= max}, else 0: clamp's derivative. */
    public static Tensor clampBackward(Tensor g, Tensor x, double min, double max) {
        requireFloating("clamp backward", x);
        requireSameType("clamp backward", g, x);
        Tensor in = dense(x), grad = broadcast(g, ACCESS.dims(x));
        Tensor y = emptyLike(x, ACCESS.dims(x));
        backend(x).clampBackward(x.dtype(), buffer(in), buffer(grad), buffer(y), lower(min), upper(max), x.numel());
        return y;
    }

    private static double lower(double min) {
        return Double.isNaN(min) ? Double.NEGATIVE_INFINITY : min;
    }

    private static double upper(double max) {
        return Double.isNaN(max) ? Double.POSITIVE_INFINITY : max;
    }

    /** {@code g * act'(x)} from the forward output {@code y = act(x)}, for relu, sigmoid and tanh. */
    public static Tensor activationBackward(String act, Tensor y, Tensor g) {
        requireFloating(act.toLowerCase(java.util.Locale.ROOT) + " backward", y);
        requireSameType(act.toLowerCase(java.util.Locale.ROOT) + " backward", g, y);
        Tensor out = dense(y), grad = broadcast(g, ACCESS.dims(y)), result = emptyLike(y, ACCESS.dims(y));
        backend(y).activationBackward(CudaBackend.Activation.valueOf(act), y.dtype(), buffer(out), buffer(grad),
                buffer(result), y.numel());
        return result;
    }

    /** A tensor of {@code dims} on {@code device} filled with {@code value}. */
    public static Tensor full(Device device, double value, DType dtype, int[] dims) {
        if (!dtype.isFloatingPoint()) {
            return upload(dev.kiln.ops.Factories.full(value, dtype, dims), device);
        }
        Tensor y = empty(CudaBackend.of(device), device, dtype, dims);
        backend(y).fill(dtype, buffer(y), value, y.numel());
        return y;
    }

    // ---- matrix products ----

    /** The (m x k) by (k x n) product through cuBLAS; an operand that is a transpose is read in place. */
    public static Tensor mm(Tensor a, Tensor b) {
        requireFloating("mm", a);
        int m = a.size(0), k = a.size(1), n = b.size(1);
        boolean transA = isTransposed(a), transB = isTransposed(b);
        Tensor left = transA ? a : dense(a), right = transB ? b : dense(b);
        Tensor c = emptyLike(a, new int[] {m, n});
        backend(a).gemm(a.dtype(), transA, transB, m, n, k, 1, buffer(left), buffer(right), 0, buffer(c));
        return c;
    }

    /** Whether 2-d {@code t} is the transpose of a matrix that lies contiguous from element 0. */
    private static boolean isTransposed(Tensor t) {
        int[] dims = ACCESS.dims(t), strides = ACCESS.strides(t);
        return ACCESS.offset(t) == 0 && !Strided.isContiguous(dims, strides)
                && Strided.isContiguous(new int[] {dims[1], dims[0]}, new int[] {strides[1], strides[0]});
    }

    // ---- reductions ----

    /**
     * The sum of {@code x} over the dimensions in {@code reduced} (sorted, distinct), shaped
     * {@code outDims}. The kernels sum a whole tensor, the rows or the columns of a matrix, so each
     * reduced dimension must be the last or the first of those remaining (dimensions of size 1 aside).
     */
    public static Tensor sum(Tensor x, int[] reduced, int[] outDims) {
        requireFloating("sum", x);
        Tensor current = dense(x);
        int[] dims = ACCESS.dims(x).clone();
        if (reduced.length == dims.length) {
            Tensor y = emptyLike(x, outDims);
            backend(x).sum(x.dtype(), buffer(current), x.numel(), buffer(y));
            return y;
        }
        for (int r = reduced.length - 1; r >= 0; r--) {
            int d = reduced[r];
            int outer = product(dims, 0, d), n = dims[d], inner = product(dims, d + 1, dims.length);
            dims[d] = 1;
            if (n == 1) {
                continue;
            }
            Tensor next = emptyLike(x, dims);
            if (inner == 1) {
                backend(x).sumRows(x.dtype(), buffer(current), outer, n, buffer(next));
            } else if (outer == 1) {
                backend(x).sumCols(x.dtype(), buffer(current), n, inner, buffer(next));
            } else {
                throw Dispatch.unsupported("sum over dimension " + d + " of a tensor of shape "
                        + Shape.describe(ACCESS.dims(x)) + " (only the first or the last)", x.device());
            }
            current = next;
        }
        return current.view(outDims);
    }

    private static int product(int[] dims, int from, int to) {
        int p = 1;
        for (int i = from; i < to; i++) {
            p *= dims[i];
        }
        return p;
    }

    /** {@code x * factor}, elementwise. */
    public static Tensor scale(Tensor x, double factor) {
        Tensor in = dense(x), y = emptyLike(x, ACCESS.dims(x));
        backend(x).binary(CudaBackend.Binary.MUL, x.dtype(), buffer(in), factor, buffer(y), x.numel());
        return y;
    }

    /** Softmax (or log-softmax) along the last dimension {@code dim} of {@code x}. */
    public static Tensor softmax(Tensor x, int dim, boolean log) {
        String op = log ? "logSoftmax" : "softmax";
        requireFloating(op, x);
        int[] dims = ACCESS.dims(x);
        if (dims.length > 0 && dim != dims.length - 1 && product(dims, dim + 1, dims.length) != 1) {
            throw Dispatch.unsupported(op + " along dimension " + dim + " of a tensor of shape " + Shape.describe(dims)
                    + " (only the last)", x.device());
        }
        int cols = dims.length == 0 ? 1 : dims[dim], rows = cols == 0 ? 0 : x.numel() / cols;
        Tensor in = dense(x), y = emptyLike(x, dims);
        if (log) {
            backend(x).logSoftmax(x.dtype(), buffer(in), buffer(y), rows, cols);
        } else {
            backend(x).softmax(x.dtype(), buffer(in), buffer(y), rows, cols);
        }
        return y;
    }

    /**
     * The fused softmax cross-entropy of {@code (rows x cols)} logits against int64 class targets:
     * the summed loss and the number of rows that count, and each row's log-sum-exp for the backward.
     */
    public record CrossEntropy(double lossSum, long count, Tensor logSumExp) {}

    /** Cross-entropy forward on the device; see {@link CudaBackend#crossEntropyForward}. */
    public static CrossEntropy crossEntropy(Tensor logits, Tensor targets, long ignoreIndex) {
        requireFloating("cross_entropy", logits);
        int rows = logits.size(0), cols = logits.size(1);
        Tensor in = dense(logits), t = dense(targets), lse = emptyLike(logits, new int[] {rows});
        CudaBackend.CrossEntropy r = backend(logits).crossEntropyForward(logits.dtype(), buffer(in), buffer(t), rows,
                cols, ignoreIndex, buffer(lse));
        return new CrossEntropy(r.lossSum(), r.count(), lse);
    }

    /** The logits' gradient of the cross-entropy scaled by {@code scale} (the incoming gradient over the mean's count). */
    public static Tensor crossEntropyBackward(Tensor logits, Tensor targets, Tensor logSumExp, long ignoreIndex,
                                              double scale) {
        int rows = logits.size(0), cols = logits.size(1);
        Tensor in = dense(logits), t = dense(targets), grad = emptyLike(logits, new int[] {rows, cols});
        backend(logits).crossEntropyBackward(logits.dtype(), buffer(in), buffer(t), buffer(logSumExp), rows, cols,
                ignoreIndex, scale, buffer(grad));
        return grad;
    }

    // ---- writing in place ----

    /**
     * Writes {@code value} (of {@code target}'s shape, on the CPU or on {@code target}'s device) into
     * {@code target}'s memory, converting a CPU value to the target's type. The target must lie
     * contiguous in its storage; a device value must already have its type.
     */
    public static void write(Tensor target, Tensor value) {
        Device device = target.device();
        if (!Strided.isContiguous(ACCESS.dims(target), ACCESS.strides(target))) {
            throw Dispatch.unsupported("an in-place change to a non-contiguous view", device);
        }
        int bytes = CudaBackend.elementBytes(target.dtype());
        long at = (long) ACCESS.offset(target) * bytes;
        if (!value.device().isCuda()) {
            backend(target).write(Views.readAs(value, target.dtype()), buffer(target), at);
            return;
        }
        if (value.dtype() != target.dtype()) {
            throw Dispatch.unsupported("an in-place change that converts " + value.dtype().pytorchName() + " to "
                    + target.dtype().pytorchName(), device);
        }
        Tensor source = broadcast(value, ACCESS.dims(target));
        backend(target).copy(buffer(source), 0, buffer(target), at, (long) target.numel() * bytes);
    }

    /** Sets every element of contiguous floating-point {@code t} to {@code value} in place. */
    public static void fill(Tensor t, double value) {
        Tensor whole = dense(t);
        if (whole != t) {
            throw Dispatch.unsupported("fill of a view that does not start its storage", t.device());
        }
        backend(t).fill(t.dtype(), buffer(t), value, t.numel());
    }

    // ---- optimizer steps ----

    /** One SGD step on a device parameter, its gradient and (with momentum) its momentum buffer, in place. */
    public static void sgd(Tensor param, Tensor grad, Tensor buffer, CudaBackend.SgdStep step) {
        Tensor g = dense(grad);
        backend(param).sgd(param.dtype(), buffer(param), buffer(g), buffer == null ? null : buffer(buffer),
                param.numel(), step);
    }

    /** One RMSprop step on a device parameter, its gradient and its state tensors, in place. */
    public static void rmsprop(Tensor param, Tensor grad, Tensor squareAvg, Tensor gradAvg, Tensor buffer,
                               CudaBackend.RmspropStep step) {
        Tensor g = dense(grad);
        backend(param).rmsprop(param.dtype(), buffer(param), buffer(g), buffer(squareAvg),
                gradAvg == null ? null : buffer(gradAvg), buffer == null ? null : buffer(buffer), param.numel(), step);
    }

    /** One Adam or AdamW step on a device parameter, its gradient and its state tensors, in place. */
    public static void adam(Tensor param, Tensor grad, Tensor expAvg, Tensor expAvgSq, Tensor maxExpAvgSq,
                            CudaBackend.AdamStep step) {
        Tensor g = dense(grad);
        backend(param).adam(param.dtype(), buffer(param), buffer(g), buffer(expAvg), buffer(expAvgSq),
                maxExpAvgSq == null ? null : buffer(maxExpAvgSq), param.numel(), step);
    }
}
