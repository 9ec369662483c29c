package dev.kiln.device.cuda;

import static java.lang.foreign.ValueLayout.JAVA_DOUBLE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.MemorySegment;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The cuBLAS binding against a fake cuBLAS that computes column-major GEMMs as cuBLAS defines them:
 * a row-major product with any transposes must come out right, which checks the operand swap,
 * the flags and the leading dimensions.
 */
class CublasTest {
    private final FakeCuda fake = new FakeCuda();
    private final CudaDriver driver = new CudaDriver(fake.symbols());
    private final Cublas cublas = new Cublas(fake.symbols());

    @AfterEach
    void noUpcallFailed() {
        assertThat(fake.errors).isEmpty();
        fake.close();
    }

    @ParameterizedTest(name = "transA={0} transB={1}")
    @CsvSource({"false,false", "true,false", "false,true", "true,true"})
    void rowMajorSgemmMatchesTheDefinition(boolean transA, boolean transB) {
        int m = 3, n = 5, k = 4;
        Random random = new Random(7);
        float[] a = randomFloats(random, m * k), b = randomFloats(random, k * n), c = randomFloats(random, m * n);
        long pa = upload(a), pb = upload(b), pc = upload(c);
        MemorySegment handle = cublas.create();
        cublas.gemmRowMajor(handle, false, transA, transB, m, n, k, 1.5, pa, pb, 0.5, pc);

        float[] got = fake.memory(pc).asSlice(0, 4L * m * n).toArray(JAVA_FLOAT);
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double acc = 0;
                for (int p = 0; p < k; p++) {
                    float ai = transA ? a[p * m + i] : a[i * k + p];
                    float bj = transB ? b[j * k + p] : b[p * n + j];
                    acc += ai * bj;
                }
                assertThat(got[i * n + j]).isCloseTo((float) (1.5 * acc + 0.5 * c[i * n + j]),
                        org.assertj.core.data.Offset.offset(1e-5f));
            }
        }
        // C^T = op(B)^T op(A)^T: B goes first with B's flag, sizes (n, m, k), ldc = n.
        assertThat(fake.gemms).singleElement().isEqualTo(new FakeCuda.Gemm("cublasSgemm_v2",
                transB ? 1 : 0, transA ? 1 : 0, n, m, k, 1.5, pb, transB ? k : n, pa, transA ? m : k, 0.5, pc, n));
    }

    @Test
    void rowMajorDgemmUsesDoubles() {
        long pa = uploadDoubles(1, 2, 3, 4, 5, 6);        // 2 x 3
        long pb = uploadDoubles(1, 0, 0, 1, 1, 1);        // 3 x 2
        long pc = uploadDoubles(0, 0, 0, 0);
        cublas.gemmRowMajor(cublas.create(), true, false, false, 2, 2, 3, 1, pa, pb, 0, pc);
        assertThat(fake.memory(pc).asSlice(0, 32).toArray(JAVA_DOUBLE)).containsExactly(4, 5, 10, 11);
        assertThat(fake.gemms.getFirst().function()).isEqualTo("cublasDgemm_v2");
    }

    @Test
    void handleAndStreamArePassedThrough() {
        MemorySegment handle = cublas.create();
        cublas.setStream(handle, FakeCuda.STREAM);
        cublas.destroy(handle);
        assertThat(fake.calls).containsExactly("cublasCreate_v2()", "cublasSetStream_v2(0xb1a5, 0x5e00)",
                "cublasDestroy_v2(0xb1a5)");
    }

    @Test
    void aStatusBecomesItsName() {
        fake.fail("cublasSgemm_v2", 13);
        assertThatThrownBy(() -> cublas.gemmRowMajor(cublas.create(), false, false, false, 2, 2, 2, 1, 0, 0, 0, 0))
                .isInstanceOfSatisfying(CudaException.class, e -> assertThat(e.code()).isEqualTo(13))
                .hasMessage("CUBLAS_STATUS_EXECUTION_FAILED: the GPU program failed to execute (cublasSgemm_v2, m=2 n=2 k=2)");
        fake.fail("cublasCreate_v2", 3);
        assertThatThrownBy(cublas::create)
                .hasMessage("CUBLAS_STATUS_ALLOC_FAILED: resource allocation failed (cublasCreate_v2)");
        assertThat(Cublas.statusName(99)).isEqualTo("cublasStatus_t 99");
    }

    @Test
    void negativeSizesAreRefused() {
        assertThatThrownBy(() -> cublas.gemmRowMajor(MemorySegment.NULL, false, false, false, -1, 2, 2, 1, 0, 0, 0, 0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("gemm: sizes must be non-negative, but got m=-1, n=2, k=2");
        assertThat(fake.calls).isEmpty();
    }

    private static float[] randomFloats(Random random, int n) {
        float[] values = new float[n];
        for (int i = 0; i < n; i++) {
            values[i] = random.nextFloat() * 2 - 1;
        }
        return values;
    }

    private long upload(float[] values) {
        long p = driver.memAlloc(4L * values.length);
        fake.memory(p).asSlice(0, 4L * values.length).copyFrom(MemorySegment.ofArray(values));
        return p;
    }

    private long uploadDoubles(double... values) {
        long p = driver.memAlloc(8L * values.length);
        fake.memory(p).asSlice(0, 8L * values.length).copyFrom(MemorySegment.ofArray(values));
        return p;
    }
}
