package dev.kiln.bench;

import java.util.concurrent.TimeUnit;

import dev.kiln.Kiln;
import dev.kiln.Tensor;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Eager tensor operations: a float32 GEMM, and one forward + backward of the two-layer network of
 * the tutorials (64x1000 -> 100 -> 10, ReLU, summed squared error) without the optimizer step.
 *
 * <pre>java --add-modules=jdk.incubator.vector -jar bench/target/benchmarks.jar TensorOpsBench</pre>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
public class TensorOpsBench {

    /** Two random n x n float32 matrices; a separate state so that n does not multiply the other benchmark. */
    @State(Scope.Thread)
    public static class Matrices {
        @Param({"64", "256"})
        public int n;

        Tensor a;
        Tensor b;

        @Setup
        public void setup() {
            Kiln.manualSeed(1);
            a = Tensor.randn(n, n);
            b = Tensor.randn(n, n);
        }
    }

    /** The two-layer network's data and weights; only w1 and w2 require grad, as in the tutorial. */
    @State(Scope.Thread)
    public static class TwoLayer {
        Tensor x;
        Tensor y;
        Tensor w1;
        Tensor w2;

        @Setup
        public void setup() {
            Kiln.manualSeed(1);
            x = Tensor.randn(64, 1000);
            y = Tensor.randn(64, 10);
            w1 = Tensor.randn(1000, 100).requiresGrad(true);
            w2 = Tensor.randn(100, 10).requiresGrad(true);
        }
    }

    @Benchmark
    public Tensor mm(Matrices m) {
        return m.a.mm(m.b);
    }

    /**
     * Forward and backward. The grads are cleared first, as a training loop's {@code zero_grad}
     * (set to none) does, so that backward writes fresh ones instead of accumulating forever.
     */
    @Benchmark
    public Tensor forwardBackward(TwoLayer s) {
        s.w1.setGrad(null);
        s.w2.setGrad(null);
        Tensor loss = s.x.mm(s.w1).clampMin(0).mm(s.w2).minus(s.y).pow(2).sum();
        loss.backward();
        return s.w1.grad();
    }
}
