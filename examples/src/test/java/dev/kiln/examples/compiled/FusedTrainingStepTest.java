package dev.kiln.examples.compiled;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.DType;
import dev.kiln.Generator;
import dev.kiln.Kiln;
import dev.kiln.Parameter;
import dev.kiln.Tensor;
import dev.kiln.examples.models.BranchNet;
import dev.kiln.examples.models.BranchNetKiln;
import dev.kiln.examples.models.DropoutNet;
import dev.kiln.examples.models.DropoutNetKiln;
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
import dev.kiln.loss.BCEWithLogitsLoss;
import dev.kiln.loss.CrossEntropyLoss;
import dev.kiln.loss.L1Loss;
import dev.kiln.loss.Loss;
import dev.kiln.loss.MSELoss;
import dev.kiln.loss.NLLLoss;
import dev.kiln.loss.Reduction;
import dev.kiln.nn.Module;
import dev.kiln.optim.Adam;
import dev.kiln.optim.Optimizer;
import dev.kiln.optim.RMSprop;
import dev.kiln.optim.SGD;
import dev.kiln.optim.TrainingStep;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The generated, tape-free training step ({@link TrainingStep} of a {@code <Model>Kiln}) against the
 * tutorials' eager step on the same weights: the loss, every gradient and every parameter after each
 * update agree (relative error at most 1e-5 in float32, 1e-12 in float64).
 */
class FusedTrainingStepTest {
    private static <M extends Module> M sameWeights(Module eager, M compiled) {
        compiled.loadStateDict(eager.stateDict(), true);
        return compiled;
    }

    private static void assertClose(Tensor actual, Tensor expected, double tolerance, String what) {
        assertThat(actual.shape()).as(what + " shape").isEqualTo(expected.shape());
        double[] a = actual.to(DType.FLOAT64).contiguous().toDoubleArray();
        double[] e = expected.to(DType.FLOAT64).contiguous().toDoubleArray();
        double scale = 0, error = 0;
        for (int i = 0; i < e.length; i++) {
            scale = Math.max(scale, Math.abs(e[i]));
            error = Math.max(error, Math.abs(a[i] - e[i]));
        }
        assertThat(error).as(what + ": max |fused - eager| against max |eager| = " + scale)
                .isLessThanOrEqualTo(tolerance * Math.max(scale, 1e-3));
    }

    /** {@code steps} steps of each; returns the fused step for further checks. */
    private static TrainingStep stepSideBySide(Module eager, Module compiled, Loss loss,
                                               Function<Module, Optimizer> optimizer, Tensor x, Tensor y,
                                               int steps, double tolerance) {
        Optimizer eagerOpt = optimizer.apply(eager);
        TrainingStep fused = TrainingStep.of(compiled, loss, optimizer.apply(compiled));
        Map<String, Parameter> eagerParams = eager.namedParameters();
        Map<String, Parameter> fusedParams = compiled.namedParameters();
        // the fused step writes into the gradients it made at the first step; the eager one replaces them
        boolean expectFused = fused.fused() && !x.requiresGrad();
        Map<String, Tensor> firstGrads = new java.util.HashMap<>();
        for (int step = 0; step < steps; step++) {
            eagerOpt.zeroGrad();
            Tensor value = loss.invoke(eager.invoke(x), y);
            value.backward();
            eagerOpt.step();
            double fusedValue = fused.step(x, y);
            assertThat(Math.abs(fusedValue - value.item())).as("loss at step " + step + ": " + fusedValue + " vs " + value.item())
                    .isLessThanOrEqualTo(tolerance * Math.max(1, Math.abs(value.item())));
            for (String name : eagerParams.keySet()) {
                if (eagerParams.get(name).grad() == null) {
                    assertThat(fusedParams.get(name).grad()).as(name + ".grad").isNull();
                    continue;
                }
                assertClose(fusedParams.get(name).grad(), eagerParams.get(name).grad(), tolerance, name + ".grad at step " + step);
                assertClose(fusedParams.get(name), eagerParams.get(name), tolerance, name + " after step " + step);
                Tensor first = firstGrads.computeIfAbsent(name, k -> fusedParams.get(k).grad());
                assertThat(fusedParams.get(name).grad() == first).as(name + ".grad reused: the fused path ran")
                        .isEqualTo(expectFused || step == 0);
            }
        }
        return fused;
    }

