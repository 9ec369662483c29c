package dev.kiln.examples.compiled;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.Generator;
import dev.kiln.Kiln;
import dev.kiln.Parameter;
import dev.kiln.Tensor;
import dev.kiln.autograd.GradMode;
import dev.kiln.examples.models.BranchNet;
import dev.kiln.examples.models.BranchNetKiln;
import dev.kiln.examples.models.DropoutNet;
import dev.kiln.examples.models.ImageNet;
import dev.kiln.examples.models.ImageNetKiln;
import dev.kiln.examples.models.DropoutNetKiln;
import dev.kiln.examples.models.ParameterNet;
import dev.kiln.examples.models.ParameterNetKiln;
import dev.kiln.examples.models.RegressionNet;
import dev.kiln.examples.models.ReshapeNet;
import dev.kiln.examples.models.ReshapeNetKiln;
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
import dev.kiln.loss.CrossEntropyLoss;
import dev.kiln.loss.MSELoss;
import dev.kiln.loss.NLLLoss;
import dev.kiln.loss.Reduction;
import dev.kiln.nn.Module;
import dev.kiln.optim.SGD;
import java.util.Map;
import java.util.function.BinaryOperator;
import org.junit.jupiter.api.Test;

/**
 * The generated {@code <Model>Kiln} classes against their eager models: the same weights and
 * inputs give the same outputs and the same gradients (relative error at most 1e-5 in float32)
 * over three SGD steps.
 */
class CompiledEquivalenceTest {
    private static final double TOLERANCE = 1e-5;

    /** Copies {@code eager}'s weights into {@code compiled}. */
    private static <M extends Module> M sameWeights(Module eager, M compiled) {
        compiled.loadStateDict(eager.stateDict(), true);
        return compiled;
    }

    private static void assertClose(Tensor actual, Tensor expected, String what) {
        assertThat(actual.shape()).as(what + " shape").isEqualTo(expected.shape());
        float[] a = actual.contiguous().toFloatArray();
        float[] e = expected.contiguous().toFloatArray();
        double scale = 0;
        double error = 0;
        for (int i = 0; i < e.length; i++) {
            scale = Math.max(scale, Math.abs(e[i]));
            error = Math.max(error, Math.abs(a[i] - e[i]));
        }
        assertThat(error).as(what + ": max |compiled - eager| against max |eager| = " + scale)
                .isLessThanOrEqualTo(TOLERANCE * Math.max(scale, 1e-3));
    }

    /** Three SGD steps on each model with the same data; outputs and every gradient agree at each. */
    private static void trainSideBySide(Module eager, Module compiled, Tensor x, Tensor target,
                                        BinaryOperator<Tensor> loss, boolean inputGrad) {
        SGD eagerSgd = new SGD(eager.parameters(), 0.05);
        SGD compiledSgd = new SGD(compiled.parameters(), 0.05);
        Map<String, Parameter> eagerParams = eager.namedParameters();
        Map<String, Parameter> compiledParams = compiled.namedParameters();
        assertThat(compiledParams.keySet()).isEqualTo(eagerParams.keySet());
        for (int step = 0; step < 3; step++) {
            eagerSgd.zeroGrad();
            compiledSgd.zeroGrad();
            Tensor xe = x.detach().requiresGrad(inputGrad);
            Tensor xc = x.detach().requiresGrad(inputGrad);
            Tensor ye = eager.invoke(xe);
            Tensor yc = compiled.invoke(xc);
            assertThat(yc.gradFn().name()).isEqualTo(compiled.getClass().getSimpleName() + "Backward");
            assertClose(yc, ye, "output at step " + step);
            loss.apply(ye, target).backward();
            loss.apply(yc, target).backward();
            for (String name : eagerParams.keySet()) {
                assertClose(compiledParams.get(name).grad(), eagerParams.get(name).grad(), name + ".grad at step " + step);
            }
            if (inputGrad) {
                assertClose(xc.grad(), xe.grad(), "x.grad at step " + step);
            }
            eagerSgd.step();
            compiledSgd.step();
        }
    }

    private static Tensor classes(Generator g, int n, int k) {
        return Tensor.randint(0, k, g, n);
    }

    @Test
    void twoLayerNet() {
        Generator g = new Generator(1);
        TwoLayerNet eager = new TwoLayerNet(1000, 100, 10);
        TwoLayerNetKiln compiled = sameWeights(eager, new TwoLayerNetKiln(1000, 100, 10));
        MSELoss mse = new MSELoss(Reduction.SUM);
        trainSideBySide(eager, compiled, Tensor.randn(g, 64, 1000), Tensor.randn(g, 64, 10), mse::forward, false);
    }

