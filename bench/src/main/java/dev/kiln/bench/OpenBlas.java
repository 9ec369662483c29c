package dev.kiln.bench;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * OpenBLAS's {@code cblas_sgemm}, called through the FFM API on the benchmarks' own float arrays (a
 * critical downcall may read heap arrays in place, so nothing is copied): the reference GemmBench
 * measures Kiln's kernels against, in the same run. The library is {@code libopenblas.so.0} from the
 * library path, or the file named by {@code -Dkiln.bench.openblas=PATH}.
 */
final class OpenBlas {
    /** The system property naming the library to load instead of {@code libopenblas.so.0}. */
    static final String PROPERTY = "kiln.bench.openblas";

    private static final int ROW_MAJOR = 101;
    private static final int NO_TRANS = 111;
    private static final int TRANS = 112;

    private static final MethodHandle SGEMM;
    private static final MethodHandle SET_NUM_THREADS;
    /** Why OpenBLAS cannot be called, or null when it can. */
    private static final String UNAVAILABLE;

    static {
        String library = System.getProperty(PROPERTY, "libopenblas.so.0");
        MethodHandle sgemm = null, threads = null;
        String unavailable = null;
        try {
            Linker linker = Linker.nativeLinker();
            SymbolLookup lookup = SymbolLookup.libraryLookup(library, Arena.global());
            ValueLayout.OfInt i32 = ValueLayout.JAVA_INT;
            ValueLayout.OfFloat f32 = ValueLayout.JAVA_FLOAT;
            // void cblas_sgemm(order, transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc), 32-bit ints.
            sgemm = linker.downcallHandle(lookup.find("cblas_sgemm").orElseThrow(),
                    FunctionDescriptor.ofVoid(i32, i32, i32, i32, i32, i32, f32, ValueLayout.ADDRESS, i32,
                            ValueLayout.ADDRESS, i32, f32, ValueLayout.ADDRESS, i32),
                    Linker.Option.critical(true));
            threads = linker.downcallHandle(lookup.find("openblas_set_num_threads").orElseThrow(),
                    FunctionDescriptor.ofVoid(i32));
        } catch (IllegalArgumentException | java.util.NoSuchElementException e) {
            unavailable = "OpenBLAS is not available (" + library + ": " + e.getMessage() + "); install libopenblas0"
                    + " or name the library with -jvmArgsAppend \"--add-modules=jdk.incubator.vector"
                    + " --enable-native-access=ALL-UNNAMED -D" + PROPERTY + "=/path/to/libopenblas.so\""
                    + " (JMH's -jvmArgsAppend replaces the benchmarks' own JVM arguments)";
        }
        SGEMM = sgemm;
        SET_NUM_THREADS = threads;
        UNAVAILABLE = unavailable;
    }

    private OpenBlas() {}

    /** Fails with the reason when the library is missing: JMH then reports that benchmark as skipped with it. */
    static void require() {
        if (UNAVAILABLE != null) {
            throw new IllegalStateException("skipping the OpenBLAS reference: " + UNAVAILABLE);
        }
    }

    /** How many threads OpenBLAS uses from now on. */
    static void setNumThreads(int threads) {
        require();
        try {
            SET_NUM_THREADS.invokeExact(threads);
        } catch (Throwable t) {
            throw new IllegalStateException("openblas_set_num_threads failed", t);
        }
    }

    /**
     * C (m x n, row-major, row stride n) = op(A) op(B), op transposing when asked; A is stored m x k
     * row-major (k x m when transposed), B k x n (n x k when transposed).
     */
    static void sgemm(boolean transA, boolean transB, int m, int n, int k, float[] a, float[] b, float[] c) {
        try {
            SGEMM.invokeExact(ROW_MAJOR, transA ? TRANS : NO_TRANS, transB ? TRANS : NO_TRANS, m, n, k, 1f,
                    MemorySegment.ofArray(a), transA ? m : k, MemorySegment.ofArray(b), transB ? k : n, 0f,
                    MemorySegment.ofArray(c), n);
        } catch (Throwable t) {
            throw new IllegalStateException("cblas_sgemm failed", t);
        }
    }
}
