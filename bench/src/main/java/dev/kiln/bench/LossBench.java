package dev.kiln.bench;

import java.util.concurrent.TimeUnit;

import dev.kiln.Kiln;
import dev.kiln.Tensor;
import dev.kiln.loss.CrossEntropyLoss;
import dev.kiln.loss.Loss;
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
 * The classification loss of the tutorials on its own, in microseconds: cross-entropy forward and
 * backward on float32 logits (log-softmax of each row, the negative log-likelihood of the targets,
 * and the gradient back through both), and the softmax of the rows alone. {@code logits} is batch x
 * classes: threeclass's 500 x 3, fizzbuzz's 128 x 4 and the MLP's 256 x 10.
 * <pre>
 * ./kiln bench LossBench -f 1 -wi 3 -i 5 -w 1s -r 1s
 * </pre>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class LossBench {

    /** Random logits that require grad and random int64 class targets. */
    @State(Scope.Thread)
    public static class Logits {
        @Param({"500x3", "128x4", "256x10"})
        public String logits;

        Tensor x;
        Tensor y;
        final Loss loss = new CrossEntropyLoss();

        @Setup
        public void setup() {
            String[] sizes = logits.split("x");
            if (sizes.length != 2) {
                throw new IllegalArgumentException("logits: expected batch x classes such as 500x3, but found " + logits);
            }
            int batch = Integer.parseInt(sizes[0]), classes = Integer.parseInt(sizes[1]);
            Kiln.manualSeed(7);
            x = Tensor.randn(batch, classes).requiresGrad(true);
            y = Tensor.randint(0, classes, batch);
        }
    }

    /** Forward and backward, the gradient cleared first as a training step's {@code zero_grad} does. */
    @Benchmark
    public Tensor crossEntropy(Logits s) {
        s.x.setGrad(null);
        Tensor l = s.loss.invoke(s.x, s.y);
        l.backward();
        return s.x.grad();
    }

    /** The softmax of each row, nothing recorded. */
    @Benchmark
    public Tensor softmax(Logits s) {
        try (var noGrad = Kiln.noGrad()) {
            return s.x.softmax(1);
        }
    }
}
