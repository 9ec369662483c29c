package dev.kiln.loss;

import static dev.kiln.loss.LossChecks.nonNull;
import static dev.kiln.loss.LossChecks.requireBroadcastsTo;
import static dev.kiln.loss.LossChecks.requireFloating;
import static dev.kiln.loss.LossChecks.requireSameShape;

import dev.kiln.DType;
import dev.kiln.Kiln;
import dev.kiln.Tensor;
import dev.kiln.autograd.Graph;
import dev.kiln.ops.Dispatch;
import dev.kiln.ops.Factories;
import java.util.Objects;

/**
 * The losses that compare an input and a target of the same shape element by element: MSE, L1,
 * binary cross-entropy on probabilities and on logits. MSE and the two binary cross-entropies are
 * single recorded operations with PyTorch's derivatives (and {@code grad_fn} names); L1 is composed
 * of recorded operations, as PyTorch composes it.
 */
final class PointwiseLosses {
    /** PyTorch clamps each log term of the binary cross-entropy to at least this. */
    static final double LOG_FLOOR = -100;
    /** PyTorch's lower bound on {@code x (1 - x)} in the binary cross-entropy's derivative. */
    static final double BCE_EPSILON = 1e-12;

    private PointwiseLosses() {}

    static Tensor mse(Tensor input, Tensor target, Reduction reduction) {
        String loss = "MSELoss";
        checkPair(loss, input, target, reduction);
        DType type = LossChecks.resultType(input, target);
        Tensor out = Dispatch.onCuda(loss, input, target) ? squaredErrorOnDevice(input, target, reduction)
                : squaredError(input, target, reduction, type);
        DType inType = input.dtype(), targetType = target.dtype();
        double scale = reduction == Reduction.MEAN ? 2.0 / input.numel() : 2.0;
        return Graph.record("MseLossBackward0", out, new Tensor[] {input, target}, new Tensor[] {input, target},
                (g, ctx) -> {
                    // d/dx (x - t)^2 = 2 (x - t); the mean divides by the element count.
                    Tensor gradInput = ctx.saved(0).minus(ctx.saved(1)).times(g.times(scale));
                    return new Tensor[] {
                        ctx.needsGrad(0) ? gradInput.to(inType) : null,
                        ctx.needsGrad(1) ? gradInput.unaryMinus().to(targetType) : null};
                });
    }

