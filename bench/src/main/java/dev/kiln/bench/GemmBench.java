package dev.kiln.bench;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import dev.kiln.kernels.KernelProvider;
import dev.kiln.kernels.Kernels;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Single-precision GEMM throughput, C = A B on row-major float arrays, one thread.
 *
 * <p>Each benchmark runs in two modes. {@code avgt}: the average time of one product (ms/op), the
 * primary figure. {@code thrpt}: products per millisecond, and with it the secondary score
 * {@code gflops}, an {@link AuxCounters} counter that adds each product's floating-point operations
 * in millions (2 m n k / 10^6); JMH divides it by the measured time in the output unit, so the
 * {@code thrpt} row {@code :gflops} in "ops/ms" is MFLOP/ms, that is GFLOP/s. (JMH reports an
 * operations counter in {@code avgt} too, as its inverse: ms per MFLOP.)
 *
 * <p>{@code kernels} picks the provider: {@code auto} (the one {@code Gemm.gemm} uses: the Vector
 * API kernels when the JVM has {@code --add-modules jdk.incubator.vector}, as the fork here does) or
 * {@code scalar}:
 * <pre>
 * ./kiln bench GemmBench -f 1 -wi 3 -i 5 -w 1s -r 1s
 * ./kiln bench GemmBench -f 1 -wi 3 -i 5 -w 1s -r 1s -p kernels=scalar
 * </pre>
 */
@BenchmarkMode({Mode.AverageTime, Mode.Throughput})
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class GemmBench {

    /** Operands of one product, filled with uniform values in [-1, 1). */
    abstract static class Operands {
        int m;
        int n;
        int k;
        float[] a;
        float[] b;
        float[] c;
        KernelProvider provider;
        double mflop;

        void allocate(int m, int n, int k, String kernels) {
            this.m = m;
            this.n = n;
            this.k = k;
            SplittableRandom rnd = new SplittableRandom(42);
            a = new float[m * k];
            b = new float[k * n];
            c = new float[m * n];
            for (int i = 0; i < a.length; i++) {
                a[i] = (float) (rnd.nextDouble() * 2 - 1);
            }
            for (int i = 0; i < b.length; i++) {
                b[i] = (float) (rnd.nextDouble() * 2 - 1);
            }
            provider = switch (kernels) {
                case "auto" -> Kernels.provider();
                case "scalar" -> Kernels.scalar();
                default -> throw new IllegalArgumentException("kernels: expected auto or scalar, but found " + kernels);
            };
            mflop = 2.0 * m * n * k / 1e6;
        }

        float[] multiply() {
            provider.sgemm(m, n, k, a, 0, k, 1, b, 0, n, 1, c, 0);
            return c;
        }
    }

    /** Square products, n x n by n x n. */
    @State(Scope.Thread)
    public static class Square extends Operands {
        @Param({"256", "1024", "2048"})
        public int n;

        @Param({"auto"})
        public String kernels;

        @Setup
        public void setup() {
            allocate(n, n, n, kernels);
        }
    }

    /**
     * The forward products of the tutorials' first layers, written batch x in x out: the input (batch
     * x in) times the weight (in x out), so m = batch, k = in, n = out. The two-layer network
     * (64x1000 -> 100), fizzbuzz (128x10 -> 100, a shallow k) and the MLP (256x784 -> 512).
     */
    @State(Scope.Thread)
    public static class Training extends Operands {
        @Param({"64x1000x100", "128x10x100", "256x784x512"})
        public String shape;

        @Param({"auto"})
        public String kernels;

        @Setup
        public void setup() {
            String[] mnk = shape.split("x");
            allocate(Integer.parseInt(mnk[0]), Integer.parseInt(mnk[2]), Integer.parseInt(mnk[1]), kernels);
        }
    }

    /** The secondary score: MFLOP done; per millisecond (the thrpt row), that is GFLOP/s. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Flops {
        public double gflops;

        @Setup(Level.Iteration)
        public void reset() {
            gflops = 0;
        }
    }

    @Benchmark
    public float[] sgemm(Square s, Flops flops) {
        flops.gflops += s.mflop;
        return s.multiply();
    }

    @Benchmark
    public float[] sgemmTrainingShapes(Training s, Flops flops) {
        flops.gflops += s.mflop;
        return s.multiply();
    }
}
