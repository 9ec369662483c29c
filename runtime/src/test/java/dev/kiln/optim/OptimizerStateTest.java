package dev.kiln.optim;

import static dev.kiln.optim.OptimTesting.GRADS;
import static dev.kiln.optim.OptimTesting.THETA0;
import static dev.kiln.optim.OptimTesting.grad;
import static dev.kiln.optim.OptimTesting.param;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.DType;
import dev.kiln.Parameter;
import dev.kiln.Tensor;
import java.math.BigDecimal;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Saving and restoring optimizer state: layout, copies, continuing a run, and checks on load. */
class OptimizerStateTest {

    static Stream<Arguments> optimizers() {
        return Stream.of(
                Arguments.of("SGD", (Function<List<ParamGroup>, Optimizer>)
                        g -> SGD.builder(g).lr(0.05).momentum(0.9).nesterov(true).weightDecay(0.01).build()),
                Arguments.of("Adam", (Function<List<ParamGroup>, Optimizer>)
                        g -> Adam.builder(g).lr(0.05).amsgrad(true).weightDecay(0.01).build()),
                Arguments.of("AdamW", (Function<List<ParamGroup>, Optimizer>)
                        g -> AdamW.builder(g).lr(0.05).betas(0.8, 0.9).build()),
                Arguments.of("RMSprop", (Function<List<ParamGroup>, Optimizer>)
                        g -> RMSprop.builder(g).lr(0.01).momentum(0.5).centered(true).build()),
                Arguments.of("Adagrad", (Function<List<ParamGroup>, Optimizer>)
                        g -> Adagrad.builder(g).lr(0.1).lrDecay(0.1).build()));
    }

    /** Two parameters of different shapes, in two groups; the second group has its own learning rate. */
    private static Parameter[] params() {
        return new Parameter[] {param(THETA0), new Parameter(Tensor.of(0.5, -1.5, 2.5))};
    }

