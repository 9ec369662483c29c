package dev.kiln.device.cuda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.kiln.DType;
import dev.kiln.Kiln;
import dev.kiln.Parameter;
import dev.kiln.Tensor;
import dev.kiln.device.Device;
import dev.kiln.loss.Losses;
import dev.kiln.loss.Reduction;
import dev.kiln.nn.Linear;
import dev.kiln.nn.Module;
import dev.kiln.nn.Sequential;
import dev.kiln.optim.Adam;
import dev.kiln.optim.AdamW;
import dev.kiln.optim.RMSprop;
import dev.kiln.optim.Optimizer;
import dev.kiln.optim.SGD;
import java.util.List;
import java.util.function.Function;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every kernel on a real GPU against the CPU runtime, within float tolerance, and device memory back
 * where it started after many steps. Runs only where CUDA is available and the build shipped the PTX
 * (nvcc was on the PATH); skipped with the reason otherwise.
 */
class CudaBackendGpuTest {
    private static CudaBackend backend;

    @BeforeAll
    static void requireAGpu() {
        GpuTests.requireAGpu("CudaBackendGpuTest");
        backend = CudaBackend.of(Device.cuda(0));
    }

    @BeforeEach
    void seed() {
        Kiln.manualSeed(1234);
    }

    private static Tensor random(DType dtype, int... shape) {
        return Tensor.randn(dtype, shape);
    }

    private static DeviceBuffer upload(Tensor t) {
        return t.dtype() == DType.FLOAT64 ? backend.upload(t.toDoubleArray()) : backend.upload(t.toFloatArray());
    }

    private static double[] download(DeviceBuffer buffer, DType dtype, int n) {
        if (dtype == DType.FLOAT64) {
            return backend.downloadDoubles(buffer, n);
        }
        float[] f = backend.downloadFloats(buffer, n);
        double[] d = new double[n];
        for (int i = 0; i < n; i++) {
            d[i] = f[i];
        }
        return d;
    }

    private static void assertClose(double[] gpu, Tensor cpu, double tolerance) {
        double[] expected = cpu.toDoubleArray();
        assertThat(gpu).hasSameSizeAs(expected);
        for (int i = 0; i < expected.length; i++) {
            double scale = Math.max(1, Math.abs(expected[i]));
            if (Double.isNaN(expected[i])) {
                assertThat(gpu[i]).as("element %d", i).isNaN();
            } else {
                assertThat(gpu[i]).as("element %d", i).isCloseTo(expected[i], within(tolerance * scale));
            }
        }
    }

