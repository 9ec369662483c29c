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
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * How the optimizers change parameters and state: in place, through the parameter's storage (views
 * included) with its version counter bumped, and with each state tensor created once.
 */
class InPlaceUpdateTest {

    /** Every optimizer with every option that keeps state switched on. */
    static Stream<Arguments> optimizers() {
        return Stream.of(
                Arguments.of("SGD", (Function<List<Parameter>, Optimizer>)
                        p -> SGD.builder(p).lr(0.05).momentum(0.9).nesterov(true).weightDecay(0.01).build()),
                Arguments.of("SGD with dampening", (Function<List<Parameter>, Optimizer>)
                        p -> SGD.builder(p).lr(0.05).momentum(0.9).dampening(0.2).maximize(true).build()),
                Arguments.of("Adam", (Function<List<Parameter>, Optimizer>)
                        p -> Adam.builder(p).lr(0.05).amsgrad(true).weightDecay(0.01).build()),
                Arguments.of("AdamW", (Function<List<Parameter>, Optimizer>)
                        p -> AdamW.builder(p).lr(0.05).amsgrad(true).maximize(true).build()),
                Arguments.of("RMSprop", (Function<List<Parameter>, Optimizer>)
                        p -> RMSprop.builder(p).lr(0.01).momentum(0.5).centered(true).weightDecay(0.1).build()),
                Arguments.of("Adagrad", (Function<List<Parameter>, Optimizer>)
                        p -> Adagrad.builder(p).lr(0.1).lrDecay(0.1).initialAccumulatorValue(0.1).build()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("optimizers")
    void aStepChangesTheStateTensorsInPlaceInsteadOfReplacingThem(String name, Function<List<Parameter>, Optimizer> make) {
        for (DType type : List.of(DType.FLOAT32, DType.FLOAT64)) {
            Parameter p = new Parameter(Tensor.of(THETA0).to(type).reshape(2, 2));
            Optimizer optimizer = make.apply(List.of(p));
            p.setGrad(grad(GRADS[0]).to(type));
            optimizer.step();
            Map<String, Tensor> live = optimizer.stateOf(p);
            Map<String, Tensor> afterFirst = new LinkedHashMap<>(live);
            Map<String, double[]> valuesAfterFirst = new LinkedHashMap<>();
            afterFirst.forEach((key, t) -> valuesAfterFirst.put(key, t.toDoubleArray()));
            for (int t = 1; t < 4; t++) {
                p.setGrad(grad(GRADS[t]).to(type));
                optimizer.step();
            }
            assertThat(live).as("%s %s", name, type).containsOnlyKeys(afterFirst.keySet());
            afterFirst.forEach((key, tensor) -> {
                assertThat(live.get(key)).as("%s %s: %s", name, type, key).isSameAs(tensor);
                assertThat(tensor.isContiguous()).isTrue();
                // The same object, with new values: the steps wrote into it.
                assertThat(tensor.toDoubleArray()).as("%s %s: %s", name, type, key)
                        .isNotEqualTo(valuesAfterFirst.get(key));
                if (key.equals("step")) {
                    assertThat(tensor.dtype()).isEqualTo(DType.FLOAT32);
                    assertThat(tensor.item()).isEqualTo(4.0);
                } else {
                    assertThat(tensor.dtype()).as("%s %s: %s", name, type, key).isEqualTo(type);
                    assertThat(tensor.shape()).isEqualTo(p.shape());
                }
            });
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("optimizers")
    void aStepBumpsTheParametersVersionSoThatAGraphThatSavedItCannotBackpropagate(
            String name, Function<List<Parameter>, Optimizer> make) {
        Parameter w = param(THETA0);
        Optimizer optimizer = make.apply(List.of(w));
        Tensor y = w.times(w).sum();
        w.setGrad(grad(GRADS[0]));
        optimizer.step();
        assertThat(w.isLeaf()).isTrue();
        assertThat(w.gradFn()).isNull();
        assertThatThrownBy(y::backward).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("modified by an in-place operation");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("optimizers")
    void parametersThatAreViewsAreUpdatedThroughTheirStorage(String name, Function<List<Parameter>, Optimizer> make) {
        // The same values as a contiguous parameter, as a transposed view and as a row of a larger tensor.
        Parameter plain = param(THETA0);
        Tensor transposedStorage = Tensor.of(THETA0).reshape(2, 2).t().contiguous();
        Parameter transposed = new Parameter(transposedStorage.t());
        Tensor rows = Tensor.of(new double[][] {{9, 9, 9, 9}, THETA0, {7, 7, 7, 7}});
        Parameter row = new Parameter(rows.get(1).reshape(2, 2));
        assertThat(transposed.isContiguous()).isFalse();
        assertThat(transposed.toDoubleArray()).containsExactly(THETA0);
        assertThat(row.isContiguous()).isTrue();

        List<Parameter> params = List.of(plain, transposed, row);
        List<Optimizer> optimizers = params.stream().map(p -> make.apply(List.of(p))).toList();
        Tensor savedTransposed = transposed.times(transposed).sum();
        for (int t = 0; t < GRADS.length; t++) {
            for (int i = 0; i < params.size(); i++) {
                params.get(i).setGrad(grad(GRADS[t]));
                optimizers.get(i).step();
            }
        }
        assertThat(transposed.toDoubleArray()).as(name).containsExactly(plain.toDoubleArray());
        assertThat(row.toDoubleArray()).as(name).containsExactly(plain.toDoubleArray());
        // The storage the views share was written: the transposed storage holds the transposed values,
        // and the rows around the parameter's row are untouched.
        assertThat(transposedStorage.t().toDoubleArray()).containsExactly(plain.toDoubleArray());
        assertThat(rows.get(0).toDoubleArray()).containsOnly(9.0);
        assertThat(rows.get(2).toDoubleArray()).containsOnly(7.0);
        assertThat(rows.get(1).toDoubleArray()).containsExactly(plain.toDoubleArray());
        assertThatThrownBy(savedTransposed::backward).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("modified by an in-place operation");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("optimizers")
    void float32StateRestoredFromAStateDictContinuesBitIdentically(String name,
                                                                  Function<List<Parameter>, Optimizer> make) {
        Parameter a = new Parameter(Tensor.of(THETA0).toFloat().reshape(2, 2));
        Optimizer original = make.apply(List.of(a));
        for (int t = 0; t < 3; t++) {
            a.setGrad(grad(GRADS[t]).toFloat());
            original.step();
        }
        OptimizerState saved = original.stateDict();
        Parameter b = new Parameter(a.clone().detach());
        Optimizer restored = make.apply(List.of(b));
        restored.loadStateDict(saved);
        for (int t = 3; t < GRADS.length; t++) {
            a.setGrad(grad(GRADS[t]).toFloat());
            b.setGrad(grad(GRADS[t]).toFloat());
            original.step();
            restored.step();
        }
        assertThat(b.toFloatArray()).as(name).containsExactly(a.toFloatArray());
        Map<String, Tensor> expected = original.stateDict().state().get(0);
        restored.stateDict().state().get(0).forEach((key, tensor) ->
                assertThat(tensor.toFloatArray()).as("%s: %s", name, key).containsExactly(expected.get(key).toFloatArray()));
    }

    @Test
    void anExpandedParameterFailsBeforeItsStateChanges() {
        Parameter w = new Parameter(Tensor.of(1.0, 2.0).expand(3, 2));
        Adam adam = new Adam(List.of(w));
        w.setGrad(Tensor.ones(DType.FLOAT64, 3, 2));
        assertThatThrownBy(adam::step).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("expanded view");
        assertThat(adam.stateDict().state()).isEmpty();
        assertThat(w.toDoubleArray()).containsExactly(1.0, 2.0, 1.0, 2.0, 1.0, 2.0);
    }

    @Test
    void stateThatIsNotADenseTensorOfTheParametersTypeIsReplacedByOneBeforeTheStep() {
        // Two Adam runs: one whose state is set, between steps, to views of another type holding the
        // same values, and one left alone; they must agree, and the views must not be written.
        Parameter a = param(THETA0), b = param(THETA0);
        Adam first = new Adam(List.of(a), 0.1), second = new Adam(List.of(b), 0.1);
        a.setGrad(grad(GRADS[0]));
        b.setGrad(grad(GRADS[0]));
        first.step();
        second.step();
        Map<String, Tensor> state = second.stateOf(b);
        Map<Tensor, Tensor> views = new IdentityHashMap<>();
        for (String key : List.of("exp_avg", "exp_avg_sq")) {
            // The values rounded to float32: the runs are compared to float precision.
            Tensor view = state.get(key).t().contiguous().toFloat().t();
            assertThat(view.isContiguous()).isFalse();
            state.put(key, view);
            views.put(view, view.clone());
        }
        state.put("step", Tensor.scalar(1.0, DType.FLOAT64));
        a.setGrad(grad(GRADS[1]));
        b.setGrad(grad(GRADS[1]));
        first.step();
        second.step();
        OptimTesting.assertClose(b.toDoubleArray(), a.toDoubleArray(), 1e-6, "after the replaced state");
        for (String key : List.of("exp_avg", "exp_avg_sq")) {
            Tensor replaced = state.get(key);
            assertThat(views).doesNotContainKey(replaced);
            assertThat(replaced.dtype()).isEqualTo(DType.FLOAT64);
            assertThat(replaced.isContiguous()).isTrue();
        }
        views.forEach((view, before) -> assertThat(view.toDoubleArray()).containsExactly(before.toDoubleArray()));
        assertThat(state.get("step").dtype()).isEqualTo(DType.FLOAT32);
        assertThat(state.get("step").item()).isEqualTo(2.0);
    }

    @Test
    void zeroGradWithoutSetToNoneZeroesEachGradientInItsOwnStorage() {
        Parameter a = param(THETA0);
        Parameter b = new Parameter(Tensor.of(1f, 2f, 3f));
        SGD sgd = new SGD(List.of(a, b));
        Tensor storage = Tensor.of(new double[][] {{5, 5, 5, 5}, {1, 2, 3, 4}});
        Tensor ga = storage.get(1).reshape(2, 2);
        Tensor strided = Tensor.of(4f, 5f, 6f, 7f, 8f, 9f);
        Tensor gb = strided.slice(0, 0, 6, 2);
        a.setGrad(ga);
        b.setGrad(gb);
        sgd.zeroGrad(false);
        assertThat(a.grad()).isSameAs(ga);
        assertThat(b.grad()).isSameAs(gb);
        assertThat(ga.toDoubleArray()).containsOnly(0.0);
        assertThat(storage.get(0).toDoubleArray()).containsOnly(5.0);
        // A strided gradient is zeroed through the general in-place path, its gaps untouched.
        assertThat(strided.toFloatArray()).containsExactly(0f, 5f, 0f, 7f, 0f, 9f);
    }
}
