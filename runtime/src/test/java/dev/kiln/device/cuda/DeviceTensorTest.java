package dev.kiln.device.cuda;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.kiln.DType;
import dev.kiln.Kiln;
import dev.kiln.Parameter;
import dev.kiln.Tensor;
import dev.kiln.compiled.Compiled;
import dev.kiln.device.Device;
import dev.kiln.device.FakeDevices;
import dev.kiln.io.Safetensors;
import dev.kiln.loss.Losses;
import dev.kiln.nn.Linear;
import dev.kiln.nn.ReLU;
import dev.kiln.nn.Sequential;
import dev.kiln.optim.Adam;
import dev.kiln.optim.RMSprop;
import dev.kiln.optim.Optimizer;
import dev.kiln.optim.SGD;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tensors and modules on a CUDA device made of the fake driver: real native "device memory", real
 * copies and real column-major GEMMs, so transfers and matrix products give real numbers; other
 * kernels are launched and decoded but not run, except the two stand-ins this test gives the fake
 * (gather and fill, each a few lines of Java doing what its CUDA C does).
 */
class DeviceTensorTest {
    private final FakeCuda fake = new FakeCuda();
    private final CudaBackend backend = new CudaBackend(new CudaDriver(fake.symbols()), new Cublas(fake.symbols()), 0,
            CudaBackendTest::ptx);
    private final Device cuda = FakeDevices.cuda(0,
            new Cuda.Available(new CudaDriver(fake.symbols()), new Cublas(fake.symbols()), 1));

    @BeforeEach
    void openTheFakeDevice() {
        CudaBackend.register(0, backend);
        fake.kernels.put("kiln_gather_f32", this::gatherF32);
        fake.kernels.put("kiln_fill_f32", this::fillF32);
        Kiln.manualSeed(7);
    }

    @AfterEach
    void close() throws InterruptedException {
        CudaBackend.register(0, null);
        // let the cleaner free what the test left unreachable before the fake driver goes away
        long deadline = System.nanoTime() + 2_000_000_000L;
        while (backend.context().liveBytes() > 0 && System.nanoTime() < deadline) {
            System.gc();
            Thread.sleep(5);
        }
        assertThat(fake.errors).isEmpty();
        fake.close();
    }

    /** elementwise.cu's gather on 4-byte elements: y[i] = x[offset + sum_d index_d(i) * stride_d]. */
    private void gatherF32(FakeCuda.Launch launch) {
        List<Object> a = launch.args();
        MemorySegment x = fake.memory((long) a.get(0)), y = fake.memory((long) a.get(1));
        long n = (long) a.get(2);
        for (long i = 0; i < n; i++) {
            long rest = i, at = (long) a.get(3);
            for (int d = CudaBackend.GATHER_RANK - 1; d >= 0; d--) {
                int size = (int) a.get(4 + d);
                at += rest % size * (long) a.get(4 + CudaBackend.GATHER_RANK + d);
                rest /= size;
            }
            y.setAtIndex(JAVA_INT, i, x.getAtIndex(JAVA_INT, at));
        }
    }

    /** elementwise.cu's fill: y[i] = value. */
    private void fillF32(FakeCuda.Launch launch) {
        MemorySegment y = fake.memory((long) launch.args().get(0));
        for (long i = 0; i < (long) launch.args().get(2); i++) {
            y.setAtIndex(JAVA_FLOAT, i, (float) launch.args().get(1));
        }
    }

    private static long pointer(Tensor t) {
        return CudaOps.storage(t).buffer().pointer();
    }

    private FakeCuda.Launch lastLaunch() {
        return fake.launches.getLast();
    }

    private List<String> kernelsLaunched() {
        return fake.launches.stream().map(FakeCuda.Launch::kernel).toList();
    }

    // ---- tensors on the device ----

