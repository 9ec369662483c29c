package dev.kiln.examples.compiled;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.DType;
import dev.kiln.Kiln;
import dev.kiln.Parameter;
import dev.kiln.Tensor;
import dev.kiln.device.Device;
import dev.kiln.device.cuda.CudaBackend;
import dev.kiln.device.cuda.GpuTests;
import dev.kiln.examples.models.ImageNet;
import dev.kiln.examples.models.ImageNetKiln;
import dev.kiln.examples.models.ParameterNet;
import dev.kiln.examples.models.ParameterNetKiln;
import dev.kiln.examples.models.RegressionNet;
import dev.kiln.examples.models.RegressionNetKiln;
import dev.kiln.examples.models.TemperatureNet;
import dev.kiln.examples.models.TemperatureNetKiln;
import dev.kiln.examples.models.ThreeClassNet;
import dev.kiln.examples.models.ThreeClassNetKiln;
import dev.kiln.examples.models.TransposedParameterNet;
import dev.kiln.examples.models.TransposedParameterNetKiln;
import dev.kiln.examples.models.TwoClassNet;
import dev.kiln.examples.models.TwoClassNetKiln;
import dev.kiln.examples.models.TwoLayerNet;
import dev.kiln.examples.models.TwoLayerNetKiln;
import dev.kiln.nn.Module;
import dev.kiln.optim.SGD;
import java.util.Map;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The tutorial models' generated {@code Kiln} classes on a real GPU against their eager models on the
 * CPU: outputs and every gradient within float tolerance, in float32 and float64, and device memory
 * back where it started after a training loop. The runtime's {@code CudaBackendGpuTest} covers every
 * kernel and eager operation; the generated classes live here, where the processor runs. Skipped,
 * with the reason, where no GPU or no shipped PTX is available.
 */
class CompiledOnGpuTest {
    private static Device gpu;

    @BeforeAll
    static void requireAGpu() {
        GpuTests.requireAGpu("CompiledOnGpuTest");
        gpu = Device.cuda(0);
    }

    record Workload(String name, Supplier<Module> eager, Supplier<Module> compiled, int[] input) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Arguments> workloads() {
        return Stream.of(
                new Workload("twolayer", () -> new TwoLayerNet(1000, 100, 10), () -> new TwoLayerNetKiln(1000, 100, 10),
                        new int[] {64, 1000}),
                new Workload("parameters", () -> new ParameterNet(1000, 100, 10), () -> new ParameterNetKiln(1000, 100, 10),
                        new int[] {64, 1000}),
                new Workload("transposed", TransposedParameterNet::new, TransposedParameterNetKiln::new, new int[] {32, 5}),
                new Workload("temperature", TemperatureNet::new, TemperatureNetKiln::new, new int[] {16, 13}),
                new Workload("threeclass", ThreeClassNet::new, ThreeClassNetKiln::new, new int[] {500, 20}),
                new Workload("twoclass", TwoClassNet::new, TwoClassNetKiln::new, new int[] {100, 2}),
                new Workload("regression", () -> new RegressionNet(1, 20, 1), () -> new RegressionNetKiln(1, 20, 1),
                        new int[] {32, 1}),
                // a residual plus: no device variant, so the eager forward runs on the GPU
                new Workload("image", () -> new ImageNet(4, 4), () -> new ImageNetKiln(4, 4), new int[] {8, 4, 4}))
                .flatMap(w -> Stream.of(Arguments.of(w, DType.FLOAT32), Arguments.of(w, DType.FLOAT64)));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("workloads")
    void aTutorialModelsKilnClassOnTheGpuMatchesItsEagerModelOnTheCpu(Workload w, DType dtype) {
        Kiln.manualSeed(42);
        Module eager, compiled;
        Kiln.setDefaultDtype(dtype);
        try {
            eager = w.eager().get();
            compiled = w.compiled().get();
        } finally {
            Kiln.setDefaultDtype(DType.FLOAT32);
        }
        compiled.loadStateDict(eager.stateDict(), true);
        compiled.to(gpu);
        double tolerance = dtype == DType.FLOAT64 ? 1e-10 : 1e-4;
        Tensor x = Tensor.randn(dtype, w.input()).requiresGrad(true);
        Tensor xGpu = x.detach().to(gpu).requiresGrad(true);
        for (int step = 0; step < 3; step++) {
            Tensor yCpu = eager.invoke(x), yGpu = compiled.invoke(xGpu);
            assertThat(yGpu.device()).isEqualTo(gpu);
            assertClose(yGpu.to(Device.CPU), yCpu, w + " output", tolerance);
            Tensor g = Tensor.randn(dtype, yCpu.shape().toArray());
            yCpu.backward(g);
            yGpu.backward(g.to(gpu));
            assertClose(xGpu.grad().to(Device.CPU), x.grad(), w + " x.grad", tolerance);
            Map<String, Parameter> onGpu = compiled.namedParameters();
            for (Map.Entry<String, Parameter> e : eager.namedParameters().entrySet()) {
                assertClose(onGpu.get(e.getKey()).grad().to(Device.CPU), e.getValue().grad(),
                        w + " " + e.getKey() + ".grad", tolerance);
            }
            new SGD(eager.parameters(), 0.01).step();
            new SGD(compiled.parameters(), 0.01).step();
        }
    }

    @Test
    void aThousandTrainingStepsOfAKilnClassLeaveDeviceMemoryWhereItStarted() throws InterruptedException {
        CudaBackend backend = CudaBackend.of(gpu);
        ThreeClassNetKiln model = new ThreeClassNetKiln();
        model.to(gpu);
        SGD sgd = new SGD(model.parameters(), 0.01);
        Tensor x = Tensor.randn(500, 20).to(gpu), g = Tensor.ones(500, 3).to(gpu);
        sgd.zeroGrad();
        model.invoke(x).backward(g);
        sgd.step();
        for (int i = 0; i < 5; i++) {  // what the first step left to the cleaner goes before counting starts
            System.gc();
            Thread.sleep(20);
        }
        long start = backend.context().liveBytes();
        for (int step = 0; step < 1000; step++) {
            sgd.zeroGrad();
            model.invoke(x).backward(g);
            sgd.step();
        }
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (backend.context().liveBytes() > start && System.nanoTime() < deadline) {
            System.gc();
            Thread.sleep(20);
        }
        assertThat(backend.context().liveBytes()).isEqualTo(start);
    }

    private static void assertClose(Tensor actual, Tensor expected, String what, double tolerance) {
        assertThat(actual.shape()).as(what).isEqualTo(expected.shape());
        double[] a = actual.contiguous().toDoubleArray();
        double[] e = expected.contiguous().toDoubleArray();
        double scale = 0, error = 0;
        for (int i = 0; i < e.length; i++) {
            scale = Math.max(scale, Math.abs(e[i]));
            error = Math.max(error, Math.abs(a[i] - e[i]));
        }
        assertThat(error).as(what).isLessThanOrEqualTo(tolerance * Math.max(scale, 1e-3));
    }
}
