package dev.kiln.device.cuda;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.lang.ref.Reference;

/**
 * The CUDA driver API functions Kiln uses, bound from a {@link SymbolTable} (normally
 * {@code libcuda.so.1}). Each method makes one call and turns a {@code CUresult} other than
 * {@code CUDA_SUCCESS} into a {@link CudaException} carrying the driver's name and description of the
 * code ({@code cuGetErrorName}, {@code cuGetErrorString}) and the call that failed.
 *
 * <p>Types follow {@code cuda.h}: a {@code CUdevice} is an {@code int}, a {@code CUdeviceptr} a
 * 64-bit integer ({@code long} here), and contexts, modules, functions and streams are opaque
 * pointers ({@link MemorySegment}; {@link MemorySegment#NULL} is the default stream). Functions
 * that {@code cuda.h} renames by macro are bound under their real symbol ({@code cuMemAlloc_v2}).
 * Calls that operate on device memory need the device's context current on the calling thread
 * ({@link #ctxSetCurrent}).
 */
public final class CudaDriver {
    /** The driver library, as installed by the NVIDIA driver package. */
    public static final String LIBRARY = "libcuda.so.1";

    /** {@code CUDA_SUCCESS}. */
    static final int SUCCESS = 0;

    private static final FunctionDescriptor INT_INT = FunctionDescriptor.of(JAVA_INT, JAVA_INT);
    private static final FunctionDescriptor INT_PTR = FunctionDescriptor.of(JAVA_INT, ADDRESS);
    private static final FunctionDescriptor INT_PTR_INT = FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT);
    private static final FunctionDescriptor INT_PTR_LONG = FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG);
    private static final FunctionDescriptor INT_LONG = FunctionDescriptor.of(JAVA_INT, JAVA_LONG);

    private final MethodHandle cuInit;
    private final MethodHandle cuDeviceGetCount;
    private final MethodHandle cuDeviceGet;
    private final MethodHandle cuDeviceGetName;
    private final MethodHandle cuDeviceTotalMem;
    private final MethodHandle cuDevicePrimaryCtxRetain;
    private final MethodHandle cuDevicePrimaryCtxRelease;
    private final MethodHandle cuCtxSetCurrent;
    private final MethodHandle cuMemAlloc;
    private final MethodHandle cuMemFree;
    private final MethodHandle cuMemcpyHtoD;
    private final MethodHandle cuMemcpyDtoH;
    private final MethodHandle cuMemcpyDtoD;
    private final MethodHandle cuMemcpyHtoDAsync;
    private final MethodHandle cuMemcpyDtoHAsync;
    private final MethodHandle cuMemcpyDtoDAsync;
    private final MethodHandle cuModuleLoadData;
    private final MethodHandle cuModuleGetFunction;
    private final MethodHandle cuLaunchKernel;
    private final MethodHandle cuStreamCreate;
    private final MethodHandle cuStreamSynchronize;
    private final MethodHandle cuStreamDestroy;
    private final MethodHandle cuGetErrorName;
    private final MethodHandle cuGetErrorString;

    /**
     * Binds every function from {@code symbols}.
     *
     * @throws IllegalStateException when one is missing, naming it
     */
    public CudaDriver(SymbolTable symbols) {
        cuInit = bind(symbols, "cuInit", INT_INT);
        cuDeviceGetCount = bind(symbols, "cuDeviceGetCount", INT_PTR);
        cuDeviceGet = bind(symbols, "cuDeviceGet", INT_PTR_INT);
        cuDeviceGetName = bind(symbols, "cuDeviceGetName", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT));
        cuDeviceTotalMem = bind(symbols, "cuDeviceTotalMem_v2", INT_PTR_INT);
        cuDevicePrimaryCtxRetain = bind(symbols, "cuDevicePrimaryCtxRetain", INT_PTR_INT);
        cuDevicePrimaryCtxRelease = bind(symbols, "cuDevicePrimaryCtxRelease_v2", INT_INT);
        cuCtxSetCurrent = bind(symbols, "cuCtxSetCurrent", INT_PTR);
        cuMemAlloc = bind(symbols, "cuMemAlloc_v2", INT_PTR_LONG);
        cuMemFree = bind(symbols, "cuMemFree_v2", INT_LONG);
        cuMemcpyHtoD = bind(symbols, "cuMemcpyHtoD_v2", FunctionDescriptor.of(JAVA_INT, JAVA_LONG, ADDRESS, JAVA_LONG));
        cuMemcpyDtoH = bind(symbols, "cuMemcpyDtoH_v2", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG));
        cuMemcpyDtoD = bind(symbols, "cuMemcpyDtoD_v2", FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_LONG));
        cuMemcpyHtoDAsync = bind(symbols, "cuMemcpyHtoDAsync_v2",
                FunctionDescriptor.of(JAVA_INT, JAVA_LONG, ADDRESS, JAVA_LONG, ADDRESS));
        cuMemcpyDtoHAsync = bind(symbols, "cuMemcpyDtoHAsync_v2",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG, ADDRESS));
        cuMemcpyDtoDAsync = bind(symbols, "cuMemcpyDtoDAsync_v2",
                FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_LONG, ADDRESS));
        cuModuleLoadData = bind(symbols, "cuModuleLoadData", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
        cuModuleGetFunction = bind(symbols, "cuModuleGetFunction",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS));
        cuLaunchKernel = bind(symbols, "cuLaunchKernel", FunctionDescriptor.of(JAVA_INT,
                ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, ADDRESS));
        cuStreamCreate = bind(symbols, "cuStreamCreate", INT_PTR_INT);
        cuStreamSynchronize = bind(symbols, "cuStreamSynchronize", INT_PTR);
        cuStreamDestroy = bind(symbols, "cuStreamDestroy_v2", INT_PTR);
        cuGetErrorName = bind(symbols, "cuGetErrorName", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS));
        cuGetErrorString = bind(symbols, "cuGetErrorString", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS));
    }

    private static MethodHandle bind(SymbolTable symbols, String name, FunctionDescriptor descriptor) {
        return Native.bind(symbols, LIBRARY, name, descriptor);
    }

    /** {@code cuInit(0)}: must come before any other call. */
    public void init() {
        call("cuInit", () -> (int) cuInit.invokeExact(0));
    }

    /** How many CUDA devices the driver sees. */
    public int deviceCount() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment count = arena.allocate(JAVA_INT);
            call("cuDeviceGetCount", () -> (int) cuDeviceGetCount.invokeExact(count));
            return count.get(JAVA_INT, 0);
        }
    }

    /** The {@code CUdevice} handle of device {@code ordinal}. */
    public int deviceGet(int ordinal) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment device = arena.allocate(JAVA_INT);
            call("cuDeviceGet, ordinal " + ordinal, () -> (int) cuDeviceGet.invokeExact(device, ordinal));
            return device.get(JAVA_INT, 0);
        }
    }

    /** The device's product name, e.g. {@code NVIDIA H100 80GB HBM3}. */
    public String deviceName(int device) {
        int capacity = 256;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment name = arena.allocate(capacity);
            call("cuDeviceGetName", () -> (int) cuDeviceGetName.invokeExact(name, capacity, device));
            name.set(JAVA_BYTE, capacity - 1, (byte) 0);
            return name.getString(0);
        }
    }

    /** The device's memory in bytes. */
    public long deviceTotalMem(int device) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment bytes = arena.allocate(JAVA_LONG);
            call("cuDeviceTotalMem_v2", () -> (int) cuDeviceTotalMem.invokeExact(bytes, device));
            return bytes.get(JAVA_LONG, 0);
        }
    }

    /** Retains the device's primary context (the one the CUDA runtime shares) and returns it. */
    public MemorySegment primaryCtxRetain(int device) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment context = arena.allocate(ADDRESS);
            call("cuDevicePrimaryCtxRetain", () -> (int) cuDevicePrimaryCtxRetain.invokeExact(context, device));
            return context.get(ADDRESS, 0);
        }
    }

    /** Releases one retain of the device's primary context. */
    public void primaryCtxRelease(int device) {
        call("cuDevicePrimaryCtxRelease_v2", () -> (int) cuDevicePrimaryCtxRelease.invokeExact(device));
    }

    /** Makes {@code context} current on the calling thread. */
    public void ctxSetCurrent(MemorySegment context) {
        call("cuCtxSetCurrent", () -> (int) cuCtxSetCurrent.invokeExact(context));
    }

    /** Allocates {@code bytes} of device memory and returns its address. */
    public long memAlloc(long bytes) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment pointer = arena.allocate(JAVA_LONG);
            call("cuMemAlloc_v2, " + bytes + " bytes", () -> (int) cuMemAlloc.invokeExact(pointer, bytes));
            return pointer.get(JAVA_LONG, 0);
        }
    }

    /** Frees device memory from {@link #memAlloc}. */
    public void memFree(long pointer) {
        call("cuMemFree_v2, 0x" + Long.toHexString(pointer), () -> (int) cuMemFree.invokeExact(pointer));
    }

    /** Copies {@code bytes} from host memory to the device, returning when the copy is done. */
    public void memcpyHtoD(long dst, MemorySegment src, long bytes) {
        requireHostBytes(src, bytes, "cuMemcpyHtoD_v2");
        call("cuMemcpyHtoD_v2, " + bytes + " bytes", () -> (int) cuMemcpyHtoD.invokeExact(dst, src, bytes));
    }

    /** Copies {@code bytes} from the device to host memory, returning when the copy is done. */
    public void memcpyDtoH(MemorySegment dst, long src, long bytes) {
        requireHostBytes(dst, bytes, "cuMemcpyDtoH_v2");
        call("cuMemcpyDtoH_v2, " + bytes + " bytes", () -> (int) cuMemcpyDtoH.invokeExact(dst, src, bytes));
    }

    /** Copies {@code bytes} between two device buffers. */
    public void memcpyDtoD(long dst, long src, long bytes) {
        call("cuMemcpyDtoD_v2, " + bytes + " bytes", () -> (int) cuMemcpyDtoD.invokeExact(dst, src, bytes));
    }

    /**
     * Queues a host-to-device copy on {@code stream}. From pageable host memory the driver stages the
     * data before returning, so {@code src} may be reused as soon as this returns.
     */
    public void memcpyHtoDAsync(long dst, MemorySegment src, long bytes, MemorySegment stream) {
        requireHostBytes(src, bytes, "cuMemcpyHtoDAsync_v2");
        call("cuMemcpyHtoDAsync_v2, " + bytes + " bytes",
                () -> (int) cuMemcpyHtoDAsync.invokeExact(dst, src, bytes, stream));
    }

    /** Queues a device-to-host copy on {@code stream}; {@code dst} is valid after {@link #streamSynchronize}. */
    public void memcpyDtoHAsync(MemorySegment dst, long src, long bytes, MemorySegment stream) {
        requireHostBytes(dst, bytes, "cuMemcpyDtoHAsync_v2");
        call("cuMemcpyDtoHAsync_v2, " + bytes + " bytes",
                () -> (int) cuMemcpyDtoHAsync.invokeExact(dst, src, bytes, stream));
    }

    /** Queues a device-to-device copy on {@code stream}. */
    public void memcpyDtoDAsync(long dst, long src, long bytes, MemorySegment stream) {
        call("cuMemcpyDtoDAsync_v2, " + bytes + " bytes",
                () -> (int) cuMemcpyDtoDAsync.invokeExact(dst, src, bytes, stream));
    }

    /**
     * Loads a module from a PTX text (the driver compiles it for the device) and returns it.
     *
     * @param name the module's name, for error messages
     */
    public MemorySegment moduleLoadData(String name, String ptx) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment module = arena.allocate(ADDRESS);
            MemorySegment image = arena.allocateFrom(ptx);
            call("cuModuleLoadData, " + name, () -> (int) cuModuleLoadData.invokeExact(module, image));
            return module.get(ADDRESS, 0);
        }
    }

    /** The kernel called {@code name} in {@code module}. */
    public MemorySegment moduleGetFunction(MemorySegment module, String name) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment function = arena.allocate(ADDRESS);
            call("cuModuleGetFunction, " + name,
                    () -> (int) cuModuleGetFunction.invokeExact(function, module, arena.allocateFrom(name)));
            return function.get(ADDRESS, 0);
        }
    }

    /**
     * Queues {@code function} on {@code stream} with {@code grid} blocks of {@code block} threads and
     * {@code sharedBytes} of dynamic shared memory. The arguments are copied by the driver before this
     * returns.
     *
     * @param name the kernel's name, for error messages
     */
    public void launchKernel(MemorySegment function, String name, Dim3 grid, Dim3 block, int sharedBytes,
                             MemorySegment stream, KernelArgs args) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment params = args.pack(arena);
            call("cuLaunchKernel, " + name,
                    () -> (int) cuLaunchKernel.invokeExact(function, grid.x(), grid.y(), grid.z(),
                        block.x(), block.y(), block.z(), sharedBytes, stream, params, MemorySegment.NULL));
        } finally {
            Reference.reachabilityFence(args);  // its buffers must not be freed before the launch is queued
        }
    }

    /** Creates a stream ({@code flags} 0: it synchronises with the legacy default stream). */
    public MemorySegment streamCreate(int flags) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment stream = arena.allocate(ADDRESS);
            call("cuStreamCreate", () -> (int) cuStreamCreate.invokeExact(stream, flags));
            return stream.get(ADDRESS, 0);
        }
    }

    /**
     * Waits until all work queued on {@code stream} is done. Errors of earlier asynchronous work
     * (a kernel that faulted) are reported here.
     */
    public void streamSynchronize(MemorySegment stream) {
        call("cuStreamSynchronize", () -> (int) cuStreamSynchronize.invokeExact(stream));
    }

    /** Destroys {@code stream} once its queued work is done. */
    public void streamDestroy(MemorySegment stream) {
        call("cuStreamDestroy_v2", () -> (int) cuStreamDestroy.invokeExact(stream));
    }

    /** The driver's name of {@code result}, e.g. {@code CUDA_ERROR_NO_DEVICE}; {@code CUresult N} when it has none. */
    public String errorName(int result) {
        String name = errorText(cuGetErrorName, result);
        return name == null ? "CUresult " + result : name;
    }

    /** The driver's description of {@code result}, e.g. {@code no CUDA-capable device is detected}. */
    public String errorString(int result) {
        String text = errorText(cuGetErrorString, result);
        return text == null ? "unknown error" : text;
    }

    private static String errorText(MethodHandle function, int result) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment text = arena.allocate(ADDRESS);
            int r;
            try {
                r = (int) function.invokeExact(result, text);
            } catch (Throwable t) {
                throw Native.rethrow(t);
            }
            return r == SUCCESS ? Native.string(text.get(ADDRESS, 0)) : null;
        }
    }

    /** A downcall that returns a {@code CUresult}. */
    @FunctionalInterface
    private interface Invocation {
        int invoke() throws Throwable;
    }

    /** Makes the call and throws a {@link CudaException} naming {@code what} unless it succeeded. */
    private void call(String what, Invocation invocation) {
        int result;
        try {
            result = invocation.invoke();
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
        check(result, what);
    }

    /** Throws a {@link CudaException} for any {@code result} but {@code CUDA_SUCCESS}. */
    void check(int result, String call) {
        if (result != SUCCESS) {
            throw new CudaException(result, errorName(result), errorString(result), call);
        }
    }

    private static void requireHostBytes(MemorySegment host, long bytes, String call) {
        if (bytes < 0 || host.byteSize() < bytes) {
            throw new IllegalArgumentException(call + ": the host buffer holds " + host.byteSize()
                    + " bytes, but the copy is of " + bytes + " bytes");
        }
    }
}