    @Test
    void everyElementTypeRoundTripsBitForBit() {
        float[] floats = {1.5f, -0.0f, Float.MIN_VALUE, Float.intBitsToFloat(0x7fc0_0001), Float.NEGATIVE_INFINITY};
        double[] doubles = {0.1, -0.0, Double.MIN_VALUE, Double.longBitsToDouble(0x7ff8_0000_0000_0001L)};
        long[] longs = {Long.MIN_VALUE, -1, 0, Long.MAX_VALUE};
        boolean[] bools = {true, false, true};
        for (Tensor t : List.of(Tensor.of(floats), Tensor.of(doubles), Tensor.of(longs), Tensor.of(bools),
                Tensor.randn(3, 4))) {
            Tensor there = t.to(cuda);
            assertThat(there.device()).isEqualTo(cuda);
            assertThat(there.dtype()).isEqualTo(t.dtype());
            assertThat(there.shape()).isEqualTo(t.shape());
            assertThat(there.to(cuda)).isSameAs(there);
            Tensor back = there.to(Device.CPU);
            assertThat(back.device()).isEqualTo(Device.CPU);
            assertThat(back.shape()).isEqualTo(t.shape());
            switch (t.dtype()) {
                case FLOAT32 -> assertThat(bits(back.toFloatArray())).containsExactly(bits(t.toFloatArray()));
                case FLOAT64 -> assertThat(bits(back.toDoubleArray())).containsExactly(bits(t.toDoubleArray()));
                case INT64 -> assertThat(back.toLongArray()).containsExactly(longs);
                case BOOL -> assertThat(back.toBooleanArray()).containsExactly(bools);
            }
        }
        Tensor cpu = Tensor.of(1f);
        assertThat(cpu.to(Device.CPU)).isSameAs(cpu);
    }

    private static int[] bits(float[] values) {
        int[] out = new int[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = Float.floatToRawIntBits(values[i]);
        }
        return out;
    }

    private static long[] bits(double[] values) {
        long[] out = new long[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = Double.doubleToRawLongBits(values[i]);
        }
        return out;
    }

    @Test
    void viewsShareTheBufferAndAreReadThroughTheGatherKernel() {
        Tensor cpu = Tensor.arange(12).toFloat().reshape(3, 4);
        Tensor x = cpu.to(cuda);
        Tensor transposed = x.t(), row = x.get(1);
        assertThat(CudaOps.storage(transposed)).isSameAs(CudaOps.storage(x));
        assertThat(CudaOps.storage(row)).isSameAs(CudaOps.storage(x));
        fake.launches.clear();
        assertThat(row.to(Device.CPU).toFloatArray()).containsExactly(4, 5, 6, 7);
        assertThat(fake.launches).isEmpty();  // a contiguous view is copied from its offset
        assertThat(transposed.to(Device.CPU).toFloatArray()).containsExactly(cpu.t().toFloatArray());
        assertThat(lastLaunch().kernel()).isEqualTo("kiln_gather_f32");
        assertThat(lastLaunch().args()).containsExactly(pointer(x), lastLaunch().args().get(1), 12L, 0L,
                1, 1, 1, 1, 4, 3, 0L, 0L, 0L, 0L, 1L, 4L);
        assertThat(x.get(2).get(3).item()).isEqualTo(11);
    }

    @Test
    void itemAndPrintingReadADeviceTensorButArrayExportsNeedTheCpu() {
        Tensor x = Tensor.of(1.5f, 2f).to(cuda);
        assertThat(x.toString()).isEqualTo("tensor([1.5000, 2.0000], device='cuda:0')");
        assertThat(Tensor.of(1.0, 2.0).to(cuda).requiresGrad(true).toString())
                .isEqualTo("tensor([1., 2.], device='cuda:0', dtype=torch.float64, requires_grad=True)");
        assertThat(x.get(1).item()).isEqualTo(2.0);
        assertThat(x.equal(Tensor.of(1.5f, 2f).to(cuda))).isTrue();
        assertThat(x.allClose(Tensor.of(1.5f, 2.5f).to(cuda))).isFalse();
        assertThatThrownBy(x::toFloatArray).isInstanceOf(IllegalStateException.class)
                .hasMessage("toFloatArray: cannot convert a tensor on cuda:0 to a Java array; copy it to host memory"
                        + " first with .to(Device.CPU)");
    }

