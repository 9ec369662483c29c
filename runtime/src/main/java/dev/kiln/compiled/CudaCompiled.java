package dev.kiln.compiled;

import dev.kiln.DType;
import dev.kiln.Tensor;
import dev.kiln.device.Device;
import dev.kiln.device.cuda.CudaBackend;
import dev.kiln.device.cuda.CudaOps;
import dev.kiln.device.cuda.CudaStorage;
import dev.kiln.device.cuda.DeviceBuffer;
import dev.kiln.internal.TensorAccess;
import dev.kiln.kernels.Strided;
import java.util.ArrayList;
import java.util.List;

/**
 * What a generated {@code forwardCuda} and its backward call on a CUDA device: one instance is the
 * scope of one call, on one device and in one element type (float32 or float64). It hands out
 * contiguous device buffers, which it tracks and frees together in {@link #release()} (a generated
 * forward that records a tape node releases its scope when the node drops its saved tensors, after
 * a backward that does not retain the graph; its backward releases its own scratch scope before it
 * returns), and runs {@link CudaBackend}'s GEMMs and kernels on them. Derivatives that the backend has
 * no single kernel for are composed here from a few of its kernels, so the generated code stays one
 * line per operation.
 *
 * <p>Elementwise operations take element counts and may write in place ({@code y} the same buffer
 * as {@code x}); matrices are row-major, {@code rows x cols}. Not thread-safe, as a compiled model is
 * used by one thread at a time.
 */
public final class CudaCompiled {
    private static final TensorAccess ACCESS = TensorAccess.get();

    private final Device device;
    private final CudaBackend backend;
    private final DType dtype;
    /** The buffers this scope allocated and still owns. */
    private final List<DeviceBuffer> owned = new ArrayList<>();

    private CudaCompiled(Device device, CudaBackend backend, DType dtype) {
        this.device = device;
        this.backend = backend;
        this.dtype = dtype;
    }

    /**
     * The element type all {@code tensors} share when they are all on one CUDA device and that type is
     * float32 or float64; otherwise null, and the generated class runs its CPU loops or the eager
     * forward (which gives PyTorch's message for tensors on different devices).
     */
    public static DType commonType(Tensor... tensors) {
        Device device = tensors[0].device();
        DType type = tensors[0].dtype();
        if (!device.isCuda() || !type.isFloatingPoint()) {
            return null;
        }
        for (Tensor t : tensors) {
            if (!t.device().equals(device) || t.dtype() != type) {
                return null;
            }
        }
        return type;
    }

    /** A scope on {@code x}'s device in {@code x}'s element type; {@code x} must be a float tensor on a CUDA device. */
    public static CudaCompiled open(Tensor x) {
        if (commonType(x) == null) {
            throw new IllegalArgumentException("a compiled forward on a CUDA device expected a float32 or float64"
                    + " tensor on a CUDA device, but got a " + x.dtype().pytorchName() + " tensor on " + x.device());
        }
        return new CudaCompiled(x.device(), CudaOps.storage(x).backend(), x.dtype());
    }

    /** A new, empty scope on the same device in the same element type: a backward's scratch. */
    public CudaCompiled scratch() {
        return new CudaCompiled(device, backend, dtype);
    }

    /** The element type of this scope's buffers. */
    public DType dtype() {
        return dtype;
    }

    // ---- buffers ----

    /**
     * {@code t}'s elements in row-major order from the start of a buffer: its own memory when it lies
     * so already, otherwise a copy this scope owns. Callers must not write it.
     */
    public DeviceBuffer read(Tensor t) {
        if (!t.device().equals(device) || t.dtype() != dtype) {
            throw new IllegalArgumentException("a compiled forward on " + device + " expected a "
                    + dtype.pytorchName() + " tensor there, but got a " + t.dtype().pytorchName() + " tensor on "
                    + t.device());
        }
        if (ACCESS.offset(t) == 0 && Strided.isContiguous(ACCESS.dims(t), ACCESS.strides(t))) {
            return CudaOps.storage(t).buffer();
        }
        // The copy's storage holds this buffer; the scope takes it over and frees it with the rest.
        DeviceBuffer copy = CudaOps.storage(CudaOps.copy(t)).buffer();
        owned.add(copy);
        return copy;
    }

