package dev.kiln.optim;

import static dev.kiln.optim.OptimTesting.GRADS;
import static dev.kiln.optim.OptimTesting.THETA0;
import static dev.kiln.optim.OptimTesting.assertClose;
import static dev.kiln.optim.OptimTesting.grad;
import static dev.kiln.optim.OptimTesting.param;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.Kiln;
import dev.kiln.Parameter;
import dev.kiln.Tensor;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What all optimizers share: parameter groups, zeroGrad, step with a closure, parameter checks. */
class OptimizerTest {

    // ---------------------------------------------------------------------------------------------
    // Parameter groups

    /**
     * Each optimizer reads a group's hyperparameters once and keeps them until one changes: a
     * learning rate set to 0 between steps leaves the parameters where the first step put them, in
     * float32 (the provider's kernels) and in float64.
     */
    @Test
    void aLearningRateSetBetweenStepsTakesEffectAtTheNextStep() {
        List<java.util.function.Function<List<Parameter>, Optimizer>> optimizers = List.of(
                p -> SGD.builder(p).lr(0.1).momentum(0.9).build(),
                p -> RMSprop.builder(p).lr(0.1).momentum(0.5).centered(true).build(),
                p -> Adam.builder(p).lr(0.1).build(),
                p -> AdamW.builder(p).lr(0.1).amsgrad(true).build(),
                p -> Adagrad.builder(p).lr(0.1).build());
        for (boolean single : new boolean[] {true, false}) {
            for (java.util.function.Function<List<Parameter>, Optimizer> make : optimizers) {
                Parameter p = single ? new Parameter(Tensor.of(THETA0).reshape(2, 2).toFloat()) : param(THETA0);
                Optimizer optimizer = make.apply(List.of(p));
                p.setGrad(single ? grad(GRADS[0]).toFloat() : grad(GRADS[0]));
                optimizer.step();
                double[] afterFirst = p.toDoubleArray();
                assertThat(afterFirst).as("%s moved the parameter", optimizer).isNotEqualTo(THETA0);
                optimizer.paramGroups().get(0).lr(0.0);
                p.setGrad(single ? grad(GRADS[1]).toFloat() : grad(GRADS[1]));
                optimizer.step();
                assertThat(p.toDoubleArray()).as("%s after lr = 0, float32 %s", optimizer, single)
                        .containsExactly(afterFirst);
            }
        }
    }

    @Test
    void groupsWithTheirOwnLearningRates() {
        Parameter a = param(THETA0), b = param(THETA0);
        SGD sgd = SGD.builder(List.of(ParamGroup.of(a), ParamGroup.of(b).lr(0.5))).lr(0.1).momentum(0.9).build();
        OptimTesting.Reference refA = SGDTest.reference(0.1, 0.9, 0, 0, false, false);
        OptimTesting.Reference refB = SGDTest.reference(0.5, 0.9, 0, 0, false, false);
        double[] thetaA = THETA0.clone(), thetaB = THETA0.clone();
        for (int t = 1; t <= GRADS.length; t++) {
            a.setGrad(grad(GRADS[t - 1]));
            b.setGrad(grad(GRADS[t - 1]));
            sgd.step();
            refA.step(thetaA, GRADS[t - 1], t);
            refB.step(thetaB, GRADS[t - 1], t);
            assertClose(a.toDoubleArray(), thetaA, 1e-12, "group 0, step " + t);
            assertClose(b.toDoubleArray(), thetaB, 1e-12, "group 1, step " + t);
        }
        assertThat(sgd.paramGroups()).hasSize(2);
        assertThat(sgd.paramGroups().get(0).lr()).isEqualTo(0.1);
        assertThat(sgd.paramGroups().get(1).lr()).isEqualTo(0.5);
        assertThat(sgd.paramGroups().get(1).getDouble("momentum")).isEqualTo(0.9);
    }

    @Test
    void groupsCanOverrideAnyHyperparameter() {
        Parameter a = param(THETA0), b = param(THETA0);
        Adam adam = Adam.builder(List.of(
                        ParamGroup.of(a),
                        ParamGroup.of(b).set("betas", List.of(0.5, 0.6)).set("amsgrad", true).set("weight_decay", 1)))
                .lr(0.05).build();
        OptimTesting.Reference refA = AdamTest.reference(0.05, 0.9, 0.999, 1e-8, 0, false, false, false);
        OptimTesting.Reference refB = AdamTest.reference(0.05, 0.5, 0.6, 1e-8, 1.0, true, false, false);
        double[] thetaA = THETA0.clone(), thetaB = THETA0.clone();
        for (int t = 1; t <= GRADS.length; t++) {
            a.setGrad(grad(GRADS[t - 1]));
            b.setGrad(grad(GRADS[t - 1]));
            adam.step();
            refA.step(thetaA, GRADS[t - 1], t);
            refB.step(thetaB, GRADS[t - 1], t);
        }
        assertClose(a.toDoubleArray(), thetaA, 1e-12, "group 0");
        assertClose(b.toDoubleArray(), thetaB, 1e-12, "group 1");
        // Values are converted to the defaults' types: Integer 1 becomes 1.0.
        assertThat(adam.paramGroups().get(1).get("weight_decay")).isEqualTo(1.0);
        assertThat(adam.paramGroups().get(1).options().keySet())
                .containsExactly("lr", "betas", "eps", "weight_decay", "amsgrad", "maximize");
    }