    private static double tolerance(DType dtype) {
        return dtype == DType.FLOAT64 ? 1e-12 : 2e-5;
    }

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({"NEG,FLOAT32", "EXP,FLOAT32", "LOG,FLOAT32", "SQRT,FLOAT32", "ABS,FLOAT32", "SIGN,FLOAT32",
            "RELU,FLOAT32", "SIGMOID,FLOAT32", "TANH,FLOAT32", "NEG,FLOAT64", "EXP,FLOAT64", "LOG,FLOAT64",
            "SQRT,FLOAT64", "ABS,FLOAT64", "SIGN,FLOAT64", "RELU,FLOAT64", "SIGMOID,FLOAT64", "TANH,FLOAT64"})
    void unaryKernelsMatchTheCpu(CudaBackend.Unary op, DType dtype) {
        int n = 3000;
        Tensor x = random(dtype, n).times(4);
        if (op == CudaBackend.Unary.LOG || op == CudaBackend.Unary.SQRT) {
            x = x.abs().plus(1e-3);
        }
        UnaryOperator<Tensor> cpu = switch (op) {
            case NEG -> Tensor::unaryMinus;
            case EXP -> Tensor::exp;
            case LOG -> Tensor::log;
            case SQRT -> Tensor::sqrt;
            case ABS -> Tensor::abs;
            case SIGN -> Tensor::sign;
            case RELU -> Tensor::relu;
            case SIGMOID -> Tensor::sigmoid;
            case TANH -> Tensor::tanh;
        };
        try (DeviceBuffer in = upload(x); DeviceBuffer out = backend.allocate(dtype, n)) {
            backend.unary(op, dtype, in, out, n);
            assertClose(download(out, dtype, n), cpu.apply(x), tolerance(dtype));
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({"ADD,FLOAT32", "SUB,FLOAT32", "MUL,FLOAT32", "DIV,FLOAT32", "POW,FLOAT32",
            "ADD,FLOAT64", "SUB,FLOAT64", "MUL,FLOAT64", "DIV,FLOAT64", "POW,FLOAT64"})
    void binaryKernelsMatchTheCpuInEveryForm(CudaBackend.Binary op, DType dtype) {
        int n = 2049;
        Tensor a = random(dtype, n).abs().plus(0.5);
        Tensor b = random(dtype, n).abs().plus(0.5);
        double s = 1.75;
        Tensor sb = Tensor.fullLike(b, s);
        try (DeviceBuffer da = upload(a); DeviceBuffer db = upload(b); DeviceBuffer y = backend.allocate(dtype, n)) {
            backend.binary(op, dtype, da, db, y, n);
            assertClose(download(y, dtype, n), cpu(op, a, b), tolerance(dtype));
            backend.binary(op, dtype, da, s, y, n);
            assertClose(download(y, dtype, n), cpu(op, a, sb), tolerance(dtype));
            backend.binary(op, dtype, s, db, y, n);
            assertClose(download(y, dtype, n), cpu(op, sb, b), tolerance(dtype));
        }
    }

    private static Tensor cpu(CudaBackend.Binary op, Tensor a, Tensor b) {
        return switch (op) {
            case ADD -> a.plus(b);
            case SUB -> a.minus(b);
            case MUL -> a.times(b);
            case DIV -> a.div(b);
            case POW -> a.pow(b);
        };
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(CudaBackend.Activation.class)
    void activationBackwardMatchesAutograd(CudaBackend.Activation act) {
        int n = 1000;
        Tensor x = random(DType.FLOAT32, n).times(3).requiresGrad(true);
        Tensor out = switch (act) {
            case RELU -> x.relu();
            case SIGMOID -> x.sigmoid();
            case TANH -> x.tanh();
        };
        Tensor grad = random(DType.FLOAT32, n);
        out.backward(grad);
        try (DeviceBuffer dOut = upload(out.detach()); DeviceBuffer dGrad = upload(grad);
             DeviceBuffer y = backend.allocate(DType.FLOAT32, n)) {
            backend.activationBackward(act, DType.FLOAT32, dOut, dGrad, y, n);
            assertClose(download(y, DType.FLOAT32, n), x.grad(), 2e-5);
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(value = DType.class, names = {"FLOAT32", "FLOAT64"})
    void addingABiasMatchesBroadcasting(DType dtype) {
        int rows = 37, cols = 300;
        Tensor y = random(dtype, rows, cols);
        Tensor bias = random(dtype, cols);
        try (DeviceBuffer dy = upload(y); DeviceBuffer db = upload(bias)) {
            backend.addBias(dtype, dy, db, rows, cols);
            assertClose(download(dy, dtype, rows * cols), y.plus(bias), tolerance(dtype));
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(value = DType.class, names = {"FLOAT32", "FLOAT64"})
    void sumsMatchTheCpu(DType dtype) {
        int rows = 300, cols = 517;
        Tensor x = random(dtype, rows, cols);
        try (DeviceBuffer dx = upload(x); DeviceBuffer total = backend.allocate(dtype, 1);
             DeviceBuffer byRow = backend.allocate(dtype, rows); DeviceBuffer byCol = backend.allocate(dtype, cols)) {
            backend.sum(dtype, dx, (long) rows * cols, total);
            backend.sumRows(dtype, dx, rows, cols, byRow);
            backend.sumCols(dtype, dx, rows, cols, byCol);
            double loose = dtype == DType.FLOAT64 ? 1e-10 : 1e-3;
            assertClose(download(total, dtype, 1), x.sum().reshape(1), loose);
            assertClose(download(byRow, dtype, rows), x.sum(1), loose);
            assertClose(download(byCol, dtype, cols), x.sum(0), loose);
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(value = DType.class, names = {"FLOAT32", "FLOAT64"})
    void softmaxAndLogSoftmaxMatchTheCpu(DType dtype) {
        int rows = 70, cols = 1000;
        Tensor x = random(dtype, rows, cols).times(10);
        try (DeviceBuffer dx = upload(x); DeviceBuffer y = backend.allocate(dtype, (long) rows * cols)) {
            backend.softmax(dtype, dx, y, rows, cols);
            assertClose(download(y, dtype, rows * cols), x.softmax(1), tolerance(dtype));
            backend.logSoftmax(dtype, dx, y, rows, cols);
            assertClose(download(y, dtype, rows * cols), x.logSoftmax(1), dtype == DType.FLOAT64 ? 1e-12 : 1e-4);
        }
    }

    @Test
    void crossEntropyForwardAndBackwardMatchAutograd() {
        int rows = 64, cols = 10;
        Tensor logits = random(DType.FLOAT32, rows, cols).times(3).requiresGrad(true);
        long[] t = Tensor.randint(0, cols, rows).toLongArray();
        t[5] = -100;  // ignored, as PyTorch's default ignore_index
        Tensor target = Tensor.of(t);
        Tensor loss = Losses.crossEntropy(logits, target);
        loss.backward();
        try (DeviceBuffer dl = upload(logits.detach()); DeviceBuffer dt = backend.upload(t);
             DeviceBuffer lse = backend.allocate(DType.FLOAT32, rows);
             DeviceBuffer grad = backend.allocate(DType.FLOAT32, (long) rows * cols)) {
            CudaBackend.CrossEntropy result = backend.crossEntropyForward(DType.FLOAT32, dl, dt, rows, cols, -100, lse);
            assertThat(result.count()).isEqualTo(rows - 1);
            assertThat(result.mean()).isCloseTo(loss.item(), within(1e-4));
            backend.crossEntropyBackward(DType.FLOAT32, dl, dt, lse, rows, cols, -100, 1.0 / result.count(), grad);
            assertClose(download(grad, DType.FLOAT32, rows * cols), logits.grad(), 1e-5);
        }
    }

    @Test
    void sgdWithMomentumMatchesTheCpuOptimizer() {
        int n = 500;
        Tensor start = random(DType.FLOAT32, n);
        Parameter p = new Parameter(start.clone());
        Optimizer sgd = SGD.builder(List.of(p)).lr(0.05).momentum(0.9).dampening(0.1).weightDecay(1e-3).build();
        List<Tensor> grads = List.of(random(DType.FLOAT32, n), random(DType.FLOAT32, n), random(DType.FLOAT32, n));
        try (DeviceBuffer dp = upload(start); DeviceBuffer buf = backend.allocate(DType.FLOAT32, n)) {
            for (int step = 0; step < grads.size(); step++) {
                p.setGrad(grads.get(step));
                sgd.step();
                try (DeviceBuffer g = upload(grads.get(step))) {
                    backend.sgd(DType.FLOAT32, dp, g, buf, n,
                            new CudaBackend.SgdStep(0.05, 0.9, 0.1, 1e-3, false, false, step == 0));
                }
            }
            assertClose(download(dp, DType.FLOAT32, n), p.detach(), 1e-5);
        }
    }

    @ParameterizedTest(name = "decoupled={0} amsgrad={1}")
    @CsvSource({"false,false", "false,true", "true,false", "true,true"})
    void adamMatchesTheCpuOptimizer(boolean decoupled, boolean amsgrad) {
        int n = 500;
        Tensor start = random(DType.FLOAT32, n);
        Parameter p = new Parameter(start.clone());
        Optimizer cpu = decoupled
                ? AdamW.builder(List.of(p)).lr(0.01).betas(0.9, 0.99).weightDecay(0.05).amsgrad(amsgrad).build()
                : Adam.builder(List.of(p)).lr(0.01).betas(0.9, 0.99).weightDecay(0.05).amsgrad(amsgrad).build();
        try (DeviceBuffer dp = upload(start); DeviceBuffer m = backend.allocate(DType.FLOAT32, n);
             DeviceBuffer v = backend.allocate(DType.FLOAT32, n); DeviceBuffer vmax = backend.allocate(DType.FLOAT32, n)) {
            backend.fill(DType.FLOAT32, m, 0, n);
            backend.fill(DType.FLOAT32, v, 0, n);
            backend.fill(DType.FLOAT32, vmax, 0, n);
            for (int t = 1; t <= 4; t++) {
                Tensor grad = random(DType.FLOAT32, n);
                p.setGrad(grad);
                cpu.step();
                try (DeviceBuffer g = upload(grad)) {
                    backend.adam(DType.FLOAT32, dp, g, m, v, amsgrad ? vmax : null, n,
                            new CudaBackend.AdamStep(0.01, 0.9, 0.99, 1e-8, 0.05, t, decoupled, amsgrad, false));
                }
            }
            assertClose(download(dp, DType.FLOAT32, n), p.detach(), 1e-5);
        }
    }

    @ParameterizedTest(name = "transA={0} transB={1} {2}")
    @CsvSource({"false,false,FLOAT32", "true,false,FLOAT32", "false,true,FLOAT32", "true,true,FLOAT32",
            "false,false,FLOAT64", "true,true,FLOAT64"})
    void gemmMatchesTheCpu(boolean transA, boolean transB, DType dtype) {
        int m = 65, n = 33, k = 130;
        Tensor a = transA ? random(dtype, k, m) : random(dtype, m, k);
        Tensor b = transB ? random(dtype, n, k) : random(dtype, k, n);
        Tensor c = random(dtype, m, n);
        Tensor expected = (transA ? a.t() : a).mm(transB ? b.t() : b).times(0.5).plus(c.times(2));
        try (DeviceBuffer da = upload(a); DeviceBuffer db = upload(b); DeviceBuffer dc = upload(c)) {
            backend.gemm(dtype, transA, transB, m, n, k, 0.5, da, db, 2, dc);
            assertClose(download(dc, dtype, m * n), expected, dtype == DType.FLOAT64 ? 1e-10 : 1e-4);
        }
    }

    @Test
    void tenThousandStepsLeaveDeviceMemoryWhereItStarted() {
        long before = backend.context().liveBytes();
        float[] host = new float[256];
        for (int step = 0; step < 10_000; step++) {
            try (DeviceBuffer x = backend.upload(host); DeviceBuffer y = backend.allocate(DType.FLOAT32, 256)) {
                backend.unary(CudaBackend.Unary.SIGMOID, DType.FLOAT32, x, y, 256);
                backend.binary(CudaBackend.Binary.MUL, DType.FLOAT32, y, 0.5, y, 256);
            }
            // Buffers left to the cleaner must come back too.
            backend.allocate(DType.FLOAT32, 16);
        }
        backend.synchronize();
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (backend.context().liveBytes() != before && System.nanoTime() < deadline) {
            System.gc();
            sleep();
        }
        assertThat(backend.context().liveBytes()).isEqualTo(before);
    }

    // ---- tensors and modules on the device against the CPU ----

    /** Every operation the device runs, on an 8 x 5 input; constants are the same on both devices. */
    static Stream<Arguments> tensorOperations() {
        UnaryOperator<Tensor> row = x -> Tensor.linspace(-1, 1, 5).to(x.device());
        UnaryOperator<Tensor> matrix = x -> Tensor.linspace(-2, 2, 40).reshape(8, 5).to(x.device());
        return Stream.of(
                Arguments.of("plus", (UnaryOperator<Tensor>) x -> x.plus(matrix.apply(x))),
                Arguments.of("plus row (bias)", (UnaryOperator<Tensor>) x -> x.plus(row.apply(x))),
                Arguments.of("minus scalar", (UnaryOperator<Tensor>) x -> x.minus(0.25)),
                Arguments.of("scalar minus", (UnaryOperator<Tensor>) x -> Tensor.scalar(1.0).minus(x)),
                Arguments.of("times", (UnaryOperator<Tensor>) x -> x.times(x)),
                Arguments.of("times row", (UnaryOperator<Tensor>) x -> x.times(row.apply(x))),
                Arguments.of("div", (UnaryOperator<Tensor>) x -> x.div(matrix.apply(x).abs().plus(0.5))),
                Arguments.of("pow scalar", (UnaryOperator<Tensor>) x -> x.pow(2)),
                Arguments.of("neg", (UnaryOperator<Tensor>) Tensor::unaryMinus),
                Arguments.of("relu", (UnaryOperator<Tensor>) Tensor::relu),
                Arguments.of("sigmoid", (UnaryOperator<Tensor>) Tensor::sigmoid),
                Arguments.of("tanh", (UnaryOperator<Tensor>) Tensor::tanh),
                Arguments.of("exp", (UnaryOperator<Tensor>) Tensor::exp),
                Arguments.of("log", (UnaryOperator<Tensor>) x -> x.abs().plus(0.1).log()),
                Arguments.of("sqrt", (UnaryOperator<Tensor>) x -> x.abs().plus(0.1).sqrt()),
                Arguments.of("clamp", (UnaryOperator<Tensor>) x -> x.clamp(-0.5, 0.5)),
                Arguments.of("clampMin", (UnaryOperator<Tensor>) x -> x.clampMin(0)),
                Arguments.of("mm", (UnaryOperator<Tensor>) x -> x.mm(matrix.apply(x).t())),
                Arguments.of("t mm", (UnaryOperator<Tensor>) x -> x.t().mm(matrix.apply(x))),
                Arguments.of("matmul 3-d", (UnaryOperator<Tensor>) x -> x.reshape(2, 4, 5).matmul(matrix.apply(x).t())),
                Arguments.of("sum", (UnaryOperator<Tensor>) Tensor::sum),
                Arguments.of("sum 0", (UnaryOperator<Tensor>) x -> x.sum(0)),
                Arguments.of("sum 1 keepDim", (UnaryOperator<Tensor>) x -> x.sum(1, true)),
                Arguments.of("mean", (UnaryOperator<Tensor>) Tensor::mean),
                Arguments.of("mean 1", (UnaryOperator<Tensor>) x -> x.mean(1)),
                Arguments.of("softmax", (UnaryOperator<Tensor>) x -> x.softmax(1).times(matrix.apply(x))),
                Arguments.of("logSoftmax", (UnaryOperator<Tensor>) x -> x.logSoftmax(1).times(matrix.apply(x))),
                Arguments.of("mse", (UnaryOperator<Tensor>) x -> Losses.mse(x, matrix.apply(x))),
                Arguments.of("mse sum", (UnaryOperator<Tensor>) x -> Losses.mse(x, matrix.apply(x), Reduction.SUM)),
                Arguments.of("cross-entropy", (UnaryOperator<Tensor>) x ->
                        Losses.crossEntropy(x, Tensor.of(0, 1, 2, 3, 4, 0, 1, 2).to(x.device()))),
                Arguments.of("cross-entropy sum", (UnaryOperator<Tensor>) x ->
                        Losses.crossEntropy(x, Tensor.of(4, 3, 2, 1, 0, 4, 3, 2).to(x.device()), Reduction.SUM)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("tensorOperations")
    void everyTensorOperationAndItsGradientMatchTheCpu(String name, UnaryOperator<Tensor> op) {
        Device gpu = Device.cuda(0);
        Tensor base = Tensor.randn(8, 5);
        Tensor cpuX = base.clone().requiresGrad(true), gpuX = base.to(gpu).requiresGrad(true);
        Tensor cpuY = op.apply(cpuX), gpuY = op.apply(gpuX);
        assertThat(gpuY.device()).isEqualTo(gpu);
        assertThat(gpuY.to(Device.CPU).allClose(cpuY, 1e-4, 1e-5)).as(name + ": " + gpuY + " vs " + cpuY).isTrue();
        cpuY.sum().backward();
        gpuY.sum().backward();
        assertThat(gpuX.grad().device()).isEqualTo(gpu);
        assertThat(gpuX.grad().to(Device.CPU).allClose(cpuX.grad(), 1e-4, 1e-5))
                .as(name + " gradient: " + gpuX.grad() + " vs " + cpuX.grad()).isTrue();
    }

    /** A tutorial workload: its layer sizes, hidden activation, loss and optimizer. */
    record Workload(String name, int batch, int[] sizes, boolean bias, UnaryOperator<Tensor> activation,
                    boolean classes, Reduction reduction, Function<List<Parameter>, Optimizer> optimizer) {
        Module model() {
            List<Module> layers = new java.util.ArrayList<>();
            for (int i = 0; i + 1 < sizes.length; i++) {
                layers.add(new Linear(sizes[i], sizes[i + 1], bias));
                if (i + 2 < sizes.length) {
                    layers.add(new Lambda(activation));
                }
            }
            return new Sequential(layers.toArray(Module[]::new));
        }

        Tensor loss(Tensor out, Tensor target) {
            return classes ? Losses.crossEntropy(out, target, reduction) : Losses.mse(out, target, reduction);
        }

        Tensor target(int batch) {
            int last = sizes[sizes.length - 1];
            return classes ? Tensor.randint(0, last, batch) : Tensor.randn(batch, last);
        }

        @Override
        public String toString() {
            return name;
        }
    }

    /** An activation as a layer. */
    static final class Lambda extends Module {
        private final UnaryOperator<Tensor> f;

        Lambda(UnaryOperator<Tensor> f) {
            this.f = f;
        }

        @Override
        public Tensor forward(Tensor x) {
            return f.apply(x);
        }
    }

    static Stream<Workload> workloads() {
        return Stream.of(
                new Workload("twolayerSgd", 64, new int[] {1000, 100, 10}, false, Tensor::relu, false, Reduction.SUM,
                        p -> new SGD(p, 1e-6)),
                new Workload("twolayerAdam", 64, new int[] {1000, 100, 10}, false, x -> x.clampMin(0), false,
                        Reduction.SUM, p -> new Adam(p, 1e-4)),
                new Workload("fizzbuzz", 128, new int[] {10, 100, 4}, true, Tensor::relu, true, Reduction.MEAN,
                        p -> new SGD(p, 0.05)),
                new Workload("temperature", 16, new int[] {13, 128, 1}, true, Tensor::sigmoid, false, Reduction.MEAN,
                        p -> new Adam(p, 1e-3)),
                new Workload("threeclass", 500, new int[] {20, 13, 8, 3}, true, Tensor::relu, true, Reduction.MEAN,
                        p -> SGD.builder(p).lr(0.01).momentum(0.9).build()),
                new Workload("regression", 32, new int[] {1, 20, 1}, true, Tensor::tanh, false, Reduction.MEAN,
                        p -> RMSprop.builder(p).lr(0.01).alpha(0.9).build()),
                new Workload("mlp", 256, new int[] {784, 512, 256, 10}, true, Tensor::relu, true, Reduction.MEAN,
                        p -> new Adam(p, 1e-3)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("workloads")
    void everyTutorialWorkloadTrainsOnTheDeviceAsOnTheCpu(Workload w) {
        Device gpu = Device.cuda(0);
        Module cpuModel = w.model(), gpuModel = w.model();
        gpuModel.loadStateDict(cpuModel.stateDict(), true);
        gpuModel.to(gpu);
        Optimizer cpuOpt = w.optimizer().apply(cpuModel.parameters()), gpuOpt = w.optimizer().apply(gpuModel.parameters());
        Tensor x = Tensor.randn(w.batch(), w.sizes()[0]), target = w.target(w.batch());
        Tensor gx = x.to(gpu), gTarget = target.to(gpu);
        double cpuLoss = 0, gpuLoss = 0;
        for (int step = 0; step < 5; step++) {
            cpuOpt.zeroGrad();
            Tensor l = w.loss(cpuModel.invoke(x), target);
            l.backward();
            cpuOpt.step();
            cpuLoss = l.item();
            gpuOpt.zeroGrad();
            Tensor gl = w.loss(gpuModel.invoke(gx), gTarget);
            gl.backward();
            gpuOpt.step();
            gpuLoss = gl.item();
        }
        assertThat(gpuLoss).isCloseTo(cpuLoss, within(1e-3 * Math.max(1, Math.abs(cpuLoss))));
        List<Parameter> cpuParams = cpuModel.parameters(), gpuParams = gpuModel.parameters();
        for (int i = 0; i < cpuParams.size(); i++) {
            assertThat(gpuParams.get(i).device()).isEqualTo(gpu);
            // Adam normalises each step, so a gradient near 0 may step either way: at most 5 lr apart.
            assertThat(gpuParams.get(i).to(Device.CPU).allClose(cpuParams.get(i), 1e-3, 5e-3))
                    .as(w.name() + " parameter " + i).isTrue();
        }
    }

    @Test
    void tenThousandTrainingStepsOnTheDeviceLeaveItsMemoryWhereItStarted() {
        Device gpu = Device.cuda(0);
        Workload w = workloads().filter(x -> x.name().equals("temperature")).findFirst().orElseThrow();
        Module model = w.model().to(gpu);
        Optimizer optimizer = w.optimizer().apply(model.parameters());
        Tensor x = Tensor.randn(w.batch(), w.sizes()[0]).to(gpu), target = w.target(w.batch()).to(gpu);
        Runnable step = () -> {
            optimizer.zeroGrad();
            w.loss(model.invoke(x), target).backward();
            optimizer.step();
        };
        step.run();  // the optimizer's state is made at the first step and stays
        optimizer.zeroGrad();
        for (int i = 0; i < 5; i++) {  // what the first step left to the cleaner goes before counting starts
            System.gc();
            sleep();
        }
        long start = backend.context().liveBytes();
        for (int i = 0; i < 10_000; i++) {
            step.run();
        }
        optimizer.zeroGrad();
        backend.synchronize();
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (backend.context().liveBytes() > start && System.nanoTime() < deadline) {
            System.gc();
            sleep();
        }
        assertThat(backend.context().liveBytes()).isEqualTo(start);
    }

    private static void sleep() {
        try {
            Thread.sleep(10);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
