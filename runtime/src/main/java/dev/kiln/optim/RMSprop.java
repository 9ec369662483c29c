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
        if (FusedUpdate.onCuda(param, grad)) {
            InPlace.checkWritable(param, "optimizer step");
            double momentum = group.getDouble("momentum");
            boolean centered = group.getBoolean("centered");
            FusedUpdate.nextStep(state);
            Tensor squareAvg = FusedUpdate.deviceState(state, "square_avg", param, 0);
            Tensor buffer = momentum > 0 ? FusedUpdate.deviceState(state, "momentum_buffer", param, 0) : null;
            Tensor gradAvg = centered ? FusedUpdate.deviceState(state, "grad_avg", param, 0) : null;
            CudaOps.rmsprop(param, grad, squareAvg, gradAvg, buffer, new CudaBackend.RmspropStep(group.getDouble("lr"),
                    group.getDouble("alpha"), group.getDouble("eps"), group.getDouble("weight_decay"), momentum,
                    centered, group.getBoolean("maximize")));
            FusedUpdate.finish(param, param);
            return;
        }
        // The parameter is checked first, so that one that cannot be written fails before its state changes.
        Tensor target = FusedUpdate.target(param), source = FusedUpdate.source(grad, param);
        Object theta = FusedUpdate.array(target), g = FusedUpdate.array(source);
        int thetaAt = FusedUpdate.offset(target), gAt = FusedUpdate.offset(source);
        Hyperparameters h = group.prepared(Hyperparameters.class, Hyperparameters::new);
        double lr = h.lr, alpha = h.alpha, eps = h.eps, weightDecay = h.weightDecay, momentum = h.momentum;
        boolean centered = h.centered, maximize = h.maximize;
        FusedUpdate.nextStep(state);
        Object squareAvg = FusedUpdate.state(state, "square_avg", param, 0);
        Object buffer = momentum > 0 ? FusedUpdate.state(state, "momentum_buffer", param, 0) : null;
        Object gradAvg = centered ? FusedUpdate.state(state, "grad_avg", param, 0) : null;
        if (theta instanceof float[] thetaF && g instanceof float[] gF && squareAvg instanceof float[] squareF
                && (gradAvg == null || gradAvg instanceof float[]) && (buffer == null || buffer instanceof float[])) {
            // float32, the common case: the provider's kernel (a Vector API loop where available)
            FusedUpdate.KERNELS.rmsprop(thetaF, thetaAt, gF, gAt, squareF, (float[]) gradAvg, (float[]) buffer,
                    param.numel(), lr, alpha, eps, weightDecay, momentum, maximize);
            FusedUpdate.finish(param, target);
            return;
        }
        for (int i = 0, n = param.numel(); i < n; i++) {
            double p = FusedUpdate.get(theta, thetaAt + i);
            double d = FusedUpdate.gradient(FusedUpdate.get(g, gAt + i), p, maximize, weightDecay);
            double v = alpha * FusedUpdate.get(squareAvg, i) + (1 - alpha) * d * d;
            FusedUpdate.setAverage(squareAvg, i, v);
            if (centered) {
                double mean = alpha * FusedUpdate.get(gradAvg, i) + (1 - alpha) * d;
                FusedUpdate.setAverage(gradAvg, i, mean);
                v -= mean * mean;
            }
            double step = d / (Math.sqrt(v) + eps);
            if (momentum > 0) {
                step += momentum * FusedUpdate.get(buffer, i);
                FusedUpdate.setAverage(buffer, i, step);
            }
            FusedUpdate.set(theta, thetaAt + i, p - lr * step);
        }
        FusedUpdate.finish(param, target);
    }

    /** A group's hyperparameters as the step reads them, kept in the group until one changes (see Adam's). */
    private record Hyperparameters(double lr, double alpha, double eps, double weightDecay, double momentum,
                                   boolean centered, boolean maximize) {
        Hyperparameters(ParamGroup group) {
            this(group.getDouble("lr"), group.getDouble("alpha"), group.getDouble("eps"),
                    group.getDouble("weight_decay"), group.getDouble("momentum"), group.getBoolean("centered"),
                    group.getBoolean("maximize"));
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
