package dev.kiln.device.cuda;

import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * Whether this JVM can use CUDA, decided once, at first use: the driver library loads and has every
 * function Kiln binds, {@code cuInit} succeeds, there is at least one device, and cuBLAS loads.
 * Nothing is printed; the outcome is logged through {@link System.Logger} at DEBUG
 * ({@code dev.kiln.device.cuda.Cuda}).
 */
public final class Cuda {
    private static final System.Logger LOG = System.getLogger(Cuda.class.getName());

    private Cuda() {}

    /** The outcome of looking for CUDA. */
    public sealed interface Status permits Available, Unavailable {}

    /**
     * CUDA can be used.
     *
     * @param driver      the bound and initialised driver
     * @param cublas      the bound cuBLAS
     * @param deviceCount how many devices the driver sees, at least 1
     */
    public record Available(CudaDriver driver, Cublas cublas, int deviceCount) implements Status {}

    /**
     * CUDA cannot be used.
     *
     * @param reason why, e.g. {@code libcuda.so.1 not found} or the driver's error for {@code cuInit}
     */
    public record Unavailable(String reason) implements Status {}

    /** The status for this JVM, looked up at the first call (thread-safe, once). */
    public static Status status() {
        return Holder.STATUS;
    }

    private static final class Holder {
        static final Status STATUS = probe(
                () -> SymbolTable.load(List.of(CudaDriver.LIBRARY)),
                () -> SymbolTable.load(cublasCandidates(System.getenv("CUDA_HOME"))));
    }

    /**
     * Looks for CUDA with the given libraries; {@link #status()} uses the system's, tests pass fakes.
     * A loader throws {@link SymbolTable.LibraryNotFoundException} when its library is missing.
     */
    public static Status probe(Supplier<SymbolTable.Loaded> driverLibrary, Supplier<SymbolTable.Loaded> cublasLibrary) {
        Status status = find(driverLibrary, cublasLibrary);
        switch (status) {
            case Available a -> LOG.log(Level.DEBUG, () -> "CUDA available: " + a.deviceCount() + " device(s)");
            case Unavailable u -> LOG.log(Level.DEBUG, () -> "CUDA not available: " + u.reason());
        }
        return status;
    }

    private static Status find(Supplier<SymbolTable.Loaded> driverLibrary, Supplier<SymbolTable.Loaded> cublasLibrary) {
        CudaDriver driver;
        int count;
        try {
            driver = new CudaDriver(driverLibrary.get().symbols());
            driver.init();
            count = driver.deviceCount();
        } catch (SymbolTable.LibraryNotFoundException | IllegalStateException | CudaException e) {
            return new Unavailable(e.getMessage());
        } catch (IllegalCallerException e) {
            // The JVM was started with --illegal-native-access=deny and without native access for Kiln.
            return new Unavailable("native access is not enabled for Kiln: start java with"
                    + " --enable-native-access=ALL-UNNAMED (" + e.getMessage() + ")");
        }
        if (count < 1) {
            return new Unavailable("the driver sees no CUDA device (cuDeviceGetCount returned " + count + ")");
        }
        try {
            return new Available(driver, new Cublas(cublasLibrary.get().symbols()), count);
        } catch (SymbolTable.LibraryNotFoundException e) {
            return new Unavailable(e.getMessage() + "; cuBLAS comes with the CUDA toolkit or its"
                    + " redistributable (e.g. pip's nvidia-cublas), on the library path (LD_LIBRARY_PATH)");
        } catch (IllegalStateException e) {
            return new Unavailable(e.getMessage());
        }
    }

    /** cuBLAS's sonames, then the toolkit's copy under {@code $CUDA_HOME} and {@code /usr/local/cuda}. */
    static List<String> cublasCandidates(String cudaHome) {
        List<String> names = new ArrayList<>(Cublas.LIBRARIES);
        if (cudaHome != null && !cudaHome.isBlank()) {
            names.add(cudaHome + "/lib64/libcublas.so");
        }
        names.add("/usr/local/cuda/lib64/libcublas.so");
        return List.copyOf(names);
    }
}
