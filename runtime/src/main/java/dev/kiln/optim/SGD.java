package dev.kiln.optim;

import dev.kiln.Tensor;
import dev.kiln.device.cuda.CudaBackend;
import dev.kiln.device.cuda.CudaOps;
import dev.kiln.ops.InPlace;
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
        if (FusedUpdate.onCuda(param, grad)) {
            InPlace.checkWritable(param, "optimizer step");
            double momentum = group.getDouble("momentum");
            boolean firstStep = !state.containsKey("momentum_buffer");
            Tensor buffer = momentum != 0 ? FusedUpdate.deviceState(state, "momentum_buffer", param, 0) : null;
            CudaOps.sgd(param, grad, buffer, new CudaBackend.SgdStep(group.getDouble("lr"), momentum,
                    group.getDouble("dampening"), group.getDouble("weight_decay"), group.getBoolean("nesterov"),
                    group.getBoolean("maximize"), firstStep));
            FusedUpdate.finish(param, param);
            return;
        }
        // The parameter is checked first, so that one that cannot be written fails before its state changes.
        Tensor target = FusedUpdate.target(param), source = FusedUpdate.source(grad, param);
        Object theta = FusedUpdate.array(target), g = FusedUpdate.array(source);
        int thetaAt = FusedUpdate.offset(target), gAt = FusedUpdate.offset(source);
        Hyperparameters h = group.prepared(Hyperparameters.class, Hyperparameters::new);
        double lr = h.lr, momentum = h.momentum, dampening = h.dampening, weightDecay = h.weightDecay;
        boolean maximize = h.maximize, nesterov = h.nesterov;
        // The buffer starts as the first step's gradient (after weight decay), not at zero.
        boolean firstStep = !state.containsKey("momentum_buffer");
        Object buffer = momentum != 0 ? FusedUpdate.state(state, "momentum_buffer", param, 0) : null;
        if (theta instanceof float[] thetaF && g instanceof float[] gF && (buffer == null || buffer instanceof float[])) {
            // float32, the common case: the provider's kernel (a Vector API loop where available)
            FusedUpdate.KERNELS.sgd(thetaF, thetaAt, gF, gAt, (float[]) buffer, param.numel(), lr, momentum, dampening,
                    weightDecay, nesterov, maximize, firstStep);
            FusedUpdate.finish(param, target);
            return;
        }
        for (int i = 0, n = param.numel(); i < n; i++) {
            double p = FusedUpdate.get(theta, thetaAt + i);
            double d = FusedUpdate.gradient(FusedUpdate.get(g, gAt + i), p, maximize, weightDecay);
            if (momentum != 0) {
                double b = firstStep ? d : momentum * FusedUpdate.get(buffer, i) + (1 - dampening) * d;
                FusedUpdate.setAverage(buffer, i, b);
                d = nesterov ? d + momentum * b : b;
            }
            FusedUpdate.set(theta, thetaAt + i, p - lr * d);
        }
        FusedUpdate.finish(param, target);
    }

    /** A group's hyperparameters as the step reads them, kept in the group until one changes (see Adam's). */
    private record Hyperparameters(double lr, double momentum, double dampening, double weightDecay,
                                   boolean maximize, boolean nesterov) {
        Hyperparameters(ParamGroup group) {
            this(group.getDouble("lr"), group.getDouble("momentum"), group.getDouble("dampening"),
                    group.getDouble("weight_decay"), group.getBoolean("maximize"), group.getBoolean("nesterov"));
        }
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