    private static Tensor classes(Generator g, int n, int k) {
        return Tensor.randint(0, k, g, n);
    }

    @Test
    void twoLayerNetWithSumSquaredErrorAndSgd() {
        Generator g = new Generator(1);
        TwoLayerNet eager = new TwoLayerNet(100, 30, 10);
        TwoLayerNetKiln compiled = sameWeights(eager, new TwoLayerNetKiln(100, 30, 10));
        TrainingStep step = stepSideBySide(eager, compiled, new MSELoss(Reduction.SUM), m -> new SGD(m.parameters(), 1e-4),
                Tensor.randn(g, 64, 100), Tensor.randn(g, 64, 10), 4, 1e-5);
        assertThat(step.fused()).isTrue();
        assertThat(step.toString()).endsWith(", fused]");
    }

    @Test
    void parameterProductsWithAdam() {
        Generator g = new Generator(12);
        ParameterNet eager = new ParameterNet(50, 20, 10);
        ParameterNetKiln compiled = sameWeights(eager, new ParameterNetKiln(50, 20, 10));
        stepSideBySide(eager, compiled, new MSELoss(Reduction.SUM), m -> new Adam(m.parameters(), 1e-3),
                Tensor.randn(g, 32, 50), Tensor.randn(g, 32, 10), 3, 1e-5);
        TransposedParameterNet eager2 = new TransposedParameterNet();
        TransposedParameterNetKiln compiled2 = sameWeights(eager2, new TransposedParameterNetKiln());
        stepSideBySide(eager2, compiled2, new CrossEntropyLoss(), m -> new SGD(m.parameters(), 0.1),
                Tensor.randn(g, 9, 5), classes(g, 9, 3), 3, 1e-5);
    }

    @Test
    void branchesWithAdam() {
        Generator g = new Generator(13);
        BranchNet eager = new BranchNet();
        BranchNetKiln compiled = sameWeights(eager, new BranchNetKiln());
        stepSideBySide(eager, compiled, new CrossEntropyLoss(), m -> new Adam(m.parameters(), 1e-2),
                Tensor.randn(g, 10, 6), classes(g, 10, 3), 3, 1e-5);
    }

    @Test
    void threeClassClassifierWithCrossEntropyAndMomentum() {
        Generator g = new Generator(2);
        ThreeClassNet eager = new ThreeClassNet();
        ThreeClassNetKiln compiled = sameWeights(eager, new ThreeClassNetKiln());
        stepSideBySide(eager, compiled, new CrossEntropyLoss(),
                m -> SGD.builder(m.parameters()).lr(0.1).momentum(0.9).build(),
                Tensor.randn(g, 50, 20), classes(g, 50, 3), 4, 1e-5);
    }

    /**
     * A layer whose weight gradient and input gradient (256 x 256 x 256 each) are large enough to run
     * side by side on two threads: the same bits as on one thread after three Adam steps, and the
     * eager step's results.
     */
    @Test
    void productsSideBySideOnTwoThreadsGiveTheBitsOfOneThread() {
        sameBitsOnOneAndTwoThreads(128, 256, 256, 11);
    }

    /**
     * A first layer split by columns on two threads (256 x 512 x 256), each block computed apart or in
     * place and passed through the bias and the ReLU by its own thread: the same bits as on one
     * thread after three Adam steps, and the eager step's results.
     */
    @Test
    void aFirstLayerSplitOverTwoThreadsGivesTheBitsOfOneThread() {
        sameBitsOnOneAndTwoThreads(256, 512, 16, 12);
    }

