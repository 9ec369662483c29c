package dev.kiln.device.cuda;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** What GPU-only test classes share: run where a GPU and the shipped PTX are, else skip saying why. */
public final class GpuTests {
    private GpuTests() {}

    /**
     * Skips the calling test class unless CUDA is usable and the build shipped the PTX kernels (nvcc was
     * on the PATH); the reason goes to the build log as well as the test report, next to the skipped count.
     */
    public static void requireAGpu(String testClass) {
        String missing = Cuda.status() instanceof Cuda.Unavailable u ? "no usable CUDA device: " + u.reason()
                : CudaBackend.class.getResource("elementwise.ptx") == null
                ? "this runtime was built without nvcc, so it ships no PTX kernels" : null;
        if (missing != null) {
            System.err.println(testClass + " skipped: " + missing);
        }
        assumeTrue(missing == null, missing);
    }
}