    @Test
    void closeFreesTheMemoryAtOnceAndAClosedTensorSaysSo() {
        long start = backend.context().liveBytes();
        Tensor x = Tensor.randn(1000).to(cuda);
        Tensor view = x.get(0);
        assertThat(backend.context().liveBytes()).isEqualTo(start + 4000);
        x.close();
        assertThat(backend.context().liveBytes()).isEqualTo(start);
        assertThatThrownBy(view::item).isInstanceOf(IllegalStateException.class)
                .hasMessage("this tensor's memory on cuda:0 was released by close(); it cannot be used any more");
        x.close();
        Tensor.of(1f).close();
        assertThat(backend.context().liveBytes()).isEqualTo(start);
    }

    @Test
    void aDeviceTensorNoLongerReachableIsFreedByTheCleaner() throws InterruptedException {
        long start = backend.context().liveBytes(), allocations = fake.count("cuMemAlloc_v2");
        uploadAndDrop();
        assertThat(fake.count("cuMemAlloc_v2")).isEqualTo(allocations + 2);
        for (int i = 0; i < 200 && backend.context().liveBytes() != start; i++) {
            System.gc();
            Thread.sleep(10);
        }
        assertThat(backend.context().liveBytes()).isEqualTo(start);
    }

    private void uploadAndDrop() {
        Tensor.zeros(1 << 18).to(cuda).relu();  // the upload and the result, both unreachable at once
        Tensor.zeros(1 << 18).close();
    }

    @Test
    void withoutCudaMovingATensorSaysWhy() {
        assumeTrue(Cuda.status() instanceof Cuda.Unavailable u && u.reason().equals("libcuda.so.1 not found"),
                "this machine has a CUDA driver: " + Cuda.status());
        assertThatThrownBy(() -> Tensor.of(1f).to(Device.cuda(0))).isInstanceOf(IllegalStateException.class)
                .hasMessage("CUDA is not available: libcuda.so.1 not found");
    }

    // ---- operations dispatch by device ----

    @Test
    void elementwiseOperationsLaunchTheirKernelWithItsArguments() {
        Tensor x = Tensor.randn(2, 3).to(cuda), bias = Tensor.randn(3).to(cuda);
        fake.launches.clear();
        Tensor y = x.relu();
        assertThat(lastLaunch().kernel()).isEqualTo("kiln_relu_f32");
        assertThat(lastLaunch().args()).containsExactly(pointer(x), pointer(y), 6L);
        assertThat(y.device()).isEqualTo(cuda);
        y = x.plus(2.0);
        assertThat(lastLaunch().kernel()).isEqualTo("kiln_add_ts_f32");
        assertThat(lastLaunch().args()).containsExactly(pointer(x), 2.0f, pointer(y), 6L);
        y = x.times(x);
        assertThat(lastLaunch().args()).containsExactly(pointer(x), pointer(x), pointer(y), 6L);
        y = x.plus(bias);
        assertThat(lastLaunch().kernel()).isEqualTo("kiln_add_bias_f32");
        assertThat(lastLaunch().args()).containsExactly(pointer(y), pointer(bias), 2, 3);
        y = x.clampMin(0);
        assertThat(lastLaunch().args()).containsExactly(pointer(x), pointer(y), 0f, Float.POSITIVE_INFINITY, 6L);
        assertThat(lastLaunch().kernel()).isEqualTo("kiln_clamp_f32");
        y = x.pow(3);
        assertThat(lastLaunch().kernel()).isEqualTo("kiln_pow_ts_f32");
        assertThat(lastLaunch().args()).containsExactly(pointer(x), 3f, pointer(y), 6L);
        fake.launches.clear();
        x.sigmoid();
        x.tanh();
        x.exp();
        x.log();
        x.unaryMinus();
        x.minus(x);
        x.div(2.0);
        assertThat(kernelsLaunched()).containsExactly("kiln_sigmoid_f32", "kiln_tanh_f32", "kiln_exp_f32",
                "kiln_log_f32", "kiln_neg_f32", "kiln_sub_f32", "kiln_div_ts_f32");
    }

