package dev.kiln.optim;

import dev.kiln.DType;
import dev.kiln.Shape;
import dev.kiln.Tensor;
import dev.kiln.internal.TensorAccess;
import dev.kiln.device.cuda.CudaOps;
import dev.kiln.kernels.KernelProvider;
import dev.kiln.kernels.Kernels;
import dev.kiln.ops.Dispatch;
import dev.kiln.ops.InPlace;
import java.util.Arrays;
import java.util.Map;

/**
 * What the optimizers' fused updates share. Each optimizer updates a parameter in one loop over its
 * elements, as PyTorch's {@code foreach} and {@code fused} implementations do, instead of a chain of
 * tensor operations that each allocate a result:
 * <pre>{@code
 * Object m = FusedUpdate.state(state, "exp_avg", param, 0);      // created once, then changed in place
 * Tensor target = FusedUpdate.target(param), g = FusedUpdate.source(grad, param);
 * Object p = FusedUpdate.array(target), ga = FusedUpdate.array(g);
 * int po = FusedUpdate.offset(target), go = FusedUpdate.offset(g);
 * for (int i = 0; i < n; i++) {
 *     double gi = FusedUpdate.get(ga, go + i), mi = beta1 * FusedUpdate.get(m, i) + (1 - beta1) * gi;
 *     FusedUpdate.set(m, i, mi);
 *     FusedUpdate.set(p, po + i, FusedUpdate.get(p, po + i) - lr * mi);
 * }
 * FusedUpdate.finish(param, target);
 * }</pre>
 *
 * <p>Elements are float32 or float64 (the parameter's type, which its state shares, as in PyTorch);
 * each is read as a double, computed on in double and rounded once to its type when written. The
 * accessors take the backing array as an {@code Object}, so one loop serves both types.
 */
final class FusedUpdate {
    private static final TensorAccess ACCESS = TensorAccess.get();
    /** The kernels of the float32 steps (SGD, RMSprop, Adagrad, and Adam and AdamW without amsgrad): Vector API loops where available. */
    static final KernelProvider KERNELS = Kernels.provider();

    private FusedUpdate() {}

    /**
     * The tensor a fused loop writes {@code param}'s new values into: {@code param} itself when it is
     * contiguous, otherwise a contiguous copy that {@link #finish} writes back. Checks first, as an
     * in-place operation does, that {@code param} may be written (not an expanded view), so that a
     * parameter that cannot be updated fails before its state changes.
     */
    static Tensor target(Tensor param) {
        InPlace.checkWritable(param, "optimizer step");
        return param.isContiguous() ? param : param.clone();
    }

    /**
     * Makes the values written into {@code target} (from {@link #target}) {@code param}'s: bumps the
     * version counter that {@code param} shares with its views, as an in-place operation does (so a
     * backward that saved the old values fails), or copies a non-contiguous parameter's new values
     * back through the in-place path, which bumps it.
     */
    static void finish(Tensor param, Tensor target) {
        if (target == param) {
            ACCESS.version(param).bump();
        } else {
            param.copyFrom(target);
        }
    }

    /**
     * {@code grad} as a contiguous float32 or float64 tensor for a fused loop to read: itself when it
     * is one, otherwise a contiguous copy (in {@code param}'s type when {@code grad} is not floating
     * point).
     */
    static Tensor source(Tensor grad, Tensor param) {
        if (!grad.dtype().isFloatingPoint()) {
            return grad.to(param.dtype()).contiguous();
        }
        return grad.contiguous();
    }

    /**
     * The backing array of state tensor {@code key} of {@code param}, indexed from 0 like the
     * parameter's elements: the tensor is created filled with {@code initial} when {@code state} has
     * none, and replaced by a contiguous copy of {@code param}'s type when it is not one (loaded state
     * may be a view or of another type), so that later steps change it in place.
     *
     * @throws IllegalStateException if the state tensor does not have the parameter's shape
     */
    static Object state(Map<String, Tensor> state, String key, Tensor param, double initial) {
        Tensor t = state.get(key);
        if (t == null) {
            t = Tensor.fullLike(param, initial);
            state.put(key, t);
        } else if (!isDenseLike(t, param)) {
            if (!Arrays.equals(ACCESS.dims(t), ACCESS.dims(param))) {
                throw new IllegalStateException("optimizer state '" + key + "' has shape "
                        + Shape.describe(ACCESS.dims(t)) + " but its parameter has shape "
                        + Shape.describe(ACCESS.dims(param)));
            }
            t = t.dtype() == param.dtype() ? t.clone() : t.to(param.dtype()).contiguous();
            state.put(key, t);
        }
        return ACCESS.array(t);
    }

