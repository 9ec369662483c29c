package dev.kiln.device.cuda;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Looking for CUDA: each way it can fail gives one reason, and a working driver gives its devices. */
class CudaStatusTest {
    private final FakeCuda fake = new FakeCuda();

    @AfterEach
    void close() {
        assertThat(fake.errors).isEmpty();
        fake.close();
    }

    private Supplier<SymbolTable.Loaded> fakeLibrary() {
        return () -> new SymbolTable.Loaded("fake", fake.symbols());
    }

    private static Supplier<SymbolTable.Loaded> missing(List<String> names) {
        return () -> SymbolTable.load(names);
    }

    @Test
    void aMissingDriverLibraryIsTheReason() {
        var status = Cuda.probe(missing(List.of("libkiln-no-such-driver.so.1")), fakeLibrary());
        assertThat(status).isEqualTo(new Cuda.Unavailable("libkiln-no-such-driver.so.1 not found"));
    }

    @Test
    void theDriversInitErrorIsTheReason() {
        fake.fail("cuInit", 100);
        assertThat(Cuda.probe(fakeLibrary(), fakeLibrary())).isEqualTo(new Cuda.Unavailable(
                "CUDA_ERROR_NO_DEVICE: no CUDA-capable device is detected (cuInit)"));
    }

    @Test
    void noDevicesIsTheReason() {
        fake.deviceCount = 0;
        assertThat(Cuda.probe(fakeLibrary(), fakeLibrary())).isEqualTo(new Cuda.Unavailable(
                "the driver sees no CUDA device (cuDeviceGetCount returned 0)"));
    }

    @Test
    void aDriverWithoutAFunctionIsTheReason() {
        var status = Cuda.probe(() -> new SymbolTable.Loaded("old", fake.symbolsWithout("cuLaunchKernel")), fakeLibrary());
        assertThat(status).isEqualTo(new Cuda.Unavailable(
                "libcuda.so.1 has no function cuLaunchKernel; it is older than this Kiln runtime needs"));
    }

    @Test
    void aMissingCublasIsTheReasonAndSaysWhereItComesFrom() {
        var status = Cuda.probe(fakeLibrary(), missing(List.of("libkiln-no-cublas.so.13", "libkiln-no-cublas.so.12")));
        assertThat(status).isInstanceOfSatisfying(Cuda.Unavailable.class, u -> assertThat(u.reason()).isEqualTo(
                "libkiln-no-cublas.so.13 not found (nor libkiln-no-cublas.so.12); cuBLAS comes with the CUDA toolkit"
                        + " or its redistributable (e.g. pip's nvidia-cublas), on the library path (LD_LIBRARY_PATH)"));
    }

    @Test
    void aWorkingDriverGivesItsDeviceCount() {
        fake.deviceCount = 2;
        assertThat(Cuda.probe(fakeLibrary(), fakeLibrary()))
                .isInstanceOfSatisfying(Cuda.Available.class, a -> assertThat(a.deviceCount()).isEqualTo(2));
        assertThat(fake.calls).startsWith("cuInit(0)", "cuDeviceGetCount()");
    }

    @Test
    void cublasIsLookedForUnderCudaHomeToo() {
        assertThat(Cuda.cublasCandidates("/opt/cuda")).endsWith("/opt/cuda/lib64/libcublas.so",
                "/usr/local/cuda/lib64/libcublas.so");
        assertThat(Cuda.cublasCandidates(null)).startsWith("libcublas.so.13").doesNotContain("null/lib64/libcublas.so");
    }
}