    @Test
    void reductionsAndSoftmaxLaunchTheirKernels() {
        Tensor x = Tensor.randn(2, 3).to(cuda);
        fake.launches.clear();
        assertThat(x.sum(1).shape().toArray()).containsExactly(2);
        assertThat(lastLaunch().kernel()).isEqualTo("kiln_sum_rows_f32");
        assertThat(lastLaunch().args().subList(2, 4)).containsExactly(2, 3);
        assertThat(x.sum(0, true).shape().toArray()).containsExactly(1, 3);
        assertThat(lastLaunch().kernel()).isEqualTo("kiln_sum_cols_f32");
        fake.launches.clear();
        assertThat(x.mean().dim()).isZero();
        assertThat(kernelsLaunched()).containsExactly("kiln_sum_f32", "kiln_sum_f32", "kiln_mul_ts_f32");
        assertThat(lastLaunch().args().get(1)).isEqualTo(1f / 6);
        x.softmax(1);
        assertThat(lastLaunch().kernel()).isEqualTo("kiln_softmax_f32");
        assertThat(lastLaunch().args().subList(2, 4)).containsExactly(2, 3);
        x.logSoftmax(-1);
        assertThat(lastLaunch().kernel()).isEqualTo("kiln_log_softmax_f32");
    }

    @Test
    void mmAndItsBackwardRunThroughCublasAsOnTheCpu() {
        Tensor a = Tensor.randn(3, 4), b = Tensor.randn(5, 4), g = Tensor.randn(3, 5);
        Tensor ac = a.clone().requiresGrad(true), bc = b.clone().requiresGrad(true);
        Tensor expected = ac.mm(bc.t());
        expected.backward(g);

        Tensor ad = a.to(cuda).requiresGrad(true), bd = b.to(cuda).requiresGrad(true);
        fake.launches.clear();
        Tensor y = ad.mm(bd.t());
        assertThat(kernelsLaunched()).isEmpty();  // cuBLAS reads the transpose in place: nothing is copied
        assertThat(y.to(Device.CPU).allClose(expected, 1e-5, 1e-6)).isTrue();
        y.backward(g.to(cuda));
        assertThat(ad.grad().device()).isEqualTo(cuda);
        assertThat(bd.grad().device()).isEqualTo(cuda);
        assertThat(ad.grad().to(Device.CPU).allClose(ac.grad(), 1e-5, 1e-6)).isTrue();
        assertThat(bd.grad().to(Device.CPU).allClose(bc.grad(), 1e-5, 1e-6)).isTrue();
        // Three GEMMs, every transposed operand read in place by cuBLAS; the one gather makes b's gradient,
        // which arrives through the t() view as a transpose, contiguous when it is stored in grad().
        assertThat(fake.gemms).hasSize(3);
        assertThat(fake.gemms).anyMatch(call -> call.transA() == 1).anyMatch(call -> call.transB() == 1);
        assertThat(kernelsLaunched()).containsExactly("kiln_gather_f32");
    }

    @Test
    void operandsOnTwoDevicesFailWithPyTorchsMessage() {
        Tensor x = Tensor.randn(2, 3).to(cuda), cpu = Tensor.randn(2, 3);
        String message = "Expected all tensors to be on the same device, but found at least two devices, cuda:0 and cpu!";
        assertThatThrownBy(() -> x.plus(cpu)).isInstanceOf(IllegalArgumentException.class).hasMessage(message);
        assertThatThrownBy(() -> cpu.plus(x)).hasMessage(message);
        assertThatThrownBy(() -> cpu.t().mm(x)).hasMessage(message);
        assertThatThrownBy(() -> Losses.mse(x, cpu)).hasMessage(message);
        // A 0-d CPU tensor is a scalar, which meets tensors on any device, as in PyTorch.
        x.plus(Tensor.scalar(1.0));
        assertThat(lastLaunch().kernel()).isEqualTo("kiln_add_ts_f32");
    }

