package dev.kiln.bench;

import java.util.concurrent.TimeUnit;

import dev.kiln.Kiln;
import dev.kiln.Tensor;
import dev.kiln.bench.models.FizzBuzzNet;
import dev.kiln.bench.models.FizzBuzzNetKiln;
import dev.kiln.bench.models.MlpNet;
import dev.kiln.bench.models.MlpNetKiln;
import dev.kiln.bench.models.RegressionNet;
import dev.kiln.bench.models.RegressionNetKiln;
import dev.kiln.bench.models.TemperatureNet;
import dev.kiln.bench.models.TemperatureNetKiln;
import dev.kiln.bench.models.ThreeClassNet;
import dev.kiln.bench.models.ThreeClassNetKiln;
import dev.kiln.bench.models.TwoLayerNet;
import dev.kiln.bench.models.TwoLayerNetKiln;
import dev.kiln.loss.CrossEntropyLoss;
import dev.kiln.loss.Loss;
import dev.kiln.loss.MSELoss;
import dev.kiln.loss.Reduction;
import dev.kiln.nn.Module;
import dev.kiln.optim.Adam;
import dev.kiln.optim.Optimizer;
import dev.kiln.optim.RMSprop;
import dev.kiln.optim.SGD;
import dev.kiln.optim.TrainingStep;
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
 * One full training step (zero the gradients, forward, loss, backward, optimizer step) of the
 * tutorial workloads, in microseconds per step on one thread: {@code _eager} as the tutorials write
 * it, through the tape ({@code new Name(...)}); {@code _compiled} with the class the {@code @Model}
 * processor generates ({@code new NameKiln(...)}) in a {@link TrainingStep}, whose generated step
 * runs the forward, the loss's gradient and the backward with no tape, then the optimizer's update.
 *
 * <p>Each workload is a {@link State} class that builds both variants from the same seed, so they
 * start from the same weights and train on the same fixed batch (random inputs, and int64 class
 * targets for cross-entropy). Its setup checks that both give a finite initial loss and that the two
 * agree. The PyTorch 1.13 figures to compare with are in {@code shared/TOOLCHAIN.md}.
 * <pre>
 * ./kiln bench TutorialBench -f 1 -wi 3 -i 5 -w 1s -r 1s
 * ./kiln bench 'TutorialBench.mlp_compiled' -p threads=1,2
 * </pre>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class TutorialBench {

    /** Seeds the data; the models are seeded with {@code SEED + 1}, both variants alike. */
    static final long SEED = 20_240_611L;

    /** A model, its optimizer and loss, and one fixed batch. */
    static final class Trainer {
        final Module model;
        final Optimizer optimizer;
        final Loss loss;
        final Tensor x;
        final Tensor y;
        /** The model, loss and optimizer bound together: tape-free for a generated model. */
        final TrainingStep trainingStep;

        Trainer(Module model, Optimizer optimizer, Loss loss, Tensor x, Tensor y) {
            this.model = model;
            this.optimizer = optimizer;
            this.loss = loss;
            this.x = x;
            this.y = y;
            this.trainingStep = TrainingStep.of(model, loss, optimizer);
        }

        /** One training step as the tutorials write it, through the tape; returns the loss (so that JMH consumes it). */
        Tensor step() {
            optimizer.zeroGrad();
            Tensor l = loss.invoke(model.invoke(x), y);
            l.backward();
            optimizer.step();
            return l;
        }

        /** The loss on the batch without recording or updating anything. */
        double currentLoss() {
            try (var noGrad = Kiln.noGrad()) {
                return loss.invoke(model.invoke(x), y).item();
            }
        }
    }

    /** A workload: how to build its model (eager or compiled), optimizer, loss and batch. */
    @State(Scope.Thread)
    public abstract static class Workload {
        /** {@code Kiln.setNumThreads}: 1 for the single-thread table; {@code -p threads=1,2} adds the two-thread rows. */
        @Param({"1"})
        public int threads;

        Trainer eager;
        Trainer compiled;

        abstract Module model(boolean compiled);

        abstract Optimizer optimizer(Module model);

        abstract Loss loss();

        /** The batch: {x, y}. */
        abstract Tensor[] data();

        @Setup(Level.Trial)
        public void setup() {
            Kiln.setNumThreads(threads);
            Kiln.manualSeed(SEED);
            Tensor[] xy = data();
            eager = trainer(false, xy);
            compiled = trainer(true, xy);
            if (!compiled.trainingStep.fused()) {
                throw new IllegalStateException(getClass().getSimpleName() + ": the compiled model's training step is not fused");
            }
            double le = eager.currentLoss();
            double lc = compiled.currentLoss();
            String name = getClass().getSimpleName();
            if (!Double.isFinite(le) || !Double.isFinite(lc)) {
                throw new IllegalStateException(name + ": non-finite initial loss, eager " + le + ", compiled " + lc);
            }
            if (Math.abs(le - lc) > 1e-3 * Math.max(1, Math.abs(le))) {
                throw new IllegalStateException(name + ": initial losses differ, eager " + le + ", compiled " + lc);
            }
        }

        private Trainer trainer(boolean compiled, Tensor[] xy) {
            Kiln.manualSeed(SEED + 1);
            Module model = model(compiled);
            return new Trainer(model, optimizer(model), loss(), xy[0], xy[1]);
        }
    }

    /** x 64x1000 -> 100 -> 10, no biases, ReLU as clampMin(0); sum-reduced MSE. */
    abstract static class TwoLayer extends Workload {
        @Override
        Module model(boolean compiled) {
            return compiled ? new TwoLayerNetKiln(1000, 100, 10) : new TwoLayerNet(1000, 100, 10);
        }

        @Override
        Loss loss() {
            return new MSELoss(Reduction.SUM);
        }

        @Override
        Tensor[] data() {
            return new Tensor[] {Tensor.randn(64, 1000), Tensor.randn(64, 10)};
        }
    }

    /** {@link TwoLayer} with SGD, lr 1e-4. */
    @State(Scope.Thread)
    public static class TwolayerSgd extends TwoLayer {
        @Override
        Optimizer optimizer(Module model) {
            return new SGD(model.parameters(), 1e-4);
        }
    }

    /** {@link TwoLayer} with Adam, lr 1e-4. */
    @State(Scope.Thread)
    public static class TwolayerAdam extends TwoLayer {
        @Override
        Optimizer optimizer(Module model) {
            return new Adam(model.parameters(), 1e-4);
        }
    }

    /** x 128x10 -> 100 (ReLU) -> 4 logits; cross-entropy; SGD lr 0.05. */
    @State(Scope.Thread)
    public static class Fizzbuzz extends Workload {
        @Override
        Module model(boolean compiled) {
            return compiled ? new FizzBuzzNetKiln(10, 100, 4) : new FizzBuzzNet(10, 100, 4);
        }

        @Override
        Optimizer optimizer(Module model) {
            return new SGD(model.parameters(), 0.05);
        }

        @Override
        Loss loss() {
            return new CrossEntropyLoss();
        }

        @Override
        Tensor[] data() {
            return new Tensor[] {Tensor.randn(128, 10), Tensor.randint(0, 4, 128)};
        }
    }

    /** x 16x13 -> 128 (sigmoid) -> 1; mean MSE; Adam lr 1e-3. */
    @State(Scope.Thread)
    public static class Temperature extends Workload {
        @Override
        Module model(boolean compiled) {
            return compiled ? new TemperatureNetKiln(13, 128) : new TemperatureNet(13, 128);
        }

        @Override
        Optimizer optimizer(Module model) {
            return new Adam(model.parameters(), 1e-3);
        }

        @Override
        Loss loss() {
            return new MSELoss();
        }

        @Override
        Tensor[] data() {
            return new Tensor[] {Tensor.randn(16, 13), Tensor.randn(16, 1)};
        }
    }

    /** x 500x20 -> 13 (ReLU) -> 8 (sigmoid) -> 3 logits; cross-entropy; SGD lr 0.1, momentum 0.9. */
    @State(Scope.Thread)
    public static class Threeclass extends Workload {
        @Override
        Module model(boolean compiled) {
            return compiled ? new ThreeClassNetKiln(20, 13, 8, 3) : new ThreeClassNet(20, 13, 8, 3);
        }

        @Override
        Optimizer optimizer(Module model) {
            return SGD.builder(model.parameters()).lr(0.1).momentum(0.9).build();
        }

        @Override
        Loss loss() {
            return new CrossEntropyLoss();
        }

        @Override
        Tensor[] data() {
            return new Tensor[] {Tensor.randn(500, 20), Tensor.randint(0, 3, 500)};
        }
    }

    /** x 32x1 -> 20 (ReLU) -> 1; mean MSE; RMSprop lr 0.01, alpha 0.9. */
    @State(Scope.Thread)
    public static class Regression extends Workload {
        @Override
        Module model(boolean compiled) {
            return compiled ? new RegressionNetKiln(1, 20, 1) : new RegressionNet(1, 20, 1);
        }

        @Override
        Optimizer optimizer(Module model) {
            return RMSprop.builder(model.parameters()).lr(0.01).alpha(0.9).build();
        }

        @Override
        Loss loss() {
            return new MSELoss();
        }

        @Override
        Tensor[] data() {
            return new Tensor[] {Tensor.randn(32, 1), Tensor.randn(32, 1)};
        }
    }

    /** x 256x784 -> 512 (ReLU) -> 256 (ReLU) -> 10 logits; cross-entropy; Adam lr 1e-3. */
    @State(Scope.Thread)
    public static class Mlp extends Workload {
        @Override
        Module model(boolean compiled) {
            return compiled ? new MlpNetKiln(784, 512, 256, 10) : new MlpNet(784, 512, 256, 10);
        }

        @Override
        Optimizer optimizer(Module model) {
            return new Adam(model.parameters(), 1e-3);
        }

        @Override
        Loss loss() {
            return new CrossEntropyLoss();
        }

        @Override
        Tensor[] data() {
            return new Tensor[] {Tensor.rand(256, 784), Tensor.randint(0, 10, 256)};
        }
    }

    @Benchmark
    public Tensor twolayerSgd_eager(TwolayerSgd w) {
        return w.eager.step();
    }

    @Benchmark
    public double twolayerSgd_compiled(TwolayerSgd w) {
        return w.compiled.trainingStep.step(w.compiled.x, w.compiled.y);
    }

    @Benchmark
    public Tensor twolayerAdam_eager(TwolayerAdam w) {
        return w.eager.step();
    }

    @Benchmark
    public double twolayerAdam_compiled(TwolayerAdam w) {
        return w.compiled.trainingStep.step(w.compiled.x, w.compiled.y);
    }

    @Benchmark
    public Tensor fizzbuzz_eager(Fizzbuzz w) {
        return w.eager.step();
    }

    @Benchmark
    public double fizzbuzz_compiled(Fizzbuzz w) {
        return w.compiled.trainingStep.step(w.compiled.x, w.compiled.y);
    }

    @Benchmark
    public Tensor temperature_eager(Temperature w) {
        return w.eager.step();
    }

    @Benchmark
    public double temperature_compiled(Temperature w) {
        return w.compiled.trainingStep.step(w.compiled.x, w.compiled.y);
    }

    @Benchmark
    public Tensor threeclass_eager(Threeclass w) {
        return w.eager.step();
    }

    @Benchmark
    public double threeclass_compiled(Threeclass w) {
        return w.compiled.trainingStep.step(w.compiled.x, w.compiled.y);
    }

    @Benchmark
    public Tensor regression_eager(Regression w) {
        return w.eager.step();
    }

    @Benchmark
    public double regression_compiled(Regression w) {
        return w.compiled.trainingStep.step(w.compiled.x, w.compiled.y);
    }

    @Benchmark
    public Tensor mlp_eager(Mlp w) {
        return w.eager.step();
    }

    @Benchmark
    public double mlp_compiled(Mlp w) {
        return w.compiled.trainingStep.step(w.compiled.x, w.compiled.y);
    }
}
