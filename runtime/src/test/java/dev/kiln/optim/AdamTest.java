package dev.kiln.optim;

import static dev.kiln.optim.OptimTesting.GRADS;
import static dev.kiln.optim.OptimTesting.SHRINKING_GRADS;
import static dev.kiln.optim.OptimTesting.THETA0;
import static dev.kiln.optim.OptimTesting.assertClose;
import static dev.kiln.optim.OptimTesting.assertMatchesReference;
import static dev.kiln.optim.OptimTesting.grad;
import static dev.kiln.optim.OptimTesting.param;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.DType;
import dev.kiln.Parameter;
import dev.kiln.Tensor;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Adam and AdamW against PyTorch's documented algorithms, computed by hand in doubles. */
class AdamTest {

    /**
     * PyTorch's Adam / AdamW pseudo-code: g ← −g if maximize; Adam: g ← g + λθ, AdamW: θ ← θ − γλθ;
     * m ← β₁m + (1 − β₁)g; v ← β₂v + (1 − β₂)g²; m̂ = m/(1 − β₁ᵗ); with amsgrad vmax ← max(vmax, v) and
     * v̂ = vmax/(1 − β₂ᵗ), else v̂ = v/(1 − β₂ᵗ); θ ← θ − γ m̂/(√v̂ + ε).
     */
    static OptimTesting.Reference reference(double lr, double beta1, double beta2, double eps, double weightDecay,
                                            boolean amsgrad, boolean maximize, boolean decoupled) {
        double[] m = OptimTesting.zeros(), v = OptimTesting.zeros(), vMax = OptimTesting.zeros();
        return (theta, grad, t) -> {
            for (int i = 0; i < theta.length; i++) {
                double g = maximize ? -grad[i] : grad[i];
                if (weightDecay != 0) {
                    if (decoupled) {
                        theta[i] = theta[i] - lr * weightDecay * theta[i];
                    } else {
                        g = g + weightDecay * theta[i];
                    }
                }
                m[i] = beta1 * m[i] + (1 - beta1) * g;
                v[i] = beta2 * v[i] + (1 - beta2) * g * g;
                double mHat = m[i] / (1 - Math.pow(beta1, t));
                double vHat;
                if (amsgrad) {
                    vMax[i] = Math.max(vMax[i], v[i]);
                    vHat = vMax[i] / (1 - Math.pow(beta2, t));
                } else {
                    vHat = v[i] / (1 - Math.pow(beta2, t));
                }
                theta[i] = theta[i] - lr * mHat / (Math.sqrt(vHat) + eps);
            }
        };
    }

    @Test
    void defaults() {
        assertMatchesReference(Adam::new, reference(1e-3, 0.9, 0.999, 1e-8, 0, false, false, false));
    }

    @Test
    void customBetasEpsAndLearningRate() {
        assertMatchesReference(p -> Adam.builder(p).lr(0.1).betas(0.8, 0.95).eps(1e-3).build(),
                reference(0.1, 0.8, 0.95, 1e-3, 0, false, false, false));
    }

    @Test
    void l2WeightDecay() {
        assertMatchesReference(p -> Adam.builder(p).lr(0.05).weightDecay(0.1).build(),
                reference(0.05, 0.9, 0.999, 1e-8, 0.1, false, false, false));
    }

    @Test
    void amsgradKeepsTheRunningMaximum() {
        assertMatchesReference(p -> Adam.builder(p).lr(0.05).betas(0.5, 0.6).amsgrad(true).build(),
                reference(0.05, 0.5, 0.6, 1e-8, 0, true, false, false), SHRINKING_GRADS);
        // The gradients are chosen so that the maximum matters: without it the result differs.
        double[] with = run(p -> Adam.builder(p).lr(0.05).betas(0.5, 0.6).amsgrad(true).build());
        double[] without = run(p -> Adam.builder(p).lr(0.05).betas(0.5, 0.6).build());
        assertThat(Math.abs(with[0] - without[0])).isGreaterThan(1e-3);
    }

    @Test
    void maximize() {
        assertMatchesReference(p -> Adam.builder(p).lr(0.05).weightDecay(0.02).maximize(true).build(),
                reference(0.05, 0.9, 0.999, 1e-8, 0.02, false, true, false));
    }

    @Test
    void adamWDecouplesWeightDecay() {
        assertMatchesReference(p -> AdamW.builder(p).lr(0.05).weightDecay(0.1).build(),
                reference(0.05, 0.9, 0.999, 1e-8, 0.1, false, false, true));
    }