    @Test
    void anOperationWithoutADevicePathNamesItselfAndTheWayOut() {
        Tensor x = Tensor.randn(2, 3).to(cuda);
        assertThatThrownBy(x::max).isInstanceOf(UnsupportedOperationException.class)
                .hasMessage("max is not supported on cuda:0 yet; move the tensor to the CPU with .to(Device.CPU)");
        assertThatThrownBy(() -> x.gt(0.0)).hasMessage(
                "gt is not supported on cuda:0 yet; move the tensor to the CPU with .to(Device.CPU)");
        assertThatThrownBy(() -> Tensor.of(1L, 2L).to(cuda).relu()).isInstanceOf(UnsupportedOperationException.class)
                .hasMessage("relu of torch.int64 tensors is not supported on cuda:0 yet; move the tensor to the CPU with"
                        + " .to(Device.CPU)");
    }

    // ---- modules, optimizers and state dicts ----

    @Test
    void moduleToMovesTheSameParametersAndTheirGradientsInPlace() {
        Linear layer = new Linear(3, 2);
        List<Parameter> before = layer.parameters();
        float[] weight = layer.weight().toFloatArray();
        layer.weight().setGrad(Tensor.ones(2, 3));
        Optimizer optimizer = new SGD(layer.parameters(), 0.1);

        assertThat(layer.to(cuda)).isSameAs(layer);
        assertThat(layer.parameters()).hasSize(2);
        for (int i = 0; i < before.size(); i++) {
            assertThat(layer.parameters().get(i)).isSameAs(before.get(i));
            assertThat(before.get(i).device()).isEqualTo(cuda);
            assertThat(before.get(i).requiresGrad()).isTrue();
        }
        assertThat(layer.weight().to(Device.CPU).toFloatArray()).containsExactly(weight);
        assertThat(layer.weight().grad().device()).isEqualTo(cuda);
        assertThat(layer.stateDict().get("weight").device()).isEqualTo(cuda);

        fake.launches.clear();
        optimizer.step();  // the optimizer made before the move steps the moved parameters
        assertThat(kernelsLaunched()).containsExactly("kiln_sgd_f32");
        assertThat(lastLaunch().args().get(0)).isEqualTo(pointer(layer.weight()));

        layer.to(Device.CPU);
        assertThat(layer.weight()).isSameAs(before.get(0));
        assertThat(layer.weight().device()).isEqualTo(Device.CPU);
    }

    @Test
    void aDeviceModelSavesAndLoadsItsStateDict(@TempDir Path dir) throws Exception {
        Linear saved = new Linear(4, 3);
        float[] weight = saved.weight().toFloatArray(), bias = saved.bias().toFloatArray();
        saved.to(cuda);
        Path file = dir.resolve("linear.safetensors");
        Safetensors.save(saved.stateDict(), file);
        assertThat(Files.size(file)).isGreaterThan(4L * (12 + 3));

        Linear loaded = new Linear(4, 3).to(cuda) instanceof Linear l ? l : null;
        loaded.loadStateDict(Safetensors.load(file), true);
        assertThat(loaded.weight().device()).isEqualTo(cuda);
        assertThat(loaded.weight().to(Device.CPU).toFloatArray()).containsExactly(weight);
        assertThat(loaded.bias().to(Device.CPU).toFloatArray()).containsExactly(bias);
        assertThatThrownBy(() -> loaded.loadStateDict(Map.of("weight", Tensor.zeros(2, 2)), false))
                .hasMessageContaining("size mismatch for weight");
        assertThat(loaded.weight().to(Device.CPU).toFloatArray()).containsExactly(weight);
    }

