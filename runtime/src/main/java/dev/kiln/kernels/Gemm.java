package dev.kiln.kernels;

/**
 * Matrix products {@code C = A B} where {@code A} is m x k and {@code B} is k x n, read through row
 * and column strides, so a transposed operand is read in place instead of copied; {@code C} is
 * written row-major (row stride n) from {@code cOff}, overwriting what was there.
 *
 * <p>The loop order follows the operands' layouts: with rows of {@code B} contiguous it runs
 * i-k-j, adding a multiple of a row of B to a row of C (both read in order); with {@code B}
 * transposed and rows of {@code A} contiguous it takes dot products of two contiguous rows. Other
 * layouts copy {@code B} once into rows.
 */
public final class Gemm {
    private Gemm() {}

    public static void gemm(int m, int n, int k,
                            float[] a, int aOff, int aRs, int aCs,
                            float[] b, int bOff, int bRs, int bCs,
                            float[] c, int cOff) {
        if (bCs != 1 && !(aCs == 1 && bRs == 1)) {
            float[] packed = new float[k * n];
            for (int p = 0; p < k; p++) {
                for (int j = 0; j < n; j++) {
                    packed[p * n + j] = b[bOff + p * bRs + j * bCs];
                }
            }
            b = packed;
            bOff = 0;
            bRs = n;
            bCs = 1;
        }
        if (bCs == 1) {
            for (int i = 0; i < m; i++) {
                int cRow = cOff + i * n;
                java.util.Arrays.fill(c, cRow, cRow + n, 0f);
                int aRow = aOff + i * aRs;
                for (int p = 0; p < k; p++) {
                    float av = a[aRow + p * aCs];
                    int bRow = bOff + p * bRs;
                    for (int j = 0; j < n; j++) {
                        c[cRow + j] += av * b[bRow + j];
                    }
                }
            }
        } else {
            for (int i = 0; i < m; i++) {
                int aRow = aOff + i * aRs;
                for (int j = 0; j < n; j++) {
                    int bCol = bOff + j * bCs;
                    float sum = 0f;
                    for (int p = 0; p < k; p++) {
                        sum += a[aRow + p] * b[bCol + p];
                    }
                    c[cOff + i * n + j] = sum;
                }
            }
        }
    }

    public static void gemm(int m, int n, int k,
                            double[] a, int aOff, int aRs, int aCs,
                            double[] b, int bOff, int bRs, int bCs,
                            double[] c, int cOff) {
        if (bCs != 1 && !(aCs == 1 && bRs == 1)) {
            double[] packed = new double[k * n];
            for (int p = 0; p < k; p++) {
                for (int j = 0; j < n; j++) {
                    packed[p * n + j] = b[bOff + p * bRs + j * bCs];
                }
            }
            b = packed;
            bOff = 0;
            bRs = n;
            bCs = 1;
        }
        if (bCs == 1) {
            for (int i = 0; i < m; i++) {
                int cRow = cOff + i * n;
                java.util.Arrays.fill(c, cRow, cRow + n, 0.0);
                int aRow = aOff + i * aRs;
                for (int p = 0; p < k; p++) {
                    double av = a[aRow + p * aCs];
                    int bRow = bOff + p * bRs;
                    for (int j = 0; j < n; j++) {
                        c[cRow + j] += av * b[bRow + j];
                    }
                }
            }
        } else {
            for (int i = 0; i < m; i++) {
                int aRow = aOff + i * aRs;
                for (int j = 0; j < n; j++) {
                    int bCol = bOff + j * bCs;
                    double sum = 0.0;
                    for (int p = 0; p < k; p++) {
                        sum += a[aRow + p] * b[bCol + p];
                    }
                    c[cOff + i * n + j] = sum;
                }
            }
        }
    }
}
