package dev.kiln.device.cuda;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_DOUBLE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.List;

/**
 * The cuBLAS functions Kiln uses, bound from a {@link SymbolTable} (normally {@code libcublas.so}).
 * A {@code cublasStatus_t} other than {@code CUBLAS_STATUS_SUCCESS} becomes a {@link CudaException}
 * with the status's name.
 *
 * <p>cuBLAS is column-major. {@link #gemmRowMajor} computes a row-major {@code C = α op(A) op(B) + β C}
 * by asking for the column-major product {@code Cᵀ = op(B)ᵀ op(A)ᵀ}: a row-major matrix read as
 * column-major is its transpose, so the operands swap places and keep their transpose flags, and
 * nothing is copied.
 */
public final class Cublas {
    /** Library names tried in order: the CUDA 13, 12 and 11 sonames, then the development link. */
    public static final List<String> LIBRARIES =
            List.of("libcublas.so.13", "libcublas.so.12", "libcublas.so.11", "libcublas.so");

    /** {@code CUBLAS_OP_N}. */
    static final int OP_N = 0;
    /** {@code CUBLAS_OP_T}. */
    static final int OP_T = 1;

    private static final String LIBRARY = "libcublas";

    private final MethodHandle create;
    private final MethodHandle destroy;
    private final MethodHandle setStream;
    private final MethodHandle sgemm;
    private final MethodHandle dgemm;

    /**
     * Binds every function from {@code symbols}.
     *
     * @throws IllegalStateException when one is missing, naming it
     */
    public Cublas(SymbolTable symbols) {
        create = Native.bind(symbols, LIBRARY, "cublasCreate_v2", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        destroy = Native.bind(symbols, LIBRARY, "cublasDestroy_v2", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        setStream = Native.bind(symbols, LIBRARY, "cublasSetStream_v2",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
        FunctionDescriptor gemm = FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT,
                JAVA_INT, ADDRESS, ADDRESS, JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, ADDRESS, JAVA_INT);
        sgemm = Native.bind(symbols, LIBRARY, "cublasSgemm_v2", gemm);
        dgemm = Native.bind(symbols, LIBRARY, "cublasDgemm_v2", gemm);
    }

    /** Creates a cuBLAS handle for the device whose context is current. */
    public MemorySegment create() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment handle = arena.allocate(ADDRESS);
            call("cublasCreate_v2", () -> (int) create.invokeExact(handle));
            return handle.get(ADDRESS, 0);
        }
    }

    /** Destroys a handle from {@link #create}. */
    public void destroy(MemorySegment handle) {
        call("cublasDestroy_v2", () -> (int) destroy.invokeExact(handle));
    }

    /** Makes the handle queue its work on {@code stream}. */
    public void setStream(MemorySegment handle, MemorySegment stream) {
        call("cublasSetStream_v2", () -> (int) setStream.invokeExact(handle, stream));
    }

    /**
     * Row-major {@code C = α op(A) op(B) + β C} on device memory, where {@code op(A)} is
     * {@code m x k}, {@code op(B)} is {@code k x n} and {@code C} is {@code m x n}, all contiguous:
     * {@code A} is stored {@code m x k} ({@code k x m} when {@code transA}), {@code B} is stored
     * {@code k x n} ({@code n x k} when {@code transB}).
     *
     * @param doublePrecision {@code cublasDgemm_v2} on doubles, otherwise {@code cublasSgemm_v2} on floats
     */
    public void gemmRowMajor(MemorySegment handle, boolean doublePrecision, boolean transA, boolean transB,
                             int m, int n, int k, double alpha, long a, long b, double beta, long c) {
        if (m < 0 || n < 0 || k < 0) {
            throw new IllegalArgumentException("gemm: sizes must be non-negative, but got m=" + m + ", n=" + n + ", k=" + k);
        }
        // Column-major view: C^T (n x m) = op(B)^T (n x k) . op(A)^T (k x m). B's storage read column-major
        // is B^T when B is stored k x n (leading dimension n), so cuBLAS takes it untransposed: the flags carry over.
        int ldb = transB ? k : n;
        int lda = transA ? m : k;
        int ldc = n;
        gemm(handle, doublePrecision, transB ? OP_T : OP_N, transA ? OP_T : OP_N, n, m, k,
                alpha, b, Math.max(ldb, 1), a, Math.max(lda, 1), beta, c, Math.max(ldc, 1));
    }