    /** A RegressionNet of these sizes over a batch of 256, trained on one thread and on two. */
    private static void sameBitsOnOneAndTwoThreads(int features, int hidden, int outputs, long seed) {
        Assumptions.assumeTrue(Runtime.getRuntime().availableProcessors() >= 2,
                "one processor: no second thread to run a product on");
        Generator g = new Generator(seed);
        RegressionNet eager = new RegressionNet(features, hidden, outputs);
        Tensor x = Tensor.randn(g, 256, features), y = Tensor.randn(g, 256, outputs);
        int before = Kiln.numThreads();
        try {
            Map<String, float[]> one = new java.util.TreeMap<>();
            for (int threads : new int[] {1, 2}) {
                Kiln.setNumThreads(threads);
                RegressionNetKiln compiled = sameWeights(eager, new RegressionNetKiln(features, hidden, outputs));
                TrainingStep step = TrainingStep.of(compiled, new MSELoss(), new Adam(compiled.parameters(), 1e-3));
                for (int i = 0; i < 3; i++) {
                    step.step(x, y);
                }
                for (Map.Entry<String, Parameter> p : compiled.namedParameters().entrySet()) {
                    float[] value = p.getValue().toFloatArray(), grad = p.getValue().grad().toFloatArray();
                    if (threads == 1) {
                        one.put(p.getKey(), value);
                        one.put(p.getKey() + ".grad", grad);
                    } else {
                        assertThat(value).as(p.getKey() + " on two threads").isEqualTo(one.get(p.getKey()));
                        assertThat(grad).as(p.getKey() + ".grad on two threads").isEqualTo(one.get(p.getKey() + ".grad"));
                    }
                }
            }
            RegressionNetKiln compiled = sameWeights(eager, new RegressionNetKiln(features, hidden, outputs));
            stepSideBySide(eager, compiled, new MSELoss(), m -> new Adam(m.parameters(), 1e-3), x, y, 2, 1e-5);
        } finally {
            Kiln.setNumThreads(before);
        }
    }

    @Test
    void regressionNetWithRmsprop() {
        Generator g = new Generator(3);
        RegressionNet eager = new RegressionNet(1, 20, 1);
        RegressionNetKiln compiled = sameWeights(eager, new RegressionNetKiln(1, 20, 1));
        stepSideBySide(eager, compiled, new MSELoss(), m -> RMSprop.builder(m.parameters()).lr(0.01).alpha(0.9).build(),
                Tensor.randn(g, 32, 1), Tensor.randn(g, 32, 1), 4, 1e-5);
    }

    @Test
    void temperatureNetWithAdamAndL1() {
        Generator g = new Generator(4);
        TemperatureNet eager = new TemperatureNet();
        TemperatureNetKiln compiled = sameWeights(eager, new TemperatureNetKiln());
        stepSideBySide(eager, compiled, new L1Loss(), m -> new Adam(m.parameters(), 1e-3),
                Tensor.randn(g, 16, 13), Tensor.randn(g, 16, 1), 4, 1e-5);
    }

    @Test
    void logSoftmaxOutputWithNllAndAnIgnoredSample() {
        Generator g = new Generator(5);
        TwoClassNet eager = new TwoClassNet();
        TwoClassNetKiln compiled = sameWeights(eager, new TwoClassNetKiln());
        Tensor y = classes(g, 17, 2);
        y.set(3, -100);
        stepSideBySide(eager, compiled, new NLLLoss(), m -> new SGD(m.parameters(), 0.1), Tensor.randn(g, 17, 2), y, 4, 1e-5);
    }

    @Test
    void float64ModelsAgreeTo1e12() {
        Generator g = new Generator(6);
        ThreeClassNet eager;
        ThreeClassNetKiln compiled;
        Kiln.setDefaultDtype(DType.FLOAT64);
        try {
            eager = new ThreeClassNet();
            compiled = sameWeights(eager, new ThreeClassNetKiln());
        } finally {
            Kiln.setDefaultDtype(DType.FLOAT32);
        }
        stepSideBySide(eager, compiled, new CrossEntropyLoss(), m -> new Adam(m.parameters(), 1e-2),
                Tensor.randn(g, 30, 20).to(DType.FLOAT64), classes(g, 30, 3), 3, 1e-12);
    }

