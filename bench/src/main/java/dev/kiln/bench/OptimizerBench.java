package dev.kiln.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import dev.kiln.Kiln;
import dev.kiln.Parameter;
import dev.kiln.Tensor;
import dev.kiln.optim.Adagrad;
import dev.kiln.optim.Adam;
import dev.kiln.optim.AdamW;
import dev.kiln.optim.Optimizer;
import dev.kiln.optim.RMSprop;
import dev.kiln.optim.SGD;
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
 * One optimizer step alone, on the parameters of the tutorials' MLP (784 -> 512 -> 256 -> 10 with
 * biases: 535,818 float32 elements in six tensors) with fixed random gradients, and
 * {@code zeroGrad(false)} on the same gradients; in microseconds per call on one thread.
 *
 * <pre>./kiln bench OptimizerBench -f 1 -wi 3 -i 5</pre>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class OptimizerBench {

    /** The optimizer, with the options that give each its full state. */
    @State(Scope.Thread)
    public static class Setting {
        @Param({"sgd", "sgdMomentum", "adam", "adamW", "rmsprop", "adagrad"})
        public String optimizer;

        Optimizer instance;

        @Setup
        public void setup() {
            List<Parameter> params = mlpParameters();
            instance = switch (optimizer) {
                case "sgd" -> new SGD(params, 1e-3);
                case "sgdMomentum" -> SGD.builder(params).lr(1e-3).momentum(0.9).build();
                case "adam" -> new Adam(params, 1e-4);
                case "adamW" -> new AdamW(params, 1e-4);
                case "rmsprop" -> RMSprop.builder(params).lr(1e-4).momentum(0.9).centered(true).build();
                case "adagrad" -> new Adagrad(params, 1e-3);
                default -> throw new IllegalArgumentException("no optimizer " + optimizer);
            };
        }
    }

    /** The MLP's gradients, for {@code zeroGrad(false)}, which does not depend on the optimizer. */
    @State(Scope.Thread)
    public static class Gradients {
        Optimizer instance;

        @Setup
        public void setup() {
            instance = new SGD(mlpParameters());
        }
    }

    /** The MLP's parameters, each with a random gradient. */
    static List<Parameter> mlpParameters() {
        Kiln.manualSeed(1);
        int[][] shapes = {{512, 784}, {512}, {256, 512}, {256}, {10, 256}, {10}};
        List<Parameter> params = new ArrayList<>();
        for (int[] shape : shapes) {
            Parameter p = new Parameter(Tensor.randn(shape).times(0.05));
            p.setGrad(Tensor.randn(shape).times(0.01));
            params.add(p);
        }
        return params;
    }

    @Benchmark
    public Optimizer step(Setting s) {
        s.instance.step();
        return s.instance;
    }

    @Benchmark
    public Optimizer zeroGradInPlace(Gradients s) {
        s.instance.zeroGrad(false);
        return s.instance;
    }
}
