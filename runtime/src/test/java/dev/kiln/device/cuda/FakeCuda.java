package dev.kiln.device.cuda;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_DOUBLE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.Collections;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A CUDA driver and cuBLAS made of Java methods exposed as native function pointers
 * ({@link Linker#upcallStub}), for testing the bindings without a GPU. "Device memory" is real
 * native memory, so copies and cuBLAS GEMMs (computed here, column-major, as cuBLAS defines them)
 * give real results; kernels are not run but each launch is decoded with the parameter types of
 * the kernel's {@code .entry} in the loaded PTX. Every call is recorded; {@link #fail} makes a
 * function return an error code. Upcalls must never throw (that would end the JVM): each body
 * catches everything and keeps it in {@link #errors}.
 */
@SuppressWarnings("restricted")  // a fake driver reads and writes raw native memory by design
public final class FakeCuda implements AutoCloseable {
    /** Codes the fake's cuGetErrorName/cuGetErrorString know, with the real driver's texts. */
    static final Map<Integer, String[]> ERRORS = Map.of(
            0, new String[] {"CUDA_SUCCESS", "no error"},
            1, new String[] {"CUDA_ERROR_INVALID_VALUE", "invalid argument"},
            2, new String[] {"CUDA_ERROR_OUT_OF_MEMORY", "out of memory"},
            3, new String[] {"CUDA_ERROR_NOT_INITIALIZED", "initialization error"},
            100, new String[] {"CUDA_ERROR_NO_DEVICE", "no CUDA-capable device is detected"},
            101, new String[] {"CUDA_ERROR_INVALID_DEVICE", "invalid device ordinal"},
            218, new String[] {"CUDA_ERROR_INVALID_PTX", "a PTX JIT compilation failed"},
            500, new String[] {"CUDA_ERROR_NOT_FOUND", "named symbol not found"},
            700, new String[] {"CUDA_ERROR_ILLEGAL_ADDRESS", "an illegal memory access was encountered"});

    static final MemorySegment CONTEXT = MemorySegment.ofAddress(0xC0C0);
    static final MemorySegment STREAM = MemorySegment.ofAddress(0x5E00);
    static final MemorySegment CUBLAS_HANDLE = MemorySegment.ofAddress(0xB1A5);

    /** One decoded kernel launch. */
    public record Launch(String kernel, Dim3 grid, Dim3 block, int sharedBytes, MemorySegment stream, List<Object> args) {}

    /** One cuBLAS GEMM call, as received. */
    public record Gemm(String function, int transA, int transB, int m, int n, int k, double alpha, long a, int lda,
                       long b, int ldb, double beta, long c, int ldc) {}

    /**
     * Holds the upcall stubs and the error strings. Automatic, not closed by {@link #close}: a buffer a
     * failing test left open may still be freed by the cleaner later, through these stubs.
     */
    private final Arena arena = Arena.ofAuto();
    private final Map<String, MemorySegment> stubs = new HashMap<>();
    private final Map<String, Integer> failures = new ConcurrentHashMap<>();
    private final Map<Integer, MemorySegment[]> errorTexts = new ConcurrentHashMap<>();
    /** Fake device memory comes from the C library's malloc: freeing it is cheap and immediate. */
    private static final java.lang.invoke.MethodHandle MALLOC = Linker.nativeLinker().downcallHandle(
            Linker.nativeLinker().defaultLookup().find("malloc").orElseThrow(), FunctionDescriptor.of(ADDRESS, JAVA_LONG));
    private static final java.lang.invoke.MethodHandle FREE = Linker.nativeLinker().downcallHandle(
            Linker.nativeLinker().defaultLookup().find("free").orElseThrow(), FunctionDescriptor.ofVoid(ADDRESS));

    private final TreeMap<Long, Long> sizes = new TreeMap<>();
    private final Map<String, List<String>> entries = new ConcurrentHashMap<>();
    private final Map<Long, String> functions = new ConcurrentHashMap<>();

    /** Every call, as {@code name(arguments)}, in order. */
    public final List<String> calls = Collections.synchronizedList(new ArrayList<>());
    /** Every kernel launch. */
    public final List<Launch> launches = Collections.synchronizedList(new ArrayList<>());
    /** Java stand-ins for kernels, by name, run at launch with the decoded arguments (the fake runs no kernel otherwise). */
    public final Map<String, java.util.function.Consumer<Launch>> kernels = new ConcurrentHashMap<>();
    /** Every GEMM. */
    public final List<Gemm> gemms = Collections.synchronizedList(new ArrayList<>());
    /** What any upcall threw; a test checks it is empty. */
    public final List<Throwable> errors = Collections.synchronizedList(new ArrayList<>());

    /** How many devices cuDeviceGetCount reports. */
    public volatile int deviceCount = 1;
    private int modules;

    public FakeCuda() {
        Linker linker = Linker.nativeLinker();
        stub(linker, "cuInit", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
        stub(linker, "cuDeviceGetCount", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        stub(linker, "cuDeviceGet", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
        stub(linker, "cuDeviceGetName", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT));
        stub(linker, "cuDeviceTotalMem_v2", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
        stub(linker, "cuDevicePrimaryCtxRetain", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
        stub(linker, "cuDevicePrimaryCtxRelease_v2", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
        stub(linker, "cuCtxSetCurrent", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        stub(linker, "cuMemAlloc_v2", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG));
        stub(linker, "cuMemFree_v2", FunctionDescriptor.of(JAVA_INT, JAVA_LONG));
        stub(linker, "cuMemcpyHtoD_v2", FunctionDescriptor.of(JAVA_INT, JAVA_LONG, ADDRESS, JAVA_LONG));
        stub(linker, "cuMemcpyDtoH_v2", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG));
        stub(linker, "cuMemcpyDtoD_v2", FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_LONG));
        stub(linker, "cuMemcpyHtoDAsync_v2", FunctionDescriptor.of(JAVA_INT, JAVA_LONG, ADDRESS, JAVA_LONG, ADDRESS));
        stub(linker, "cuMemcpyDtoHAsync_v2", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG, ADDRESS));
        stub(linker, "cuMemcpyDtoDAsync_v2", FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_LONG, ADDRESS));
        stub(linker, "cuModuleLoadData", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
        stub(linker, "cuModuleGetFunction", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS));
        stub(linker, "cuLaunchKernel", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT,
                JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, ADDRESS));
        stub(linker, "cuStreamCreate", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
        stub(linker, "cuStreamSynchronize", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        stub(linker, "cuStreamDestroy_v2", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        stub(linker, "cuGetErrorName", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS));
        stub(linker, "cuGetErrorString", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS));
        stub(linker, "cublasCreate_v2", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        stub(linker, "cublasDestroy_v2", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        stub(linker, "cublasSetStream_v2", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
        FunctionDescriptor gemm = FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT,
                JAVA_INT, ADDRESS, ADDRESS, JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, ADDRESS, JAVA_INT);
        stub(linker, "cublasSgemm_v2", gemm);
        stub(linker, "cublasDgemm_v2", gemm);
    }

    private void stub(Linker linker, String name, FunctionDescriptor descriptor) {
        try {
            MethodType type = descriptor.toMethodType();
            var handle = MethodHandles.lookup().findVirtual(FakeCuda.class, name, type).bindTo(this);
            stubs.put(name, linker.upcallStub(handle, descriptor, arena));
        } catch (ReflectiveOperationException e) {
            throw new AssertionError(e);
        }
    }

    /** The fake's functions by name, as a library would give them. */
    public SymbolTable symbols() {
        return name -> Optional.ofNullable(stubs.get(name));
    }

    /** The same table without {@code missing}, as an older library would be. */
    public SymbolTable symbolsWithout(String missing) {
        return name -> name.equals(missing) ? Optional.empty() : Optional.ofNullable(stubs.get(name));
    }

    /** Makes {@code function} return {@code code} from now on (0 restores success). */
    public void fail(String function, int code) {
        failures.put(function, code);
    }

    /** Bytes of fake device memory allocated and not freed. */
    public synchronized long allocatedBytes() {
        return sizes.values().stream().mapToLong(Long::longValue).sum();
    }

    /** The names of the functions called, in order. */
    public List<String> functionsCalled() {
        return calls.stream().map(c -> c.substring(0, c.indexOf('('))).toList();
    }

    /** How many calls there were to {@code function}. */
    public long count(String function) {
        return calls.stream().filter(c -> c.startsWith(function + "(")).count();
    }

    /** The fake device memory at {@code pointer}, as long as its allocation. */
    public synchronized MemorySegment memory(long pointer) {
        var entry = sizes.floorEntry(pointer);
        if (entry == null || pointer >= entry.getKey() + entry.getValue()) {
            throw new IllegalArgumentException("no fake allocation holds 0x" + Long.toHexString(pointer));
        }
        return MemorySegment.ofAddress(pointer).reinterpret(entry.getKey() + entry.getValue() - pointer);
    }

    @Override
    public synchronized void close() {
        sizes.keySet().forEach(FakeCuda::free);
        sizes.clear();
    }

    private static void free(long address) {
        try {
            FREE.invokeExact(MemorySegment.ofAddress(address));
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    // ---- helpers the upcalls share ----

    private int enter(String call) {
        calls.add(call);
        String name = call.substring(0, call.indexOf('('));
        return failures.getOrDefault(name, 0);
    }

    private int caught(Throwable t) {
        errors.add(t);
        return 999;
    }

    private static MemorySegment out(MemorySegment pointer, long bytes) {
        return pointer.reinterpret(bytes);
    }

    /** Parses {@code .entry name( .param .u64 x, ... )} declarations: kernel name to its parameter types. */
    public static Map<String, List<String>> entries(String ptx) {
        Map<String, List<String>> result = new HashMap<>();
        Matcher entry = Pattern.compile("\\.entry\\s+(\\w+)\\s*\\(([^)]*)\\)").matcher(ptx);
        while (entry.find()) {
            List<String> types = new ArrayList<>();
            Matcher param = Pattern.compile("\\.param\\s+\\.(\\w+)").matcher(entry.group(2));
            while (param.find()) {
                types.add(param.group(1));
            }
            result.put(entry.group(1), types);
        }
        return result;
    }

    /** PTX-like text declaring the kernels of {@code catalogue}, which {@link #entries} parses back. */
    public static String ptx(Map<String, List<String>> catalogue) {
        StringBuilder text = new StringBuilder("// fake module\n");
        catalogue.forEach((name, types) -> {
            text.append(".visible .entry ").append(name).append("(\n");
            for (int i = 0; i < types.size(); i++) {
                text.append("\t.param .").append(types.get(i)).append(' ').append(name).append("_param_").append(i)
                        .append(i + 1 < types.size() ? ",\n" : "\n");
            }
            text.append(")\n{\n\tret;\n}\n");
        });
        return text.toString();
    }

    // ---- the driver ----

    int cuInit(int flags) {
        return enter("cuInit(" + flags + ")");
    }

    int cuDeviceGetCount(MemorySegment count) {
        try {
            int r = enter("cuDeviceGetCount()");
            if (r == 0) {
                out(count, 4).set(JAVA_INT, 0, deviceCount);
            }
            return r;
        } catch (Throwable t) {
            return caught(t);
        }
    }

    int cuDeviceGet(MemorySegment device, int ordinal) {
        try {
            int r = enter("cuDeviceGet(" + ordinal + ")");
            if (r == 0 && (ordinal < 0 || ordinal >= deviceCount)) {
                return 101;
            }
            if (r == 0) {
                out(device, 4).set(JAVA_INT, 0, 40 + ordinal);
            }
            return r;
        } catch (Throwable t) {
            return caught(t);
        }
    }

    int cuDeviceGetName(MemorySegment name, int length, int device) {
        try {
            int r = enter("cuDeviceGetName(" + length + ", " + device + ")");
            if (r == 0) {
                out(name, length).setString(0, "Fake GPU " + device);
            }
            return r;
        } catch (Throwable t) {
            return caught(t);
        }
    }

    int cuDeviceTotalMem_v2(MemorySegment bytes, int device) {
        try {
            int r = enter("cuDeviceTotalMem_v2(" + device + ")");
            if (r == 0) {
                out(bytes, 8).set(JAVA_LONG, 0, 80L << 30);
            }
            return r;
        } catch (Throwable t) {
            return caught(t);
        }
    }

    int cuDevicePrimaryCtxRetain(MemorySegment context, int device) {
        try {
            int r = enter("cuDevicePrimaryCtxRetain(" + device + ")");
            if (r == 0) {
                out(context, 8).set(ADDRESS, 0, CONTEXT);
            }
            return r;
        } catch (Throwable t) {
            return caught(t);
        }
    }

    int cuDevicePrimaryCtxRelease_v2(int device) {
        return enter("cuDevicePrimaryCtxRelease_v2(" + device + ")");
    }

    int cuCtxSetCurrent(MemorySegment context) {
        return enter("cuCtxSetCurrent(0x" + Long.toHexString(context.address()) + ")");
    }

    synchronized int cuMemAlloc_v2(MemorySegment pointer, long bytes) {
        try {
            int r = enter("cuMemAlloc_v2(" + bytes + ")");
            if (r == 0) {
                MemorySegment memory = (MemorySegment) MALLOC.invokeExact(bytes);
                memory.reinterpret(bytes).fill((byte) 0);
                sizes.put(memory.address(), bytes);
                out(pointer, 8).set(JAVA_LONG, 0, memory.address());
            }
            return r;
        } catch (Throwable t) {
            return caught(t);
        }
    }

    synchronized int cuMemFree_v2(long pointer) {
        try {
            int r = enter("cuMemFree_v2(0x" + Long.toHexString(pointer) + ")");
            if (r != 0) {
                return r;
            }
            if (sizes.remove(pointer) == null) {
                return 1;  // the real driver's answer to a pointer it did not allocate (or freed already)
            }
            free(pointer);
            return 0;
        } catch (Throwable t) {
            return caught(t);
        }
    }

    int cuMemcpyHtoD_v2(long dst, MemorySegment src, long bytes) {
        return copyIn("cuMemcpyHtoD_v2(" + bytes + ")", dst, src, bytes);
    }

    int cuMemcpyHtoDAsync_v2(long dst, MemorySegment src, long bytes, MemorySegment stream) {
        return copyIn("cuMemcpyHtoDAsync_v2(" + bytes + ", stream 0x" + Long.toHexString(stream.address()) + ")",
                dst, src, bytes);
    }

    private int copyIn(String call, long dst, MemorySegment src, long bytes) {
        try {
            int r = enter(call);
            if (r == 0) {
                memory(dst).asSlice(0, bytes).copyFrom(src.reinterpret(bytes));
            }
            return r;
        } catch (Throwable t) {
            return caught(t);
        }
    }

    int cuMemcpyDtoH_v2(MemorySegment dst, long src, long bytes) {
        return copyOut("cuMemcpyDtoH_v2(" + bytes + ")", dst, src, bytes);
    }

    int cuMemcpyDtoHAsync_v2(MemorySegment dst, long src, long bytes, MemorySegment stream) {
        return copyOut("cuMemcpyDtoHAsync_v2(" + bytes + ", stream 0x" + Long.toHexString(stream.address()) + ")",
                dst, src, bytes);
    }

    private int copyOut(String call, MemorySegment dst, long src, long bytes) {
        try {
            int r = enter(call);
            if (r == 0) {
                dst.reinterpret(bytes).copyFrom(memory(src).asSlice(0, bytes));
            }
            return r;
        } catch (Throwable t) {
            return caught(t);
        }
    }

    int cuMemcpyDtoD_v2(long dst, long src, long bytes) {
        return copyBetween("cuMemcpyDtoD_v2(" + bytes + ")", dst, src, bytes);
    }

    int cuMemcpyDtoDAsync_v2(long dst, long src, long bytes, MemorySegment stream) {
        return copyBetween("cuMemcpyDtoDAsync_v2(" + bytes + ", stream 0x" + Long.toHexString(stream.address()) + ")",
                dst, src, bytes);
    }

    private int copyBetween(String call, long dst, long src, long bytes) {
        try {
            int r = enter(call);
            if (r == 0) {
                memory(dst).asSlice(0, bytes).copyFrom(memory(src).asSlice(0, bytes));
            }
            return r;
        } catch (Throwable t) {
            return caught(t);
        }
    }

    synchronized int cuModuleLoadData(MemorySegment module, MemorySegment image) {
        try {
            String ptx = image.reinterpret(Long.MAX_VALUE).getString(0);
            int r = enter("cuModuleLoadData(" + ptx.length() + " chars)");
            if (r == 0) {
                Map<String, List<String>> declared = entries(ptx);
                if (declared.isEmpty()) {
                    return 218;
                }
                entries.putAll(declared);
                out(module, 8).set(ADDRESS, 0, MemorySegment.ofAddress(0x10_000 + 0x1000L * ++modules));
            }
            return r;
        } catch (Throwable t) {
            return caught(t);
        }
    }

    int cuModuleGetFunction(MemorySegment function, MemorySegment module, MemorySegment name) {
        try {
            String kernel = name.reinterpret(Long.MAX_VALUE).getString(0);
            int r = enter("cuModuleGetFunction(" + kernel + ")");
            if (r == 0) {
                if (!entries.containsKey(kernel)) {
                    return 500;
                }
                long address = 0xF000_0000L + functions.size() * 16L;
                functions.put(address, kernel);
                out(function, 8).set(ADDRESS, 0, MemorySegment.ofAddress(address));
            }
            return r;
        } catch (Throwable t) {
            return caught(t);
        }
    }

    int cuLaunchKernel(MemorySegment function, int gx, int gy, int gz, int bx, int by, int bz, int shared,
                       MemorySegment stream, MemorySegment params, MemorySegment extra) {
        try {
            String kernel = functions.getOrDefault(function.address(), "?");
            int r = enter("cuLaunchKernel(" + kernel + ")");
            if (r != 0) {
                return r;
            }
            if (!extra.equals(MemorySegment.NULL)) {
                return 1;
            }
            List<String> types = entries.get(kernel);
            MemorySegment pointers = params.reinterpret(ADDRESS.byteSize() * types.size());
            List<Object> args = new ArrayList<>();
            for (int i = 0; i < types.size(); i++) {
                MemorySegment value = pointers.getAtIndex(ADDRESS, i).reinterpret(8);
                args.add(switch (types.get(i)) {
                    case "u64" -> value.get(JAVA_LONG, 0);
                    case "u32" -> value.get(JAVA_INT, 0);
                    case "f32" -> value.get(JAVA_FLOAT, 0);
                    case "f64" -> value.get(JAVA_DOUBLE, 0);
                    default -> throw new IllegalStateException("PTX type " + types.get(i));
                });
            }
            Launch launch = new Launch(kernel, new Dim3(gx, gy, gz), new Dim3(bx, by, bz), shared, stream, List.copyOf(args));
            launches.add(launch);
            var standIn = kernels.get(kernel);
            if (standIn != null) {
                standIn.accept(launch);
            }
            return 0;
        } catch (Throwable t) {
            return caught(t);
        }
    }

    int cuStreamCreate(MemorySegment stream, int flags) {
        try {
            int r = enter("cuStreamCreate(" + flags + ")");
            if (r == 0) {
                out(stream, 8).set(ADDRESS, 0, STREAM);
            }
            return r;
        } catch (Throwable t) {
            return caught(t);
        }
    }

    int cuStreamSynchronize(MemorySegment stream) {
        return enter("cuStreamSynchronize(0x" + Long.toHexString(stream.address()) + ")");
    }

    int cuStreamDestroy_v2(MemorySegment stream) {
        return enter("cuStreamDestroy_v2(0x" + Long.toHexString(stream.address()) + ")");
    }

    int cuGetErrorName(int code, MemorySegment text) {
        return errorText(code, 0, text);
    }

    int cuGetErrorString(int code, MemorySegment text) {
        return errorText(code, 1, text);
    }

    private int errorText(int code, int which, MemorySegment text) {
        try {
            String[] known = ERRORS.get(code);
            if (known == null) {
                out(text, 8).set(ADDRESS, 0, MemorySegment.NULL);
                return 1;
            }
            MemorySegment[] strings = errorTexts.computeIfAbsent(code,
                    c -> new MemorySegment[] {arena.allocateFrom(known[0]), arena.allocateFrom(known[1])});
            out(text, 8).set(ADDRESS, 0, strings[which]);
            return 0;
        } catch (Throwable t) {
            return caught(t);
        }
    }

    // ---- cuBLAS ----

    int cublasCreate_v2(MemorySegment handle) {
        try {
            int r = enter("cublasCreate_v2()");
            if (r == 0) {
                out(handle, 8).set(ADDRESS, 0, CUBLAS_HANDLE);
            }
            return r;
        } catch (Throwable t) {
            return caught(t);
        }
    }

    int cublasDestroy_v2(MemorySegment handle) {
        return enter("cublasDestroy_v2(0x" + Long.toHexString(handle.address()) + ")");
    }

    int cublasSetStream_v2(MemorySegment handle, MemorySegment stream) {
        return enter("cublasSetStream_v2(0x" + Long.toHexString(handle.address()) + ", 0x"
                + Long.toHexString(stream.address()) + ")");
    }

    int cublasSgemm_v2(MemorySegment handle, int ta, int tb, int m, int n, int k, MemorySegment alpha,
                       MemorySegment a, int lda, MemorySegment b, int ldb, MemorySegment beta, MemorySegment c, int ldc) {
        try {
            int r = enter("cublasSgemm_v2()");
            if (r == 0) {
                var call = new Gemm("cublasSgemm_v2", ta, tb, m, n, k, alpha.reinterpret(4).get(JAVA_FLOAT, 0),
                        a.address(), lda, b.address(), ldb, beta.reinterpret(4).get(JAVA_FLOAT, 0), c.address(), ldc);
                gemms.add(call);
                columnMajorGemm(call, false);
            }
            return r;
        } catch (Throwable t) {
            return caught(t);
        }
    }

    int cublasDgemm_v2(MemorySegment handle, int ta, int tb, int m, int n, int k, MemorySegment alpha,
                       MemorySegment a, int lda, MemorySegment b, int ldb, MemorySegment beta, MemorySegment c, int ldc) {
        try {
            int r = enter("cublasDgemm_v2()");
            if (r == 0) {
                var call = new Gemm("cublasDgemm_v2", ta, tb, m, n, k, alpha.reinterpret(8).get(JAVA_DOUBLE, 0),
                        a.address(), lda, b.address(), ldb, beta.reinterpret(8).get(JAVA_DOUBLE, 0), c.address(), ldc);
                gemms.add(call);
                columnMajorGemm(call, true);
            }
            return r;
        } catch (Throwable t) {
            return caught(t);
        }
    }

    /** C = alpha op(A) op(B) + beta C exactly as cuBLAS defines it on column-major storage. */
    private void columnMajorGemm(Gemm g, boolean doubles) {
        MemorySegment a = memory(g.a()), b = memory(g.b()), c = memory(g.c());
        for (int i = 0; i < g.m(); i++) {
            for (int j = 0; j < g.n(); j++) {
                double acc = 0;
                for (int p = 0; p < g.k(); p++) {
                    long ai = g.transA() == 0 ? i + (long) p * g.lda() : p + (long) i * g.lda();
                    long bi = g.transB() == 0 ? p + (long) j * g.ldb() : j + (long) p * g.ldb();
                    acc += read(a, ai, doubles) * read(b, bi, doubles);
                }
                long ci = i + (long) j * g.ldc();
                double value = g.alpha() * acc + (g.beta() == 0 ? 0 : g.beta() * read(c, ci, doubles));
                if (doubles) {
                    c.setAtIndex(JAVA_DOUBLE, ci, value);
                } else {
                    c.setAtIndex(JAVA_FLOAT, ci, (float) value);
                }
            }
        }
    }

    private static double read(MemorySegment s, long index, boolean doubles) {
        return doubles ? s.getAtIndex(JAVA_DOUBLE, index) : s.getAtIndex(JAVA_FLOAT, index);
    }
}
