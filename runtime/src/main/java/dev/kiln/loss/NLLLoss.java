package dev.kiln.loss;

import dev.kiln.Tensor;

/**
 * The negative log-likelihood of log-probabilities, as PyTorch's {@code nn.NLLLoss}: for an input
 * {@code x} of shape {@code (N, C)} (or {@code (C)}, or {@code (N, C, d1, ...)}) and int64 class
 * indices {@code y}, {@code l_n = -w[y_n] x_n[y_n]}; samples whose target is the ignore index count
 * for nothing, and the mean divides by the total weight of the others. See
 * {@link Losses#nll(Tensor, Tensor, Tensor, long, Reduction)}. The input is usually
 * {@code logits.logSoftmax(1)}; {@link CrossEntropyLoss} does both.
 */
public final class NLLLoss extends Loss {
    private final Tensor weight;
    private final long ignoreIndex;

    /** No class weights, ignore index -100, the mean: {@code nn.NLLLoss()}. */
    public NLLLoss() {
        this(null, Losses.DEFAULT_IGNORE_INDEX, Reduction.MEAN);
    }

    /** {@code nn.NLLLoss(reduction=...)}. */
    public NLLLoss(Reduction reduction) {
        this(null, Losses.DEFAULT_IGNORE_INDEX, reduction);
    }

    /** {@code nn.NLLLoss(weight=...)}: one floating-point weight per class (a 1-d tensor of size C). */
    public NLLLoss(Tensor weight) {
        this(weight, Losses.DEFAULT_IGNORE_INDEX, Reduction.MEAN);
    }

    /**
     * {@code nn.NLLLoss(weight, ignore_index=..., reduction=...)}.
     *
     * @param weight one floating-point weight per class (a 1-d tensor of size C), or null for all ones;
     *     kept by reference, as PyTorch keeps it as a buffer, and given no gradient
     * @param ignoreIndex the target value whose samples are skipped
     * @throws IllegalArgumentException if the weight is not a 1-d floating-point tensor
     */
    public NLLLoss(Tensor weight, long ignoreIndex, Reduction reduction) {
        super(reduction);
        this.weight = LossChecks.classWeight("NLLLoss", weight);
        this.ignoreIndex = ignoreIndex;
    }

    /** The class weights, or null for none. */
    public Tensor weight() {
        return weight;
    }

    /** The target value whose samples are skipped; -100 by default. */
    public long ignoreIndex() {
        return ignoreIndex;
    }

    @Override
    public Tensor forward(Tensor input, Tensor target) {
        return Losses.nll(input, target, weight, ignoreIndex, reduction());
    }
}
