package dev.kiln.device.cuda;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import dev.kiln.device.Device;
import dev.kiln.device.FakeDevices;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.function.DoubleBinaryOperator;
import java.util.function.DoubleUnaryOperator;

/**
 * {@code cuda:0} on the {@link FakeCuda} driver, for tests in any module (the runtime's test jar):
 * real native memory, copies and column-major GEMMs, every launch recorded and decoded, and Java
 * stand-ins for a few float32 kernels so that models built from them compute real numbers: each
 * does what its CUDA C in {@code elementwise.cu} or {@code reduce.cu} does, element by element.
 * Other kernels are launched and checked but not run. Close it to take the device away again.
 */
public final class FakeCudaDevice implements AutoCloseable {
    /** The kernels given a Java stand-in; launches of others leave their outputs as they were. */
    public static final List<String> EXECUTED = List.of("kiln_gather_f32", "kiln_fill_f32", "kiln_clamp_f32",
            "kiln_clamp_backward_f32", "kiln_relu_f32", "kiln_relu_backward_f32", "kiln_sigmoid_f32",
            "kiln_sigmoid_backward_f32", "kiln_add_bias_f32", "kiln_sum_cols_f32");

    private final FakeCuda fake = new FakeCuda();
    private final CudaBackend backend = new CudaBackend(new CudaDriver(fake.symbols()), new Cublas(fake.symbols()), 0,
            CudaBackendTest::ptx);
    private final Device device = FakeDevices.cuda(0,
            new Cuda.Available(new CudaDriver(fake.symbols()), new Cublas(fake.symbols()), 1));

    /** Puts the fake backend behind {@code cuda:0}. */
    public FakeCudaDevice() {
        CudaBackend.register(0, backend);
        unary("kiln_relu_f32", x -> x > 0 || Double.isNaN(x) ? x : 0);
        unary("kiln_sigmoid_f32", x -> 1 / (1 + Math.exp(-x)));
        binary("kiln_relu_backward_f32", (out, g) -> out > 0 ? g : 0);
        binary("kiln_sigmoid_backward_f32", (out, g) -> g * out * (1 - out));
        fake.kernels.put("kiln_clamp_f32", launch -> {
            float lo = (float) launch.args().get(2), hi = (float) launch.args().get(3);
            each(launch, 0, 1, 4, x -> Double.isNaN(x) ? x : Math.min(Math.max(x, lo), hi));
        });
        fake.kernels.put("kiln_clamp_backward_f32", launch -> {
            List<Object> a = launch.args();
            float lo = (float) a.get(3), hi = (float) a.get(4);
            MemorySegment x = floats(a.get(0)), g = floats(a.get(1)), y = floats(a.get(2));
            for (long i = 0; i < (long) a.get(5); i++) {
                float v = x.getAtIndex(JAVA_FLOAT, i);
                y.setAtIndex(JAVA_FLOAT, i, v >= lo && v <= hi ? g.getAtIndex(JAVA_FLOAT, i) : 0f);
            }
        });
        fake.kernels.put("kiln_fill_f32", launch -> {
            MemorySegment y = floats(launch.args().get(0));
            for (long i = 0; i < (long) launch.args().get(2); i++) {
                y.setAtIndex(JAVA_FLOAT, i, (float) launch.args().get(1));
            }
        });
        fake.kernels.put("kiln_add_bias_f32", launch -> {
            MemorySegment y = floats(launch.args().get(0)), bias = floats(launch.args().get(1));
            int rows = (int) launch.args().get(2), cols = (int) launch.args().get(3);
            for (long i = 0; i < (long) rows * cols; i++) {
                y.setAtIndex(JAVA_FLOAT, i, y.getAtIndex(JAVA_FLOAT, i) + bias.getAtIndex(JAVA_FLOAT, i % cols));
            }
        });
        fake.kernels.put("kiln_sum_cols_f32", launch -> {
            MemorySegment x = floats(launch.args().get(0)), y = floats(launch.args().get(1));
            int rows = (int) launch.args().get(2), cols = (int) launch.args().get(3);
            for (int c = 0; c < cols; c++) {
                float sum = 0;
                for (int r = 0; r < rows; r++) {
                    sum += x.getAtIndex(JAVA_FLOAT, (long) r * cols + c);
                }
                y.setAtIndex(JAVA_FLOAT, c, sum);
            }
        });
        fake.kernels.put("kiln_gather_f32", this::gather);
    }

