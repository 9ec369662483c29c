package dev.kiln.loss;

import static dev.kiln.loss.LossChecks.args;
import static dev.kiln.loss.LossChecks.describe;
import static dev.kiln.loss.LossChecks.nonNull;
import static dev.kiln.loss.LossChecks.remove;
import static dev.kiln.loss.LossChecks.requireFloating;

import dev.kiln.DType;
import dev.kiln.Shape;
import dev.kiln.Tensor;
import dev.kiln.autograd.Graph;
import dev.kiln.device.cuda.CudaOps;
import dev.kiln.ops.Dispatch;
import dev.kiln.ops.Factories;
import dev.kiln.ops.Views;
import java.util.Arrays;
import java.util.Objects;

/**
 * The classification losses over a class dimension: NLL on log-probabilities (one recorded
 * operation, {@code NllLossBackward0}) and cross-entropy on logits, composed as PyTorch composes it
 * from {@code logSoftmax}, NLL and, for label smoothing and probability targets, elementwise
 * operations.
 *
 * <p>Inputs have shape {@code (C)} (one sample), {@code (N, C)}, or {@code (N, C, d1, ..., dk)}; the
 * class dimension is 0 for the first and 1 otherwise. Class-index targets have the input's shape
 * without the class dimension.
 */
final class ClassLosses {
    private ClassLosses() {}

    /** PyTorch's default {@code ignore_index}. */
    static final long DEFAULT_IGNORE_INDEX = -100;

    static Tensor nll(Tensor input, Tensor target, Tensor weight, long ignoreIndex, Reduction reduction) {
        String loss = "NLLLoss";
        int cd = checkInput(loss, input, target, weight, reduction);
        requireClassTarget(loss, input, target, cd, false);
        Targets targets = Targets.read(loss, input, target, constant(weight, input), ignoreIndex, cd);
        return nll(input, target, targets, reduction);
    }

    static Tensor crossEntropy(Tensor input, Tensor target, Tensor weight, long ignoreIndex, double labelSmoothing,
                               Reduction reduction) {
        String loss = "CrossEntropyLoss";
        int cd = checkInput(loss, input, target, weight, reduction);
        requireLabelSmoothing(loss, labelSmoothing);
        int classes = input.size(cd);
        Tensor w = constant(weight, input);
        if (target.dtype().isFloatingPoint()) {
            return crossEntropyProbabilities(input, target, w, ignoreIndex, labelSmoothing, reduction, cd);
        }
        requireClassTarget(loss, input, target, cd, true);
        if (Dispatch.onCuda(loss, input, target, w)) {
            return crossEntropyOnDevice(input, target, w, ignoreIndex, labelSmoothing, reduction);
        }
        Targets targets = Targets.read(loss, input, target, w, ignoreIndex, cd);
        Tensor logProbabilities = input.logSoftmax(cd);
        Tensor nll = nll(logProbabilities, target, targets, reduction);
        if (labelSmoothing == 0) {
            return nll;
        }
        // PyTorch's cross_entropy_loss_label_smoothing: the smoothing term is minus the (weighted) sum of
        // the log-probabilities over the classes, zero for ignored samples, reduced as the NLL term is
        // (the mean divides by the same total weight), then mixed (1 - eps) nll + smooth * eps / C.
        Tensor weighted = w == null ? logProbabilities : logProbabilities.times(w.reshape(classShape(input, cd)));
        Tensor smooth = weighted.sum(cd).unaryMinus().maskedFill(target.eq(Tensor.scalar(ignoreIndex)), 0.0);
        Tensor reduced = switch (reduction) {
            case MEAN -> smooth.sum().div(targets.totalWeight);
            case SUM -> smooth.sum();
            case NONE -> smooth;
        };
        return nll.times(1 - labelSmoothing).plus(reduced.times(labelSmoothing / classes));
    }