    /** Whether {@code t} has {@code like}'s type and shape and lies contiguous from index 0 of its array. */
    private static boolean isDenseLike(Tensor t, Tensor like) {
        return t.dtype() == like.dtype() && ACCESS.offset(t) == 0 && t.isContiguous()
                && Arrays.equals(ACCESS.dims(t), ACCESS.dims(like));
    }

    /**
     * Counts one more step in {@code state}'s {@code "step"}, a 0-d float32 tensor as PyTorch keeps it
     * (created at 0 when absent), in place; returns the new count.
     */
    static double nextStep(Map<String, Tensor> state) {
        Tensor step = state.get("step");
        if (step == null || step.dtype() != DType.FLOAT32) {
            step = Tensor.scalar(step == null ? 0 : step.item(), DType.FLOAT32);
            state.put("step", step);
        }
        int at = ACCESS.offset(step);
        float[] count = (float[]) ACCESS.array(step);
        count[at] += 1;
        return count[at];
    }

    /**
     * Whether {@code param} and {@code grad} are on a CUDA device, where the step is one kernel of
     * {@code CudaBackend} instead of a loop over arrays.
     *
     * @throws IllegalArgumentException when they are on different devices
     */
    static boolean onCuda(Tensor param, Tensor grad) {
        return Dispatch.onCuda("optimizer step", param, grad);
    }

    /**
     * State tensor {@code key} of device parameter {@code param}, created filled with {@code initial}
     * when absent and replaced by a contiguous copy on the parameter's device, of its type, when it is
     * not one (state loaded on the CPU, or kept from before {@code Module.to}).
     */
    static Tensor deviceState(Map<String, Tensor> state, String key, Tensor param, double initial) {
        Tensor t = state.get(key);
        if (t == null) {
            t = Tensor.fullLike(param, initial);
            state.put(key, t);
        } else if (!t.device().equals(param.device()) || !isDenseLike(t, param)) {
            if (!Arrays.equals(ACCESS.dims(t), ACCESS.dims(param))) {
                throw new IllegalStateException("optimizer state '" + key + "' has shape "
                        + Shape.describe(ACCESS.dims(t)) + " but its parameter has shape "
                        + Shape.describe(ACCESS.dims(param)));
            }
            t = t.to(param.dtype()).to(param.device()).clone();
            state.put(key, t);
        }
        return t;
    }

    /** Clears {@code grad} to zeros in place, writing its storage directly when it is contiguous and floating point. */
    static void zero(Tensor grad) {
        if (!grad.isContiguous() || !grad.dtype().isFloatingPoint()) {
            grad.zero();
            return;
        }
        InPlace.checkWritable(grad, "zeroGrad");
        if (grad.device().isCuda()) {
            CudaOps.fill(grad, 0);
            ACCESS.version(grad).bump();
            return;
        }
        int from = ACCESS.offset(grad), to = from + grad.numel();
        if (ACCESS.array(grad) instanceof float[] floats) {
            Arrays.fill(floats, from, to, 0f);
        } else {
            Arrays.fill((double[]) ACCESS.array(grad), from, to, 0.0);
        }
        ACCESS.version(grad).bump();
    }

    /** The backing array of contiguous {@code t}: {@code float[]} or {@code double[]}. */
    static Object array(Tensor t) {
        return ACCESS.array(t);
    }

    /** The index of contiguous {@code t}'s first element in its {@link #array}. */
    static int offset(Tensor t) {
        return ACCESS.offset(t);
    }

    /**
     * Gradient element {@code g} of parameter element {@code theta} as every rule first adjusts it,
     * in PyTorch's order: negated when maximizing, then plus {@code weightDecay * theta} (L2 weight
     * decay; 0 for none).
     */
    static double gradient(double g, double theta, boolean maximize, double weightDecay) {
        double d = maximize ? -g : g;
        return weightDecay != 0 ? d + weightDecay * theta : d;
    }

    /** Element {@code i} of a {@code float[]} or {@code double[]}, as a double. */
    static double get(Object array, int i) {
        return array instanceof float[] floats ? floats[i] : ((double[]) array)[i];
    }

    /** Writes {@code value} into element {@code i} of a {@code float[]} (rounded once) or {@code double[]}. */
    static void set(Object array, int i, double value) {
        if (array instanceof float[] floats) {
            floats[i] = (float) value;
        } else {
            ((double[]) array)[i] = value;
        }
    }

    /**
     * As {@link #set}, for a running average (a momentum buffer, an average of the gradient or of
     * its square): into a {@code float[]}, zero where the rounded value is subnormal, as the
     * providers' optimizer kernels store it (an average that only decays would otherwise sink
     * through the subnormal range, slowing every step that reads it; see {@link KernelProvider}).
     */
    static void setAverage(Object array, int i, double value) {
        if (array instanceof float[] floats) {
            floats[i] = KernelProvider.flushSubnormal(value);
        } else {
            set(array, i, value);
        }
    }
}
