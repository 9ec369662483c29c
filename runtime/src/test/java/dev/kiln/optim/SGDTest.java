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
import org.junit.jupiter.api.Test;

/** SGD against PyTorch's documented algorithm, computed by hand in doubles. */
class SGDTest {

    /**
     * PyTorch's SGD pseudo-code as documented: g ← g + λθ; with momentum b ← g at t = 1, else
     * b ← μb + (1 − τ)g; g ← g + μb (nesterov) or b; θ ← θ ∓ γg (+ when maximizing).
     */
    static OptimTesting.Reference reference(double lr, double momentum, double dampening, double weightDecay,
                                            boolean nesterov, boolean maximize) {
        double[] b = OptimTesting.zeros();
        return (theta, grad, t) -> {
            for (int i = 0; i < theta.length; i++) {
                double g = grad[i];
                if (weightDecay != 0) {
                    g = g + weightDecay * theta[i];
                }
                if (momentum != 0) {
                    b[i] = t > 1 ? momentum * b[i] + (1 - dampening) * g : g;
                    g = nesterov ? g + momentum * b[i] : b[i];
                }
                theta[i] = maximize ? theta[i] + lr * g : theta[i] - lr * g;
            }
        };
    }

    @Test
    void plainGradientDescent() {
        assertMatchesReference(p -> new SGD(p, 0.1), reference(0.1, 0, 0, 0, false, false));
    }

    @Test
    void momentum() {
        assertMatchesReference(p -> SGD.builder(p).lr(0.05).momentum(0.9).build(),
                reference(0.05, 0.9, 0, 0, false, false));
    }

    @Test
    void momentumWithDampening() {
        assertMatchesReference(p -> SGD.builder(p).lr(0.05).momentum(0.8).dampening(0.3).build(),
                reference(0.05, 0.8, 0.3, 0, false, false));
    }

    @Test
    void nesterov() {
        assertMatchesReference(p -> SGD.builder(p).lr(0.05).momentum(0.9).nesterov(true).build(),
                reference(0.05, 0.9, 0, 0, true, false));
    }

    @Test
    void weightDecay() {
        assertMatchesReference(p -> SGD.builder(p).lr(0.1).weightDecay(0.01).build(),
                reference(0.1, 0, 0, 0.01, false, false));
    }

    @Test
    void weightDecayMomentumAndNesterovTogether() {
        assertMatchesReference(p -> SGD.builder(p).lr(0.03).momentum(0.7).weightDecay(0.05).nesterov(true).build(),
                reference(0.03, 0.7, 0, 0.05, true, false));
    }

    @Test
    void maximizeWithMomentum() {
        assertMatchesReference(p -> SGD.builder(p).lr(0.05).momentum(0.9).dampening(0.1).maximize(true).build(),
                reference(0.05, 0.9, 0.1, 0, false, true));
    }

    @Test
    void maximizeWithWeightDecayNegatesTheGradientFirst() {
        // PyTorch's implementation (and its Adam/RMSprop/Adagrad pseudo-code) negates the gradient before
        // adding λθ, so weight decay still shrinks θ when maximizing: θ ← θ − γ(−g + λθ).
        double lr = 0.1, weightDecay = 0.2;
        assertMatchesReference(p -> SGD.builder(p).lr(lr).weightDecay(weightDecay).maximize(true).build(),
                (theta, grad, t) -> {
                    for (int i = 0; i < theta.length; i++) {
                        theta[i] -= lr * (-grad[i] + weightDecay * theta[i]);
                    }
                });
    }

    @Test
    void momentumBufferIsKeptAsState() {
        Parameter p = param(THETA0);
        SGD sgd = SGD.builder(List.of(p)).lr(0.1).momentum(0.5).dampening(0.2).build();
        double[] b = OptimTesting.zeros();
        for (int t = 1; t <= 3; t++) {
            p.setGrad(grad(GRADS[t - 1]));
            sgd.step();
            for (int i = 0; i < b.length; i++) {
                b[i] = t > 1 ? 0.5 * b[i] + 0.8 * GRADS[t - 1][i] : GRADS[t - 1][i];
            }
        }
        OptimizerState state = sgd.stateDict();
        assertThat(state.state()).containsOnlyKeys(0);
        assertThat(state.state().get(0)).containsOnlyKeys("momentum_buffer");
        assertClose(state.state().get(0).get("momentum_buffer").toDoubleArray(), b, 1e-15, "momentum_buffer");
    }

