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
        if (FusedUpdate.onCuda(param, grad)) {
            updateOnDevice(group, param, grad, state, decoupled);
            return;
        }
        // The parameter is checked first, so that one that cannot be written fails before its state changes.
        Tensor target = FusedUpdate.target(param), source = FusedUpdate.source(grad, param);
        Object theta = FusedUpdate.array(target), g = FusedUpdate.array(source);
        int thetaAt = FusedUpdate.offset(target), gAt = FusedUpdate.offset(source);
        Hyperparameters h = group.prepared(Hyperparameters.class, Hyperparameters::new);
        double lr = h.lr, eps = h.eps, weightDecay = h.weightDecay, beta1 = h.beta1, beta2 = h.beta2;
        boolean amsgrad = h.amsgrad, maximize = h.maximize;
        double t = FusedUpdate.nextStep(state);
        Object expAvg = FusedUpdate.state(state, "exp_avg", param, 0);
        Object expAvgSq = FusedUpdate.state(state, "exp_avg_sq", param, 0);
        Object maxExpAvgSq = amsgrad ? FusedUpdate.state(state, "max_exp_avg_sq", param, 0) : null;
        double stepSize = lr / h.biasCorrection1(t);
        double biasCorrection2Sqrt = h.biasCorrection2Sqrt(t);
        // Adam adds λθ to the gradient; AdamW instead shrinks θ by the factor 1 − γλ before the step.
        double l2 = decoupled ? 0 : weightDecay, shrink = decoupled ? 1 - lr * weightDecay : 1;

        if (!amsgrad && theta instanceof float[] thetaF && g instanceof float[] gF && expAvg instanceof float[] mF
                && expAvgSq instanceof float[] vF) {
            // float32, the common case: the provider's kernel (a Vector API loop where available)
            FusedUpdate.KERNELS.adam(thetaF, thetaAt, gF, gAt, mF, vF, param.numel(), beta1, beta2, stepSize,
                    biasCorrection2Sqrt, eps, l2, shrink, maximize);
            FusedUpdate.finish(param, target);
            return;
        }
        for (int i = 0, n = param.numel(); i < n; i++) {
            double p = FusedUpdate.get(theta, thetaAt + i) * shrink;
            double d = FusedUpdate.gradient(FusedUpdate.get(g, gAt + i), p, maximize, l2);
            double m = beta1 * FusedUpdate.get(expAvg, i) + (1 - beta1) * d;
            double v = beta2 * FusedUpdate.get(expAvgSq, i) + (1 - beta2) * d * d;
            FusedUpdate.setAverage(expAvg, i, m);
            FusedUpdate.setAverage(expAvgSq, i, v);
            if (amsgrad) {
                v = Math.max(FusedUpdate.get(maxExpAvgSq, i), v);
                FusedUpdate.setAverage(maxExpAvgSq, i, v);
            }
            FusedUpdate.set(theta, thetaAt + i, p - stepSize * m / (Math.sqrt(v) / biasCorrection2Sqrt + eps));
        }
        FusedUpdate.finish(param, target);
    }

    /**
     * A group's hyperparameters as Adam's step reads them, kept in the group until one changes, and
     * the bias corrections of the last step count asked (the parameters of a group are usually all
     * at the same step): reading them from the map and computing the powers once per group rather
     * than once per parameter took temperature's four-parameter step from about 1.03 to 0.78 us.
     */
    private static final class Hyperparameters {
        final double lr, eps, weightDecay, beta1, beta2;
        final boolean amsgrad, maximize;
        private double t = Double.NaN, biasCorrection1, biasCorrection2Sqrt;

        private Hyperparameters(ParamGroup group) {
            lr = group.getDouble("lr");
            eps = group.getDouble("eps");
            weightDecay = group.getDouble("weight_decay");
            List<?> betas = (List<?>) group.get("betas");
            beta1 = ((Number) betas.get(0)).doubleValue();
            beta2 = ((Number) betas.get(1)).doubleValue();
            amsgrad = group.getBoolean("amsgrad");
            maximize = group.getBoolean("maximize");
        }

        /** {@code 1 - beta1^t}. */
        double biasCorrection1(double t) {
            at(t);
            return biasCorrection1;
        }

        /** {@code sqrt(1 - beta2^t)}. */
        double biasCorrection2Sqrt(double t) {
            at(t);
            return biasCorrection2Sqrt;
        }

        private void at(double step) {
            if (step != t) {
                biasCorrection1 = 1 - Math.pow(beta1, step);
                biasCorrection2Sqrt = Math.sqrt(1 - Math.pow(beta2, step));
                t = step;
            }
        }
    }

    /** Adam's step for a parameter on a GPU: one kernel of {@code CudaBackend} over it and its state. */
    private static void updateOnDevice(ParamGroup group, Tensor param, Tensor grad, Map<String, Tensor> state,
                                       boolean decoupled) {
        InPlace.checkWritable(param, "optimizer step");
        List<?> betas = (List<?>) group.get("betas");
        boolean amsgrad = group.getBoolean("amsgrad");
        Tensor expAvg = FusedUpdate.deviceState(state, "exp_avg", param, 0);
        Tensor expAvgSq = FusedUpdate.deviceState(state, "exp_avg_sq", param, 0);
        Tensor maxExpAvgSq = amsgrad ? FusedUpdate.deviceState(state, "max_exp_avg_sq", param, 0) : null;
        long t = (long) FusedUpdate.nextStep(state);
        CudaOps.adam(param, grad, expAvg, expAvgSq, maxExpAvgSq, new CudaBackend.AdamStep(group.getDouble("lr"),
                ((Number) betas.get(0)).doubleValue(), ((Number) betas.get(1)).doubleValue(), group.getDouble("eps"),
                group.getDouble("weight_decay"), t, decoupled, amsgrad, group.getBoolean("maximize")));
        FusedUpdate.finish(param, param);
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
