package dev.kiln.loss;

import dev.kiln.Tensor;

/**
 * The loss functions, as functions: the counterparts of {@code torch.nn.functional.mse_loss},
 * {@code l1_loss}, {@code cross_entropy}, {@code nll_loss}, {@code binary_cross_entropy} and
 * {@code binary_cross_entropy_with_logits}. The loss classes ({@link MSELoss}, {@link CrossEntropyLoss},
 * ...) hold their settings and call these.
 *
 * <p>Every function follows PyTorch's documented formula and its {@link Reduction} (the mean by
 * default), and its result is recorded for autograd: the gradient reaches the input and, for the
 * elementwise losses and probability targets, the target. Class weights and {@code posWeight} are
 * constants: they receive no gradient.
 *
 * <p>Operand checks differ from PyTorch in one deliberate way: an input and a target whose shapes
 * differ are never broadcast against each other. PyTorch broadcasts a {@code (16, 1)} prediction
 * against a {@code (16)} target to a {@code (16, 16)} loss (with only a warning); Kiln throws an
 * {@link IllegalArgumentException} that names both shapes and the fix, for example {@code MSELoss: input
 * (16x1) and target (16) have different shapes; PyTorch would broadcast them to (16x16) — reshape the
 * target with target.reshape(16, 1) or the input with input.squeeze(1)}. Messages name the loss by
 * its PyTorch module name.
 *
 * <p><b>Shapes.</b> The elementwise losses ({@link #mse}, {@link #l1}, {@link #bce},
 * {@link #bceWithLogits}) take an input and a target of the same (any) shape; {@link Reduction#NONE}
 * gives a result of that shape. The classification losses ({@link #crossEntropy}, {@link #nll}) take
 * an input of shape {@code (C)} (one sample), {@code (N, C)} or {@code (N, C, d1, ..., dk)}, with the
 * classes along dimension 1 (dimension 0 for one sample); class-index targets are int64 with the
 * input's shape less the class dimension, and {@link Reduction#NONE} gives a result of that shape.
 */
public final class Losses {
    /** PyTorch's default {@code ignore_index}: the target value that no class has. */
    public static final long DEFAULT_IGNORE_INDEX = ClassLosses.DEFAULT_IGNORE_INDEX;

    private Losses() {}

    // ---------------------------------------------------------------------------------------------
    // Mean squared error

    /** {@link #mse(Tensor, Tensor, Reduction)} with the mean: {@code F.mse_loss(input, target)}. */
    public static Tensor mse(Tensor input, Tensor target) {
        return mse(input, target, Reduction.MEAN);
    }

    /**
     * The squared error {@code (x_i - y_i)^2} of each element, reduced: PyTorch's
     * {@code F.mse_loss(input, target, reduction=...)}. Recorded as one operation, {@code MseLossBackward0};
     * the input's gradient is {@code 2 (x - y)} (over the element count for the mean) and the target's its
     * negative.
     *
     * @param input floating point, any shape
     * @param target floating point, the input's shape
     * @throws IllegalArgumentException for an integer or bool operand, or shapes that differ
     */
    public static Tensor mse(Tensor input, Tensor target, Reduction reduction) {
        return PointwiseLosses.mse(input, target, reduction);
    }

    // ---------------------------------------------------------------------------------------------
    // Mean absolute error

    /** {@link #l1(Tensor, Tensor, Reduction)} with the mean: {@code F.l1_loss(input, target)}. */
    public static Tensor l1(Tensor input, Tensor target) {
        return l1(input, target, Reduction.MEAN);
    }

    /**
     * The absolute error {@code |x_i - y_i|} of each element, reduced: PyTorch's
     * {@code F.l1_loss(input, target, reduction=...)}. Composed as PyTorch composes it,
     * {@code (input - target).abs()} then {@code mean()} or {@code sum()}, so the gradient at
     * {@code x_i == y_i} is 0.
     *
     * @param input floating point, any shape
     * @param target floating point, the input's shape
     * @throws IllegalArgumentException for an integer or bool operand, or shapes that differ
     */
    public static Tensor l1(Tensor input, Tensor target, Reduction reduction) {
        return PointwiseLosses.l1(input, target, reduction);
    }

    // ---------------------------------------------------------------------------------------------
    // Cross-entropy

    /** {@link #crossEntropy(Tensor, Tensor, Tensor, long, double, Reduction)} with PyTorch's defaults: {@code F.cross_entropy(input, target)}. */
    public static Tensor crossEntropy(Tensor input, Tensor target) {
        return crossEntropy(input, target, null, DEFAULT_IGNORE_INDEX, 0.0, Reduction.MEAN);
    }