    @Test
    void changingAGroupsLearningRateTakesEffectAtTheNextStep() {
        Parameter p = param(THETA0);
        SGD sgd = new SGD(List.of(p), 0.1);
        p.setGrad(grad(GRADS[0]));
        sgd.step();
        sgd.paramGroups().get(0).lr(0.01);
        sgd.step();
        double[] expected = THETA0.clone();
        for (int i = 0; i < 4; i++) {
            expected[i] -= 0.1 * GRADS[0][i] + 0.01 * GRADS[0][i];
        }
        assertClose(p.toDoubleArray(), expected, 1e-15, "after two steps");
    }

    @Test
    void hyperparametersChangedOnAGroupAreChecked() {
        SGD sgd = SGD.builder(List.of(param(THETA0))).momentum(0.9).nesterov(true).build();
        ParamGroup group = sgd.paramGroups().get(0);
        assertThatThrownBy(() -> group.lr(-1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("Invalid learning rate: -1.0 (parameter group 0)");
        assertThatThrownBy(() -> group.set("momentum", 0.0))
                .hasMessageContaining("Nesterov momentum requires a momentum and zero dampening");
        assertThatThrownBy(() -> group.set("momentum", "high")).hasMessageContaining("must be a number");
        assertThatThrownBy(() -> group.set("nesterov", 1)).hasMessageContaining("must be a boolean");
        assertThatThrownBy(() -> group.set("mommentum", 0.5))
                .hasMessage("SGD has no hyperparameter 'mommentum' (parameter group 0); its hyperparameters are"
                        + " lr, momentum, dampening, weight_decay, nesterov, maximize");
        assertThatThrownBy(() -> group.set("params", List.of())).hasMessageContaining("'params' is not a hyperparameter");
        assertThat(group.lr()).isEqualTo(1e-3);
        assertThat(group.getDouble("momentum")).isEqualTo(0.9);
    }

    @Test
    void invalidGroupHyperparametersAreRejectedAtConstruction() {
        assertThatThrownBy(() -> SGD.builder(List.of(ParamGroup.of(param(THETA0)), ParamGroup.of(param(THETA0)).lr(-2)))
                        .build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("Invalid learning rate: -2.0 (parameter group 1)");
        assertThatThrownBy(() -> Adam.builder(List.of(ParamGroup.of(param(THETA0)).set("momentum", 0.9))).build())
                .hasMessageContaining("Adam has no hyperparameter 'momentum'");
        assertThatThrownBy(() -> Adam.builder(List.of(ParamGroup.of(param(THETA0)).set("betas", List.of(0.9)))).build())
                .hasMessageContaining("'betas' (parameter group 0) must be a pair of numbers");
    }

    @Test
    void addParamGroupTakesTheDefaults() {
        Parameter a = param(THETA0), b = param(THETA0);
        SGD sgd = SGD.builder(List.of(a)).lr(0.1).momentum(0.5).build();
        sgd.addParamGroup(ParamGroup.of(b).lr(0.2));
        assertThat(sgd.paramGroups()).hasSize(2);
        assertThat(sgd.paramGroups().get(1).options()).containsEntry("lr", 0.2).containsEntry("momentum", 0.5);
        assertThatThrownBy(() -> sgd.addParamGroup(ParamGroup.of(a)))
                .hasMessageStartingWith("some parameters appear in more than one parameter group");
        assertThat(sgd.paramGroups()).hasSize(2);
    }

    @Test
    void aGroupBelongsToOneOptimizer() {
        ParamGroup group = ParamGroup.of(param(THETA0));
        SGD.builder(List.of(group)).build();
        assertThatThrownBy(() -> Adam.builder(List.of(group)).build())
                .hasMessageContaining("already belongs to another optimizer (SGD)");
    }

    // ---------------------------------------------------------------------------------------------
    // Parameters

    @Test
    void parametersMustBeGiven() {
        assertThatThrownBy(() -> new SGD(List.of())).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("optimizer got an empty parameter list");
        assertThatThrownBy(() -> Adam.builder(List.<ParamGroup>of()).build())
                .hasMessage("optimizer got an empty parameter list");
    }

    @Test
    void parametersMustBeFloatingPointLeaves() {
        Tensor w = Tensor.ones(2).requiresGrad(true);
        assertThatThrownBy(() -> new SGD(List.of(w.times(2.0))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("can't optimize a non-leaf Tensor: parameter 0 of group 0 was computed by MulBackward0");
        assertThatThrownBy(() -> new SGD(List.of(Tensor.of(1L, 2L))))
                .hasMessage("optimizer can only optimize floating-point tensors, but parameter 0 of group 0 is torch.int64");
    }

    @Test
    void aParameterMayAppearOnlyOnce() {
        Parameter p = param(THETA0);
        assertThatThrownBy(() -> new SGD(List.of(p, p))).hasMessage("parameter group 0 contains parameter 1 more than once");
        assertThatThrownBy(() -> SGD.builder(List.of(ParamGroup.of(p), ParamGroup.of(param(THETA0), p))).build())
                .hasMessage("some parameters appear in more than one parameter group (parameter 1 of group 1 is already"
                        + " in an earlier group)");
    }

    @Test
    void plainTensorsThatRequireGradCanBeOptimized() {
        Tensor w = Tensor.of(1.0, 2.0).requiresGrad(true);
        SGD sgd = new SGD(List.of(w), 0.5);
        w.times(w).sum().backward();
        sgd.step();
        assertThat(w.toDoubleArray()).containsExactly(0.0, 0.0);
        assertThat(w.isLeaf()).isTrue();
    }

    // ---------------------------------------------------------------------------------------------
    // Stepping

    @Test
    void stepRunsWithRecordingOffAndBumpsTheVersion() {
        // A graph that saved w before the step cannot be backpropagated after it, as in PyTorch.
        Parameter w = new Parameter(Tensor.of(1.0, 2.0));
        SGD sgd = new SGD(List.of(w), 0.1);
        Tensor y = w.times(w).sum();
        w.setGrad(Tensor.of(1.0, 1.0));
        sgd.step();
        assertThat(Kiln.isGradEnabled()).isTrue();
        assertThat(w.gradFn()).isNull();
        assertThatThrownBy(y::backward).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("modified by an in-place operation");
    }

    @Test
    void stepWithAClosureReturnsItsLoss() {
        Parameter w = new Parameter(Tensor.of(3.0));
        SGD sgd = new SGD(List.of(w), 0.25);
        List<Double> losses = new ArrayList<>();
        try (var noGrad = Kiln.noGrad()) {
            // The closure runs with recording on even inside a no-grad scope.
            for (int i = 0; i < 2; i++) {
                Tensor loss = sgd.step(() -> {
                    sgd.zeroGrad();
                    Tensor l = w.times(w).sum();
                    l.backward();
                    return l;
                });
                losses.add(loss.item());
            }
        }
        assertThat(losses).containsExactly(9.0, 2.25);
        assertThat(w.item()).isEqualTo(0.75);
    }

    @Test
    void zeroGradSetsGradientsToNullByDefault() {
        Parameter a = param(THETA0), b = param(THETA0);
        SGD sgd = new SGD(List.of(a, b));
        a.setGrad(grad(GRADS[0]));
        sgd.zeroGrad();
        assertThat(a.grad()).isNull();
        assertThat(b.grad()).isNull();
    }

    @Test
    void zeroGradCanZeroInPlace() {
        Parameter a = param(THETA0);
        SGD sgd = new SGD(List.of(a));
        Tensor g = grad(GRADS[0]);
        a.setGrad(g);
        sgd.zeroGrad(false);
        assertThat(a.grad()).isSameAs(g);
        assertThat(g.toDoubleArray()).containsOnly(0.0);
        // Gradients accumulate into the zeroed tensor on the next backward.
        a.times(Tensor.full(2.0, a.dtype(), 2, 2)).sum().backward();
        assertThat(a.grad().toDoubleArray()).containsOnly(2.0);
    }

    @Test
    void toStringListsEachGroupsHyperparameters() {
        SGD sgd = SGD.builder(List.of(ParamGroup.of(param(THETA0)), ParamGroup.of(param(THETA0)).lr(0.5))).lr(0.1).build();
        assertThat(sgd.toString()).isEqualTo("""
                SGD (
                Parameter Group 0
                    dampening: 0.0
                    lr: 0.1
                    maximize: false
                    momentum: 0.0
                    nesterov: false
                    weight_decay: 0.0
                Parameter Group 1
                    dampening: 0.0
                    lr: 0.5
                    maximize: false
                    momentum: 0.0
                    nesterov: false
                    weight_decay: 0.0
                )""");
    }
}