    @Test
    void optimizerStepsOnDeviceParametersLaunchTheirKernelWithTheHyperparameters() {
        Parameter p = new Parameter(Tensor.randn(4).to(cuda));
        p.setGrad(Tensor.randn(4).to(cuda));
        Optimizer sgd = SGD.builder(List.of(p)).lr(0.5).momentum(0.9).build();
        fake.launches.clear();
        sgd.step();
        sgd.step();
        // The momentum buffer is made on the device (filled with zeros), then each step is one kernel.
        assertThat(kernelsLaunched()).containsExactly("kiln_fill_f32", "kiln_sgd_f32", "kiln_sgd_f32");
        List<Object> first = fake.launches.get(1).args();
        assertThat(first.subList(0, 2)).containsExactly(pointer(p), pointer(p.grad()));
        assertThat((long) first.get(2)).isNotZero();  // the momentum buffer, on the device
        assertThat(first.subList(3, 11)).containsExactly(4L, 0.5f, 0.9f, 0f, 0f, 0, 0, 1);
        assertThat(lastLaunch().args().getLast()).isEqualTo(0);  // no longer the first step

        Optimizer adam = new Adam(List.of(p), 0.01);
        adam.step();
        adam.step();
        FakeCuda.Launch step2 = lastLaunch();
        assertThat(step2.kernel()).isEqualTo("kiln_adam_f32");
        assertThat(step2.args().subList(5, 13)).containsExactly(4L, 0.01f, 0.9f, 0.999f, 1e-8f, 0f,
                (float) (1 - 0.9 * 0.9), (float) Math.sqrt(1 - 0.999 * 0.999));

        Optimizer rmsprop = RMSprop.builder(List.of(p)).lr(0.01).alpha(0.9).momentum(0.5).centered(true).build();
        fake.launches.clear();
        rmsprop.step();
        // square_avg, the momentum buffer and grad_avg made on the device, then one kernel
        assertThat(kernelsLaunched()).containsExactly("kiln_fill_f32", "kiln_fill_f32", "kiln_fill_f32",
                "kiln_rmsprop_f32");
        List<Object> r = lastLaunch().args();
        assertThat(r.subList(0, 2)).containsExactly(pointer(p), pointer(p.grad()));
        assertThat(r.subList(2, 5)).allSatisfy(state -> assertThat((long) state).isNotZero());
        assertThat(r.subList(5, 13)).containsExactly(4L, 0.01f, 0.9f, 1e-8f, 0f, 0.5f, 1, 0);

        adam.zeroGrad(false);
        assertThat(lastLaunch().kernel()).isEqualTo("kiln_fill_f32");
        assertThat(p.grad().to(Device.CPU).toFloatArray()).containsOnly(0f);
    }

    @Test
    void aTrainingStepRunsOnTheDeviceAndItsGradientsArriveThere() {
        Sequential model = new Sequential(new Linear(4, 5), new ReLU(), new Linear(5, 3));
        model.to(cuda);
        Optimizer adam = new Adam(model.parameters(), 0.01);
        Tensor x = Tensor.randn(8, 4).to(cuda), classes = Tensor.randint(0, 3, 8).to(cuda);
        adam.zeroGrad();
        Tensor loss = Losses.crossEntropy(model.invoke(x), classes);
        assertThat(loss.device()).isEqualTo(cuda);
        assertThat(loss.gradFn().name()).isEqualTo("NllLossBackward0");
        loss.backward();
        for (Parameter p : model.parameters()) {
            assertThat(p.grad().device()).isEqualTo(cuda);
            assertThat(p.grad().shape()).isEqualTo(p.shape());
        }
        adam.step();
        Tensor y = Tensor.randn(8, 3).to(cuda);
        Losses.mse(model.invoke(x).sigmoid(), y).backward();
        assertThat(kernelsLaunched()).contains("kiln_xent_forward_f32", "kiln_xent_backward_f32",
                "kiln_relu_backward_f32", "kiln_sum_cols_f32", "kiln_adam_f32", "kiln_sigmoid_f32");
    }

    @Test
    void aCompiledModelWithParametersOnTheDeviceRunsTheEagerForward() {
        assertThat(Compiled.commonType(Tensor.randn(2, 2), new Tensor[] {Tensor.randn(2)})).isEqualTo(DType.FLOAT32);
        assertThat(Compiled.commonType(Tensor.randn(2, 2), new Tensor[] {Tensor.randn(2).to(cuda)})).isNull();
    }
}
