package dev.kiln.optim;

import dev.kiln.DType;
import dev.kiln.Tensor;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * RMSprop, the counterpart of {@code torch.optim.RMSprop}. For each parameter θ with gradient g (the
 * square average v, the gradient average ḡ and the momentum buffer b start at zero):
 * <pre>
 * g ← −g                        if maximize
 * g ← g + λ θ                   if λ ≠ 0          (weight decay)
 * v ← α v + (1 − α) g²
 * ṽ ← v
 * if centered: ḡ ← α ḡ + (1 − α) g;  ṽ ← ṽ − ḡ²
 * if μ &gt; 0:   b ← μ b + g / (√ṽ + ε);  θ ← θ − γ b
 * else:        θ ← θ − γ g / (√ṽ + ε)
 * </pre>
 *
 * <p>Hyperparameters (builder method, PyTorch name, default): learning rate γ {@code lr(..)},
 * {@code "lr"}, 0.01; smoothing constant α {@code alpha(..)}, {@code "alpha"}, 0.99;
 * {@code eps(..)}, {@code "eps"}, 1e-8; weight decay λ {@code weightDecay(..)},
 * {@code "weight_decay"}, 0; momentum μ {@code momentum(..)}, {@code "momentum"}, 0;
 * {@code centered(..)}, {@code "centered"}, false; {@code maximize(..)}, {@code "maximize"}, false.
 *
 * <p>State per parameter: {@code step}, {@code square_avg} (v), {@code momentum_buffer} (b, only with
 * momentum) and {@code grad_avg} (ḡ, only when centered).
 */
public final class RMSprop extends Optimizer {
    private static final Set<String> STATE_KEYS = orderedKeys("step", "square_avg", "momentum_buffer", "grad_avg");
    private static final Set<String> REQUIRED_STATE_KEYS = orderedKeys("step", "square_avg");

    /** RMSprop on {@code params} with PyTorch's defaults (learning rate 0.01, α 0.99). */
    public RMSprop(Iterable<? extends Tensor> params) {
        this(builder(params));
    }

    /** RMSprop on {@code params} with learning rate {@code lr} and PyTorch's other defaults. */
    public RMSprop(Iterable<? extends Tensor> params, double lr) {
        this(builder(params).lr(lr));
    }

    private RMSprop(Builder builder) {
        super("RMSprop", builder.groups(), builder.defaults());
    }

    /** A builder for RMSprop on {@code params}, starting from PyTorch's defaults. */
    public static Builder builder(Iterable<? extends Tensor> params) {
        return new Builder(List.of(ParamGroup.of(params)));
    }

    /** A builder for RMSprop on parameter groups, each of which may set its own hyperparameters. */
    public static Builder builder(List<ParamGroup> groups) {
        return new Builder(groups);
    }

    private static Map<String, Object> pytorchDefaults() {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("lr", 1e-2);
        d.put("alpha", 0.99);
        d.put("eps", 1e-8);
        d.put("weight_decay", 0.0);
        d.put("momentum", 0.0);
        d.put("centered", false);
        d.put("maximize", false);
        return d;
    }

    @Override
    protected void checkHyperparameters(Map<String, Object> h) {
        double lr = number(h, "lr"), eps = number(h, "eps"), momentum = number(h, "momentum");
        double weightDecay = number(h, "weight_decay"), alpha = number(h, "alpha");
        require(lr >= 0, "Invalid learning rate: " + lr);
        require(eps >= 0, "Invalid epsilon value: " + eps);
        require(momentum >= 0, "Invalid momentum value: " + momentum);
        require(weightDecay >= 0, "Invalid weight_decay value: " + weightDecay);
        require(alpha >= 0, "Invalid alpha value: " + alpha);
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
        double lr = group.getDouble("lr"), alpha = group.getDouble("alpha"), eps = group.getDouble("eps");
        double weightDecay = group.getDouble("weight_decay"), momentum = group.getDouble("momentum");
        boolean centered = group.getBoolean("centered");
        if (state.isEmpty()) {
            state.put("step", Tensor.scalar(0.0, DType.FLOAT32));
            state.put("square_avg", Tensor.zerosLike(param));
        }
        if (momentum > 0 && !state.containsKey("momentum_buffer")) {
            state.put("momentum_buffer", Tensor.zerosLike(param));
        }
        if (centered && !state.containsKey("grad_avg")) {
            state.put("grad_avg", Tensor.zerosLike(param));
        }
        state.put("step", Tensor.scalar(state.get("step").item() + 1, DType.FLOAT32));

        Tensor g = group.getBoolean("maximize") ? grad.unaryMinus() : grad;
        if (weightDecay != 0) {
            g = g.plus(param.times(weightDecay));
        }
        Tensor squareAvg = state.get("square_avg").times(alpha).plus(g.times(g).times(1 - alpha));
        state.put("square_avg", squareAvg);
        Tensor avg;
        if (centered) {
            Tensor gradAvg = state.get("grad_avg").times(alpha).plus(g.times(1 - alpha));
            state.put("grad_avg", gradAvg);
            avg = squareAvg.minus(gradAvg.times(gradAvg)).sqrt().plus(eps);
        } else {
            avg = squareAvg.sqrt().plus(eps);
        }
        if (momentum > 0) {
            Tensor buf = state.get("momentum_buffer").times(momentum).plus(g.div(avg));
            state.put("momentum_buffer", buf);
            param.minusAssign(buf.times(lr));
        } else {
            param.minusAssign(g.div(avg).times(lr));
        }
    }

    /** Builds an {@link RMSprop}; every setter has PyTorch's default until called. */
    public static final class Builder extends Optimizer.Builder<Builder, RMSprop> {
        private Builder(List<ParamGroup> groups) {
            super(groups, pytorchDefaults());
        }

        /** The smoothing constant α of the square average ({@code "alpha"}, default 0.99). */
        public Builder alpha(double alpha) {
            return set("alpha", alpha);
        }

        /** The term ε added to the denominator ({@code "eps"}, default 1e-8). */
        public Builder eps(double eps) {
            return set("eps", eps);
        }

        /** The momentum factor μ ({@code "momentum"}, default 0). */
        public Builder momentum(double momentum) {
            return set("momentum", momentum);
        }

        /** Whether to normalise by an estimate of the gradient's variance ({@code "centered"}, default false). */
        public Builder centered(boolean centered) {
            return set("centered", centered);
        }

        @Override
        public RMSprop build() {
            return new RMSprop(this);
        }
    }
}
