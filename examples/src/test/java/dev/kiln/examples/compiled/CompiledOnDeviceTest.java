package dev.kiln.examples.compiled;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.DType;
import dev.kiln.Kiln;
import dev.kiln.Parameter;
import dev.kiln.Tensor;
import dev.kiln.autograd.GradMode;
import dev.kiln.device.Device;
import dev.kiln.device.cuda.CudaOps;
import dev.kiln.device.cuda.FakeCuda;
import dev.kiln.device.cuda.FakeCudaDevice;
import dev.kiln.examples.models.DropoutNetKiln;
import dev.kiln.examples.models.ParameterNet;
import dev.kiln.examples.models.ParameterNetKiln;
import dev.kiln.examples.models.ThreeClassNet;
import dev.kiln.examples.models.ThreeClassNetKiln;
import dev.kiln.examples.models.TransposedParameterNetKiln;
import dev.kiln.examples.models.TwoLayerNet;
import dev.kiln.examples.models.TwoLayerNetKiln;
import dev.kiln.loss.MSELoss;
import dev.kiln.nn.Module;
import dev.kiln.optim.SGD;
import dev.kiln.optim.TrainingStep;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Generated {@code <Model>Kiln} classes moved to {@code cuda:0} on the fake driver: their forward and
 * backward run the generated device code ({@code forwardCuda}, {@code backwardCuda}), whose cuBLAS
 * calls and kernel launches are checked in order as the fake decodes them. The GEMMs are real, and so
 * are the kernels {@link FakeCudaDevice#EXECUTED} names, so models built from those give the CPU's
 * numbers: outputs and every gradient, which land on the device.
 */
class CompiledOnDeviceTest {
    private static final double TOLERANCE = 1e-5;

    private FakeCudaDevice cuda;
    private Device device;
    private FakeCuda fake;

    @BeforeEach
    void openTheFakeDevice() {
        cuda = new FakeCudaDevice();
        device = cuda.device();
        fake = cuda.fake();
        Kiln.manualSeed(3);
    }

    @AfterEach
    void close() {
        cuda.close();
    }

    /** A row-major GEMM as the backend asked for it: {@code op(A) (m x k) op(B) (k x n)}, operands by address. */
    record RowMajorGemm(boolean transA, boolean transB, int m, int n, int k, long a, long b) {}

    /** The fake's cuBLAS calls read back as row-major products (cuBLAS got them swapped: Cᵀ = op(B)ᵀ op(A)ᵀ). */
    private List<RowMajorGemm> gemms() {
        return fake.gemms.stream().map(g -> new RowMajorGemm(g.transB() == 1, g.transA() == 1, g.n(), g.m(), g.k(),
                g.b(), g.a())).toList();
    }

    private void forgetCalls() {
        fake.launches.clear();
        fake.gemms.clear();
    }

    private static long address(Tensor t) {
        return CudaOps.storage(t).buffer().pointer();
    }

    private static void assertClose(Tensor actual, Tensor expected, String what) {
        assertThat(actual.shape()).as(what + " shape").isEqualTo(expected.shape());
        double[] a = actual.contiguous().toDoubleArray();
        double[] e = expected.contiguous().toDoubleArray();
        double scale = 0, error = 0;
        for (int i = 0; i < e.length; i++) {
            scale = Math.max(scale, Math.abs(e[i]));
            error = Math.max(error, Math.abs(a[i] - e[i]));
        }
        assertThat(error).as(what + ": max |device - cpu| against max |cpu| = " + scale)
                .isLessThanOrEqualTo(TOLERANCE * Math.max(scale, 1e-3));
    }

    /**
     * Runs {@code compiled} on the device and {@code eager} (same weights) on the CPU with the same
     * input and output gradient; outputs and every gradient agree, and the gradients are on the device.
     */
    private void sameAsTheCpu(Module eager, Module compiled, Tensor x, Tensor xDevice) {
        Tensor yCpu = eager.invoke(x);
        Tensor yDevice = compiled.invoke(xDevice);
        assertThat(yDevice.device()).isEqualTo(device);
        assertClose(yDevice.to(Device.CPU), yCpu, "output");
        Tensor g = Tensor.randn(yCpu.shape().toArray());
        yCpu.backward(g);
        yDevice.backward(g.to(device));
        assertThat(xDevice.grad().device()).isEqualTo(device);
        assertClose(xDevice.grad().to(Device.CPU), x.grad(), "x.grad");
        Map<String, Parameter> onDevice = compiled.namedParameters();
        for (Map.Entry<String, Parameter> e : eager.namedParameters().entrySet()) {
            Tensor grad = onDevice.get(e.getKey()).grad();
            assertThat(grad.device()).as(e.getKey() + ".grad").isEqualTo(device);
            assertClose(grad.to(Device.CPU), e.getValue().grad(), e.getKey() + ".grad");
        }
    }

    @Test
    void aBiasFreeProductNetRunsItsGeneratedDeviceCodeAndGivesTheCpuNumbers() {
        ParameterNet eager = new ParameterNet(5, 7, 3);
        ParameterNetKiln compiled = new ParameterNetKiln(5, 7, 3);
        compiled.loadStateDict(eager.stateDict(), true);
        compiled.to(device);
        Tensor x = Tensor.randn(4, 5).requiresGrad(true);
        Tensor xDevice = x.detach().to(device).requiresGrad(true);
        Parameter w1 = compiled.namedParameters().get("w1"), w2 = compiled.namedParameters().get("w2");
        forgetCalls();

        Tensor y = compiled.invoke(xDevice);
        assertThat(y.gradFn().name()).isEqualTo("ParameterNetKilnBackward");
        assertThat(cuda.kernelsLaunched()).containsExactly("kiln_clamp_f32");
        // x.mm(w1), then clampMin(0).mm(w2): weights stored (in, out), read untransposed, in place
        assertThat(gemms()).hasSize(2);
        assertThat(gemms().get(0)).isEqualTo(new RowMajorGemm(false, false, 4, 7, 5, address(xDevice), address(w1)));
        assertThat(gemms().get(1)).extracting(RowMajorGemm::transA, RowMajorGemm::transB, RowMajorGemm::m,
                RowMajorGemm::n, RowMajorGemm::k, RowMajorGemm::b).containsExactly(false, false, 4, 3, 7, address(w2));
        try (var noGrad = GradMode.set(false)) {
            assertClose(y.to(Device.CPU), eager.invoke(x), "output");
        }

        forgetCalls();
        Tensor g = Tensor.randn(4, 3);
        y.backward(g.to(device));
        assertThat(cuda.kernelsLaunched()).containsExactly("kiln_clamp_backward_f32");
        List<RowMajorGemm> backward = gemms();
        assertThat(backward).extracting(RowMajorGemm::transA, RowMajorGemm::transB, RowMajorGemm::m, RowMajorGemm::n,
                RowMajorGemm::k).containsExactly(
                org.assertj.core.groups.Tuple.tuple(true, false, 7, 3, 4),   // dW2 = h^T g
                org.assertj.core.groups.Tuple.tuple(false, true, 4, 7, 3),   // dh = g W2^T
                org.assertj.core.groups.Tuple.tuple(true, false, 5, 7, 4),   // dW1 = x^T dz
                org.assertj.core.groups.Tuple.tuple(false, true, 4, 5, 7));  // dx = dz W1^T
        assertThat(backward.get(0).b()).isEqualTo(backward.get(1).a());      // the incoming gradient, read twice
        assertThat(backward.get(1).b()).isEqualTo(address(w2));
        assertThat(backward.get(2).a()).isEqualTo(address(xDevice));
        assertThat(backward.get(3).b()).isEqualTo(address(w1));

        eager.invoke(x).backward(g);
        assertClose(xDevice.grad().to(Device.CPU), x.grad(), "x.grad");
        assertClose(w1.grad().to(Device.CPU), eager.namedParameters().get("w1").grad(), "w1.grad");
        assertClose(w2.grad().to(Device.CPU), eager.namedParameters().get("w2").grad(), "w2.grad");
        assertThat(w1.grad().device()).isEqualTo(device);
    }

    @Test
    void linearLayersAreReadTransposedByCublasAndMatchTheCpu() {
        TwoLayerNet eager = new TwoLayerNet(6, 5, 2);
        TwoLayerNetKiln compiled = new TwoLayerNetKiln(6, 5, 2);
        compiled.loadStateDict(eager.stateDict(), true);
        compiled.to(device);
        Tensor x = Tensor.randn(3, 6).requiresGrad(true);
        Tensor xDevice = x.detach().to(device).requiresGrad(true);
        forgetCalls();
        sameAsTheCpu(eager, compiled, x, xDevice);
        // forward: x W1^T and h W2^T with the (out, in) weights read transposed in place
        assertThat(gemms().subList(0, 2)).extracting(RowMajorGemm::transA, RowMajorGemm::transB)
                .containsOnly(org.assertj.core.groups.Tuple.tuple(false, true));
        assertThat(gemms().get(0).b()).isEqualTo(address(compiled.namedParameters().get("linear1.weight")));
    }

    @Test
    void biasesReluAndSigmoidRunAsKernelsAndMatchTheCpu() {
        ThreeClassNet eager = new ThreeClassNet();
        ThreeClassNetKiln compiled = new ThreeClassNetKiln();
        compiled.loadStateDict(eager.stateDict(), true);
        compiled.to(device);
        Tensor x = Tensor.randn(9, 20).requiresGrad(true);
        Tensor xDevice = x.detach().to(device).requiresGrad(true);
        forgetCalls();
        Tensor y = compiled.invoke(xDevice);
        assertThat(cuda.kernelsLaunched()).containsExactly("kiln_add_bias_f32", "kiln_relu_f32", "kiln_sigmoid_f32",
                "kiln_add_bias_f32");
        y.backward(Tensor.ones(9, 3).to(device));
        assertThat(cuda.kernelsLaunched().subList(4, cuda.kernelsLaunched().size())).containsExactly(
                "kiln_sum_cols_f32", "kiln_sigmoid_backward_f32", "kiln_relu_backward_f32", "kiln_sum_cols_f32");
        assertThat(fake.gemms).hasSize(3 + 6);

        for (Parameter p : compiled.parameters()) {
            p.setGrad(null);
        }
        sameAsTheCpu(eager, compiled, x, xDevice.detach().requiresGrad(true));
    }

    @Test
    void float64ModelsUseDgemmAndTheF64Kernels() {
        Kiln.setDefaultDtype(DType.FLOAT64);
        ParameterNetKiln compiled;
        try {
            compiled = new ParameterNetKiln(4, 3, 2);
        } finally {
            Kiln.setDefaultDtype(DType.FLOAT32);
        }
        compiled.to(device);
        forgetCalls();
        Tensor y = compiled.invoke(Tensor.randn(DType.FLOAT64, 2, 4).to(device));
        assertThat(y.dtype()).isEqualTo(DType.FLOAT64);
        assertThat(cuda.kernelsLaunched()).containsExactly("kiln_clamp_f64");
        assertThat(fake.gemms).extracting(FakeCuda.Gemm::function).containsOnly("cublasDgemm_v2");
    }

    @Test
    void everyWeightLayoutAndTheirActivationsGoThroughTheDeviceCode() {
        TransposedParameterNetKiln compiled = new TransposedParameterNetKiln();
        compiled.to(device);
        forgetCalls();
        Tensor x = Tensor.randn(2, 5).to(device).requiresGrad(true);
        compiled.invoke(x).sum().backward();
        assertThat(cuda.kernelsLaunched()).startsWith("kiln_tanh_f32", "kiln_add_bias_f32", "kiln_sigmoid_f32")
                .contains("kiln_sigmoid_backward_f32", "kiln_sum_cols_f32", "kiln_tanh_backward_f32");
        // matmul(encode.t()), Linear, matmul(decode.t()): every weight stored (out, in), read transposed
        assertThat(gemms().subList(0, 3)).extracting(RowMajorGemm::transB).containsOnly(true);
        assertThat(x.grad().device()).isEqualTo(device);
    }

    @Test
    void withoutGradModeTheForwardKeepsOnlyItsOutputOnTheDevice() {
        ThreeClassNetKiln compiled = new ThreeClassNetKiln();
        compiled.to(device);
        Tensor x = Tensor.randn(9, 20).to(device);
        long start = cuda.backend().context().liveBytes();
        Tensor y;
        try (var noGrad = GradMode.set(false)) {
            y = compiled.invoke(x);
        }
        assertThat(y.gradFn()).isNull();
        // every activation was freed at once; only the (9 x 3) output remains
        assertThat(cuda.backend().context().liveBytes()).isEqualTo(start + 9 * 3 * Float.BYTES);
        y.close();
        assertThat(cuda.backend().context().liveBytes()).isEqualTo(start);
    }

    @Test
    void aTrainingLoopLeavesDeviceMemoryWhereItStarted() throws InterruptedException {
        ThreeClassNetKiln compiled = new ThreeClassNetKiln();
        compiled.to(device);
        SGD sgd = new SGD(compiled.parameters(), 0.1);
        Tensor x = Tensor.randn(16, 20).to(device), g = Tensor.ones(16, 3).to(device);
        long start = cuda.backend().context().liveBytes();
        for (int step = 0; step < 50; step++) {
            sgd.zeroGrad();
            compiled.invoke(x).backward(g);
            sgd.step();
        }
        sgd.zeroGrad();
        for (int i = 0; i < 200 && cuda.backend().context().liveBytes() != start; i++) {
            System.gc();
            Thread.sleep(10);
        }
        assertThat(cuda.backend().context().liveBytes()).isEqualTo(start);
        assertThat(fake.count("cublasSgemm_v2")).isEqualTo(50 * (3 + 5));
    }

    @Test
    void theTrainingStepOfADeviceModelTakesTheEagerStepThroughTheDeviceForward() {
        TwoLayerNetKiln compiled = new TwoLayerNetKiln(6, 5, 2);
        compiled.to(device);
        TrainingStep step = TrainingStep.of(compiled, new MSELoss(), new SGD(compiled.parameters(), 0.1));
        forgetCalls();
        step.step(Tensor.randn(3, 6).to(device), Tensor.randn(3, 2).to(device));
        assertThat(cuda.kernelsLaunched()).startsWith("kiln_clamp_f32").contains("kiln_clamp_backward_f32", "kiln_sgd_f32");
        assertThat(compiled.namedParameters().get("linear1.weight").grad().device()).isEqualTo(device);
    }

    @Test
    void tensorsOnTwoDevicesGetPyTorchsMessageFromTheEagerForward() {
        TwoLayerNetKiln compiled = new TwoLayerNetKiln(6, 5, 2);
        compiled.to(device);
        assertThatThrownBy(() -> compiled.invoke(Tensor.randn(3, 6)))
                .hasMessageContaining("Expected all tensors to be on the same device, but found at least two devices");
        assertThat(fake.gemms).isEmpty();
    }

    @Test
    void aModelWithoutADeviceVariantRunsItsEagerForwardOnTheDevice() throws Exception {
        Class<?> layers = Class.forName("dev.kiln.examples.models.DropoutNetKiln$Layers");
        assertThatThrownBy(() -> DropoutNetKiln.class.getDeclaredMethod("forwardCuda", Tensor.class, layers))
                .isInstanceOf(NoSuchMethodException.class);
        DropoutNetKiln compiled = new DropoutNetKiln();
        compiled.to(device);
        // operation by operation on the device, up to the first that has no kernel there
        assertThatThrownBy(() -> compiled.invoke(Tensor.randn(2, 7).to(device)))
                .hasMessageContaining("is not supported on cuda:0 yet");
        assertThat(cuda.kernelsLaunched()).contains("kiln_mul_ts_f32", "kiln_add_ts_f32");
    }
}