    @Test
    void threeClassClassifierWithMixedBiases() {
        Generator g = new Generator(2);
        ThreeClassNet eager = new ThreeClassNet();
        ThreeClassNetKiln compiled = sameWeights(eager, new ThreeClassNetKiln());
        CrossEntropyLoss ce = new CrossEntropyLoss();
        trainSideBySide(eager, compiled, Tensor.randn(g, 50, 20), classes(g, 50, 3), ce::forward, true);
    }

    @Test
    void regressionNet() {
        Generator g = new Generator(3);
        RegressionNet eager = new RegressionNet(1, 10, 1);
        RegressionNetKiln compiled = sameWeights(eager, new RegressionNetKiln(1, 10, 1));
        MSELoss mse = new MSELoss();
        trainSideBySide(eager, compiled, Tensor.randn(g, 32, 1), Tensor.randn(g, 32, 1), mse::forward, false);
    }

    @Test
    void twoClassClassifierWithLogSoftmax() {
        Generator g = new Generator(4);
        TwoClassNet eager = new TwoClassNet();
        TwoClassNetKiln compiled = sameWeights(eager, new TwoClassNetKiln());
        NLLLoss nll = new NLLLoss();
        trainSideBySide(eager, compiled, Tensor.randn(g, 17, 2), classes(g, 17, 2), nll::forward, true);
    }

    @Test
    void temperatureNet() {
        Generator g = new Generator(5);
        TemperatureNet eager = new TemperatureNet();
        TemperatureNetKiln compiled = sameWeights(eager, new TemperatureNetKiln());
        MSELoss mse = new MSELoss();
        trainSideBySide(eager, compiled, Tensor.randn(g, 16, 13), Tensor.randn(g, 16, 1), mse::forward, false);
    }

    @Test
    void parametersMultipliedWithMm() {
        Generator g = new Generator(15);
        ParameterNet eager = new ParameterNet(100, 30, 10);
        ParameterNetKiln compiled = sameWeights(eager, new ParameterNetKiln(100, 30, 10));
        MSELoss mse = new MSELoss(Reduction.SUM);
        trainSideBySide(eager, compiled, Tensor.randn(g, 64, 100), Tensor.randn(g, 64, 10), mse::forward, true);
    }

    @Test
    void transposedParametersMultipliedWithMatmulNextToALayer() {
        Generator g = new Generator(16);
        TransposedParameterNet eager = new TransposedParameterNet();
        TransposedParameterNetKiln compiled = sameWeights(eager, new TransposedParameterNetKiln());
        MSELoss mse = new MSELoss();
        trainSideBySide(eager, compiled, Tensor.randn(g, 7, 5), Tensor.randn(g, 7, 3), mse::forward, true);
        // matmul takes leading dimensions as rows
        Tensor x = Tensor.randn(g, 2, 3, 5);
        assertClose(compiled.invoke(x), eager.invoke(x), "output of a 3-d input");
    }

