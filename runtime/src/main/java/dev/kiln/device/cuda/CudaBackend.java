package dev.kiln.device.cuda;

import dev.kiln.DType;
import dev.kiln.device.Device;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.ref.Reference;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Runs Kiln's operations on one CUDA device: its primary context, one stream on which every copy,
 * kernel and GEMM of this backend is queued in order, a cuBLAS handle bound to that stream, and the
 * kernels of the PTX modules shipped in the runtime jar ({@code dev/kiln/device/cuda/*.ptx}, compiled
 * from the {@code .cu} files beside them).
 *
 * <p>Operations take contiguous device buffers and an element type ({@link DType#FLOAT32} or
 * {@link DType#FLOAT64}) and check that every buffer holds the elements the operation touches. They
 * return once the work is queued; downloads and {@link #synchronize()} wait for it. One backend
 * per device, shared ({@link #of(Device)}); calls from several threads are queued on the same stream.
 */
public final class CudaBackend implements AutoCloseable {
    /** Threads per block of every launch; the kernels' shared-memory reductions assume it. */
    static final int BLOCK = 256;
    /** Grid-stride kernels need no more blocks than this to fill any current GPU. */
    private static final int MAX_GRID = 4096;

    /** The PTX modules, each with its kernels (by the names in the {@code .cu} files) and their PTX parameter types. */
    public static final Map<String, Map<String, List<String>>> KERNELS = kernelCatalogue();

    private static final Map<String, List<String>> SIGNATURES = KERNELS.values().stream()
            .flatMap(kernels -> kernels.entrySet().stream())
            .collect(Collectors.toUnmodifiableMap(Map.Entry::getKey, Map.Entry::getValue));

    private static final Map<Integer, CudaBackend> BACKENDS = new ConcurrentHashMap<>();

    private final CudaContext context;
    private final CudaDriver driver;
    private final Cublas cublas;
    private final MemorySegment stream;
    private final MemorySegment cublasHandle;
    private final Map<String, MemorySegment> functions = new ConcurrentHashMap<>();

    /**
     * Opens device {@code ordinal}: retains its primary context, creates a stream and a cuBLAS handle,
     * and loads every module from {@code ptx} (module name, e.g. {@code elementwise}, to PTX text).
     * Every module's text is read before the device is touched; if a later step fails, what was made
     * is given back before the exception leaves.
     */
    public CudaBackend(CudaDriver driver, Cublas cublas, int ordinal, Function<String, String> ptx) {
        Map<String, String> sources = new LinkedHashMap<>();
        KERNELS.keySet().forEach(module -> sources.put(module, ptx.apply(module)));
        this.driver = driver;
        this.cublas = cublas;
        this.context = CudaContext.retain(driver, ordinal);
        MemorySegment createdStream = null;
        MemorySegment createdHandle = null;
        try {
            context.makeCurrent();
            createdStream = driver.streamCreate(0);
            createdHandle = cublas.create();
            cublas.setStream(createdHandle, createdStream);
            for (var module : KERNELS.entrySet()) {
                MemorySegment loaded = driver.moduleLoadData(module.getKey() + ".ptx", sources.get(module.getKey()));
                for (String kernel : module.getValue().keySet()) {
                    functions.put(kernel, driver.moduleGetFunction(loaded, kernel));
                }
            }
        } catch (RuntimeException e) {
            release(e, createdHandle, createdStream);
            throw e;
        }
        this.stream = createdStream;
        this.cublasHandle = createdHandle;
    }

    /** Gives back what a failed constructor made, keeping any further failure as suppressed by {@code cause}. */
    private void release(RuntimeException cause, MemorySegment handle, MemorySegment createdStream) {
        try {
            if (handle != null) {
                cublas.destroy(handle);
            }
            if (createdStream != null) {
                driver.streamDestroy(createdStream);
            }
            context.release();
        } catch (RuntimeException e) {
            cause.addSuppressed(e);
        }
    }

    /**
     * The backend of a CUDA device, opened at first use with the shipped PTX.
     *
     * @throws IllegalArgumentException when {@code device} is not a CUDA device
     * @throws IllegalStateException    when CUDA is not available
     */
    public static CudaBackend of(Device device) {
        if (!device.isCuda()) {
            throw new IllegalArgumentException("CudaBackend: expected a CUDA device, but got " + device);
        }
        return BACKENDS.computeIfAbsent(device.index(), ordinal -> switch (Cuda.status()) {
            case Cuda.Available a -> new CudaBackend(a.driver(), a.cublas(), ordinal, CudaBackend::shippedPtx);
            case Cuda.Unavailable u -> throw new IllegalStateException("CUDA is not available: " + u.reason());
        });
    }

    /**
     * Makes {@code backend} the one {@link #of} gives for device {@code ordinal}, or removes it (null):
     * how tests put a backend on a fake driver behind {@code Device.cuda} tensors.
     */
    static void register(int ordinal, CudaBackend backend) {
        if (backend == null) {
            BACKENDS.remove(ordinal);
        } else {
            BACKENDS.put(ordinal, backend);
        }
    }

    /** Reads a module's PTX from the runtime jar. */
    static String shippedPtx(String module) {
        String resource = module + ".ptx";
        try (InputStream in = CudaBackend.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("the CUDA kernels are missing from this Kiln runtime (no "
                        + "dev/kiln/device/cuda/" + resource + "): it was built without nvcc on the PATH; "
                        + "rebuild it where the CUDA toolkit is installed");
            }
            return new String(in.readAllBytes(), StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read dev/kiln/device/cuda/" + resource, e);
        }
    }

    /** The device's context, with its count of live bytes. */
    public CudaContext context() {
        return context;
    }

    // ---- memory and copies ----

    /** Allocates {@code bytes} of device memory. */
    public DeviceBuffer allocate(long bytes) {
        return context.allocate(bytes);
    }

    /** Allocates room for {@code n} elements of {@code dtype}. */
    public DeviceBuffer allocate(DType dtype, long n) {
        return context.allocate(n * size(dtype));
    }

    /** A new device buffer holding {@code data}. */
    public DeviceBuffer upload(float[] data) {
        return upload(MemorySegment.ofArray(data), ValueLayout.JAVA_FLOAT);
    }

    /** A new device buffer holding {@code data}. */
    public DeviceBuffer upload(double[] data) {
        return upload(MemorySegment.ofArray(data), ValueLayout.JAVA_DOUBLE);
    }

    /** A new device buffer holding {@code data} (class targets, as {@code long long}). */
    public DeviceBuffer upload(long[] data) {
        return upload(MemorySegment.ofArray(data), ValueLayout.JAVA_LONG);
    }

    private DeviceBuffer upload(MemorySegment heap, ValueLayout layout) {
        DeviceBuffer buffer = context.allocate(heap.byteSize());
        try {
            write(buffer, 0, heap, layout);
        } catch (RuntimeException e) {
            buffer.close();
            throw e;
        }
        return buffer;
    }

    private void write(DeviceBuffer buffer, long byteOffset, MemorySegment heap, ValueLayout layout) {
        long bytes = heap.byteSize();
        requireBytes("upload", buffer, byteOffset + bytes);
        if (bytes == 0) {
            return;
        }
        try (Arena arena = Arena.ofConfined()) {
            // The driver reads native memory only: stage the heap array off-heap. From pageable memory
            // the async copy returns once the driver has taken the data, so the arena may close after it.
            MemorySegment staging = arena.allocate(bytes, layout.byteAlignment());
            staging.copyFrom(heap);
            context.makeCurrent();
            driver.memcpyHtoDAsync(buffer.pointer() + byteOffset, staging, bytes, stream);
        }
    }

    /** Copies {@code src} into {@code dst}, waiting for queued work first; {@code dst.length} elements. */
    public void download(DeviceBuffer src, float[] dst) {
        readAt(src, 0, MemorySegment.ofArray(dst), ValueLayout.JAVA_FLOAT);
    }

    /** Copies {@code src} into {@code dst}, waiting for queued work first; {@code dst.length} elements. */
    public void download(DeviceBuffer src, double[] dst) {
        readAt(src, 0, MemorySegment.ofArray(dst), ValueLayout.JAVA_DOUBLE);
    }

    /** The first {@code n} floats of {@code src}. */
    public float[] downloadFloats(DeviceBuffer src, int n) {
        float[] out = new float[n];
        download(src, out);
        return out;
    }

    /** The first {@code n} doubles of {@code src}. */
    public double[] downloadDoubles(DeviceBuffer src, int n) {
        double[] out = new double[n];
        download(src, out);
        return out;
    }

    private void readAt(DeviceBuffer src, long byteOffset, MemorySegment heap, ValueLayout layout) {
        long bytes = heap.byteSize();
        requireBytes("download", src, byteOffset + bytes);
        if (bytes == 0) {
            return;
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment staging = arena.allocate(bytes, layout.byteAlignment());
            context.makeCurrent();
            driver.memcpyDtoHAsync(staging, src.pointer() + byteOffset, bytes, stream);
            driver.streamSynchronize(stream);
            heap.copyFrom(staging);
        }
    }

    /** Copies {@code bytes} from {@code src} to {@code dst} on the device. */
    public void copy(DeviceBuffer src, DeviceBuffer dst, long bytes) {
        copy(src, 0, dst, 0, bytes);
    }

    /** Copies {@code bytes} from {@code src} at byte {@code srcOffset} to {@code dst} at byte {@code dstOffset}. */
    public void copy(DeviceBuffer src, long srcOffset, DeviceBuffer dst, long dstOffset, long bytes) {
        requireBytes("copy", src, srcOffset + bytes);
        requireBytes("copy", dst, dstOffset + bytes);
        if (bytes > 0) {
            context.makeCurrent();
            driver.memcpyDtoDAsync(dst.pointer() + dstOffset, src.pointer() + srcOffset, bytes, stream);
        }
    }

    /**
     * Writes the Java array {@code data} ({@code float[]}, {@code double[]}, {@code long[]}, or
     * {@code boolean[]} as one byte per element) into {@code dst} from byte {@code byteOffset}.
     */
    public void write(Object data, DeviceBuffer dst, long byteOffset) {
        write(dst, byteOffset, heap(data), layout(data));
    }

    /** A new device buffer holding the Java array {@code data}, element types as {@link #write(Object, DeviceBuffer, long)}. */
    public DeviceBuffer uploadArray(Object data) {
        return upload(heap(data), layout(data));
    }

    /**
     * {@code n} elements of {@code dtype} read from {@code src} at byte {@code byteOffset}, waiting for
     * queued work first: a {@code float[]}, {@code double[]}, {@code long[]} or {@code boolean[]}.
     */
    public Object downloadArray(DeviceBuffer src, long byteOffset, DType dtype, int n) {
        Object out = switch (dtype) {
            case FLOAT32 -> new float[n];
            case FLOAT64 -> new double[n];
            case INT64 -> new long[n];
            case BOOL -> new byte[n];
        };
        readAt(src, byteOffset, heap(out), layout(out));
        if (out instanceof byte[] bytes) {
            boolean[] bools = new boolean[n];
            for (int i = 0; i < n; i++) {
                bools[i] = bytes[i] != 0;
            }
            return bools;
        }
        return out;
    }

    /** The heap memory of a primitive array; a {@code boolean[]} becomes bytes 0 and 1. */
    private static MemorySegment heap(Object data) {
        return switch (data) {
            case float[] a -> MemorySegment.ofArray(a);
            case double[] a -> MemorySegment.ofArray(a);
            case long[] a -> MemorySegment.ofArray(a);
            case byte[] a -> MemorySegment.ofArray(a);
            case boolean[] a -> {
                byte[] bytes = new byte[a.length];
                for (int i = 0; i < a.length; i++) {
                    bytes[i] = (byte) (a[i] ? 1 : 0);
                }
                yield MemorySegment.ofArray(bytes);
            }
            default -> throw new IllegalArgumentException("expected a float[], double[], long[] or boolean[], but got "
                    + data.getClass().getSimpleName());
        };
    }

    private static ValueLayout layout(Object data) {
        return switch (data) {
            case float[] a -> ValueLayout.JAVA_FLOAT;
            case double[] a -> ValueLayout.JAVA_DOUBLE;
            case long[] a -> ValueLayout.JAVA_LONG;
            default -> ValueLayout.JAVA_BYTE;
        };
    }

    /** The bytes of one element of {@code dtype} in device memory (bool: one byte). */
    public static int elementBytes(DType dtype) {
        return switch (dtype) {
            case FLOAT32 -> Float.BYTES;
            case FLOAT64, INT64 -> Long.BYTES;
            case BOOL -> 1;
        };
    }

    /** Waits until everything queued on this backend's stream is done, reporting any error it met. */
    public void synchronize() {
        context.makeCurrent();
        driver.streamSynchronize(stream);
    }

    // ---- elementwise ----

    /** The unary kernels: {@code y[i] = op(x[i])}. */
    public enum Unary { NEG, EXP, LOG, SQRT, ABS, SIGN, RELU, SIGMOID, TANH }

    /** The binary kernels, each with tensor-tensor, tensor-scalar and scalar-tensor forms. */
    public enum Binary { ADD, SUB, MUL, DIV, POW }

    /** The activations with a backward kernel: {@code grad * act'(x)}, from the forward output. */
    public enum Activation { RELU, SIGMOID, TANH }

    /** {@code y[i] = op(x[i])} for {@code i < n}; {@code y} may be {@code x}. */
    public void unary(Unary op, DType dtype, DeviceBuffer x, DeviceBuffer y, long n) {
        String name = kernel(lower(op), dtype);
        requireElements(name, dtype, n, x, y);
        launchElementwise(name, n, new KernelArgs().buffer(x).buffer(y).i64(n));
    }

    /** {@code y[i] = a[i] op b[i]} for {@code i < n} (same shape, no broadcasting). */
    public void binary(Binary op, DType dtype, DeviceBuffer a, DeviceBuffer b, DeviceBuffer y, long n) {
        String name = kernel(lower(op), dtype);
        requireElements(name, dtype, n, a, b, y);
        launchElementwise(name, n, new KernelArgs().buffer(a).buffer(b).buffer(y).i64(n));
    }

    /** {@code y[i] = a[i] op s} for {@code i < n}. */
    public void binary(Binary op, DType dtype, DeviceBuffer a, double s, DeviceBuffer y, long n) {
        String name = kernel(lower(op) + "_ts", dtype);
        requireElements(name, dtype, n, a, y);
        launchElementwise(name, n, scalar(new KernelArgs().buffer(a), dtype, s).buffer(y).i64(n));
    }

    /** {@code y[i] = s op b[i]} for {@code i < n}. */
    public void binary(Binary op, DType dtype, double s, DeviceBuffer b, DeviceBuffer y, long n) {
        String name = kernel(lower(op) + "_st", dtype);
        requireElements(name, dtype, n, b, y);
        launchElementwise(name, n, scalar(new KernelArgs(), dtype, s).buffer(b).buffer(y).i64(n));
    }

    /** {@code y[i] = grad[i] * act'(x[i])}, where {@code out = act(x)} is the forward output. */
    public void activationBackward(Activation act, DType dtype, DeviceBuffer out, DeviceBuffer grad,
                                   DeviceBuffer y, long n) {
        String name = kernel(lower(act) + "_backward", dtype);
        requireElements(name, dtype, n, out, grad, y);
        launchElementwise(name, n, new KernelArgs().buffer(out).buffer(grad).buffer(y).i64(n));
    }

    /** {@code y[i] = value} for {@code i < n}. */
    public void fill(DType dtype, DeviceBuffer y, double value, long n) {
        String name = kernel("fill", dtype);
        requireElements(name, dtype, n, y);
        launchElementwise(name, n, scalar(new KernelArgs().buffer(y), dtype, value).i64(n));
    }

    /** {@code y[r, c] += bias[c]} on a row-major {@code rows x cols} matrix: a bias added after a GEMM. */
    public void addBias(DType dtype, DeviceBuffer y, DeviceBuffer bias, int rows, int cols) {
        String name = kernel("add_bias", dtype);
        requireMatrix(name, rows, cols);
        requireElements(name, dtype, (long) rows * cols, y);
        requireElements(name, dtype, cols, bias);
        launchElementwise(name, (long) rows * cols, new KernelArgs().buffer(y).buffer(bias).i32(rows).i32(cols));
    }

    /** {@code y[i] = min(max(x[i], lo), hi)} for {@code i < n}, NaN kept; pass an infinity for an absent bound. */
    public void clamp(DType dtype, DeviceBuffer x, DeviceBuffer y, double lo, double hi, long n) {
        String name = kernel("clamp", dtype);
        requireElements(name, dtype, n, x, y);
        KernelArgs args = scalar(scalar(new KernelArgs().buffer(x).buffer(y), dtype, lo), dtype, hi);
        launchElementwise(name, n, args.i64(n));
    }

    /** {@code y[i] = grad[i]} where {@code lo <= x[i] <= hi}, else 0: the derivative of {@link #clamp}. */
    public void clampBackward(DType dtype, DeviceBuffer x, DeviceBuffer grad, DeviceBuffer y, double lo, double hi,
                              long n) {
        String name = kernel("clamp_backward", dtype);
        requireElements(name, dtype, n, x, grad, y);
        KernelArgs args = scalar(scalar(new KernelArgs().buffer(x).buffer(grad).buffer(y), dtype, lo), dtype, hi);
        launchElementwise(name, n, args.i64(n));
    }

    /** The most dimensions {@link #gather} takes. */
    public static final int GATHER_RANK = 6;

    /**
     * Copies the strided view of {@code x} with {@code sizes} and {@code strides} (in elements, 0 for a
     * broadcast dimension) from element {@code offset} into {@code y} in row-major order: how a view
     * or a broadcast operand becomes contiguous. Copies bits, so any element type of 4 or 8 bytes works.
     */
    public void gather(DType dtype, DeviceBuffer x, long offset, int[] sizes, int[] strides, DeviceBuffer y) {
        if (sizes.length != strides.length || sizes.length > GATHER_RANK) {
            throw new IllegalArgumentException("gather: expected at most " + GATHER_RANK + " sizes and as many strides,"
                    + " but got " + sizes.length + " sizes and " + strides.length + " strides");
        }
        int bytes = elementBytes(dtype);
        if (bytes == 1) {
            throw new IllegalArgumentException("gather: bool elements cannot be gathered on the device");
        }
        String name = "kiln_gather_" + (bytes == Float.BYTES ? "f32" : "f64");
        long n = 1, last = offset;
        for (int d = 0; d < sizes.length; d++) {
            n *= sizes[d];
            last += (long) Math.max(sizes[d] - 1, 0) * strides[d];
        }
        requireBytes(name, y, n * bytes);
        if (n > 0) {
            requireBytes(name, x, (last + 1) * bytes);
        }
        KernelArgs args = new KernelArgs().buffer(x).buffer(y).i64(n).i64(offset);
        int lead = GATHER_RANK - sizes.length;
        for (int d = 0; d < GATHER_RANK; d++) {
            args.i32(d < lead ? 1 : sizes[d - lead]);
        }
        for (int d = 0; d < GATHER_RANK; d++) {
            args.i64(d < lead ? 0 : strides[d - lead]);
        }
        launchElementwise(name, n, args);
    }

    // ---- reductions ----

    /** {@code out[0] = x[0] + ... + x[n-1]}, summed in a fixed order (two passes over per-block partial sums). */
    public void sum(DType dtype, DeviceBuffer x, long n, DeviceBuffer out) {
        String name = kernel("sum", dtype);
        requireElements(name, dtype, n, x);
        requireElements(name, dtype, 1, out);
        int blocks = gridFor(n);
        try (DeviceBuffer partial = allocate(dtype, blocks)) {
            launch(name, blocks, new KernelArgs().buffer(x).buffer(partial).i64(n));
            launch(name, 1, new KernelArgs().buffer(partial).buffer(out).i64(blocks));
        }
    }

    /** {@code y[r] = sum over c of x[r, c]} for a row-major {@code rows x cols} matrix. */
    public void sumRows(DType dtype, DeviceBuffer x, int rows, int cols, DeviceBuffer y) {
        String name = kernel("sum_rows", dtype);
        requireMatrix(name, rows, cols);
        requireElements(name, dtype, (long) rows * cols, x);
        requireElements(name, dtype, rows, y);
        launch(name, rowGrid(rows), new KernelArgs().buffer(x).buffer(y).i32(rows).i32(cols));
    }

    /** {@code y[c] = sum over r of x[r, c]} for a row-major {@code rows x cols} matrix: a bias's gradient. */
    public void sumCols(DType dtype, DeviceBuffer x, int rows, int cols, DeviceBuffer y) {
        String name = kernel("sum_cols", dtype);
        requireMatrix(name, rows, cols);
        requireElements(name, dtype, (long) rows * cols, x);
        requireElements(name, dtype, cols, y);
        launch(name, gridFor(cols), new KernelArgs().buffer(x).buffer(y).i32(rows).i32(cols));
    }

    // ---- softmax and cross-entropy ----

    /** Row-wise softmax of a row-major {@code rows x cols} matrix. */
    public void softmax(DType dtype, DeviceBuffer x, DeviceBuffer y, int rows, int cols) {
        rowwise("softmax", dtype, x, y, rows, cols);
    }

    /** Row-wise log-softmax of a row-major {@code rows x cols} matrix. */
    public void logSoftmax(DType dtype, DeviceBuffer x, DeviceBuffer y, int rows, int cols) {
        rowwise("log_softmax", dtype, x, y, rows, cols);
    }

    private void rowwise(String op, DType dtype, DeviceBuffer x, DeviceBuffer y, int rows, int cols) {
        String name = kernel(op, dtype);
        requireMatrix(name, rows, cols);
        requireElements(name, dtype, (long) rows * cols, x, y);
        launch(name, rowGrid(rows), new KernelArgs().buffer(x).buffer(y).i32(rows).i32(cols));
    }

    /**
     * The summed cross-entropy of softmax({@code logits}) against class indices, and how many rows
     * counted.
     *
     * @param lossSum the sum over the rows not ignored of {@code -log softmax(logits)[r, target[r]]}
     * @param count   how many rows were not ignored: the divisor of the mean
     */
    public record CrossEntropy(double lossSum, long count) {
        /** The mean loss, as {@code reduction='mean'} gives it (NaN when every row was ignored, as in PyTorch). */
        public double mean() {
            return lossSum / count;
        }
    }

    /**
     * Softmax cross-entropy forward on a row-major {@code rows x cols} matrix of logits and {@code rows}
     * int64 class targets. Writes each row's log-sum-exp into {@code lse} (for
     * {@link #crossEntropyBackward}) and waits for the result.
     *
     * @throws IndexOutOfBoundsException when a target is neither in {@code [0, cols)} nor {@code ignoreIndex}
     */
    public CrossEntropy crossEntropyForward(DType dtype, DeviceBuffer logits, DeviceBuffer targets, int rows,
                                            int cols, long ignoreIndex, DeviceBuffer lse) {
        String name = kernel("xent_forward", dtype);
        requireMatrix(name, rows, cols);
        requireElements(name, dtype, (long) rows * cols, logits);
        requireElements(name, DType.INT64, rows, targets);
        requireElements(name, dtype, rows, lse);
        try (DeviceBuffer loss = allocate(dtype, rows); DeviceBuffer total = allocate(dtype, 1);
             DeviceBuffer status = context.allocate(2L * Integer.BYTES)) {
            write(status, 0, MemorySegment.ofArray(new int[] {0, rows}), ValueLayout.JAVA_INT);
            launch(name, rowGrid(rows), new KernelArgs().buffer(logits).buffer(targets).buffer(lse).buffer(loss)
                    .buffer(status).i32(rows).i32(cols).i64(ignoreIndex));
            sum(dtype, loss, rows, total);
            int[] counts = new int[2];
            readAt(status, 0, MemorySegment.ofArray(counts), ValueLayout.JAVA_INT);
            if (counts[1] < rows) {
                long[] bad = new long[1];
                readAt(targets, (long) counts[1] * Long.BYTES, MemorySegment.ofArray(bad), ValueLayout.JAVA_LONG);
                throw new IndexOutOfBoundsException("cross_entropy: target " + bad[0] + " at position ("
                        + counts[1] + ") is out of range for " + cols + " classes (expected 0 <= target < " + cols
                        + ", or the ignore index " + ignoreIndex + ")");
            }
            double sum = dtype == DType.FLOAT64 ? downloadDoubles(total, 1)[0] : downloadFloats(total, 1)[0];
            return new CrossEntropy(sum, counts[0]);
        }
    }

    /**
     * Softmax cross-entropy backward: {@code grad[r, c] = (softmax(logits)[r, c] - [c == target[r]]) * scale},
     * zero on ignored rows. {@code scale} is the incoming gradient, divided by the count for the mean.
     */
    public void crossEntropyBackward(DType dtype, DeviceBuffer logits, DeviceBuffer targets, DeviceBuffer lse,
                                     int rows, int cols, long ignoreIndex, double scale, DeviceBuffer grad) {
        String name = kernel("xent_backward", dtype);
        requireMatrix(name, rows, cols);
        requireElements(name, dtype, (long) rows * cols, logits, grad);
        requireElements(name, DType.INT64, rows, targets);
        requireElements(name, dtype, rows, lse);
        KernelArgs args = new KernelArgs().buffer(logits).buffer(targets).buffer(lse).buffer(grad)
                .i32(rows).i32(cols).i64(ignoreIndex);
        launch(name, rowGrid(rows), scalar(args, dtype, scale));
    }

    // ---- optimizer updates ----

    /**
     * SGD's hyperparameters for one step, as {@code dev.kiln.optim.SGD} reads them from a group.
     *
     * @param firstStep whether the momentum buffer starts from this step's gradient
     */
    public record SgdStep(double lr, double momentum, double dampening, double weightDecay, boolean nesterov,
                          boolean maximize, boolean firstStep) {}

    /**
     * One SGD step on {@code n} elements: updates {@code param} and, with momentum, {@code buffer}
     * (which may be null without momentum).
     */
    public void sgd(DType dtype, DeviceBuffer param, DeviceBuffer grad, DeviceBuffer buffer, long n, SgdStep step) {
        String name = kernel("sgd", dtype);
        requireElements(name, dtype, n, param, grad);
        if (step.momentum() != 0) {
            requireElements(name, dtype, n, requirePresent(name, "momentum buffer", buffer));
        }
        KernelArgs args = new KernelArgs().buffer(param).buffer(grad);
        args = buffer == null ? args.pointer(0) : args.buffer(buffer);
        args.i64(n);
        scalar(args, dtype, step.lr());
        scalar(args, dtype, step.momentum());
        scalar(args, dtype, step.dampening());
        scalar(args, dtype, step.weightDecay());
        args.i32(flag(step.nesterov())).i32(flag(step.maximize())).i32(flag(step.firstStep()));
        launchElementwise(name, n, args);
    }

    /** RMSprop's hyperparameters, as {@code dev.kiln.optim.RMSprop} reads them from a group. */
    public record RmspropStep(double lr, double alpha, double eps, double weightDecay, double momentum, boolean centered,
                              boolean maximize) {}

    /**
     * One RMSprop step on {@code n} elements: updates {@code param} and {@code squareAvg}, and
     * {@code gradAvg} when centered (else it may be null) and {@code buffer} with momentum (else it
     * may be null).
     */
    public void rmsprop(DType dtype, DeviceBuffer param, DeviceBuffer grad, DeviceBuffer squareAvg, DeviceBuffer gradAvg,
                        DeviceBuffer buffer, long n, RmspropStep step) {
        String name = kernel("rmsprop", dtype);
        requireElements(name, dtype, n, param, grad, squareAvg);
        if (step.centered()) {
            requireElements(name, dtype, n, requirePresent(name, "gradient average", gradAvg));
        }
        if (step.momentum() > 0) {
            requireElements(name, dtype, n, requirePresent(name, "momentum buffer", buffer));
        }
        KernelArgs args = new KernelArgs().buffer(param).buffer(grad).buffer(squareAvg);
        args = gradAvg == null ? args.pointer(0) : args.buffer(gradAvg);
        args = buffer == null ? args.pointer(0) : args.buffer(buffer);
        args.i64(n);
        scalar(args, dtype, step.lr());
        scalar(args, dtype, step.alpha());
        scalar(args, dtype, step.eps());
        scalar(args, dtype, step.weightDecay());
        scalar(args, dtype, step.momentum());
        args.i32(flag(step.centered())).i32(flag(step.maximize()));
        launchElementwise(name, n, args);
    }

    /**
     * Adam's hyperparameters for step {@code t} of a parameter ({@code t} counts from 1), as
     * {@code dev.kiln.optim.Adam} reads them from a group; {@code decoupled} is AdamW.
     */
    public record AdamStep(double lr, double beta1, double beta2, double eps, double weightDecay, long t,
                           boolean decoupled, boolean amsgrad, boolean maximize) {}

    /**
     * One Adam (or AdamW) step on {@code n} elements: updates {@code param}, {@code expAvg},
     * {@code expAvgSq} and, with amsgrad, {@code maxExpAvgSq} (which may otherwise be null).
     */
    public void adam(DType dtype, DeviceBuffer param, DeviceBuffer grad, DeviceBuffer expAvg, DeviceBuffer expAvgSq,
                     DeviceBuffer maxExpAvgSq, long n, AdamStep step) {
        String name = kernel("adam", dtype);
        if (step.t() < 1) {
            throw new IllegalArgumentException(name + ": the step count starts at 1, but got " + step.t());
        }
        requireElements(name, dtype, n, param, grad, expAvg, expAvgSq);
        if (step.amsgrad()) {
            requireElements(name, dtype, n, requirePresent(name, "max_exp_avg_sq buffer", maxExpAvgSq));
        }
        KernelArgs args = new KernelArgs().buffer(param).buffer(grad).buffer(expAvg).buffer(expAvgSq);
        args = maxExpAvgSq == null ? args.pointer(0) : args.buffer(maxExpAvgSq);
        args.i64(n);
        scalar(args, dtype, step.lr());
        scalar(args, dtype, step.beta1());
        scalar(args, dtype, step.beta2());
        scalar(args, dtype, step.eps());
        scalar(args, dtype, step.weightDecay());
        scalar(args, dtype, 1 - Math.pow(step.beta1(), step.t()));
        scalar(args, dtype, Math.sqrt(1 - Math.pow(step.beta2(), step.t())));
        args.i32(flag(step.decoupled())).i32(flag(step.amsgrad())).i32(flag(step.maximize()));
        launchElementwise(name, n, args);
    }

    // ---- GEMM ----

    /**
     * Row-major {@code C = alpha op(A) op(B) + beta C} through cuBLAS, where {@code op(A)} is
     * {@code m x k}, {@code op(B)} is {@code k x n} and all three are contiguous; a transposed operand
     * is stored transposed ({@code k x m} for A) and read in place.
     */
    public void gemm(DType dtype, boolean transA, boolean transB, int m, int n, int k, double alpha,
                     DeviceBuffer a, DeviceBuffer b, double beta, DeviceBuffer c) {
        String name = dtype == DType.FLOAT64 ? "dgemm" : "sgemm";
        kernel(name, dtype);  // float32 or float64 only
        requireElements(name + " A", dtype, (long) m * k, a);
        requireElements(name + " B", dtype, (long) k * n, b);
        requireElements(name + " C", dtype, (long) m * n, c);
        if (m == 0 || n == 0) {
            return;
        }
        context.makeCurrent();
        cublas.gemmRowMajor(cublasHandle, dtype == DType.FLOAT64, transA, transB, m, n, k, alpha,
                a.pointer(), b.pointer(), beta, c.pointer());
        Reference.reachabilityFence(a);
        Reference.reachabilityFence(b);
        Reference.reachabilityFence(c);
    }

    /**
     * Destroys the cuBLAS handle and the stream and releases the context. Only for a backend made with
     * the constructor; the shared ones of {@link #of(Device)} live as long as the JVM.
     */
    @Override
    public void close() {
        context.makeCurrent();
        driver.streamSynchronize(stream);
        cublas.destroy(cublasHandle);
        driver.streamDestroy(stream);
        context.release();
    }

    // ---- launching ----

    private void launchElementwise(String name, long n, KernelArgs args) {
        if (n > 0) {
            launch(name, gridFor(n), args);
        }
    }

    private void launch(String name, int blocks, KernelArgs args) {
        MemorySegment function = functions.get(name);
        if (function == null) {
            throw new IllegalStateException("no kernel " + name + " in the loaded modules");
        }
        List<String> expected = SIGNATURES.get(name);
        if (!expected.equals(args.ptxTypes())) {
            throw new IllegalStateException(name + ": the kernel takes " + expected + ", but was given " + args.ptxTypes());
        }
        context.makeCurrent();
        driver.launchKernel(function, name, Dim3.of(blocks), Dim3.of(BLOCK), 0, stream, args);
    }

    /** Blocks for a grid-stride loop over {@code n} elements: one element per thread up to {@link #MAX_GRID} blocks. */
    static int gridFor(long n) {
        return Math.clamp((n + BLOCK - 1) / BLOCK, 1, MAX_GRID);
    }

    private static int rowGrid(int rows) {
        return Math.clamp(rows, 1, 65_535);
    }

    private static KernelArgs scalar(KernelArgs args, DType dtype, double value) {
        return dtype == DType.FLOAT64 ? args.f64(value) : args.f32((float) value);
    }

    private static int flag(boolean b) {
        return b ? 1 : 0;
    }

    private static String lower(Enum<?> e) {
        return e.name().toLowerCase(Locale.ROOT);
    }

    /** The kernel's entry name for an element type, e.g. {@code kiln_relu_f32}. */
    static String kernel(String op, DType dtype) {
        return switch (dtype) {
            case FLOAT32 -> "kiln_" + op + "_f32";
            case FLOAT64 -> "kiln_" + op + "_f64";
            default -> throw new IllegalArgumentException(op + ": CUDA kernels take float32 or float64, but got " + dtype);
        };
    }

    private static long size(DType dtype) {
        return elementBytes(dtype);
    }

    private static void requireElements(String name, DType dtype, long n, DeviceBuffer... buffers) {
        if (n < 0) {
            throw new IllegalArgumentException(name + ": the element count must be non-negative, but got " + n);
        }
        for (DeviceBuffer buffer : buffers) {
            requireBytes(name, buffer, n * size(dtype));
        }
    }

    private static void requireBytes(String name, DeviceBuffer buffer, long bytes) {
        if (buffer.byteSize() < bytes) {
            throw new IllegalArgumentException(name + ": expected a buffer of at least " + bytes
                    + " bytes, but got one of " + buffer.byteSize() + " bytes");
        }
    }

    private static void requireMatrix(String name, int rows, int cols) {
        if (rows < 0 || cols < 0) {
            throw new IllegalArgumentException(name + ": expected a non-negative shape, but got (" + rows + "x" + cols + ")");
        }
    }

    private static DeviceBuffer requirePresent(String name, String what, DeviceBuffer buffer) {
        if (buffer == null) {
            throw new IllegalArgumentException(name + ": expected a " + what + ", but got null");
        }
        return buffer;
    }

    /**
     * Every kernel with its PTX parameter types, by module: what {@link #launch} checks each call's
     * arguments against, and what a test checks against the {@code .entry} declarations nvcc writes.
     */
    private static Map<String, Map<String, List<String>>> kernelCatalogue() {
        Map<String, Map<String, List<String>>> modules = new LinkedHashMap<>();
        for (String module : List.of("elementwise", "reduce", "softmax", "optim")) {
            modules.put(module, new LinkedHashMap<>());
        }
        String p = "u64", l = "u64", i = "u32";
        for (DType dtype : List.of(DType.FLOAT32, DType.FLOAT64)) {
            String t = dtype == DType.FLOAT64 ? "f64" : "f32";
            Map<String, List<String>> elementwise = modules.get("elementwise");
            for (Unary op : Unary.values()) {
                elementwise.put(kernel(lower(op), dtype), List.of(p, p, l));
            }
            for (Binary op : Binary.values()) {
                elementwise.put(kernel(lower(op), dtype), List.of(p, p, p, l));
                elementwise.put(kernel(lower(op) + "_ts", dtype), List.of(p, t, p, l));
                elementwise.put(kernel(lower(op) + "_st", dtype), List.of(t, p, p, l));
            }
            for (Activation act : Activation.values()) {
                elementwise.put(kernel(lower(act) + "_backward", dtype), List.of(p, p, p, l));
            }
            elementwise.put(kernel("fill", dtype), List.of(p, t, l));
            elementwise.put(kernel("add_bias", dtype), List.of(p, p, i, i));
            elementwise.put(kernel("clamp", dtype), List.of(p, p, t, t, l));
            elementwise.put(kernel("clamp_backward", dtype), List.of(p, p, p, t, t, l));
            elementwise.put(kernel("gather", dtype), List.of(p, p, l, l, i, i, i, i, i, i, l, l, l, l, l, l));
            Map<String, List<String>> reduce = modules.get("reduce");
            reduce.put(kernel("sum", dtype), List.of(p, p, l));
            reduce.put(kernel("sum_rows", dtype), List.of(p, p, i, i));
            reduce.put(kernel("sum_cols", dtype), List.of(p, p, i, i));
            Map<String, List<String>> softmax = modules.get("softmax");
            softmax.put(kernel("softmax", dtype), List.of(p, p, i, i));
            softmax.put(kernel("log_softmax", dtype), List.of(p, p, i, i));
            softmax.put(kernel("xent_forward", dtype), List.of(p, p, p, p, p, i, i, l));
            softmax.put(kernel("xent_backward", dtype), List.of(p, p, p, p, i, i, l, t));
            Map<String, List<String>> optim = modules.get("optim");
            optim.put(kernel("sgd", dtype), List.of(p, p, p, l, t, t, t, t, i, i, i));
            optim.put(kernel("adam", dtype), List.of(p, p, p, p, p, l, t, t, t, t, t, t, t, i, i, i));
            optim.put(kernel("rmsprop", dtype), List.of(p, p, p, p, p, l, t, t, t, t, t, i, i));
        }
        modules.replaceAll((module, kernels) -> Collections.unmodifiableMap(kernels));
        return Collections.unmodifiableMap(modules);
    }
}