    /** A new buffer of {@code n} elements, not initialised, owned by this scope. */
    public DeviceBuffer allocate(long n) {
        DeviceBuffer buffer = backend.allocate(dtype, n);
        owned.add(buffer);
        return buffer;
    }

    /**
     * A tensor of shape {@code dims} whose storage is {@code buffer}, which this scope gives up: the
     * tensor frees it ({@code close()}, or when unreachable). For a model's output and gradients.
     */
    public Tensor wrap(DeviceBuffer buffer, int... dims) {
        if (!owned.remove(buffer)) {
            throw new IllegalArgumentException("wrap: " + buffer + " is not a buffer of this scope");
        }
        int n = 1;
        for (int d : dims) {
            n *= d;
        }
        return ACCESS.wrapStorage(dtype, new CudaStorage(device, backend, buffer, dtype, n), dims.clone());
    }

    /** Frees every buffer this scope still owns; later calls free nothing more. */
    public void release() {
        for (DeviceBuffer buffer : owned) {
            buffer.close();
        }
        owned.clear();
    }

    /** Copies {@code n} elements of {@code x} into {@code y}. */
    public void copy(DeviceBuffer x, DeviceBuffer y, long n) {
        backend.copy(x, y, n * CudaBackend.elementBytes(dtype));
    }

    // ---- matrix products ----

    /**
     * {@code c = op(a) op(b)} through cuBLAS, {@code op(a)} being {@code m x k} and {@code op(b)}
     * {@code k x n}; a transposed operand is stored transposed and read in place.
     */
    public void gemm(boolean transA, boolean transB, int m, int n, int k, DeviceBuffer a, DeviceBuffer b,
                     DeviceBuffer c) {
        backend.gemm(dtype, transA, transB, m, n, k, 1, a, b, 0, c);
    }

    /** {@code y[r, c] += bias[c]}: a Linear layer's bias added to its GEMM's output in place. */
    public void addBias(DeviceBuffer y, DeviceBuffer bias, int rows, int cols) {
        backend.addBias(dtype, y, bias, rows, cols);
    }

    /** {@code db[c] = sum over r of g[r, c]}: a bias's gradient. */
    public void sumColumns(DeviceBuffer g, DeviceBuffer db, int rows, int cols) {
        backend.sumCols(dtype, g, rows, cols, db);
    }

    // ---- elementwise functions and their derivatives (from the saved input a or output y) ----

    /** {@code y = relu(x)}. */
    public void relu(DeviceBuffer x, DeviceBuffer y, long n) {
        backend.unary(CudaBackend.Unary.RELU, dtype, x, y, n);
    }

    /** {@code out = g * [y > 0]}, from relu's output {@code y}. */
    public void reluBackward(DeviceBuffer y, DeviceBuffer g, DeviceBuffer out, long n) {
        backend.activationBackward(CudaBackend.Activation.RELU, dtype, y, g, out, n);
    }

    /** {@code y = sigmoid(x)}. */
    public void sigmoid(DeviceBuffer x, DeviceBuffer y, long n) {
        backend.unary(CudaBackend.Unary.SIGMOID, dtype, x, y, n);
    }

    /** {@code out = g * y (1 - y)}, from sigmoid's output {@code y}. */
    public void sigmoidBackward(DeviceBuffer y, DeviceBuffer g, DeviceBuffer out, long n) {
        backend.activationBackward(CudaBackend.Activation.SIGMOID, dtype, y, g, out, n);
    }

    /** {@code y = tanh(x)}. */
    public void tanh(DeviceBuffer x, DeviceBuffer y, long n) {
        backend.unary(CudaBackend.Unary.TANH, dtype, x, y, n);
    }

    /** {@code out = g * (1 - y^2)}, from tanh's output {@code y}. */
    public void tanhBackward(DeviceBuffer y, DeviceBuffer g, DeviceBuffer out, long n) {
        backend.activationBackward(CudaBackend.Activation.TANH, dtype, y, g, out, n);
    }

    /** {@code y = exp(x)}. */
    public void exp(DeviceBuffer x, DeviceBuffer y, long n) {
        backend.unary(CudaBackend.Unary.EXP, dtype, x, y, n);
    }

    /** {@code out = g * y}, from exp's output {@code y}. */
    public void expBackward(DeviceBuffer y, DeviceBuffer g, DeviceBuffer out, long n) {
        backend.binary(CudaBackend.Binary.MUL, dtype, g, y, out, n);
    }