    /**
     * Cross-entropy of {@code (N, C)} logits against class indices on a GPU: the backend's fused
     * softmax cross-entropy, recorded as one operation (its derivative, softmax minus the one-hot
     * target, is the fused backward kernel). Its {@code grad_fn} has PyTorch's name for the
     * composition, {@code NllLossBackward0}, though it stands for the log-softmax too.
     */
    private static Tensor crossEntropyOnDevice(Tensor input, Tensor target, Tensor weight, long ignoreIndex,
                                               double labelSmoothing, Reduction reduction) {
        if (input.dim() != 2 || weight != null || labelSmoothing != 0 || reduction == Reduction.NONE) {
            throw Dispatch.unsupported("CrossEntropyLoss other than on (N x C) logits with no class weights, no"
                    + " label smoothing and the mean or the sum", input.device());
        }
        CudaOps.CrossEntropy r = CudaOps.crossEntropy(input, target, ignoreIndex);
        boolean mean = reduction == Reduction.MEAN;
        double value = mean ? r.lossSum() / r.count() : r.lossSum();
        Tensor out = Factories.full(value, input.dtype(), new int[0]).to(input.device());
        long count = r.count();
        return Graph.record("NllLossBackward0", out, new Tensor[] {input}, new Tensor[] {input, target, r.logSumExp()},
                (g, ctx) -> new Tensor[] {CudaOps.crossEntropyBackward(ctx.saved(0), ctx.saved(1), ctx.saved(2),
                        ignoreIndex, g.item() / (mean ? count : 1))});
    }

    /**
     * PyTorch's cross_entropy_loss_prob_target: {@code -(logSoftmax(x) * t' * w)} summed over the
     * classes, where {@code t' = t (1 - eps) + eps / C}; the mean divides by the number of samples.
     */
    private static Tensor crossEntropyProbabilities(Tensor input, Tensor target, Tensor weight, long ignoreIndex,
                                                    double labelSmoothing, Reduction reduction, int cd) {
        String loss = "CrossEntropyLoss";
        int[] in = input.shape().toArray(), tg = target.shape().toArray();
        if (!Arrays.equals(in, tg)) {
            if (Arrays.equals(tg, remove(in, cd))) {
                throw new IllegalArgumentException(loss + ": the target " + describe(tg) + " holds one "
                        + target.dtype().pytorchName() + " value per sample: class-index targets must be int64"
                        + " \u2014 convert it with target.toLong(); probability targets must have the input's shape "
                        + describe(in));
            }
            throw new IllegalArgumentException(loss + ": probability targets (" + target.dtype().pytorchName()
                    + ") must have the input's shape " + describe(in) + ", but the target has shape " + describe(tg)
                    + "; class-index targets are int64 of shape " + describe(remove(in, cd)));
        }
        if (ignoreIndex >= 0) {
            throw new IllegalArgumentException(loss + ": ignoreIndex (" + ignoreIndex + ") is not supported for"
                    + " probability targets (" + target.dtype().pytorchName() + "); it applies to int64 class-index"
                    + " targets only");
        }
        int classes = in[cd];
        Tensor logProbabilities = input.logSoftmax(cd);
        Tensor t = labelSmoothing > 0 ? target.times(1 - labelSmoothing).plus(labelSmoothing / classes) : target;
        Tensor terms = logProbabilities.times(t);
        if (weight != null) {
            terms = terms.times(weight.reshape(classShape(input, cd)));
        }
        return switch (reduction) {
            case MEAN -> terms.sum().unaryMinus().div((double) (classes == 0 ? 0 : input.numel() / classes));
            case SUM -> terms.sum().unaryMinus();
            case NONE -> terms.sum(cd).unaryMinus();
        };
    }

