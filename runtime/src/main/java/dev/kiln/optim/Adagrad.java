package dev.kiln.optim;

import dev.kiln.DType;
import dev.kiln.Tensor;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Adagrad, the counterpart of {@code torch.optim.Adagrad}. For each parameter θ with gradient g at its
 * t-th step (the sum s starts at the initial accumulator value):
 * <pre>
 * γ̃ ← γ / (1 + (t − 1) η)
 * g ← −g                        if maximize
 * g ← g + λ θ                   if λ ≠ 0          (weight decay)
 * s ← s + g²
 * θ ← θ − γ̃ g / (√s + ε)
 * </pre>
 *
 * <p>Hyperparameters (builder method, PyTorch name, default): learning rate γ {@code lr(..)},
 * {@code "lr"}, 0.01; learning-rate decay η {@code lrDecay(..)}, {@code "lr_decay"}, 0;
 * {@code eps(..)}, {@code "eps"}, 1e-10; weight decay λ {@code weightDecay(..)},
 * {@code "weight_decay"}, 0; {@code initialAccumulatorValue(..)}, {@code "initial_accumulator_value"},
 * 0; {@code maximize(..)}, {@code "maximize"}, false.
 *
 * <p>State per parameter: {@code step} and {@code sum} (s). As in PyTorch, the state is created when a
 * parameter's group is added, not at its first step, so {@link #stateDict()} lists every parameter.
 */
public final class Adagrad extends Optimizer {
    private static final Set<String> STATE_KEYS = orderedKeys("step", "sum");

    /** Adagrad on {@code params} with PyTorch's defaults (learning rate 0.01). */
    public Adagrad(Iterable<? extends Tensor> params) {
        this(builder(params));
    }

    /** Adagrad on {@code params} with learning rate {@code lr} and PyTorch's other defaults. */
    public Adagrad(Iterable<? extends Tensor> params, double lr) {
        this(builder(params).lr(lr));
    }

    private Adagrad(Builder builder) {
        super("Adagrad", builder.groups(), builder.defaults());
        paramGroups().forEach(this::initState);
    }

    /** A builder for Adagrad on {@code params}, starting from PyTorch's defaults. */
    public static Builder builder(Iterable<? extends Tensor> params) {
        return new Builder(List.of(ParamGroup.of(params)));
    }

    /** A builder for Adagrad on parameter groups, each of which may set its own hyperparameters. */
    public static Builder builder(List<ParamGroup> groups) {
        return new Builder(groups);
    }

    private static Map<String, Object> pytorchDefaults() {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("lr", 1e-2);
        d.put("lr_decay", 0.0);
        d.put("eps", 1e-10);
        d.put("weight_decay", 0.0);
        d.put("initial_accumulator_value", 0.0);
        d.put("maximize", false);
        return d;
    }

    /** Adds a group as {@link Optimizer#addParamGroup} does and creates its parameters' state. */
    @Override
    public void addParamGroup(ParamGroup group) {
        super.addParamGroup(group);
        initState(group);
    }

    private void initState(ParamGroup group) {
        for (Tensor p : group.params()) {
            initState(group, p, stateOf(p));
        }
    }

    private static void initState(ParamGroup group, Tensor param, Map<String, Tensor> state) {
        state.put("step", Tensor.scalar(0.0, DType.FLOAT32));
        state.put("sum", Tensor.fullLike(param, group.getDouble("initial_accumulator_value")));
    }

    @Override
    protected void checkHyperparameters(Map<String, Object> h) {
        double lr = number(h, "lr"), lrDecay = number(h, "lr_decay"), weightDecay = number(h, "weight_decay");
        double initial = number(h, "initial_accumulator_value"), eps = number(h, "eps");
        require(lr >= 0, "Invalid learning rate: " + lr);
        require(lrDecay >= 0, "Invalid lr_decay value: " + lrDecay);
        require(weightDecay >= 0, "Invalid weight_decay value: " + weightDecay);
        require(initial >= 0, "Invalid initial_accumulator_value value: " + initial);
        require(eps >= 0, "Invalid epsilon value: " + eps);
    }

    @Override
    protected Set<String> stateKeys() {
        return STATE_KEYS;
    }

    @Override
    protected Set<String> requiredStateKeys() {
        return STATE_KEYS;
    }

    @Override
    protected void update(ParamGroup group, Tensor param, Tensor grad, Map<String, Tensor> state) {
        // The parameter is checked first, so that one that cannot be written fails before its state changes.
        Tensor target = FusedUpdate.target(param), source = FusedUpdate.source(grad, param);
        Object theta = FusedUpdate.array(target), g = FusedUpdate.array(source);
        int thetaAt = FusedUpdate.offset(target), gAt = FusedUpdate.offset(source);
        if (state.isEmpty()) {
            // Loaded state that had no entry for this parameter.
            initState(group, param, state);
        }
        double t = FusedUpdate.nextStep(state);
        double lr = group.getDouble("lr"), weightDecay = group.getDouble("weight_decay"), eps = group.getDouble("eps");
        double clr = lr / (1 + (t - 1) * group.getDouble("lr_decay"));
        boolean maximize = group.getBoolean("maximize");
        Object sum = FusedUpdate.state(state, "sum", param, group.getDouble("initial_accumulator_value"));
        if (theta instanceof float[] thetaF && g instanceof float[] gF && sum instanceof float[] sumF) {
            // float32, the common case: the provider's kernel (a Vector API loop where available)
            FusedUpdate.KERNELS.adagrad(thetaF, thetaAt, gF, gAt, sumF, param.numel(), clr, eps, weightDecay, maximize);
            FusedUpdate.finish(param, target);
            return;
        }
        for (int i = 0, n = param.numel(); i < n; i++) {
            double p = FusedUpdate.get(theta, thetaAt + i);
            double d = FusedUpdate.gradient(FusedUpdate.get(g, gAt + i), p, maximize, weightDecay);
            double s = FusedUpdate.get(sum, i) + d * d;
            FusedUpdate.set(sum, i, s);
            FusedUpdate.set(theta, thetaAt + i, p - clr * d / (Math.sqrt(s) + eps));
        }
        FusedUpdate.finish(param, target);
    }

    /** Builds an {@link Adagrad}; every setter has PyTorch's default until called. */
    public static final class Builder extends Optimizer.Builder<Builder, Adagrad> {
        private Builder(List<ParamGroup> groups) {
            super(groups, pytorchDefaults());
        }

        /** The learning-rate decay η ({@code "lr_decay"}, default 0). */
        public Builder lrDecay(double lrDecay) {
            return set("lr_decay", lrDecay);
        }

        /** The term ε added to the denominator ({@code "eps"}, default 1e-10). */
        public Builder eps(double eps) {
            return set("eps", eps);
        }

        /** The starting value of the sum of squared gradients ({@code "initial_accumulator_value"}, default 0). */
        public Builder initialAccumulatorValue(double value) {
            return set("initial_accumulator_value", value);
        }

        @Override
        public Adagrad build() {
            return new Adagrad(this);
        }
    }
}