    /** {@link #crossEntropy(Tensor, Tensor, Tensor, long, double, Reduction)} with no weights, ignore index or smoothing. */
    public static Tensor crossEntropy(Tensor input, Tensor target, Reduction reduction) {
        return crossEntropy(input, target, null, DEFAULT_IGNORE_INDEX, 0.0, reduction);
    }

    /**
     * The cross-entropy between unnormalised scores (logits) and targets: PyTorch's
     * {@code F.cross_entropy(input, target, weight, ignore_index=..., reduction=..., label_smoothing=...)},
     * computed as {@code input.logSoftmax(classDim)} followed by the NLL, as PyTorch does.
     *
     * <p><b>Class-index targets</b> (int64, the input's shape less the class dimension): the loss of
     * sample {@code n} is {@code l_n = -w[y_n] log_softmax(x_n)[y_n]}, and 0 where {@code y_n ==
     * ignoreIndex}; the mean is {@code sum_n l_n / sum_n w[y_n]} over the samples not ignored (so NaN
     * when every sample is ignored). With label smoothing {@code eps} the loss is
     * {@code (1 - eps) nll + (eps / C) smooth}, where {@code smooth_n = -sum_c w[c] log_softmax(x_n)[c]}
     * (0 for ignored samples) is reduced the way the NLL term is, dividing by the same total weight for
     * the mean. Without smoothing the result's {@code grad_fn} is {@code NllLossBackward0}, as in PyTorch.
     *
     * <p><b>Probability targets</b> (floating point, the input's shape; each sample's class
     * probabilities): {@code l_n = -sum_c w[c] t'_nc log_softmax(x_n)[c]} with {@code t' = (1 - eps) t
     * + eps / C}; the mean divides by the number of samples {@code input.numel() / C}. The target gets
     * a gradient; {@code ignoreIndex} must stay negative (PyTorch rejects it too).
     *
     * @param input the logits, floating point, of shape {@code (C)}, {@code (N, C)} or {@code (N, C, d1, ...)}
     * @param target int64 class indices in {@code [0, C)} (or {@code ignoreIndex}), or floating-point probabilities
     * @param weight a 1-d floating-point tensor of {@code C} class weights, or null for all ones
     * @param ignoreIndex a target value whose samples add nothing to the loss nor to the mean's divisor
     *     ({@link #DEFAULT_IGNORE_INDEX} by default)
     * @param labelSmoothing {@code eps} in {@code [0, 1]}; 0 for none
     * @throws IllegalArgumentException for operands of the wrong type or shape (naming what was expected
     *     and found), a weight not of size C, or a smoothing outside [0, 1]
     * @throws IndexOutOfBoundsException for a class index outside {@code [0, C)} that is not {@code ignoreIndex}
     */
    public static Tensor crossEntropy(Tensor input, Tensor target, Tensor weight, long ignoreIndex,
                                      double labelSmoothing, Reduction reduction) {
        return ClassLosses.crossEntropy(input, target, weight, ignoreIndex, labelSmoothing, reduction);
    }

    // ---------------------------------------------------------------------------------------------
    // Negative log-likelihood

    /** {@link #nll(Tensor, Tensor, Tensor, long, Reduction)} with PyTorch's defaults: {@code F.nll_loss(input, target)}. */
    public static Tensor nll(Tensor input, Tensor target) {
        return nll(input, target, null, DEFAULT_IGNORE_INDEX, Reduction.MEAN);
    }

    /** {@link #nll(Tensor, Tensor, Tensor, long, Reduction)} with no weights or ignore index. */
    public static Tensor nll(Tensor input, Tensor target, Reduction reduction) {
        return nll(input, target, null, DEFAULT_IGNORE_INDEX, reduction);
    }

    /**
     * The negative log-likelihood of log-probabilities: PyTorch's {@code F.nll_loss(input, target, weight,
     * ignore_index=..., reduction=...)}. The loss of sample {@code n} is {@code l_n = -w[y_n] x_n[y_n]},
     * and 0 where {@code y_n == ignoreIndex}; the mean is {@code sum_n l_n / sum_n w[y_n]} over the
     * samples not ignored (NaN when every sample is ignored). Recorded as one operation,
     * {@code NllLossBackward0} ({@code NllLoss2DBackward0} for inputs of more than 2 dimensions); the
     * gradient of the input is {@code -w[y_n]} (over the total weight for the mean) at each sample's
     * target entry and 0 elsewhere. The input is usually {@code logits.logSoftmax(1)}; see
     * {@link #crossEntropy} for both at once.
     *
     * @param input log-probabilities, floating point, of shape {@code (C)}, {@code (N, C)} or {@code (N, C, d1, ...)}
     * @param target int64 class indices in {@code [0, C)} (or {@code ignoreIndex}), the input's shape less the class dimension
     * @param weight a 1-d floating-point tensor of {@code C} class weights, or null for all ones
     * @param ignoreIndex a target value whose samples add nothing ({@link #DEFAULT_IGNORE_INDEX} by default)
     * @throws IllegalArgumentException for operands of the wrong type or shape, or a weight not of size C
     * @throws IndexOutOfBoundsException for a class index outside {@code [0, C)} that is not {@code ignoreIndex}
     */
    public static Tensor nll(Tensor input, Tensor target, Tensor weight, long ignoreIndex, Reduction reduction) {
        return ClassLosses.nll(input, target, weight, ignoreIndex, reduction);
    }

