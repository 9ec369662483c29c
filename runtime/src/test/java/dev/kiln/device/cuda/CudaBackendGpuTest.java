package dev.kiln.device.cuda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.kiln.DType;
import dev.kiln.Kiln;
import dev.kiln.Parameter;
import dev.kiln.Tensor;
import dev.kiln.device.Device;
import dev.kiln.loss.Losses;
import dev.kiln.optim.Adam;
import dev.kiln.optim.AdamW;
import dev.kiln.optim.Optimizer;
import dev.kiln.optim.SGD;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Every kernel on a real GPU against the CPU runtime, within float tolerance, and device memory back
 * where it started after many steps. Runs only where CUDA is available and the build shipped the PTX
 * (nvcc was on the PATH); skipped with the reason otherwise.
 */
class CudaBackendGpuTest {
    private static CudaBackend backend;

    @BeforeAll
    static void requireAGpu() {
        String missing = Cuda.status() instanceof Cuda.Unavailable u ? "no usable CUDA device: " + u.reason()
                : CudaBackend.class.getResource("elementwise.ptx") == null
                ? "this runtime was built without nvcc, so it ships no PTX kernels" : null;
        if (missing != null) {
            // The build log shows the reason next to the skipped count, not only the test report.
            System.err.println("CudaBackendGpuTest skipped: " + missing);
        }
        assumeTrue(missing == null, missing);
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

    private static void sleep() {
        try {
            Thread.sleep(10);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