    @Test
    void adamWDefaultsToWeightDecayOneHundredth() {
        AdamW adamW = new AdamW(List.of(param(THETA0)));
        assertThat(adamW.defaults()).containsEntry("weight_decay", 0.01).containsEntry("lr", 1e-3)
                .containsEntry("betas", List.of(0.9, 0.999)).containsEntry("eps", 1e-8)
                .containsEntry("amsgrad", false).containsEntry("maximize", false);
        assertMatchesReference(AdamW::new, reference(1e-3, 0.9, 0.999, 1e-8, 0.01, false, false, true));
    }

    @Test
    void adamWWithAmsgradAndMaximize() {
        assertMatchesReference(p -> AdamW.builder(p).lr(0.02).betas(0.7, 0.8).weightDecay(0.3).amsgrad(true)
                        .maximize(true).build(),
                reference(0.02, 0.7, 0.8, 1e-8, 0.3, true, true, true), SHRINKING_GRADS);
    }

    @Test
    void adamAndAdamWDifferOnlyWithWeightDecay() {
        double[] adam = run(p -> Adam.builder(p).lr(0.1).build());
        double[] adamW = run(p -> AdamW.builder(p).lr(0.1).weightDecay(0).build());
        assertThat(adamW).containsExactly(adam);
        double[] adamL2 = run(p -> Adam.builder(p).lr(0.1).weightDecay(0.5).build());
        double[] adamWDecay = run(p -> AdamW.builder(p).lr(0.1).weightDecay(0.5).build());
        assertThat(Math.abs(adamL2[0] - adamWDecay[0])).isGreaterThan(1e-3);
    }

    /**
     * The step reads a group's hyperparameters once and keeps them until one changes: a learning
     * rate and betas set between steps take effect at the next step, and parameters of one group at
     * different step counts (one had no gradient at first) each get their own bias corrections.
     */
    @Test
    void hyperparametersSetBetweenStepsAndParametersAtDifferentStepsFollowTheRule() {
        Parameter first = param(THETA0), second = param(THETA0);
        Adam adam = Adam.builder(List.of(first, second)).lr(0.1).build();
        ParamGroup group = adam.paramGroups().get(0);
        double[] lrs = {0.1, 0.1, 0.02, 0.02}, beta1s = {0.9, 0.9, 0.5, 0.5}, beta2s = {0.999, 0.999, 0.6, 0.6};
        double[][] theta = {THETA0.clone(), THETA0.clone()}, m = new double[2][4], v = new double[2][4];
        int[] steps = new int[2];
        for (int s = 0; s < 4; s++) {
            if (s == 2) {
                group.lr(0.02).set("betas", List.of(0.5, 0.6));
            }
            first.setGrad(grad(GRADS[s]));
            second.setGrad(s == 0 ? null : grad(GRADS[s - 1]));
            adam.step();
            for (int k = 0; k < 2; k++) {
                if (k == 1 && s == 0) {
                    continue;
                }
                double[] g = GRADS[k == 0 ? s : s - 1];
                int t = ++steps[k];
                for (int i = 0; i < 4; i++) {
                    m[k][i] = beta1s[s] * m[k][i] + (1 - beta1s[s]) * g[i];
                    v[k][i] = beta2s[s] * v[k][i] + (1 - beta2s[s]) * g[i] * g[i];
                    double mHat = m[k][i] / (1 - Math.pow(beta1s[s], t));
                    double vHat = v[k][i] / (1 - Math.pow(beta2s[s], t));
                    theta[k][i] -= lrs[s] * mHat / (Math.sqrt(vHat) + 1e-8);
                }
            }
            assertClose(first.toDoubleArray(), theta[0], 1e-12, "first parameter, step " + (s + 1));
            assertClose(second.toDoubleArray(), theta[1], 1e-12, "second parameter, step " + (s + 1));
        }
    }

    /**
     * Float32 amsgrad runs Adam's generic loop rather than a provider kernel, and stores its averages
     * as the kernels do: where a gradient stays zero, m and v halve each step (betas 0.5), and after
     * 130 steps 0.5^131 would be subnormal in float; they are stored as zero instead. The other
     * element keeps a gradient of 1 and normal averages.
     */
    @Test
    void float32AmsgradFlushesAveragesThatWouldBeSubnormal() {
        Parameter p = new Parameter(Tensor.of(1f, 1f));
        Adam adam = Adam.builder(List.of(p)).lr(1e-3).betas(0.5, 0.5).amsgrad(true).build();
        p.setGrad(Tensor.of(1f, 1f));
        adam.step();
        for (int t = 0; t < 130; t++) {
            p.setGrad(Tensor.of(0f, 1f));
            adam.step();
        }
        Map<String, Tensor> state = adam.stateDict().state().get(0);
        for (String name : List.of("exp_avg", "exp_avg_sq")) {
            float[] values = state.get(name).toFloatArray();
            assertThat(state.get(name).dtype()).isEqualTo(DType.FLOAT32);
            assertThat(values[0]).as("%s of the element whose gradient stayed zero", name).isEqualTo(0f);
            assertThat(values[1]).as("%s of the element with gradient 1", name).isGreaterThan(0.5f);
        }
        assertThat(state.get("max_exp_avg_sq").toFloatArray()).containsExactly(0.5f, 1f);
    }

