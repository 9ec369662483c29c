package dev.kiln.optim;

import dev.kiln.Tensor;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Adam with decoupled weight decay, the counterpart of {@code torch.optim.AdamW}: the parameter
 * itself shrinks by γλ at each step instead of λθ being added to the gradient. For each parameter θ
 * with gradient g at its t-th step (m, v and v̂max start at zero):
 * <pre>
 * g ← −g                        if maximize
 * θ ← θ − γ λ θ
 * m ← β₁ m + (1 − β₁) g
 * v ← β₂ v + (1 − β₂) g²
 * m̂ ← m / (1 − β₁ᵗ)
 * if amsgrad: v̂max ← max(v̂max, v);  v̂ ← v̂max / (1 − β₂ᵗ)
 * else:       v̂ ← v / (1 − β₂ᵗ)
 * θ ← θ − γ m̂ / (√v̂ + ε)
 * </pre>
 *
 * <p>Hyperparameters are {@link Adam}'s, with weight decay λ defaulting to 0.01: learning rate γ
 * {@code lr(..)}, {@code "lr"}, 0.001; {@code betas(β₁, β₂)}, {@code "betas"}, (0.9, 0.999);
 * {@code eps(..)}, {@code "eps"}, 1e-8; {@code weightDecay(..)}, {@code "weight_decay"}, 0.01;
 * {@code amsgrad(..)}, {@code "amsgrad"}, false; {@code maximize(..)}, {@code "maximize"}, false.
 *
 * <p>State per parameter: {@code step}, {@code exp_avg}, {@code exp_avg_sq} and, with amsgrad,
 * {@code max_exp_avg_sq}.
 */
public final class AdamW extends Optimizer {

    /** AdamW on {@code params} with PyTorch's defaults (learning rate 0.001, weight decay 0.01). */
    public AdamW(Iterable<? extends Tensor> params) {
        this(builder(params));
    }

    /** AdamW on {@code params} with learning rate {@code lr} and PyTorch's other defaults. */
    public AdamW(Iterable<? extends Tensor> params, double lr) {
        this(builder(params).lr(lr));
    }

    private AdamW(Builder builder) {
        super("AdamW", builder.groups(), builder.defaults());
    }

    /** A builder for AdamW on {@code params}, starting from PyTorch's defaults. */
    public static Builder builder(Iterable<? extends Tensor> params) {
        return new Builder(List.of(ParamGroup.of(params)));
    }

    /** A builder for AdamW on parameter groups, each of which may set its own hyperparameters. */
    public static Builder builder(List<ParamGroup> groups) {
        return new Builder(groups);
    }

    @Override
    protected void checkHyperparameters(Map<String, Object> h) {
        Adam.check(h);
    }

    @Override
    protected Set<String> stateKeys() {
        return Adam.STATE_KEYS;
    }

    @Override
    protected Set<String> requiredStateKeys() {
        return Adam.REQUIRED_STATE_KEYS;
    }

    @Override
    protected void update(ParamGroup group, Tensor param, Tensor grad, Map<String, Tensor> state) {
        Adam.update(group, param, grad, state, true);
    }

    /** Builds an {@link AdamW}; every setter has PyTorch's default until called. */
    public static final class Builder extends Optimizer.Builder<Builder, AdamW> {
        private Builder(List<ParamGroup> groups) {
            super(groups, Adam.pytorchDefaults(1e-2));
        }

        /** The coefficients β₁, β₂ of the running averages of the gradient and its square ({@code "betas"}, default 0.9, 0.999). */
        public Builder betas(double beta1, double beta2) {
            return set("betas", List.of(beta1, beta2));
        }

        /** The term ε added to the denominator ({@code "eps"}, default 1e-8). */
        public Builder eps(double eps) {
            return set("eps", eps);
        }

        /** Whether to use the AMSGrad variant ({@code "amsgrad"}, default false). */
        public Builder amsgrad(boolean amsgrad) {
            return set("amsgrad", amsgrad);
        }

        @Override
        public AdamW build() {
            return new AdamW(this);
        }
    }
}