    @Test
    void dropoutInTrainingModeDrawsTheSameMasks() {
        Generator g = new Generator(7);
        DropoutNet eager = new DropoutNet();
        DropoutNetKiln compiled = sameWeights(eager, new DropoutNetKiln());
        Tensor x = Tensor.randn(g, 9, 7), y = Tensor.randn(g, 9, 3);
        SGD eagerSgd = new SGD(eager.parameters(), 0.05);
        TrainingStep fused = TrainingStep.of(compiled, new MSELoss(), new SGD(compiled.parameters(), 0.05));
        for (int step = 0; step < 3; step++) {
            Kiln.manualSeed(200 + step);
            eagerSgd.zeroGrad();
            Tensor value = new MSELoss().invoke(eager.invoke(x), y);
            value.backward();
            eagerSgd.step();
            Kiln.manualSeed(200 + step);
            assertThat(fused.step(x, y)).isCloseTo(value.item(), org.assertj.core.api.Assertions.within(1e-5));
            for (var e : eager.namedParameters().entrySet()) {
                assertClose(compiled.namedParameters().get(e.getKey()), e.getValue(), 1e-5, e.getKey());
            }
        }
    }

    @Test
    void aFlattenedImageModelWithAResidualBlock() {
        Generator g = new Generator(8);
        ImageNet eager = new ImageNet(3, 4);
        ImageNetKiln compiled = sameWeights(eager, new ImageNetKiln(3, 4));
        Tensor x = Tensor.randn(g, 6, 3, 4);
        Tensor y = Tensor.randn(g, eager.invoke(x).shape().toArray());
        stepSideBySide(eager, compiled, new MSELoss(), m -> new SGD(m.parameters(), 0.05), x, y, 3, 1e-5);
    }

    @Test
    void whatTheFusedGradientDoesNotTakeRunsEagerlyWithTheSameResults() {
        Generator g = new Generator(9);
        TwoLayerNet eager = new TwoLayerNet(6, 5, 4);
        TwoLayerNetKiln compiled = sameWeights(eager, new TwoLayerNetKiln(6, 5, 4));
        Tensor x = Tensor.randn(g, 8, 6);
        // settings and a loss without a fused gradient, and an input that requires grad
        stepSideBySide(eager, compiled, CrossEntropyLoss.builder().labelSmoothing(0.1).build(),
                m -> new SGD(m.parameters(), 0.05), x, classes(g, 8, 4), 2, 1e-5);
        stepSideBySide(eager, compiled, new BCEWithLogitsLoss(), m -> new SGD(m.parameters(), 0.05), x,
                Tensor.rand(g, 8, 4), 2, 1e-5);
        stepSideBySide(eager, compiled, new MSELoss(), m -> new SGD(m.parameters(), 0.05), x.detach().requiresGrad(true),
                Tensor.randn(g, 8, 4), 2, 1e-5);
        TrainingStep step = TrainingStep.of(compiled, new CrossEntropyLoss(), new SGD(compiled.parameters(), 0.1));
        assertThatThrownBy(() -> step.step(x, Tensor.of(0, 1, 2, 3, 4, 0, 1, 2)))
                .hasMessageContaining("target 4 at position [4] is out of range for 4 classes");
    }

    @Test
    void frozenParametersKeepNoGradientAndStayPut() {
        Generator g = new Generator(10);
        ThreeClassNet eager = new ThreeClassNet();
        ThreeClassNetKiln compiled = sameWeights(eager, new ThreeClassNetKiln());
        for (Module m : new Module[] {eager, compiled}) {
            m.namedParameters().get("hidden.weight").requiresGrad(false);
        }
        Tensor frozen = compiled.namedParameters().get("hidden.weight").detach().clone();
        stepSideBySide(eager, compiled, new CrossEntropyLoss(), m -> new SGD(m.parameters(), 0.1),
                Tensor.randn(g, 12, 20), classes(g, 12, 3), 2, 1e-5);
        assertThat(compiled.namedParameters().get("hidden.weight").grad()).isNull();
        assertThat(compiled.namedParameters().get("hidden.weight").toFloatArray()).isEqualTo(frozen.toFloatArray());
    }

    @Test
    void theGradientStorageIsReusedFromStepToStep() {
        Generator g = new Generator(11);
        TemperatureNetKiln model = new TemperatureNetKiln();
        TrainingStep step = TrainingStep.of(model, new MSELoss(), new SGD(model.parameters(), 0.01));
        Tensor x = Tensor.randn(g, 16, 13), y = Tensor.randn(g, 16, 1);
        step.step(x, y);
        Tensor grad = model.namedParameters().get("layers.0.weight").grad();
        step.step(x, y);
        assertThat(model.namedParameters().get("layers.0.weight").grad()).isSameAs(grad);
    }
}