    // ---------------------------------------------------------------------------------------------
    // Binary cross-entropy

    /** {@link #bce(Tensor, Tensor, Tensor, Reduction)} with no weight and the mean: {@code F.binary_cross_entropy(input, target)}. */
    public static Tensor bce(Tensor input, Tensor target) {
        return bce(input, target, null, Reduction.MEAN);
    }

    /** {@link #bce(Tensor, Tensor, Tensor, Reduction)} with no weight. */
    public static Tensor bce(Tensor input, Tensor target, Reduction reduction) {
        return bce(input, target, null, reduction);
    }

    /**
     * The binary cross-entropy of probabilities: PyTorch's {@code F.binary_cross_entropy(input, target,
     * weight, reduction=...)}, {@code l_i = -w_i (y_i log x_i + (1 - y_i) log(1 - x_i))} with each log
     * clamped to at least -100 as PyTorch clamps it, so an input of exactly 0 or 1 gives a finite loss
     * (100 per element when it is confidently wrong). Recorded as one operation,
     * {@code BinaryCrossEntropyBackward0}, with PyTorch's derivative {@code w (x - y) / max(x (1 - x), 1e-12)}.
     * For raw scores use {@link #bceWithLogits}, which is stable for large magnitudes.
     *
     * @param input probabilities in {@code [0, 1]}, floating point, any shape
     * @param target floating point, the input's shape (usually 0 or 1)
     * @param weight a floating-point tensor broadcastable to the input's shape rescaling each element's loss, or null
     * @throws IllegalArgumentException for operands of the wrong type or shape, or an input element outside [0, 1]
     */
    public static Tensor bce(Tensor input, Tensor target, Tensor weight, Reduction reduction) {
        return PointwiseLosses.bce(input, target, weight, reduction);
    }

    // ---------------------------------------------------------------------------------------------
    // Binary cross-entropy on logits

    /** {@link #bceWithLogits(Tensor, Tensor, Tensor, Tensor, Reduction)} with PyTorch's defaults: {@code F.binary_cross_entropy_with_logits(input, target)}. */
    public static Tensor bceWithLogits(Tensor input, Tensor target) {
        return bceWithLogits(input, target, null, null, Reduction.MEAN);
    }

    /** {@link #bceWithLogits(Tensor, Tensor, Tensor, Tensor, Reduction)} with no weights. */
    public static Tensor bceWithLogits(Tensor input, Tensor target, Reduction reduction) {
        return bceWithLogits(input, target, null, null, reduction);
    }

    /**
     * The binary cross-entropy of logits, {@code sigmoid} and {@link #bce} in one stable step: PyTorch's
     * {@code F.binary_cross_entropy_with_logits(input, target, weight, reduction=..., pos_weight=...)},
     * {@code l_i = -w_i (p_i y_i log sigmoid(x_i) + (1 - y_i) log(1 - sigmoid(x_i)))}, computed as
     * {@code w_i ((1 - y_i) x_i + (1 + (p_i - 1) y_i) (log(1 + e^-|x_i|) + max(-x_i, 0)))} so that no
     * exponential overflows: logits of any magnitude give finite losses and gradients. Recorded as one
     * operation, {@code BinaryCrossEntropyWithLogitsBackward0}; the input's gradient is
     * {@code w ((1 + (p - 1) y) sigmoid(x) - p y)}, {@code w (sigmoid(x) - y)} without {@code posWeight}.
     *
     * @param input logits, floating point, any shape
     * @param target floating point, the input's shape (usually 0 or 1)
     * @param weight a floating-point tensor broadcastable to the input's shape rescaling each element's loss, or null
     * @param posWeight the weight {@code p} of positive examples, broadcastable to the input's shape (usually
     *     one per class, of shape {@code (C)} against an {@code (N, C)} input), or null for 1
     * @throws IllegalArgumentException for operands of the wrong type or shape
     */
    public static Tensor bceWithLogits(Tensor input, Tensor target, Tensor weight, Tensor posWeight,
                                       Reduction reduction) {
        return PointwiseLosses.bceWithLogits(input, target, weight, posWeight, reduction);
    }
}