    /**
     * Column-major {@code C = α op(A) op(B) + β C}, as {@code cublasSgemm_v2}/{@code cublasDgemm_v2}
     * take it: {@code op(A)} is {@code m x k}, {@code op(B)} {@code k x n}, {@code C} {@code m x n},
     * each with its leading dimension. α and β are passed from host memory (cuBLAS's default
     * pointer mode).
     */
    public void gemm(MemorySegment handle, boolean doublePrecision, int transA, int transB, int m, int n, int k,
                     double alpha, long a, int lda, long b, int ldb, double beta, long c, int ldc) {
        String name = doublePrecision ? "cublasDgemm_v2" : "cublasSgemm_v2";
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment alphaHost = doublePrecision ? arena.allocateFrom(JAVA_DOUBLE, alpha)
                    : arena.allocateFrom(JAVA_FLOAT, (float) alpha);
            MemorySegment betaHost = doublePrecision ? arena.allocateFrom(JAVA_DOUBLE, beta)
                    : arena.allocateFrom(JAVA_FLOAT, (float) beta);
            MethodHandle function = doublePrecision ? dgemm : sgemm;
            call(name + ", m=" + m + " n=" + n + " k=" + k,
                    () -> (int) function.invokeExact(handle, transA, transB, m, n, k, alphaHost,
                        MemorySegment.ofAddress(a), lda, MemorySegment.ofAddress(b), ldb, betaHost,
                        MemorySegment.ofAddress(c), ldc));
        }
    }

    /** A downcall that returns a {@code cublasStatus_t}. */
    @FunctionalInterface
    private interface Invocation {
        int invoke() throws Throwable;
    }

    /** Makes the call and throws a {@link CudaException} naming {@code what} unless it succeeded. */
    private static void call(String what, Invocation invocation) {
        int status;
        try {
            status = invocation.invoke();
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
        check(status, what);
    }

    /** Throws a {@link CudaException} for any status but {@code CUBLAS_STATUS_SUCCESS}. */
    static void check(int status, String call) {
        if (status != 0) {
            throw new CudaException(status, statusName(status), statusDescription(status), call);
        }
    }

    /** The name of a {@code cublasStatus_t}, as {@code cublas_api.h} spells it. */
    static String statusName(int status) {
        return switch (status) {
            case 0 -> "CUBLAS_STATUS_SUCCESS";
            case 1 -> "CUBLAS_STATUS_NOT_INITIALIZED";
            case 3 -> "CUBLAS_STATUS_ALLOC_FAILED";
            case 7 -> "CUBLAS_STATUS_INVALID_VALUE";
            case 8 -> "CUBLAS_STATUS_ARCH_MISMATCH";
            case 11 -> "CUBLAS_STATUS_MAPPING_ERROR";
            case 13 -> "CUBLAS_STATUS_EXECUTION_FAILED";
            case 14 -> "CUBLAS_STATUS_INTERNAL_ERROR";
            case 15 -> "CUBLAS_STATUS_NOT_SUPPORTED";
            case 16 -> "CUBLAS_STATUS_LICENSE_ERROR";
            default -> "cublasStatus_t " + status;
        };
    }

    private static String statusDescription(int status) {
        return switch (status) {
            case 1 -> "the library was not initialized";
            case 3 -> "resource allocation failed";
            case 7 -> "an unsupported value or parameter was passed to the function";
            case 8 -> "the function requires a feature absent from the device architecture";
            case 11 -> "an access to GPU memory space failed";
            case 13 -> "the GPU program failed to execute";
            case 14 -> "an internal cuBLAS operation failed";
            case 15 -> "the functionality requested is not supported";
            case 16 -> "the functionality requested requires some license";
            default -> "unknown status";
        };
    }
}
