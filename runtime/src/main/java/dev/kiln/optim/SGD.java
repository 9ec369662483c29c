package dev.kiln.optim;

import dev.kiln.Tensor;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Stochastic gradient descent, optionally with momentum, the counterpart of {@code torch.optim.SGD}.
 * For each parameter θ with gradient g at step t (b is the momentum buffer):
 * <pre>
 * g ← −g                      if maximize
 * g ← g + λ θ                 if λ ≠ 0          (weight decay)
 * if μ ≠ 0:
 *     b ← g                   at the parameter's first step
 *     b ← μ b + (1 − τ) g     after it
 *     g ← g + μ b             if nesterov, else g ← b
 * θ ← θ − γ g
 * </pre>
 *
 * <p>Hyperparameters (builder method, PyTorch name, default): learning rate γ {@code lr(..)},
 * {@code "lr"}, 0.001; momentum μ {@code momentum(..)}, {@code "momentum"}, 0; dampening τ
 * {@code dampening(..)}, {@code "dampening"}, 0; weight decay λ {@code weightDecay(..)},
 * {@code "weight_decay"}, 0; {@code nesterov(..)}, {@code "nesterov"}, false;
 * {@code maximize(..)}, {@code "maximize"}, false. Nesterov momentum requires μ &gt; 0 and τ = 0.
 *
 * <p>State per parameter: {@code momentum_buffer} (only with momentum).
 *
 * <pre>{@code
 * var sgd = SGD.builder(model.parameters()).lr(0.1).momentum(0.9).nesterov(true).build();
 * }</pre>
 */
public final class SGD extends Optimizer {
    private static final Set<String> STATE_KEYS = orderedKeys("momentum_buffer");

    /** SGD on {@code params} with PyTorch's defaults (learning rate 0.001, no momentum). */
    public SGD(Iterable<? extends Tensor> params) {
        this(builder(params));
    }

    /** SGD on {@code params} with learning rate {@code lr} (no momentum, no weight decay). */
    public SGD(Iterable<? extends Tensor> params, double lr) {
        this(builder(params).lr(lr));
    }

    private SGD(Builder builder) {
        super("SGD", builder.groups(), builder.defaults());
    }

    /** A builder for SGD on {@code params}, starting from PyTorch's defaults. */
    public static Builder builder(Iterable<? extends Tensor> params) {
        return new Builder(ParamGroup.of(params));
    }

    /** A builder for SGD on parameter groups, each of which may set its own hyperparameters. */
    public static Builder builder(List<ParamGroup> groups) {
        return new Builder(groups);
    }

    private static Map<String, Object> pytorchDefaults() {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("lr", 1e-3);
        d.put("momentum", 0.0);
        d.put("dampening", 0.0);
        d.put("weight_decay", 0.0);
        d.put("nesterov", false);
        d.put("maximize", false);
        return d;
    }

    @Override
    protected void checkHyperparameters(Map<String, Object> h) {
        double lr = number(h, "lr"), momentum = number(h, "momentum"), dampening = number(h, "dampening");
        double weightDecay = number(h, "weight_decay");
        require(lr >= 0, "Invalid learning rate: " + lr);
        require(momentum >= 0, "Invalid momentum value: " + momentum);
        require(weightDecay >= 0, "Invalid weight_decay value: " + weightDecay);
        require(!bool(h, "nesterov") || (momentum > 0 && dampening == 0),
                "Nesterov momentum requires a momentum and zero dampening");
    }

    @Override
    protected Set<String> stateKeys() {
        return STATE_KEYS;
    }

    @Override
    protected void update(ParamGroup group, Tensor param, Tensor grad, Map<String, Tensor> state) {
        double lr = group.getDouble("lr"), momentum = group.getDouble("momentum");
        double dampening = group.getDouble("dampening"), weightDecay = group.getDouble("weight_decay");
        Tensor g = group.getBoolean("maximize") ? grad.unaryMinus() : grad;
        if (weightDecay != 0) {
            g = g.plus(param.times(weightDecay));
        }
        if (momentum != 0) {
            Tensor buf = state.get("momentum_buffer");
            buf = buf == null ? (g == grad ? g.clone() : g) : buf.times(momentum).plus(g.times(1 - dampening));
            state.put("momentum_buffer", buf);
            g = group.getBoolean("nesterov") ? g.plus(buf.times(momentum)) : buf;
        }
        param.minusAssign(g.times(lr));
    }

    /** Builds an {@link SGD}; every setter has PyTorch's default until called. */
    public static final class Builder extends Optimizer.Builder<Builder, SGD> {
        private Builder(ParamGroup group) {
            super(List.of(group), pytorchDefaults());
        }

        private Builder(List<ParamGroup> groups) {
            super(groups, pytorchDefaults());
        }

        /** The momentum factor μ ({@code "momentum"}, default 0). */
        public Builder momentum(double momentum) {
            return set("momentum", momentum);
        }

        /** The dampening τ of momentum ({@code "dampening"}, default 0). */
        public Builder dampening(double dampening) {
            return set("dampening", dampening);
        }

        /** Whether to use Nesterov momentum ({@code "nesterov"}, default false). */
        public Builder nesterov(boolean nesterov) {
            return set("nesterov", nesterov);
        }

        @Override
        public SGD build() {
            return new SGD(this);
        }
    }
}