    @Test
    void withoutMomentumThereIsNoState() {
        Parameter p = param(THETA0);
        SGD sgd = new SGD(List.of(p), 0.1);
        p.setGrad(grad(GRADS[0]));
        sgd.step();
        assertThat(sgd.stateDict().state()).isEmpty();
    }

    @Test
    void float32ParametersFollowTheSameRule() {
        Parameter p = new Parameter(Tensor.of(1f, -2f, 0.5f, 3f));
        SGD sgd = SGD.builder(List.of(p)).lr(0.05).momentum(0.9).nesterov(true).weightDecay(0.01).build();
        OptimTesting.Reference reference = reference(0.05, 0.9, 0, 0.01, true, false);
        double[] theta = THETA0.clone();
        for (int t = 1; t <= GRADS.length; t++) {
            float[] g = new float[4];
            for (int i = 0; i < 4; i++) {
                g[i] = (float) GRADS[t - 1][i];
            }
            p.setGrad(Tensor.of(g));
            sgd.step();
            reference.step(theta, GRADS[t - 1], t);
            assertClose(p.toDoubleArray(), theta, 1e-6, "step " + t);
        }
        assertThat(p.toFloatArray()).hasSize(4);
    }

    @Test
    void stepsFromGradientsComputedByBackward() {
        // loss = sum((w - target)^2) / 2 has gradient w - target: SGD with lr 0.5 halves the distance each step.
        Parameter w = new Parameter(Tensor.of(4.0, -2.0));
        Tensor target = Tensor.of(1.0, 1.0);
        SGD sgd = new SGD(List.of(w), 0.5);
        for (int step = 0; step < 3; step++) {
            sgd.zeroGrad();
            w.minus(target).pow(2).sum().div(2.0).backward();
            sgd.step();
        }
        assertClose(w.toDoubleArray(), new double[] {1 + 3 / 8.0, 1 - 3 / 8.0}, 1e-15, "w");
        assertThat(w.requiresGrad()).isTrue();
        assertThat(w.isLeaf()).isTrue();
    }

    @Test
    void parametersWithoutGradientsAreSkipped() {
        Parameter a = param(THETA0), b = param(THETA0);
        SGD sgd = SGD.builder(List.of(a, b)).lr(0.1).momentum(0.9).build();
        a.setGrad(grad(GRADS[0]));
        sgd.step();
        assertThat(b.toDoubleArray()).containsExactly(THETA0);
        assertThat(a.toDoubleArray()).doesNotContain(THETA0[0]);
        assertThat(sgd.stateDict().state()).containsOnlyKeys(0);
    }

    @Test
    void defaultsArePyTorchs() {
        SGD sgd = new SGD(List.of(param(THETA0)));
        assertThat(sgd.defaults()).containsExactly(
                java.util.Map.entry("lr", 1e-3), java.util.Map.entry("momentum", 0.0),
                java.util.Map.entry("dampening", 0.0), java.util.Map.entry("weight_decay", 0.0),
                java.util.Map.entry("nesterov", false), java.util.Map.entry("maximize", false));
        assertThat(sgd.name()).isEqualTo("SGD");
        assertThat(sgd.paramGroups().get(0).options()).isEqualTo(sgd.defaults());
    }

    @Test
    void invalidHyperparametersAreRejectedWithPyTorchsMessages() {
        List<Parameter> ps = List.of(param(THETA0));
        assertThatThrownBy(() -> new SGD(ps, -1.0))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("Invalid learning rate: -1.0");
        assertThatThrownBy(() -> SGD.builder(ps).momentum(-0.5).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessage("Invalid momentum value: -0.5");
        assertThatThrownBy(() -> SGD.builder(ps).weightDecay(-0.1).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessage("Invalid weight_decay value: -0.1");
        assertThatThrownBy(() -> SGD.builder(ps).nesterov(true).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("Nesterov momentum requires a momentum and zero dampening");
        assertThatThrownBy(() -> SGD.builder(ps).nesterov(true).momentum(0.9).dampening(0.1).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("Nesterov momentum requires a momentum and zero dampening");
        assertThatThrownBy(() -> new SGD(ps, Double.NaN))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("Invalid learning rate: NaN");
    }
}