    /** The NLL of validated targets as one recorded operation. */
    private static Tensor nll(Tensor input, Tensor target, Targets targets, Reduction reduction) {
        int[] dims = input.shape().toArray();
        DType type = input.dtype();
        int n = targets.weight.length;
        double[] losses = new double[n];
        if (input.numel() > 0) {
            // Each sample's entry for its class, read straight from the input's elements (ignored
            // samples count for nothing).
            if (type == DType.FLOAT32) {
                float[] values = (float[]) Views.readAs(input, DType.FLOAT32);
                for (int s = 0; s < n; s++) {
                    losses[s] = targets.position[s] < 0 ? 0 : -targets.weight[s] * values[targets.position[s]];
                }
            } else {
                double[] values = (double[]) Views.readAs(input, DType.FLOAT64);
                for (int s = 0; s < n; s++) {
                    losses[s] = targets.position[s] < 0 ? 0 : -targets.weight[s] * values[targets.position[s]];
                }
            }
        }
        Tensor out;
        if (reduction == Reduction.NONE) {
            out = PointwiseLosses.tensor(losses, target.shape().toArray(), type);
        } else {
            double sum = 0;
            for (double v : losses) {
                sum += v;
            }
            out = Tensor.scalar(reduction == Reduction.MEAN ? sum / targets.totalWeight : sum, type);
        }
        // PyTorch names the node of the 2-d-and-below kernel NllLossBackward0, of the spatial one NllLoss2DBackward0.
        String name = dims.length <= 2 ? "NllLossBackward0" : "NllLoss2DBackward0";
        int numel = input.numel();
        return Graph.record(name, out, new Tensor[] {input}, new Tensor[] {target}, (g, ctx) -> {
            ctx.saved(0); // fails if the target was changed in place since the forward
            double[] gs = g.toDoubleArray();
            // One non-zero per sample not ignored; a float32 input gets its float32 gradient directly.
            float[] gradFloat = type == DType.FLOAT32 ? new float[numel] : null;
            double[] grad = gradFloat == null ? new double[numel] : null;
            for (int s = 0; s < n; s++) {
                int at = targets.position[s];
                if (at >= 0) {
                    double up = switch (reduction) {
                        case NONE -> gs[s];
                        case SUM -> gs[0];
                        case MEAN -> gs[0] / targets.totalWeight;
                    };
                    if (gradFloat != null) {
                        gradFloat[at] = (float) (-targets.weight[s] * up);
                    } else {
                        grad[at] -= targets.weight[s] * up;
                    }
                }
            }
            return new Tensor[] {gradFloat != null ? Factories.fromArray(gradFloat, dims)
                    : PointwiseLosses.tensor(grad, dims, type)};
        });
    }

    // ---------------------------------------------------------------------------------------------
    // Checks

    /** Checks what every classification loss needs and returns the class dimension. */
    private static int checkInput(String loss, Tensor input, Tensor target, Tensor weight, Reduction reduction) {
        nonNull(input, loss, "input");
        nonNull(target, loss, "target");
        Objects.requireNonNull(reduction, "reduction");
        requireFloating(loss, "input", input);
        if (input.dim() == 0) {
            throw new IllegalArgumentException(loss + ": the input must have shape (C), (N x C) or (N x C x d1 ...),"
                    + " with the classes along dimension 1 (0 for one sample), but it is 0-d ()");
        }
        int cd = input.dim() == 1 ? 0 : 1;
        if (target.dtype() == DType.BOOL) {
            throw new IllegalArgumentException(loss + ": the target must be int64 class indices"
                    + (loss.equals("CrossEntropyLoss") ? " or floating-point class probabilities" : "")
                    + ", but it is torch.bool; convert it with target.toLong()");
        }
        if (weight != null) {
            requireFloating(loss, "weight", weight);
            int classes = input.size(cd);
            if (weight.dim() != 1 || weight.size(0) != classes) {
                throw new IllegalArgumentException(loss + ": the weight must be a 1-d tensor with one entry per class ("
                        + classes + " for an input of shape " + describe(input) + "), but it has shape "
                        + describe(weight));
            }
        }
        return cd;
    }

    static void requireLabelSmoothing(String loss, double labelSmoothing) {
        if (!(labelSmoothing >= 0 && labelSmoothing <= 1)) {
            throw new IllegalArgumentException(loss + ": labelSmoothing must be between 0.0 and 1.0, but got "
                    + labelSmoothing);
        }
    }

