package dev.kiln.kernels;

/**
 * Matrix products {@code C = A B} where {@code A} is m x k and {@code B} is k x n, read through row
 * and column strides, so a transposed operand is read in place instead of copied; {@code C} is
 * written row-major (row stride n) from {@code cOff}, overwriting what was there.
 *
 * <p>These entry points are stable (operations and generated code call them); they run the
 * {@linkplain Kernels#provider() provider} chosen for this JVM: a blocked, packed Vector API GEMM
 * when the Vector API is enabled, plain loops otherwise.
 */
public final class Gemm {
    private static final KernelProvider PROVIDER = Kernels.provider();

    private Gemm() {}

    public static void gemm(int m, int n, int k,
                            float[] a, int aOff, int aRs, int aCs,
                            float[] b, int bOff, int bRs, int bCs,
                            float[] c, int cOff) {
        PROVIDER.sgemm(m, n, k, a, aOff, aRs, aCs, b, bOff, bRs, bCs, c, cOff);
    }

    public static void gemm(int m, int n, int k,
                            double[] a, int aOff, int aRs, int aCs,
                            double[] b, int bOff, int bRs, int bCs,
                            double[] c, int cOff) {
        PROVIDER.dgemm(m, n, k, a, aOff, aRs, aCs, b, bOff, bRs, bCs, c, cOff);
    }
}
