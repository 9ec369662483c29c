package dev.kiln.optim;

import static dev.kiln.optim.OptimTesting.GRADS;
import static dev.kiln.optim.OptimTesting.THETA0;
import static dev.kiln.optim.OptimTesting.assertClose;
import static dev.kiln.optim.OptimTesting.assertMatchesReference;
import static dev.kiln.optim.OptimTesting.grad;
import static dev.kiln.optim.OptimTesting.param;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.Parameter;
import dev.kiln.Tensor;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** RMSprop against PyTorch's documented algorithm, computed by hand in doubles. */
class RMSpropTest {

    /**
     * PyTorch's RMSprop pseudo-code: g ← −g if maximize; g ← g + λθ; v ← αv + (1 − α)g²; ṽ ← v; if
     * centered, ḡ ← αḡ + (1 − α)g and ṽ ← ṽ − ḡ²; with momentum b ← μb + g/(√ṽ + ε) and θ ← θ − γb,
     * else θ ← θ − γg/(√ṽ + ε).
     */
    static OptimTesting.Reference reference(double lr, double alpha, double eps, double weightDecay, double momentum,
                                            boolean centered, boolean maximize) {
        double[] v = OptimTesting.zeros(), gAve = OptimTesting.zeros(), b = OptimTesting.zeros();
        return (theta, grad, t) -> {
            for (int i = 0; i < theta.length; i++) {
                double g = maximize ? -grad[i] : grad[i];
                if (weightDecay != 0) {
                    g = g + weightDecay * theta[i];
                }
                v[i] = alpha * v[i] + (1 - alpha) * g * g;
                double vTilde = v[i];
                if (centered) {
                    gAve[i] = gAve[i] * alpha + (1 - alpha) * g;
                    vTilde = vTilde - gAve[i] * gAve[i];
                }
                if (momentum > 0) {
                    b[i] = momentum * b[i] + g / (Math.sqrt(vTilde) + eps);
                    theta[i] = theta[i] - lr * b[i];
                } else {
                    theta[i] = theta[i] - lr * g / (Math.sqrt(vTilde) + eps);
                }
            }
        };
    }

    @Test
    void defaults() {
        assertMatchesReference(RMSprop::new, reference(1e-2, 0.99, 1e-8, 0, 0, false, false));
    }

    @Test
    void alphaEpsAndLearningRate() {
        assertMatchesReference(p -> RMSprop.builder(p).lr(0.05).alpha(0.7).eps(1e-4).build(),
                reference(0.05, 0.7, 1e-4, 0, 0, false, false));
    }

    @Test
    void momentum() {
        assertMatchesReference(p -> RMSprop.builder(p).lr(0.02).alpha(0.9).momentum(0.8).build(),
                reference(0.02, 0.9, 1e-8, 0, 0.8, false, false));
    }

    @Test
    void centered() {
        assertMatchesReference(p -> RMSprop.builder(p).lr(0.02).alpha(0.9).centered(true).build(),
                reference(0.02, 0.9, 1e-8, 0, 0, true, false));
    }

    @Test
    void centeredWithMomentumWeightDecayAndMaximize() {
        assertMatchesReference(p -> RMSprop.builder(p).lr(0.01).alpha(0.8).eps(1e-6).weightDecay(0.05).momentum(0.5)
                        .centered(true).maximize(true).build(),
                reference(0.01, 0.8, 1e-6, 0.05, 0.5, true, true));
    }

    @Test
    void stateHasTheBuffersTheOptionsNeed() {
        Parameter p = param(THETA0), q = param(THETA0);
        RMSprop plain = new RMSprop(List.of(p));
        RMSprop full = RMSprop.builder(List.of(q)).momentum(0.9).centered(true).build();
        p.setGrad(grad(GRADS[0]));
        q.setGrad(grad(GRADS[0]));
        plain.step();
        full.step();
        assertThat(plain.stateDict().state().get(0)).containsOnlyKeys("step", "square_avg");
        Map<String, Tensor> state = full.stateDict().state().get(0);
        assertThat(List.copyOf(state.keySet())).containsExactly("step", "square_avg", "momentum_buffer", "grad_avg");
        double[] squareAvg = new double[4];
        for (int i = 0; i < 4; i++) {
            squareAvg[i] = 0.01 * GRADS[0][i] * GRADS[0][i];
        }
        assertClose(state.get("square_avg").toDoubleArray(), squareAvg, 1e-15, "square_avg");
        assertThat(state.get("step").item()).isEqualTo(1.0);
    }

    @Test
    void invalidHyperparametersAreRejectedWithPyTorchsMessages() {
        List<Parameter> ps = List.of(param(THETA0));
        assertThatThrownBy(() -> new RMSprop(ps, -1.0)).hasMessage("Invalid learning rate: -1.0");
        assertThatThrownBy(() -> RMSprop.builder(ps).eps(-1).build()).hasMessage("Invalid epsilon value: -1.0");
        assertThatThrownBy(() -> RMSprop.builder(ps).momentum(-1).build()).hasMessage("Invalid momentum value: -1.0");
        assertThatThrownBy(() -> RMSprop.builder(ps).weightDecay(-1).build())
                .hasMessage("Invalid weight_decay value: -1.0");
        assertThatThrownBy(() -> RMSprop.builder(ps).alpha(-0.5).build()).hasMessage("Invalid alpha value: -0.5");
    }
}