    private static Tensor squaredError(Tensor input, Tensor target, Reduction reduction, DType type) {
        double[] x = input.toDoubleArray(), t = target.toDoubleArray();
        double[] l = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            double d = x[i] - t[i];
            l[i] = d * d;
        }
        return reduce(l, input.shape().toArray(), reduction, type);
    }

    /** The reduced squared error computed with the device's elementwise and sum kernels (not recorded). */
    private static Tensor squaredErrorOnDevice(Tensor input, Tensor target, Reduction reduction) {
        try (var noGrad = Kiln.noGrad()) {
            Tensor d = input.minus(target);
            Tensor l = d.times(d);
            return switch (reduction) {
                case MEAN -> l.mean();
                case SUM -> l.sum();
                case NONE -> l;
            };
        }
    }

    static Tensor l1(Tensor input, Tensor target, Reduction reduction) {
        checkPair("L1Loss", input, target, reduction);
        // As PyTorch's l1_loss: |input - target| reduced, so grad_fn is MeanBackward0, SumBackward0 or AbsBackward0.
        Tensor l = input.minus(target).abs();
        return switch (reduction) {
            case MEAN -> l.mean();
            case SUM -> l.sum();
            case NONE -> l;
        };
    }

    static Tensor bce(Tensor input, Tensor target, Tensor weight, Reduction reduction) {
        String loss = "BCELoss";
        checkPair(loss, input, target, reduction);
        if (weight != null) {
            requireBroadcastsTo(loss, "weight", weight, input);
        }
        int[] dims = input.shape().toArray();
        DType type = LossChecks.resultType(input, target);
        double[] x = input.toDoubleArray(), t = target.toDoubleArray(), w = expanded(weight, dims);
        double[] l = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            double p = x[i];
            if (!(p >= 0 && p <= 1)) {
                throw new IllegalArgumentException(loss + ": every input element must be a probability in [0, 1], but"
                        + " input" + position(i, dims) + " is " + p + "; apply sigmoid() to the logits first, or use"
                        + " BCEWithLogitsLoss on the logits (it is also more stable)");
            }
            // -(t log p + (1 - t) log(1 - p)), each log clamped at -100 as PyTorch does, so p = 0 or 1 stays finite.
            double logP = Math.max(Math.log(p), LOG_FLOOR), log1mP = Math.max(Math.log1p(-p), LOG_FLOOR);
            l[i] = -(t[i] * logP + (1 - t[i]) * log1mP) * (w == null ? 1 : w[i]);
        }
        Tensor out = reduce(l, dims, reduction, type);
        DType inType = input.dtype(), targetType = target.dtype();
        Tensor[] saved = weight == null ? new Tensor[] {input, target} : new Tensor[] {input, target, weight};
        return Graph.record("BinaryCrossEntropyBackward0", out, new Tensor[] {input, target}, saved, (g, ctx) -> {
            double[] xs = ctx.saved(0).toDoubleArray(), ts = ctx.saved(1).toDoubleArray();
            double[] ws = weight == null ? null : expanded(ctx.saved(2), dims);
            double[] gs = g.toDoubleArray();
            double[] gx = ctx.needsGrad(0) ? new double[xs.length] : null;
            double[] gt = ctx.needsGrad(1) ? new double[xs.length] : null;
            for (int i = 0; i < xs.length; i++) {
                double s = upstream(gs, i, reduction, xs.length) * (ws == null ? 1 : ws[i]);
                double p = xs[i];
                if (gx != null) {
                    // PyTorch's binary_cross_entropy_backward: (p - t) / max(p (1 - p), 1e-12).
                    gx[i] = s * (p - ts[i]) / Math.max((1 - p) * p, BCE_EPSILON);
                }
                if (gt != null) {
                    gt[i] = s * (Math.max(Math.log1p(-p), LOG_FLOOR) - Math.max(Math.log(p), LOG_FLOOR));
                }
            }
            return new Tensor[] {tensor(gx, dims, inType), tensor(gt, dims, targetType)};
        });
    }

    static Tensor bceWithLogits(Tensor input, Tensor target, Tensor weight, Tensor posWeight, Reduction reduction) {
        String loss = "BCEWithLogitsLoss";
        checkPair(loss, input, target, reduction);
        if (weight != null) {
            requireBroadcastsTo(loss, "weight", weight, input);
        }
        if (posWeight != null) {
            requireBroadcastsTo(loss, "posWeight", posWeight, input);
        }
        int[] dims = input.shape().toArray();
        DType type = LossChecks.resultType(input, target);
        double[] x = input.toDoubleArray(), t = target.toDoubleArray();
        double[] w = expanded(weight, dims), pw = expanded(posWeight, dims);
        double[] l = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            // (1 - t) x + (1 + (pw - 1) t) softplus(-x), with softplus(-x) = log(1 + e^-|x|) + max(-x, 0):
            // no exp of a positive number, so large logits of either sign stay finite.
            double logWeight = pw == null ? 1 : 1 + (pw[i] - 1) * t[i];
            l[i] = ((1 - t[i]) * x[i] + logWeight * softplusNeg(x[i])) * (w == null ? 1 : w[i]);
        }
        Tensor out = reduce(l, dims, reduction, type);
        DType inType = input.dtype(), targetType = target.dtype();
        // Saved: input, target, then the weight and the posWeight where given (for the in-place checks).
        int weightAt = weight == null ? -1 : 2, posWeightAt = posWeight == null ? -1 : weight == null ? 2 : 3;
        Tensor[] saved = weight == null && posWeight == null ? new Tensor[] {input, target}
                : weight == null ? new Tensor[] {input, target, posWeight}
                : posWeight == null ? new Tensor[] {input, target, weight}
                : new Tensor[] {input, target, weight, posWeight};
        return Graph.record("BinaryCrossEntropyWithLogitsBackward0", out, new Tensor[] {input, target}, saved,
                (g, ctx) -> {
                    double[] xs = ctx.saved(0).toDoubleArray(), ts = ctx.saved(1).toDoubleArray();
                    double[] ws = weightAt < 0 ? null : expanded(ctx.saved(weightAt), dims);
                    double[] pws = posWeightAt < 0 ? null : expanded(ctx.saved(posWeightAt), dims);
                    double[] gs = g.toDoubleArray();
                    double[] gx = ctx.needsGrad(0) ? new double[xs.length] : null;
                    double[] gt = ctx.needsGrad(1) ? new double[xs.length] : null;
                    for (int i = 0; i < xs.length; i++) {
                        double s = upstream(gs, i, reduction, xs.length) * (ws == null ? 1 : ws[i]);
                        double p = pws == null ? 1 : pws[i];
                        if (gx != null) {
                            // (1 + (pw - 1) t) sigmoid(x) - pw t; sigmoid(x) - t without posWeight.
                            gx[i] = s * ((1 + (p - 1) * ts[i]) * sigmoid(xs[i]) - p * ts[i]);
                        }
                        if (gt != null) {
                            gt[i] = s * ((p - 1) * softplusNeg(xs[i]) - xs[i]);
                        }
                    }
                    return new Tensor[] {tensor(gx, dims, inType), tensor(gt, dims, targetType)};
                });
    }

    // ---------------------------------------------------------------------------------------------

    private static void checkPair(String loss, Tensor input, Tensor target, Reduction reduction) {
        nonNull(input, loss, "input");
        nonNull(target, loss, "target");
        Objects.requireNonNull(reduction, "reduction");
        requireFloating(loss, "input", input);
        requireFloating(loss, "target", target);
        requireSameShape(loss, input, target);
    }

    /** {@code log(1 + e^-x)}, computed without overflow for any x. */
    static double softplusNeg(double x) {
        return Math.log1p(Math.exp(-Math.abs(x))) + Math.max(-x, 0);
    }

    static double sigmoid(double x) {
        if (x >= 0) {
            return 1 / (1 + Math.exp(-x));
        }
        double e = Math.exp(x);
        return e / (1 + e);
    }

    /** The gradient reaching element {@code i}'s loss from the output's gradient {@code gs}. */
    private static double upstream(double[] gs, int i, Reduction reduction, int n) {
        return switch (reduction) {
            case NONE -> gs[i];
            case SUM -> gs[0];
            case MEAN -> gs[0] / n;
        };
    }

    /** The elements of an optional weight broadcast to {@code dims}, row-major; null for no weight. */
    private static double[] expanded(Tensor weight, int[] dims) {
        if (weight == null) {
            return null;
        }
        try (var noGrad = Kiln.noGrad()) {
            return weight.detach().expand(dims).toDoubleArray();
        }
    }

    /** A fresh tensor of {@code type} holding {@code values}; null for null. */
    static Tensor tensor(double[] values, int[] dims, DType type) {
        return values == null ? null : Factories.fromArray(values, dims).to(type);
    }

    /** Per-element losses reduced as asked, in {@code type}. */
    static Tensor reduce(double[] losses, int[] dims, Reduction reduction, DType type) {
        if (reduction == Reduction.NONE) {
            return tensor(losses, dims, type);
        }
        double sum = 0;
        for (double v : losses) {
            sum += v;
        }
        return Tensor.scalar(reduction == Reduction.MEAN ? sum / losses.length : sum, type);
    }

    /** {@code [i, j, k]}: the coordinates of row-major element {@code flat} of a tensor of {@code dims}. */
    static String position(int flat, int[] dims) {
        int[] idx = new int[dims.length];
        for (int d = dims.length - 1; d >= 0; d--) {
            idx[d] = flat % dims[d];
            flat /= dims[d];
        }
        StringBuilder sb = new StringBuilder("[");
        for (int d = 0; d < idx.length; d++) {
            sb.append(d == 0 ? "" : ", ").append(idx[d]);
        }
        return sb.append(']').toString();
    }
}
