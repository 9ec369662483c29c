package dev.kiln.device.cuda;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.DType;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The backend against the fake driver: what it sets up, the arguments each kernel launch carries
 * (decoded with the parameter types of the PTX the backend loaded: the shipped PTX when the build
 * made it, otherwise declarations generated from the backend's own catalogue), copies, GEMMs
 * through the fake cuBLAS, and the memory count over many steps.
 */
class CudaBackendTest {
    private final FakeCuda fake = new FakeCuda();
    private final CudaBackend backend = new CudaBackend(new CudaDriver(fake.symbols()), new Cublas(fake.symbols()), 0,
            CudaBackendTest::ptx);

    /** The shipped module when the build compiled it, otherwise fake declarations of the same kernels. */
    static String ptx(String module) {
        if (CudaBackend.class.getResource(module + ".ptx") != null) {
            return CudaBackend.shippedPtx(module);
        }
        return FakeCuda.ptx(CudaBackend.KERNELS.get(module));
    }

    @AfterEach
    void close() {
        assertThat(fake.errors).isEmpty();
        fake.close();
    }

    @Test
    void openingLoadsEveryModuleAndKernelAndBindsCublasToTheStream() {
        assertThat(fake.count("cuModuleLoadData")).isEqualTo(CudaBackend.KERNELS.size());
        long kernels = CudaBackend.KERNELS.values().stream().mapToLong(m -> m.size()).sum();
        assertThat(fake.count("cuModuleGetFunction")).isEqualTo(kernels);
        assertThat(fake.calls).containsSubsequence("cuDeviceGet(0)", "cuDevicePrimaryCtxRetain(40)",
                "cuStreamCreate(0)", "cublasCreate_v2()", "cublasSetStream_v2(0xb1a5, 0x5e00)");
    }

    @Test
    void aModuleThatDoesNotLoadGivesBackTheHandleTheStreamAndTheContext() {
        try (FakeCuda other = new FakeCuda()) {
            other.fail("cuModuleLoadData", 218);
            assertThatThrownBy(() -> new CudaBackend(new CudaDriver(other.symbols()), new Cublas(other.symbols()), 0,
                    CudaBackendTest::ptx))
                    .isInstanceOf(CudaException.class)
                    .hasMessage("CUDA_ERROR_INVALID_PTX: a PTX JIT compilation failed (cuModuleLoadData, elementwise.ptx)");
            assertThat(other.functionsCalled()).containsSubsequence("cuDevicePrimaryCtxRetain", "cuStreamCreate",
                    "cublasCreate_v2", "cuModuleLoadData", "cublasDestroy_v2", "cuStreamDestroy_v2",
                    "cuDevicePrimaryCtxRelease_v2");
        }
    }

    @Test
    void missingPtxIsReportedBeforeTheDeviceIsTouched() {
        try (FakeCuda other = new FakeCuda()) {
            assertThatThrownBy(() -> new CudaBackend(new CudaDriver(other.symbols()), new Cublas(other.symbols()), 0,
                    module -> {
                        throw new IllegalStateException("no " + module + ".ptx");
                    }))
                    .hasMessage("no elementwise.ptx");
            assertThat(other.calls).isEmpty();
        }
    }

    @Test
    void uploadsAndDownloadsRoundTrip() {
        try (DeviceBuffer f = backend.upload(new float[] {1.5f, -2, 3}); DeviceBuffer d = backend.upload(new double[] {0.1, 1e300})) {
            assertThat(backend.downloadFloats(f, 3)).containsExactly(1.5f, -2, 3);
            assertThat(backend.downloadDoubles(d, 2)).containsExactly(0.1, 1e300);
            try (DeviceBuffer copy = backend.allocate(DType.FLOAT32, 3)) {
                backend.copy(f, copy, 12);
                assertThat(backend.downloadFloats(copy, 3)).containsExactly(1.5f, -2, 3);
            }
        }
        assertThat(backend.context().liveBytes()).isZero();
        assertThat(fake.calls).contains("cuStreamSynchronize(0x5e00)");
    }

    @Test
    void aUnaryLaunchPassesInputOutputAndCountOnTheStream() {
        try (DeviceBuffer x = backend.allocate(DType.FLOAT32, 1000); DeviceBuffer y = backend.allocate(DType.FLOAT32, 1000)) {
            backend.unary(CudaBackend.Unary.RELU, DType.FLOAT32, x, y, 1000);
            assertThat(fake.launches).singleElement().satisfies(launch -> {
                assertThat(launch.kernel()).isEqualTo("kiln_relu_f32");
                assertThat(launch.grid()).isEqualTo(Dim3.of(4));
                assertThat(launch.block()).isEqualTo(Dim3.of(256));
                assertThat(launch.stream()).isEqualTo(FakeCuda.STREAM);
                assertThat(launch.args()).containsExactly(x.pointer(), y.pointer(), 1000L);
            });
        }
    }

    @Test
    void scalarOperandsTakeTheElementTypeAndTheirSide() {
        try (DeviceBuffer a = backend.allocate(DType.FLOAT64, 4); DeviceBuffer y = backend.allocate(DType.FLOAT64, 4);
             DeviceBuffer f = backend.allocate(DType.FLOAT32, 4)) {
            backend.binary(CudaBackend.Binary.SUB, DType.FLOAT64, a, 0.25, y, 4);
            backend.binary(CudaBackend.Binary.DIV, DType.FLOAT64, 3.0, a, y, 4);
            backend.binary(CudaBackend.Binary.MUL, DType.FLOAT32, f, 2.5, f, 4);
            backend.binary(CudaBackend.Binary.ADD, DType.FLOAT64, a, a, y, 4);
            assertThat(fake.launches).extracting(FakeCuda.Launch::kernel)
                    .containsExactly("kiln_sub_ts_f64", "kiln_div_st_f64", "kiln_mul_ts_f32", "kiln_add_f64");
            assertThat(fake.launches.get(0).args()).containsExactly(a.pointer(), 0.25, y.pointer(), 4L);
            assertThat(fake.launches.get(1).args()).containsExactly(3.0, a.pointer(), y.pointer(), 4L);
            assertThat(fake.launches.get(2).args()).containsExactly(f.pointer(), 2.5f, f.pointer(), 4L);
            assertThat(fake.launches.get(3).args()).containsExactly(a.pointer(), a.pointer(), y.pointer(), 4L);
        }
    }

    @Test
    void aBiasIsAddedOverEveryElementOfTheMatrix() {
        try (DeviceBuffer y = backend.allocate(DType.FLOAT32, 6); DeviceBuffer bias = backend.allocate(DType.FLOAT32, 3)) {
            backend.addBias(DType.FLOAT32, y, bias, 2, 3);
            assertThat(fake.launches).singleElement().satisfies(launch -> {
                assertThat(launch.kernel()).isEqualTo("kiln_add_bias_f32");
                assertThat(launch.args()).containsExactly(y.pointer(), bias.pointer(), 2, 3);
            });
            assertThatThrownBy(() -> backend.addBias(DType.FLOAT32, y, bias, 2, 4))
                    .hasMessage("kiln_add_bias_f32: expected a buffer of at least 32 bytes, but got one of 24 bytes");
        }
    }

    @Test
    void sumsLaunchTwoPassesOverPartials() {
        try (DeviceBuffer x = backend.allocate(DType.FLOAT32, 100_000); DeviceBuffer out = backend.allocate(DType.FLOAT32, 1)) {
            backend.sum(DType.FLOAT32, x, 100_000, out);
            assertThat(fake.launches).hasSize(2);
            var first = fake.launches.get(0);
            var second = fake.launches.get(1);
            assertThat(first.grid()).isEqualTo(Dim3.of(391));
            assertThat(first.args()).containsExactly(x.pointer(), second.args().get(0), 100_000L);
            assertThat(second.grid()).isEqualTo(Dim3.of(1));
            assertThat(second.args()).containsExactly(first.args().get(1), out.pointer(), 391L);
        }
        assertThat(backend.context().liveBytes()).isZero();
    }

    @Test
    void optimizerStepsPassTheirHyperparametersInOrder() {
        try (DeviceBuffer p = backend.allocate(DType.FLOAT32, 8); DeviceBuffer g = backend.allocate(DType.FLOAT32, 8);
             DeviceBuffer m = backend.allocate(DType.FLOAT32, 8); DeviceBuffer v = backend.allocate(DType.FLOAT32, 8)) {
            backend.sgd(DType.FLOAT32, p, g, m, 8, new CudaBackend.SgdStep(0.1, 0.9, 0, 1e-4, true, false, true));
            backend.sgd(DType.FLOAT32, p, g, null, 8, new CudaBackend.SgdStep(0.1, 0, 0, 0, false, true, false));
            backend.adam(DType.FLOAT32, p, g, m, v, null, 8,
                    new CudaBackend.AdamStep(1e-3, 0.9, 0.99, 1e-8, 0.01, 2, true, false, false));
            assertThat(fake.launches.get(0).args()).containsExactly(p.pointer(), g.pointer(), m.pointer(), 8L,
                    0.1f, 0.9f, 0f, 1e-4f, 1, 0, 1);
            assertThat(fake.launches.get(1).args()).containsExactly(p.pointer(), g.pointer(), 0L, 8L,
                    0.1f, 0f, 0f, 0f, 0, 1, 0);
            assertThat(fake.launches.get(2).args()).containsExactly(p.pointer(), g.pointer(), m.pointer(), v.pointer(),
                    0L, 8L, 1e-3f, 0.9f, 0.99f, 1e-8f, 0.01f, (float) (1 - 0.9 * 0.9),
                    (float) Math.sqrt(1 - 0.99 * 0.99), 1, 0, 0);
            assertThatThrownBy(() -> backend.sgd(DType.FLOAT32, p, g, null, 8,
                    new CudaBackend.SgdStep(0.1, 0.9, 0, 0, false, false, true)))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("kiln_sgd_f32: expected a momentum buffer, but got null");
            assertThatThrownBy(() -> backend.adam(DType.FLOAT32, p, g, m, v, null, 8,
                    new CudaBackend.AdamStep(1e-3, 0.9, 0.99, 1e-8, 0, 0, false, false, false)))
                    .hasMessage("kiln_adam_f32: the step count starts at 1, but got 0");
        }
    }

    @Test
    void gemmThroughCublasGivesTheRowMajorProduct() {
        // A (2x3) . B^T where B is stored 2x3: C = [[1*1+2*0+3*1, 1*0+2*1+3*1], [4+0+6, 0+5+6]]
        try (DeviceBuffer a = backend.upload(new float[] {1, 2, 3, 4, 5, 6});
             DeviceBuffer b = backend.upload(new float[] {1, 0, 1, 0, 1, 1});
             DeviceBuffer c = backend.allocate(DType.FLOAT32, 4)) {
            backend.gemm(DType.FLOAT32, false, true, 2, 2, 3, 1, a, b, 0, c);
            assertThat(backend.downloadFloats(c, 4)).containsExactly(4, 5, 10, 11);
        }
    }

    @Test
    void crossEntropyReportsAnOutOfRangeTargetWithItsRow() {
        // Stand in for the kernel: it records row 1 as the first bad target (status[1]).
        fake.kernels.put("kiln_xent_forward_f32", launch -> fake.memory((long) launch.args().get(4))
                .set(JAVA_INT, 4, 1));
        try (DeviceBuffer logits = backend.allocate(DType.FLOAT32, 6); DeviceBuffer targets = backend.upload(new long[] {0, 7});
             DeviceBuffer lse = backend.allocate(DType.FLOAT32, 2)) {
            assertThatThrownBy(() -> backend.crossEntropyForward(DType.FLOAT32, logits, targets, 2, 3, -100, lse))
                    .isInstanceOf(IndexOutOfBoundsException.class)
                    .hasMessage("cross_entropy: target 7 at position (1) is out of range for 3 classes"
                            + " (expected 0 <= target < 3, or the ignore index -100)");
        }
        assertThat(backend.context().liveBytes()).isZero();
    }

    @Test
    void crossEntropyReadsTheCountAndTheSummedLoss() {
        fake.kernels.put("kiln_xent_forward_f32", launch -> fake.memory((long) launch.args().get(4)).set(JAVA_INT, 0, 2));
        fake.kernels.put("kiln_sum_f32", launch -> fake.memory((long) launch.args().get(1)).set(JAVA_FLOAT, 0, 3f));
        try (DeviceBuffer logits = backend.allocate(DType.FLOAT32, 6); DeviceBuffer targets = backend.upload(new long[] {0, 2});
             DeviceBuffer lse = backend.allocate(DType.FLOAT32, 2)) {
            var result = backend.crossEntropyForward(DType.FLOAT32, logits, targets, 2, 3, -100, lse);
            assertThat(result).isEqualTo(new CudaBackend.CrossEntropy(3, 2));
            assertThat(result.mean()).isEqualTo(1.5);
        }
    }

    @Test
    void buffersTooSmallOrOfTheWrongTypeAreRefusedBeforeAnyLaunch() {
        try (DeviceBuffer x = backend.allocate(DType.FLOAT32, 10); DeviceBuffer y = backend.allocate(DType.FLOAT32, 12)) {
            assertThatThrownBy(() -> backend.unary(CudaBackend.Unary.EXP, DType.FLOAT32, x, y, 12))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("kiln_exp_f32: expected a buffer of at least 48 bytes, but got one of 40 bytes");
            assertThatThrownBy(() -> backend.unary(CudaBackend.Unary.EXP, DType.INT64, x, y, 1))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("exp: CUDA kernels take float32 or float64, but got INT64");
            assertThatThrownBy(() -> backend.softmax(DType.FLOAT64, x, y, 2, 4))
                    .hasMessage("kiln_softmax_f64: expected a buffer of at least 64 bytes, but got one of 40 bytes");
        }
        assertThat(fake.launches).isEmpty();
    }

    @Test
    void tenThousandStepsOfAllocateLaunchFreeLeaveNoMemoryBehind() {
        long before = backend.context().liveBytes();
        for (int step = 0; step < 10_000; step++) {
            try (DeviceBuffer x = backend.allocate(DType.FLOAT32, 64); DeviceBuffer y = backend.allocate(DType.FLOAT32, 64)) {
                backend.unary(CudaBackend.Unary.TANH, DType.FLOAT32, x, y, 64);
            }
        }
        assertThat(backend.context().liveBytes()).isEqualTo(before);
        assertThat(fake.allocatedBytes()).isZero();
        assertThat(fake.launches).hasSize(10_000);
    }

    @Test
    void closingGivesBackTheHandleTheStreamAndTheContext() {
        backend.close();
        assertThat(fake.calls).containsSubsequence("cuStreamSynchronize(0x5e00)", "cublasDestroy_v2(0xb1a5)",
                "cuStreamDestroy_v2(0x5e00)", "cuDevicePrimaryCtxRelease_v2(40)");
    }

    @Test
    void launchArgumentsMustMatchTheKernelsDeclaration() {
        assertThat(CudaBackend.KERNELS.get("elementwise").get("kiln_relu_f32")).isEqualTo(List.of("u64", "u64", "u64"));
        assertThat(CudaBackend.KERNELS.get("softmax").get("kiln_xent_backward_f64"))
                .isEqualTo(List.of("u64", "u64", "u64", "u64", "u32", "u32", "u64", "f64"));
    }
}