    /** {@code y = log(x)}. */
    public void log(DeviceBuffer x, DeviceBuffer y, long n) {
        backend.unary(CudaBackend.Unary.LOG, dtype, x, y, n);
    }

    /** {@code out = g / a}, from log's input {@code a}. */
    public void logBackward(DeviceBuffer a, DeviceBuffer g, DeviceBuffer out, long n) {
        backend.binary(CudaBackend.Binary.DIV, dtype, g, a, out, n);
    }

    /** {@code y = sqrt(x)}. */
    public void sqrt(DeviceBuffer x, DeviceBuffer y, long n) {
        backend.unary(CudaBackend.Unary.SQRT, dtype, x, y, n);
    }

    /** {@code out = g / (2 y)}, from sqrt's output {@code y}: a quotient, then a half. */
    public void sqrtBackward(DeviceBuffer y, DeviceBuffer g, DeviceBuffer out, long n) {
        backend.binary(CudaBackend.Binary.DIV, dtype, g, y, out, n);
        backend.binary(CudaBackend.Binary.MUL, dtype, out, 0.5, out, n);
    }

    /** {@code y = |x|}. */
    public void abs(DeviceBuffer x, DeviceBuffer y, long n) {
        backend.unary(CudaBackend.Unary.ABS, dtype, x, y, n);
    }

    /** {@code out = g * sign(a)}, from abs's input {@code a}. */
    public void absBackward(DeviceBuffer a, DeviceBuffer g, DeviceBuffer out, long n) {
        try (DeviceBuffer sign = backend.allocate(dtype, n)) {
            backend.unary(CudaBackend.Unary.SIGN, dtype, a, sign, n);
            backend.binary(CudaBackend.Binary.MUL, dtype, g, sign, out, n);
        }
    }

    /** {@code y = -x}; also the derivative of a negation. */
    public void neg(DeviceBuffer x, DeviceBuffer y, long n) {
        backend.unary(CudaBackend.Unary.NEG, dtype, x, y, n);
    }

    /** {@code y = x + c}. */
    public void add(DeviceBuffer x, double c, DeviceBuffer y, long n) {
        backend.binary(CudaBackend.Binary.ADD, dtype, x, c, y, n);
    }

    /** {@code y = x * c}; also the derivative of a product with a constant. */
    public void mul(DeviceBuffer x, double c, DeviceBuffer y, long n) {
        backend.binary(CudaBackend.Binary.MUL, dtype, x, c, y, n);
    }

    /** {@code y = x / c}; also the derivative of a quotient by a constant. */
    public void div(DeviceBuffer x, double c, DeviceBuffer y, long n) {
        backend.binary(CudaBackend.Binary.DIV, dtype, x, c, y, n);
    }

    /** {@code y = x ^ p}. */
    public void pow(DeviceBuffer x, double p, DeviceBuffer y, long n) {
        backend.binary(CudaBackend.Binary.POW, dtype, x, p, y, n);
    }

    /** {@code out = g * p * a ^ (p - 1)}, from pow's input {@code a}. */
    public void powBackward(DeviceBuffer a, double p, DeviceBuffer g, DeviceBuffer out, long n) {
        try (DeviceBuffer slope = backend.allocate(dtype, n)) {
            backend.binary(CudaBackend.Binary.POW, dtype, a, p - 1, slope, n);
            backend.binary(CudaBackend.Binary.MUL, dtype, slope, p, slope, n);
            backend.binary(CudaBackend.Binary.MUL, dtype, g, slope, out, n);
        }
    }

    /** {@code y = min(max(x, min), max)}; a NaN bound is absent. */
    public void clamp(DeviceBuffer x, DeviceBuffer y, double min, double max, long n) {
        backend.clamp(dtype, x, y, lower(min), upper(max), n);
    }

    /** {@code out = g} where {@code min <= a <= max}, else 0, from clamp's input {@code a}; a NaN bound is absent. */
    public void clampBackward(DeviceBuffer a, DeviceBuffer g, DeviceBuffer out, double min, double max, long n) {
        backend.clampBackward(dtype, a, g, out, lower(min), upper(max), n);
    }

    private static double lower(double min) {
        return Double.isNaN(min) ? Double.NEGATIVE_INFINITY : min;
    }

    private static double upper(double max) {
        return Double.isNaN(max) ? Double.POSITIVE_INFINITY : max;
    }