    /** The device, {@code cuda:0}. */
    public Device device() {
        return device;
    }

    /** The fake driver: its recorded calls, launches and GEMMs. */
    public FakeCuda fake() {
        return fake;
    }

    /** The backend behind the device, with its live-bytes count. */
    public CudaBackend backend() {
        return backend;
    }

    /** The names of the kernels launched so far, in order. */
    public List<String> kernelsLaunched() {
        return fake.launches.stream().map(FakeCuda.Launch::kernel).toList();
    }

    /**
     * Takes the backend away from {@code cuda:0}, lets the cleaner free what the test left unreachable
     * (for up to two seconds, so that no buffer is freed into a fake that is gone), checks that the fake
     * met no error, and frees its memory.
     */
    @Override
    public void close() {
        CudaBackend.register(0, null);
        long deadline = System.nanoTime() + 2_000_000_000L;
        while (backend.context().liveBytes() > 0 && System.nanoTime() < deadline) {
            System.gc();
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        try {
            if (!fake.errors.isEmpty()) {
                throw new AssertionError("the fake driver met errors: " + fake.errors);
            }
        } finally {
            fake.close();
        }
    }

    private MemorySegment floats(Object pointer) {
        return fake.memory((long) pointer);
    }

    /** {@code y[i] = f(x[i])} for a kernel taking (x, y, n). */
    private void unary(String kernel, DoubleUnaryOperator f) {
        fake.kernels.put(kernel, launch -> each(launch, 0, 1, 2, f));
    }

    /** {@code y[i] = f(a[i], b[i])} for a kernel taking (a, b, y, n). */
    private void binary(String kernel, DoubleBinaryOperator f) {
        fake.kernels.put(kernel, launch -> {
            List<Object> args = launch.args();
            MemorySegment a = floats(args.get(0)), b = floats(args.get(1)), y = floats(args.get(2));
            for (long i = 0; i < (long) args.get(3); i++) {
                y.setAtIndex(JAVA_FLOAT, i, (float) f.applyAsDouble(a.getAtIndex(JAVA_FLOAT, i), b.getAtIndex(JAVA_FLOAT, i)));
            }
        });
    }

    private void each(FakeCuda.Launch launch, int in, int out, int count, DoubleUnaryOperator f) {
        MemorySegment x = floats(launch.args().get(in)), y = floats(launch.args().get(out));
        for (long i = 0; i < (long) launch.args().get(count); i++) {
            y.setAtIndex(JAVA_FLOAT, i, (float) f.applyAsDouble(x.getAtIndex(JAVA_FLOAT, i)));
        }
    }

    /** elementwise.cu's gather on 4-byte elements: y[i] = x[offset + sum_d index_d(i) * stride_d]. */
    private void gather(FakeCuda.Launch launch) {
        List<Object> a = launch.args();
        MemorySegment x = floats(a.get(0)), y = floats(a.get(1));
        for (long i = 0; i < (long) a.get(2); i++) {
            long rest = i, at = (long) a.get(3);
            for (int d = CudaBackend.GATHER_RANK - 1; d >= 0; d--) {
                int size = (int) a.get(4 + d);
                at += rest % size * (long) a.get(4 + CudaBackend.GATHER_RANK + d);
                rest /= size;
            }
            y.setAtIndex(JAVA_INT, i, x.getAtIndex(JAVA_INT, at));
        }
    }
}