    private static void setGrads(Parameter[] ps, int t) {
        ps[0].setGrad(grad(GRADS[t % GRADS.length]));
        double[] g = GRADS[(t + 1) % GRADS.length];
        ps[1].setGrad(Tensor.of(g[0], g[1], g[2]));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("optimizers")
    void restoredStateContinuesExactlyAsAnUninterruptedRun(String name, Function<List<ParamGroup>, Optimizer> make) {
        Parameter[] a = params();
        Optimizer original = make.apply(List.of(ParamGroup.of(a[0]), ParamGroup.of(a[1]).lr(0.02)));
        for (int t = 0; t < 3; t++) {
            setGrads(a, t);
            original.step();
        }
        OptimizerState saved = original.stateDict();
        Map<String, List<Double>> savedValues = values(saved);
        Parameter[] b = {new Parameter(a[0].clone().detach()), new Parameter(a[1].clone().detach())};

        for (int t = 3; t < 6; t++) {
            setGrads(a, t);
            original.step();
        }
        // The saved state is a copy: the later steps did not change it.
        assertThat(values(saved)).isEqualTo(savedValues);

        // A fresh optimizer with other hyperparameters takes the saved ones with the state.
        Optimizer restored = make.apply(List.of(ParamGroup.of(b[0]), ParamGroup.of(b[1])));
        restored.loadStateDict(saved);
        assertThat(restored.paramGroups().get(1).lr()).isEqualTo(0.02);
        assertThat(restored.stateDict().paramGroups()).isEqualTo(saved.paramGroups());
        for (int t = 3; t < 6; t++) {
            setGrads(b, t);
            restored.step();
        }
        assertThat(b[0].toDoubleArray()).containsExactly(a[0].toDoubleArray());
        assertThat(b[1].toDoubleArray()).containsExactly(a[1].toDoubleArray());
        assertThat(values(restored.stateDict())).isEqualTo(values(original.stateDict()));
    }

    @Test
    void layoutIsPyTorchs() {
        Parameter a = param(THETA0), b = param(THETA0), c = new Parameter(Tensor.of(1.0, 2.0));
        SGD sgd = SGD.builder(List.of(ParamGroup.of(a), ParamGroup.of(b, c).lr(0.5))).lr(0.1).momentum(0.9).build();
        a.setGrad(grad(GRADS[0]));
        c.setGrad(Tensor.of(1.0, 1.0));
        sgd.step();
        OptimizerState state = sgd.stateDict();
        // b has no gradient, so no state; indices run across groups.
        assertThat(state.state()).containsOnlyKeys(0, 2);
        assertThat(state.state().get(2)).containsOnlyKeys("momentum_buffer");
        assertThat(state.state().get(2).get("momentum_buffer").toDoubleArray()).containsExactly(1.0, 1.0);
        assertThat(state.paramGroups()).hasSize(2);
        assertThat(List.copyOf(state.paramGroups().get(1).keySet()))
                .containsExactly("lr", "momentum", "dampening", "weight_decay", "nesterov", "maximize", "params");
        assertThat(state.paramGroups().get(0)).containsEntry("lr", 0.1).containsEntry("params", List.of(0));
        assertThat(state.paramGroups().get(1)).containsEntry("lr", 0.5).containsEntry("momentum", 0.9)
                .containsEntry("nesterov", false).containsEntry("params", List.of(1, 2));
        assertThatThrownBy(() -> state.state().put(5, Map.of())).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> state.paramGroups().get(0).put("lr", 1.0))
                .isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void stateTensorsAreCopiedOnSaveAndOnLoad() {
        Parameter p = param(THETA0);
        Adam adam = new Adam(List.of(p), 0.1);
        p.setGrad(grad(GRADS[0]));
        adam.step();
        OptimizerState first = adam.stateDict();
        first.state().get(0).get("exp_avg").fill(100);
        assertThat(adam.stateDict().state().get(0).get("exp_avg").toDoubleArray()).doesNotContain(100.0);

        Parameter q = param(THETA0);
        Adam other = new Adam(List.of(q), 0.1);
        OptimizerState second = adam.stateDict();
        other.loadStateDict(second);
        second.state().get(0).get("exp_avg_sq").fill(-1);
        assertThat(other.stateDict().state().get(0).get("exp_avg_sq").toDoubleArray()).doesNotContain(-1.0);
    }

    @Test
    void loadAcceptsWhatAJsonDecoderGives() {
        // Numbers of any boxed type, indices as Longs, PyTorch's implementation switches (even null),
        // state in another float type and a 1-element step.
        Parameter p = param(THETA0);
        Adam adam = new Adam(List.of(p));
        Map<String, Object> group = new LinkedHashMap<>();
        group.put("lr", new BigDecimal("0.25"));
        group.put("betas", List.of(0.5f, 0.75));
        group.put("eps", 1e-6);
        group.put("weight_decay", 0);
        group.put("amsgrad", false);
        group.put("maximize", false);
        group.put("foreach", null);
        group.put("capturable", false);
        group.put("differentiable", false);
        group.put("fused", null);
        group.put("params", List.of(7L));
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        tensors.put("step", Tensor.of(new double[] {4}));
        tensors.put("exp_avg", Tensor.zeros(2, 2));
        tensors.put("exp_avg_sq", Tensor.ones(2, 2));
        adam.loadStateDict(new OptimizerState(Map.of(7, tensors), List.of(group)));

        assertThat(adam.paramGroups().get(0).options()).containsEntry("lr", 0.25)
                .containsEntry("betas", List.of(0.5, 0.75)).containsEntry("weight_decay", 0.0)
                .doesNotContainKeys("foreach", "fused");
        OptimizerState state = adam.stateDict();
        assertThat(state.state().get(0).get("step").dtype()).isEqualTo(DType.FLOAT32);
        assertThat(state.state().get(0).get("step").dim()).isZero();
        assertThat(state.state().get(0).get("step").item()).isEqualTo(4.0);
        assertThat(state.state().get(0).get("exp_avg_sq").dtype()).isEqualTo(DType.FLOAT64);
        p.setGrad(grad(GRADS[0]));
        adam.step();
        assertThat(adam.stateDict().state().get(0).get("step").item()).isEqualTo(5.0);
    }

    // ---------------------------------------------------------------------------------------------
    // Checks on load: each failure names the problem and leaves the optimizer unchanged.

    private Parameter p;
    private Adam adam;
    private OptimizerState before;

    private void setUpAdam() {
        p = param(THETA0);
        adam = Adam.builder(List.of(p)).lr(0.1).build();
        p.setGrad(grad(GRADS[0]));
        adam.step();
        before = adam.stateDict();
    }

    private void assertUnchanged() {
        OptimizerState now = adam.stateDict();
        assertThat(now.paramGroups()).isEqualTo(before.paramGroups());
        assertThat(values(now)).isEqualTo(values(before));
    }

    private static OptimizerState withGroups(OptimizerState s, List<Map<String, Object>> groups) {
        return new OptimizerState(s.state(), groups);
    }

    private static OptimizerState withState(OptimizerState s, Map<String, Tensor> state0) {
        return new OptimizerState(Map.of(0, state0), s.paramGroups());
    }

    private static Map<String, Object> changed(Map<String, Object> group, String key, Object value) {
        Map<String, Object> copy = new LinkedHashMap<>(group);
        copy.put(key, value);
        return copy;
    }

    @Test
    void loadRejectsAnotherNumberOfGroups() {
        setUpAdam();
        Map<String, Object> g = before.paramGroups().get(0);
        assertThatThrownBy(() -> adam.loadStateDict(withGroups(before, List.of(g, changed(g, "params", List.of(1))))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("loaded state dict has a different number of parameter groups: 2 saved, 1 in this optimizer");
        assertUnchanged();
    }

    @Test
    void loadRejectsAGroupOfAnotherSize() {
        setUpAdam();
        Map<String, Object> g = changed(before.paramGroups().get(0), "params", List.of(0, 1));
        assertThatThrownBy(() -> adam.loadStateDict(withGroups(before, List.of(g))))
                .hasMessage("loaded state dict contains a parameter group that doesn't match the size of optimizer's"
                        + " group: group 0 has 2 parameters in the loaded state and 1 in this optimizer");
        Map<String, Object> noParams = new LinkedHashMap<>(before.paramGroups().get(0));
        noParams.remove("params");
        assertThatThrownBy(() -> adam.loadStateDict(withGroups(before, List.of(noParams))))
                .hasMessageContaining("has no 'params' list");
        assertUnchanged();
    }

    @Test
    void loadRejectsInvalidOrUnknownHyperparameters() {
        setUpAdam();
        Map<String, Object> g = before.paramGroups().get(0);
        assertThatThrownBy(() -> adam.loadStateDict(withGroups(before, List.of(changed(g, "lr", -1.0)))))
                .hasMessage("Invalid learning rate: -1.0 (parameter group 0)");
        assertThatThrownBy(() -> adam.loadStateDict(withGroups(before, List.of(changed(g, "momentum", 0.9)))))
                .hasMessageContaining("Adam has no hyperparameter 'momentum'");
        assertThatThrownBy(() -> adam.loadStateDict(withGroups(before, List.of(changed(g, "amsgrad", "yes")))))
                .hasMessageContaining("'amsgrad' (parameter group 0) must be a boolean");
        assertUnchanged();
    }

    @Test
    void loadRejectsStateOfAnotherShape() {
        setUpAdam();
        Map<String, Tensor> s = new LinkedHashMap<>(before.state().get(0));
        s.put("exp_avg", Tensor.zeros(DType.FLOAT64, 3));
        assertThatThrownBy(() -> adam.loadStateDict(withState(before, s)))
                .hasMessage("loaded state of parameter 0: 'exp_avg' has shape (3) but the parameter has shape (2x2)");
        Map<String, Tensor> badStep = new LinkedHashMap<>(before.state().get(0));
        badStep.put("step", Tensor.of(1.0, 2.0));
        assertThatThrownBy(() -> adam.loadStateDict(withState(before, badStep)))
                .hasMessage("loaded state of parameter 0: 'step' must hold one number, but has shape (2)");
        assertUnchanged();
    }

    @Test
    void loadRejectsStateThatIsNotThisOptimizers() {
        setUpAdam();
        Parameter q = param(THETA0);
        SGD sgd = SGD.builder(List.of(q)).momentum(0.9).build();
        q.setGrad(grad(GRADS[0]));
        sgd.step();
        OptimizerState sgdState = new OptimizerState(sgd.stateDict().state(), before.paramGroups());
        assertThatThrownBy(() -> adam.loadStateDict(sgdState))
                .hasMessage("loaded state of parameter 0 lacks 'step', which Adam needs (it has momentum_buffer)");
        Map<String, Tensor> extra = new LinkedHashMap<>(before.state().get(0));
        extra.put("momentum_buffer", Tensor.zeros(DType.FLOAT64, 2, 2));
        assertThatThrownBy(() -> adam.loadStateDict(withState(before, extra)))
                .hasMessageStartingWith("loaded state of parameter 0 has 'momentum_buffer', which Adam does not keep");
        assertUnchanged();
    }

    @Test
    void loadRejectsStateForAnUnlistedParameter() {
        setUpAdam();
        OptimizerState stray = new OptimizerState(Map.of(3, before.state().get(0)), before.paramGroups());
        assertThatThrownBy(() -> adam.loadStateDict(stray))
                .hasMessage("loaded state has an entry for parameter 3, which no loaded parameter group lists");
        assertUnchanged();
    }

    @Test
    void theRecordRejectsNulls() {
        assertThatThrownBy(() -> new OptimizerState(null, List.of())).isInstanceOf(NullPointerException.class);
        Map<String, Tensor> withNull = new HashMap<>();
        withNull.put("exp_avg", null);
        assertThatThrownBy(() -> new OptimizerState(Map.of(0, withNull), List.of()))
                .isInstanceOf(NullPointerException.class).hasMessageContaining("'exp_avg'");
    }

    /** Every state tensor's values by "index.name", for comparing states. */
    private static Map<String, List<Double>> values(OptimizerState state) {
        Map<String, List<Double>> out = new LinkedHashMap<>();
        state.state().forEach((i, tensors) -> tensors.forEach((k, t) ->
                out.put(i + "." + k, Arrays.stream(t.toDoubleArray()).boxed().toList())));
        return out;
    }
}