    // ---- softmax over rows ----

    /** Softmax of each row. */
    public void softmax(DeviceBuffer x, DeviceBuffer y, int rows, int cols) {
        backend.softmax(dtype, x, y, rows, cols);
    }

    /** Log-softmax of each row. */
    public void logSoftmax(DeviceBuffer x, DeviceBuffer y, int rows, int cols) {
        backend.logSoftmax(dtype, x, y, rows, cols);
    }

    /** {@code out = y (g - rowsum(g y))}, from softmax's output {@code y}. */
    public void softmaxBackward(DeviceBuffer y, DeviceBuffer g, DeviceBuffer out, int rows, int cols) {
        long n = (long) rows * cols;
        try (DeviceBuffer product = backend.allocate(dtype, n); DeviceBuffer sums = backend.allocate(dtype, rows)) {
            backend.binary(CudaBackend.Binary.MUL, dtype, g, y, product, n);
            backend.sumRows(dtype, product, rows, cols, sums);
            spreadRows(sums, product, rows, cols);
            backend.binary(CudaBackend.Binary.SUB, dtype, g, product, out, n);
            backend.binary(CudaBackend.Binary.MUL, dtype, y, out, out, n);
        }
    }

    /** {@code out = g - exp(y) rowsum(g)}, from log-softmax's output {@code y}. */
    public void logSoftmaxBackward(DeviceBuffer y, DeviceBuffer g, DeviceBuffer out, int rows, int cols) {
        long n = (long) rows * cols;
        try (DeviceBuffer probabilities = backend.allocate(dtype, n); DeviceBuffer spread = backend.allocate(dtype, n);
             DeviceBuffer sums = backend.allocate(dtype, rows)) {
            backend.sumRows(dtype, g, rows, cols, sums);
            spreadRows(sums, spread, rows, cols);
            backend.unary(CudaBackend.Unary.EXP, dtype, y, probabilities, n);
            backend.binary(CudaBackend.Binary.MUL, dtype, probabilities, spread, spread, n);
            backend.binary(CudaBackend.Binary.SUB, dtype, g, spread, out, n);
        }
    }

    // ---- reductions ----

    /** {@code out[0]} = the sum (or, with {@code mean}, the mean) of {@code x}'s {@code n} elements. */
    public void sum(DeviceBuffer x, DeviceBuffer out, long n, boolean mean) {
        backend.sum(dtype, x, n, out);
        if (mean) {
            backend.binary(CudaBackend.Binary.DIV, dtype, out, (double) n, out, 1);
        }
    }

    /** {@code y[r]} = the sum (or, with {@code mean}, the mean) of row {@code r}. */
    public void sumRows(DeviceBuffer x, DeviceBuffer y, int rows, int cols, boolean mean) {
        backend.sumRows(dtype, x, rows, cols, y);
        if (mean) {
            backend.binary(CudaBackend.Binary.DIV, dtype, y, (double) cols, y, rows);
        }
    }

    /**
     * The gradient of {@link #sum}: {@code out[i] = g[0]} for each of the {@code n} elements,
     * divided by {@code n} for the mean.
     */
    public void sumBackward(DeviceBuffer g, DeviceBuffer out, long n, boolean mean) {
        if (n > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("sum backward: at most " + Integer.MAX_VALUE + " elements, but got " + n);
        }
        backend.gather(dtype, g, 0, new int[] {(int) n}, new int[] {0}, out);
        if (mean) {
            backend.binary(CudaBackend.Binary.DIV, dtype, out, (double) n, out, n);
        }
    }

    /**
     * The gradient of {@link #sumRows}: {@code out[r, c] = g[r]}, divided by {@code cols} for the mean.
     */
    public void sumRowsBackward(DeviceBuffer g, DeviceBuffer out, int rows, int cols, boolean mean) {
        spreadRows(g, out, rows, cols);
        if (mean) {
            backend.binary(CudaBackend.Binary.DIV, dtype, out, (double) cols, out, (long) rows * cols);
        }
    }

    /** {@code out[r, c] = v[r]}: a column vector broadcast over the columns by the gather kernel. */
    private void spreadRows(DeviceBuffer v, DeviceBuffer out, int rows, int cols) {
        backend.gather(dtype, v, 0, new int[] {rows, cols}, new int[] {1, 0}, out);
    }
}
