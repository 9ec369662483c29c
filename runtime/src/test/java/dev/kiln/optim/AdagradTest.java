package dev.kiln.optim;

import static dev.kiln.optim.OptimTesting.GRADS;
import static dev.kiln.optim.OptimTesting.THETA0;
import static dev.kiln.optim.OptimTesting.assertMatchesReference;
import static dev.kiln.optim.OptimTesting.grad;
import static dev.kiln.optim.OptimTesting.param;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.DType;
import dev.kiln.Parameter;
import dev.kiln.Tensor;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Adagrad against PyTorch's documented algorithm, computed by hand in doubles. */
class AdagradTest {

    /**
     * PyTorch's Adagrad pseudo-code: γ̃ ← γ/(1 + (t − 1)η); g ← −g if maximize; g ← g + λθ;
     * s ← s + g²; θ ← θ − γ̃ g/(√s + ε), with s starting at the initial accumulator value.
     */
    static OptimTesting.Reference reference(double lr, double lrDecay, double weightDecay, double initial, double eps,
                                            boolean maximize) {
        double[] sum = new double[THETA0.length];
        Arrays.fill(sum, initial);
        return (theta, grad, t) -> {
            double clr = lr / (1 + (t - 1) * lrDecay);
            for (int i = 0; i < theta.length; i++) {
                double g = maximize ? -grad[i] : grad[i];
                if (weightDecay != 0) {
                    g = g + weightDecay * theta[i];
                }
                sum[i] = sum[i] + g * g;
                theta[i] = theta[i] - clr * g / (Math.sqrt(sum[i]) + eps);
            }
        };
    }

    @Test
    void defaults() {
        assertMatchesReference(Adagrad::new, reference(1e-2, 0, 0, 0, 1e-10, false));
    }

    @Test
    void learningRateDecay() {
        assertMatchesReference(p -> Adagrad.builder(p).lr(0.1).lrDecay(0.5).build(),
                reference(0.1, 0.5, 0, 0, 1e-10, false));
    }

    @Test
    void initialAccumulatorValueAndEps() {
        assertMatchesReference(p -> Adagrad.builder(p).lr(0.1).initialAccumulatorValue(0.5).eps(1e-3).build(),
                reference(0.1, 0, 0, 0.5, 1e-3, false));
    }

    @Test
    void weightDecayAndMaximize() {
        assertMatchesReference(p -> Adagrad.builder(p).lr(0.1).weightDecay(0.2).lrDecay(0.1).maximize(true).build(),
                reference(0.1, 0.1, 0.2, 0, 1e-10, true));
    }

    @Test
    void stateIsCreatedWithTheGroupAsInPyTorch() {
        Parameter p = param(THETA0);
        Adagrad adagrad = Adagrad.builder(List.of(p)).initialAccumulatorValue(0.25).build();
        Map<String, Tensor> state = adagrad.stateDict().state().get(0);
        assertThat(List.copyOf(state.keySet())).containsExactly("step", "sum");
        assertThat(state.get("step").item()).isZero();
        assertThat(state.get("step").dtype()).isEqualTo(DType.FLOAT32);
        assertThat(state.get("sum").toDoubleArray()).containsOnly(0.25);
        assertThat(state.get("sum").shape()).isEqualTo(p.shape());

        Parameter q = param(THETA0);
        adagrad.addParamGroup(ParamGroup.of(q).set("initial_accumulator_value", 2));
        assertThat(adagrad.stateDict().state().get(1).get("sum").toDoubleArray()).containsOnly(2.0);
        p.setGrad(grad(GRADS[0]));
        adagrad.step();
        assertThat(adagrad.stateDict().state().get(0).get("step").item()).isEqualTo(1.0);
        assertThat(adagrad.stateDict().state().get(1).get("step").item()).isZero();
    }

    @Test
    void invalidHyperparametersAreRejectedWithPyTorchsMessages() {
        List<Parameter> ps = List.of(param(THETA0));
        assertThatThrownBy(() -> new Adagrad(ps, -1.0)).hasMessage("Invalid learning rate: -1.0");
        assertThatThrownBy(() -> Adagrad.builder(ps).lrDecay(-1).build()).hasMessage("Invalid lr_decay value: -1.0");
        assertThatThrownBy(() -> Adagrad.builder(ps).weightDecay(-1).build())
                .hasMessage("Invalid weight_decay value: -1.0");
        assertThatThrownBy(() -> Adagrad.builder(ps).initialAccumulatorValue(-1).build())
                .hasMessage("Invalid initial_accumulator_value value: -1.0");
        assertThatThrownBy(() -> Adagrad.builder(ps).eps(-1).build()).hasMessage("Invalid epsilon value: -1.0");
    }
}