    /** Class-index targets: int64, with the input's shape less the class dimension. */
    private static void requireClassTarget(String loss, Tensor input, Tensor target, int cd, boolean probabilitiesToo) {
        int[] in = input.shape().toArray(), tg = target.shape().toArray(), expected = remove(in, cd);
        if (target.dtype() != DType.INT64) {
            throw new IllegalArgumentException(loss + ": class-index targets must be int64, but the target is "
                    + target.dtype().pytorchName() + "; convert it with target.toLong()");
        }
        if (Arrays.equals(tg, expected)) {
            return;
        }
        StringBuilder sb = new StringBuilder(loss).append(": expected a target of shape ").append(describe(expected))
                .append(" (one class index per sample) for an input of shape ").append(describe(in))
                .append(", but got ").append(describe(tg));
        String squeeze = null;
        if (tg.length == expected.length + 1) {
            for (int d = 0; d < tg.length && squeeze == null; d++) {
                if (tg[d] == 1 && Arrays.equals(remove(tg, d), expected)) {
                    squeeze = "target.squeeze(" + d + ")";
                }
            }
        }
        if (Arrays.equals(tg, in)) {
            sb.append(" \u2014 for one-hot targets use target.argmax(").append(cd).append(')');
            if (probabilitiesToo) {
                sb.append(", or pass them as probabilities with target.toFloat()");
            }
        } else if (squeeze != null) {
            sb.append(" \u2014 use ").append(squeeze);
        } else if (target.numel() == Shape.of(expected).numel()) {
            sb.append(" \u2014 use target.reshape(").append(args(expected)).append(')');
        } else if (tg.length >= 1 && expected.length >= 1 && tg[0] != expected[0]) {
            sb.append(": the batch sizes differ (").append(expected[0]).append(" and ").append(tg[0]).append(')');
        }
        throw new IllegalArgumentException(sb.toString());
    }

    /** The shape (1, C, 1, ...) (or (C) for one sample) that lines class weights up with the input. */
    private static int[] classShape(Tensor input, int cd) {
        int[] shape = new int[input.dim()];
        Arrays.fill(shape, 1);
        shape[cd] = input.size(cd);
        return shape;
    }

    /** The class weights as a constant of the input's type (they get no gradient, as in PyTorch's NLL). */
    private static Tensor constant(Tensor weight, Tensor input) {
        return weight == null ? null : weight.detach().to(input.dtype());
    }

    // ---------------------------------------------------------------------------------------------

    /**
     * Validated class-index targets: per sample, its weight (0 when ignored) and the row-major position
     * of its entry in the input (-1 when ignored); and the total weight of the samples not ignored, the
     * mean's divisor.
     */
    private record Targets(double[] weight, int[] position, double totalWeight) {
        static Targets read(String loss, Tensor input, Tensor target, Tensor classWeight, long ignoreIndex, int cd) {
            int[] dims = input.shape().toArray();
            int classes = dims[cd];
            int inner = 1;
            for (int d = cd + 1; d < dims.length; d++) {
                inner *= dims[d];
            }
            long[] t = target.toLongArray();
            double[] cw = classWeight == null ? null : classWeight.toDoubleArray();
            double[] w = new double[t.length];
            int[] position = new int[t.length];
            double total = 0;
            int[] targetDims = target.shape().toArray();
            for (int s = 0; s < t.length; s++) {
                if (t[s] == ignoreIndex) {
                    position[s] = -1;
                    continue;
                }
                if (t[s] < 0 || t[s] >= classes) {
                    throw new IndexOutOfBoundsException(loss + ": target " + t[s] + " at position "
                            + PointwiseLosses.position(s, targetDims) + " is out of range for " + classes
                            + " classes (expected 0 <= target < " + classes + ", or the ignore index " + ignoreIndex
                            + ")");
                }
                int c = (int) t[s];
                w[s] = cw == null ? 1 : cw[c];
                position[s] = ((s / inner) * classes + c) * inner + s % inner;
                total += w[s];
            }
            return new Targets(w, position, total);
        }
    }
}
