package dev.kiln.bench;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import dev.kiln.Kiln;
import dev.kiln.kernels.Gemm;
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
 * Single-precision GEMM throughput, Kiln's kernels next to OpenBLAS on the same operands in the same
 * run: {@code sgemm} and {@code sgemmOpenBlas} on square products, {@code sgemmTrainingShapes} and
 * {@code sgemmTrainingShapesOpenBlas} on the products of a training step of the tutorials' layers.
 *
 * <p>Each benchmark runs in two modes. {@code avgt}: the average time of one product (ms/op), the
 * primary figure. {@code thrpt}: products per millisecond, and with it the secondary score
 * {@code gflops}, an {@link AuxCounters} counter that adds each product's floating-point operations
 * in millions (2 m n k / 10^6); JMH divides it by the measured time in the output unit, so the
 * {@code thrpt} row {@code :gflops} in "ops/ms" is MFLOP/ms, that is GFLOP/s. (JMH reports an
 * operations counter in {@code avgt} too, as its inverse: ms per MFLOP.)
 *
 * <p>Parameters: {@code kernels} picks Kiln's provider, {@code auto} (what {@code Gemm.gemm} uses:
 * the Vector API kernels when the JVM has {@code --add-modules jdk.incubator.vector}, as the fork
 * here does) or {@code scalar} (one thread); {@code threads} is {@code Kiln.setNumThreads} for Kiln
 * and {@code openblas_set_num_threads} for OpenBLAS, so {@code -p threads=1,2} measures both
 * libraries' two-thread gains in one run. The OpenBLAS benchmarks fail at setup, saying why, where
 * {@code libopenblas.so.0} cannot be loaded; the others still run.
 * <pre>
 * ./kiln bench GemmBench -f 1 -wi 3 -i 5 -w 1s -r 1s
 * ./kiln bench 'GemmBench.sgemm$' -p kernels=scalar
 * ./kiln bench 'GemmBench.sgemm(OpenBlas)?$' -p n=1024 -p threads=1,2
 * </pre>
 */
@BenchmarkMode({Mode.AverageTime, Mode.Throughput})
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class GemmBench {

    /** Operands of one product, filled with uniform values in [-1, 1), A and B stored as the layout says. */
    abstract static class Operands {
        int m;
        int n;
        int k;
        boolean transA;
        boolean transB;
        float[] a;
        float[] b;
        float[] c;
        boolean scalar;
        double mflop;

        void allocate(int m, int n, int k, boolean transA, boolean transB, String kernels, int threads) {
            this.m = m;
            this.n = n;
            this.k = k;
            this.transA = transA;
            this.transB = transB;
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
            scalar = switch (kernels) {
                case "auto" -> false;
                case "scalar" -> true;
                default -> throw new IllegalArgumentException("kernels: expected auto or scalar, but found " + kernels);
            };
            if (scalar && threads != 1) {
                throw new IllegalArgumentException("kernels=scalar runs on one thread, but threads=" + threads);
            }
            Kiln.setNumThreads(threads);
            mflop = 2.0 * m * n * k / 1e6;
        }

        /** C = op(A) op(B) by Kiln, the transposed operands read through their strides. */
        float[] multiply() {
            int aRs = transA ? 1 : k, aCs = transA ? m : 1, bRs = transB ? 1 : n, bCs = transB ? k : 1;
            if (scalar) {
                Kernels.scalar().sgemm(m, n, k, a, 0, aRs, aCs, b, 0, bRs, bCs, c, 0, n);
            } else {
                Gemm.gemm(m, n, k, a, 0, aRs, aCs, b, 0, bRs, bCs, c, 0);
            }
            return c;
        }

        /** The same product by OpenBLAS. */
        float[] multiplyOpenBlas() {
            OpenBlas.sgemm(transA, transB, m, n, k, a, b, c);
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

        @Param({"1"})
        public int threads;

        @Setup
        public void setup() {
            allocate(n, n, n, false, false, kernels, threads);
        }
    }

    /**
     * The products of one training step of a linear layer {@code layer} = batch x in x out: the
     * two-layer network's first layer (64x1000x100), fizzbuzz's (128x10x100, a shallow k) and the
     * MLP's (256x784x512). {@code pass}: {@code forward} is x W^T (m = batch, n = out, k = in, B
     * transposed, as Linear stores W out x in); {@code gradInput} is dY W (m = batch, n = in, k = out);
     * {@code gradWeight} is dY^T x (m = out, n = in, k = batch, A transposed).
     */
    @State(Scope.Thread)
    public static class Training extends Operands {
        @Param({"64x1000x100", "128x10x100", "256x784x512"})
        public String layer;

        @Param({"forward", "gradInput", "gradWeight"})
        public String pass;

        @Param({"auto"})
        public String kernels;

        @Param({"1"})
        public int threads;

        @Setup
        public void setup() {
            String[] sizes = layer.split("x");
            if (sizes.length != 3) {
                throw new IllegalArgumentException("layer: expected batch x in x out such as 64x1000x100, but found " + layer);
            }
            int batch = Integer.parseInt(sizes[0]), in = Integer.parseInt(sizes[1]), out = Integer.parseInt(sizes[2]);
            switch (pass) {
                case "forward" -> allocate(batch, out, in, false, true, kernels, threads);
                case "gradInput" -> allocate(batch, in, out, false, false, kernels, threads);
                case "gradWeight" -> allocate(out, in, batch, true, false, kernels, threads);
                default -> throw new IllegalArgumentException(
                        "pass: expected forward, gradInput or gradWeight, but found " + pass);
            }
        }
    }

    /** The Square operands for OpenBLAS, which is set to {@code threads} threads. */
    @State(Scope.Thread)
    public static class SquareOpenBlas extends Square {
        @Setup
        public void openBlas() {
            OpenBlas.setNumThreads(threads);
        }
    }

    /** The Training operands for OpenBLAS, which is set to {@code threads} threads. */
    @State(Scope.Thread)
    public static class TrainingOpenBlas extends Training {
        @Setup
        public void openBlas() {
            OpenBlas.setNumThreads(threads);
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
    public float[] sgemmOpenBlas(SquareOpenBlas s, Flops flops) {
        flops.gflops += s.mflop;
        return s.multiplyOpenBlas();
    }

    @Benchmark
    public float[] sgemmTrainingShapes(Training s, Flops flops) {
        flops.gflops += s.mflop;
        return s.multiply();
    }

    @Benchmark
    public float[] sgemmTrainingShapesOpenBlas(TrainingOpenBlas s, Flops flops) {
        flops.gflops += s.mflop;
        return s.multiplyOpenBlas();
    }
}