    @Test
    void stateHoldsStepAndMoments() {
        Parameter p = param(THETA0);
        Adam adam = Adam.builder(List.of(p)).lr(0.1).amsgrad(true).build();
        for (int t = 1; t <= 3; t++) {
            p.setGrad(grad(GRADS[t - 1]));
            adam.step();
        }
        Map<String, Tensor> state = adam.stateDict().state().get(0);
        assertThat(state).containsOnlyKeys("step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq");
        assertThat(List.copyOf(state.keySet())).containsExactly("step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq");
        assertThat(state.get("step").dtype()).isEqualTo(DType.FLOAT32);
        assertThat(state.get("step").dim()).isZero();
        assertThat(state.get("step").item()).isEqualTo(3.0);
        double[] m = new double[4], v = new double[4];
        for (int t = 0; t < 3; t++) {
            for (int i = 0; i < 4; i++) {
                m[i] = 0.9 * m[i] + 0.1 * GRADS[t][i];
                v[i] = 0.999 * v[i] + 0.001 * GRADS[t][i] * GRADS[t][i];
            }
        }
        assertClose(state.get("exp_avg").toDoubleArray(), m, 1e-14, "exp_avg");
        assertClose(state.get("exp_avg_sq").toDoubleArray(), v, 1e-14, "exp_avg_sq");
        assertThat(state.get("exp_avg").shape()).isEqualTo(p.shape());
    }

    @Test
    void float32ParametersFollowTheSameRule() {
        Parameter p = new Parameter(Tensor.of(1f, -2f, 0.5f, 3f));
        Adam adam = Adam.builder(List.of(p)).lr(0.01).weightDecay(0.1).amsgrad(true).build();
        OptimTesting.Reference reference = reference(0.01, 0.9, 0.999, 1e-8, 0.1, true, false, false);
        double[] theta = THETA0.clone();
        for (int t = 1; t <= GRADS.length; t++) {
            p.setGrad(Tensor.of(GRADS[t - 1]).toFloat());
            adam.step();
            reference.step(theta, GRADS[t - 1], t);
            assertClose(p.toDoubleArray(), theta, 1e-6, "step " + t);
        }
        assertThat(p.dtype()).isEqualTo(DType.FLOAT32);
        assertThat(adam.stateDict().state().get(0).get("exp_avg").dtype()).isEqualTo(DType.FLOAT32);
    }

    @Test
    void invalidHyperparametersAreRejectedWithPyTorchsMessages() {
        List<Parameter> ps = List.of(param(THETA0));
        assertThatThrownBy(() -> new Adam(ps, -1.0)).hasMessage("Invalid learning rate: -1.0");
        assertThatThrownBy(() -> Adam.builder(ps).eps(-1e-8).build()).hasMessage("Invalid epsilon value: -1.0E-8");
        assertThatThrownBy(() -> Adam.builder(ps).betas(1.0, 0.999).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessage("Invalid beta parameter at index 0: 1.0");
        assertThatThrownBy(() -> Adam.builder(ps).betas(0.9, -0.1).build())
                .hasMessage("Invalid beta parameter at index 1: -0.1");
        assertThatThrownBy(() -> Adam.builder(ps).weightDecay(-1).build())
                .hasMessage("Invalid weight_decay value: -1.0");
        assertThatThrownBy(() -> new AdamW(ps, -0.5)).hasMessage("Invalid learning rate: -0.5");
        assertThatThrownBy(() -> AdamW.builder(ps).betas(0.9, 1.5).build())
                .hasMessage("Invalid beta parameter at index 1: 1.5");
    }

    private static double[] run(java.util.function.Function<List<Parameter>, Optimizer> make) {
        Parameter p = param(THETA0);
        Optimizer optimizer = make.apply(List.of(p));
        for (double[] g : SHRINKING_GRADS) {
            p.setGrad(grad(g));
            optimizer.step();
        }
        return p.toDoubleArray();
    }
}