    @Test
    void mmTakesMatricesOnlyAndAWrongWeightGetsTheEagerMessage() {
        Generator g = new Generator(17);
        ParameterNet eager = new ParameterNet(4, 3, 2);
        ParameterNetKiln compiled = sameWeights(eager, new ParameterNetKiln(4, 3, 2));
        Tensor x3 = Tensor.randn(g, 2, 5, 4);
        String expected = null;
        try {
            eager.invoke(x3);
        } catch (IllegalArgumentException e) {
            expected = e.getMessage();
        }
        assertThat(expected).isNotNull();
        assertThatThrownBy(() -> compiled.invoke(x3)).isInstanceOf(IllegalArgumentException.class).hasMessage(expected);
        assertThatThrownBy(() -> compiled.invoke(Tensor.randn(g, 2, 5)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("mm: shapes (2x5) and (4x3) cannot be multiplied");
    }

    @Test
    void dropoutInEvalModeIsTheIdentityAndScalarOpsMatch() {
        Generator g = new Generator(6);
        DropoutNet eager = new DropoutNet();
        DropoutNetKiln compiled = sameWeights(eager, new DropoutNetKiln());
        eager.eval();
        compiled.eval();
        MSELoss mse = new MSELoss();
        trainSideBySide(eager, compiled, Tensor.randn(g, 9, 7), Tensor.randn(g, 9, 3), mse::forward, true);
    }

    @Test
    void dropoutInTrainingModeDrawsTheEagerMasksInTheGeneratedLoops() {
        DropoutNet eager = new DropoutNet();
        DropoutNetKiln compiled = sameWeights(eager, new DropoutNetKiln());
        eager.train();
        compiled.train();
        Generator g = new Generator(7);
        for (int step = 0; step < 3; step++) {
            Tensor x = Tensor.randn(g, 4, 7);
            Kiln.manualSeed(100 + step);
            Tensor ye = eager.invoke(x);
            Kiln.manualSeed(100 + step);
            Tensor yc = compiled.invoke(x);
            assertThat(yc.gradFn().name()).isEqualTo("DropoutNetKilnBackward");
            assertClose(yc, ye, "output with the same dropout masks");
            ye.sum().backward();
            yc.sum().backward();
            for (var e : eager.namedParameters().entrySet()) {
                assertClose(compiled.namedParameters().get(e.getKey()).grad(), e.getValue().grad(), e.getKey() + ".grad");
            }
        }
    }

    @Test
    void leadingDimensionsAreRowsAsForLinear() {
        TwoLayerNet eager = new TwoLayerNet(6, 5, 4);
        TwoLayerNetKiln compiled = sameWeights(eager, new TwoLayerNetKiln(6, 5, 4));
        Generator g = new Generator(11);
        for (int[] shape : new int[][] {{2, 3, 6}, {6}, {1, 1, 2, 6}, {0, 6}}) {
            Tensor x = Tensor.randn(g, shape);
            Tensor xe = x.detach().requiresGrad(true);
            Tensor xc = x.detach().requiresGrad(true);
            Tensor ye = eager.invoke(xe);
            Tensor yc = compiled.invoke(xc);
            assertClose(yc, ye, "output for input shape " + java.util.Arrays.toString(shape));
            ye.sum().backward();
            yc.sum().backward();
            assertClose(xc.grad(), xe.grad(), "x.grad for input shape " + java.util.Arrays.toString(shape));
        }
    }

    @Test
    void aFlattenedImageModelWithAResidualBlockMatchesTheEagerOne() {
        ImageNet eager = new ImageNet(3, 4);
        ImageNetKiln compiled = sameWeights(eager, new ImageNetKiln(3, 4));
        Generator g = new Generator(21);
        for (int[] shape : new int[][] {{5, 3, 4}, {2, 1, 3, 4}, {1, 12}}) {
            Tensor x = Tensor.randn(g, shape);
            Tensor xe = x.detach().requiresGrad(true);
            Tensor xc = x.detach().requiresGrad(true);
            Tensor ye = eager.invoke(xe);
            Tensor yc = compiled.invoke(xc);
            assertThat(yc.gradFn().name()).isEqualTo("ImageNetKilnBackward");
            assertClose(yc, ye, "output for input shape " + java.util.Arrays.toString(shape));
            Tensor weights = Tensor.randn(g, ye.shape().toArray());
            ye.times(weights).sum().backward();
            yc.times(weights).sum().backward();
            assertClose(xc.grad(), xe.grad(), "x.grad for input shape " + java.util.Arrays.toString(shape));
            for (var e : eager.namedParameters().entrySet()) {
                assertClose(compiled.namedParameters().get(e.getKey()).grad(), e.getValue().grad(), e.getKey() + ".grad");
            }
            eager.zeroGrad();
            compiled.zeroGrad();
        }
        Tensor wrong = Tensor.randn(g, 2, 13);
        assertThatThrownBy(() -> compiled.invoke(wrong)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("expected an input whose last dimension has 12 features, but got shape (2x13)");
    }

    @Test
    void viewOfTheInputToRowsOfFeaturesIsCompiledWhereItFlattens() {
        Generator g = new Generator(22);
        ReshapeNet eager = new ReshapeNet();
        ReshapeNetKiln compiled = sameWeights(eager, new ReshapeNetKiln());
        CrossEntropyLoss ce = new CrossEntropyLoss();
        trainSideBySide(eager, compiled, Tensor.randn(g, 6, 3, 4), classes(g, 6, 2), ce::forward, true);
        // (2, 24) viewed as (4, 12) is not flatten(1): the eager forward runs it
        Tensor x = Tensor.randn(g, 2, 24);
        Tensor y = compiled.invoke(x);
        assertThat(y.gradFn().name()).isNotEqualTo("ReshapeNetKilnBackward");
        assertClose(y, eager.invoke(x), "output of a (2x24) input");
        assertThatThrownBy(() -> compiled.invoke(Tensor.randn(g, 5))).isInstanceOf(RuntimeException.class);
    }

    @Test
    void branchesComputedFromOneValueMeetInArithmetic() {
        Generator g = new Generator(23);
        BranchNet eager = new BranchNet();
        BranchNetKiln compiled = sameWeights(eager, new BranchNetKiln());
        CrossEntropyLoss ce = new CrossEntropyLoss();
        trainSideBySide(eager, compiled, Tensor.randn(g, 11, 6), classes(g, 11, 3), ce::forward, true);
    }

    @Test
    void noGradRecordsNothing() {
        TwoLayerNet eager = new TwoLayerNet(6, 5, 4);
        TwoLayerNetKiln compiled = sameWeights(eager, new TwoLayerNetKiln(6, 5, 4));
        Tensor x = Tensor.randn(new Generator(8), 3, 6);
        Tensor y;
        try (GradMode.Scope ignored = Kiln.noGrad()) {
            y = compiled.invoke(x);
            assertClose(y, eager.invoke(x), "output under noGrad");
        }
        assertThat(y.gradFn()).isNull();
        assertThat(y.requiresGrad()).isFalse();
    }

    @Test
    void theBatchSizeMayChangeBetweenCalls() {
        Generator g = new Generator(9);
        ThreeClassNet eager = new ThreeClassNet();
        ThreeClassNetKiln compiled = sameWeights(eager, new ThreeClassNetKiln());
        CrossEntropyLoss ce = new CrossEntropyLoss();
        for (int n : new int[] {5, 1, 7, 7, 2}) {
            trainSideBySide(eager, compiled, Tensor.randn(g, n, 20), classes(g, n, 3), ce::forward, false);
        }
    }

    @Test
    void twoPendingForwardsKeepTheirOwnActivations() {
        Generator g = new Generator(10);
        TemperatureNet eager = new TemperatureNet();
        TemperatureNetKiln compiled = sameWeights(eager, new TemperatureNetKiln());
        Tensor x1 = Tensor.randn(g, 4, 13);
        Tensor x2 = Tensor.randn(g, 4, 13);
        Tensor first = compiled.invoke(x1).sum();
        Tensor second = compiled.invoke(x2).sum(); // same batch size: must not overwrite the first's activations
        first.backward();
        eager.invoke(x1).sum().backward();
        for (Map.Entry<String, Parameter> e : eager.namedParameters().entrySet()) {
            assertClose(compiled.namedParameters().get(e.getKey()).grad(), e.getValue().grad(), e.getKey());
        }
        second.backward();
        eager.invoke(x2).sum().backward();
        for (Map.Entry<String, Parameter> e : eager.namedParameters().entrySet()) {
            assertClose(compiled.namedParameters().get(e.getKey()).grad(), e.getValue().grad(), e.getKey());
        }
    }

    @Test
    void aWrongInputGetsLinearsMessage() {
        TwoLayerNet eager = new TwoLayerNet(6, 5, 4);
        TwoLayerNetKiln compiled = new TwoLayerNetKiln(6, 5, 4);
        Tensor x = Tensor.randn(new Generator(11), 3, 7);
        String expected = null;
        try {
            eager.invoke(x);
        } catch (IllegalArgumentException e) {
            expected = e.getMessage();
        }
        assertThat(expected).isNotNull();
        assertThatThrownBy(() -> compiled.invoke(x)).isInstanceOf(IllegalArgumentException.class).hasMessage(expected);
        assertThatThrownBy(() -> compiled.invoke(Tensor.scalar(1.0)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("expected an input");
    }

    @Test
    void aRetainedGraphRunsTwiceUntilALaterForwardReusesItsActivations() {
        Generator g = new Generator(14);
        TemperatureNet eager = new TemperatureNet();
        TemperatureNetKiln compiled = sameWeights(eager, new TemperatureNetKiln());
        Tensor x = Tensor.randn(g, 4, 13);
        Tensor loss = compiled.invoke(x).sum();
        loss.backward(true);
        loss.backward(true);
        Tensor eagerLoss = eager.invoke(x).sum();
        eagerLoss.backward(true);
        eagerLoss.backward(true);
        for (Map.Entry<String, Parameter> e : eager.namedParameters().entrySet()) {
            assertClose(compiled.namedParameters().get(e.getKey()).grad(), e.getValue().grad(), e.getKey());
        }
        compiled.invoke(Tensor.randn(g, 4, 13)).sum(); // same batch size: takes the released buffers
        assertThatThrownBy(loss::backward).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("TemperatureNetKilnBackward")
                .hasMessageContaining("reused by a later forward");
    }
}
