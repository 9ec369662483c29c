package dev.kiln.optim;

import dev.kiln.DType;
import dev.kiln.Tensor;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Adam, the counterpart of {@code torch.optim.Adam}. For each parameter θ with gradient g at its
 * t-th step (m, v and v̂max start at zero):
 * <pre>
 * g ← −g                        if maximize
 * g ← g + λ θ                   if λ ≠ 0          (L2 weight decay; see {@link AdamW} for the decoupled kind)
 * m ← β₁ m + (1 − β₁) g
 * v ← β₂ v + (1 − β₂) g²
 * m̂ ← m / (1 − β₁ᵗ)
 * if amsgrad: v̂max ← max(v̂max, v);  v̂ ← v̂max / (1 − β₂ᵗ)
 * else:       v̂ ← v / (1 − β₂ᵗ)
 * θ ← θ − γ m̂ / (√v̂ + ε)
 * </pre>
 *
 * <p>Hyperparameters (builder method, PyTorch name, default): learning rate γ {@code lr(..)},
 * {@code "lr"}, 0.001; {@code betas(β₁, β₂)}, {@code "betas"}, (0.9, 0.999); {@code eps(..)},
 * {@code "eps"}, 1e-8; weight decay λ {@code weightDecay(..)}, {@code "weight_decay"}, 0;
 * {@code amsgrad(..)}, {@code "amsgrad"}, false; {@code maximize(..)}, {@code "maximize"}, false.
 *
 * <p>State per parameter: {@code step}, {@code exp_avg} (m), {@code exp_avg_sq} (v) and, with amsgrad,
 * {@code max_exp_avg_sq}.
 *
 * <pre>{@code
 * var adam = Adam.builder(model.parameters()).lr(1e-4).betas(0.9, 0.99).build();
 * }</pre>
 */
public final class Adam extends Optimizer {
    static final Set<String> STATE_KEYS = orderedKeys("step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq");
    static final Set<String> REQUIRED_STATE_KEYS = orderedKeys("step", "exp_avg", "exp_avg_sq");

    /** Adam on {@code params} with PyTorch's defaults (learning rate 0.001). */
    public Adam(Iterable<? extends Tensor> params) {
        this(builder(params));
    }

    /** Adam on {@code params} with learning rate {@code lr} and PyTorch's other defaults. */
    public Adam(Iterable<? extends Tensor> params, double lr) {
        this(builder(params).lr(lr));
    }

    private Adam(Builder builder) {
        super("Adam", builder.groups(), builder.defaults());
    }

    /** A builder for Adam on {@code params}, starting from PyTorch's defaults. */
    public static Builder builder(Iterable<? extends Tensor> params) {
        return new Builder(List.of(ParamGroup.of(params)));
    }

    /** A builder for Adam on parameter groups, each of which may set its own hyperparameters. */
    public static Builder builder(List<ParamGroup> groups) {
        return new Builder(groups);
    }

    static Map<String, Object> pytorchDefaults(double weightDecay) {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("lr", 1e-3);
        d.put("betas", List.of(0.9, 0.999));
        d.put("eps", 1e-8);
        d.put("weight_decay", weightDecay);
        d.put("amsgrad", false);
        d.put("maximize", false);
        return d;
    }

    static void check(Map<String, Object> h) {
        double lr = number(h, "lr"), eps = number(h, "eps"), weightDecay = number(h, "weight_decay");
        double[] betas = pair(h, "betas");
        require(lr >= 0, "Invalid learning rate: " + lr);
        require(eps >= 0, "Invalid epsilon value: " + eps);
        require(betas[0] >= 0 && betas[0] < 1, "Invalid beta parameter at index 0: " + betas[0]);
        require(betas[1] >= 0 && betas[1] < 1, "Invalid beta parameter at index 1: " + betas[1]);
        require(weightDecay >= 0, "Invalid weight_decay value: " + weightDecay);
    }

    @Override
    protected void checkHyperparameters(Map<String, Object> h) {
        check(h);
    }

    @Override
    protected Set<String> stateKeys() {
        return STATE_KEYS;
    }

    @Override
    protected Set<String> requiredStateKeys() {
        return REQUIRED_STATE_KEYS;
    }

    @Override
    protected void update(ParamGroup group, Tensor param, Tensor grad, Map<String, Tensor> state) {
        update(group, param, grad, state, false);
    }

    /** Adam's step for one parameter; {@code decoupled} applies weight decay as AdamW does. */
    static void update(ParamGroup group, Tensor param, Tensor grad, Map<String, Tensor> state, boolean decoupled) {
        double lr = group.getDouble("lr"), eps = group.getDouble("eps"), weightDecay = group.getDouble("weight_decay");
        List<?> betas = (List<?>) group.get("betas");
        double beta1 = ((Number) betas.get(0)).doubleValue(), beta2 = ((Number) betas.get(1)).doubleValue();
        boolean amsgrad = group.getBoolean("amsgrad");
        if (state.isEmpty()) {
            state.put("step", Tensor.scalar(0.0, DType.FLOAT32));
            state.put("exp_avg", Tensor.zerosLike(param));
            state.put("exp_avg_sq", Tensor.zerosLike(param));
        }
        if (amsgrad && !state.containsKey("max_exp_avg_sq")) {
            state.put("max_exp_avg_sq", Tensor.zerosLike(param));
        }
        double t = state.get("step").item() + 1;
        state.put("step", Tensor.scalar(t, DType.FLOAT32));

        Tensor g = group.getBoolean("maximize") ? grad.unaryMinus() : grad;
        if (weightDecay != 0) {
            if (decoupled) {
                param.timesAssign(1 - lr * weightDecay);
            } else {
                g = g.plus(param.times(weightDecay));
            }
        }
        Tensor m = state.get("exp_avg").times(beta1).plus(g.times(1 - beta1));
        Tensor v = state.get("exp_avg_sq").times(beta2).plus(g.times(g).times(1 - beta2));
        state.put("exp_avg", m);
        state.put("exp_avg_sq", v);
        if (amsgrad) {
            Tensor max = state.get("max_exp_avg_sq");
            v = Tensor.where(max.gt(v), max, v);
            state.put("max_exp_avg_sq", v);
        }
        double biasCorrection1 = 1 - Math.pow(beta1, t);
        double biasCorrection2Sqrt = Math.sqrt(1 - Math.pow(beta2, t));
        Tensor denominator = v.sqrt().div(biasCorrection2Sqrt).plus(eps);
        param.minusAssign(m.div(denominator).times(lr / biasCorrection1));
    }

    /** Builds an {@link Adam}; every setter has PyTorch's default until called. */
    public static final class Builder extends Optimizer.Builder<Builder, Adam> {
        private Builder(List<ParamGroup> groups) {
            super(groups, pytorchDefaults(0.0));
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
        public Adam build() {
            return new Adam(this);
        }
    }
}
