package dev.kiln.loss;

import dev.kiln.Tensor;

/**
 * The binary cross-entropy between probabilities and targets, as PyTorch's {@code nn.BCELoss}:
 * {@code l_i = -w_i (y_i log x_i + (1 - y_i) log(1 - x_i))}, each log clamped to at least -100. The
 * input must lie in {@code [0, 1]} (the output of a sigmoid); for raw scores
 * {@link BCEWithLogitsLoss} is the stable choice. See {@link Losses#bce(Tensor, Tensor, Tensor, Reduction)}.
 */
public final class BCELoss extends Loss {
    private final Tensor weight;

    /** No weight, the mean: {@code nn.BCELoss()}. */
    public BCELoss() {
        this(null, Reduction.MEAN);
    }

    /** {@code nn.BCELoss(reduction=...)}. */
    public BCELoss(Reduction reduction) {
        this(null, reduction);
    }

    /** {@code nn.BCELoss(weight=...)}: a floating-point weight broadcastable to the input's shape. */
    public BCELoss(Tensor weight) {
        this(weight, Reduction.MEAN);
    }

    /**
     * {@code nn.BCELoss(weight, reduction=...)}.
     *
     * @param weight a floating-point tensor broadcastable to the input's shape, rescaling each element's
     *     loss, or null; kept by reference and given no gradient
     */
    public BCELoss(Tensor weight, Reduction reduction) {
        super(reduction);
        this.weight = weight;
    }

    /** The per-element weight, or null for none. */
    public Tensor weight() {
        return weight;
    }

    @Override
    public Tensor forward(Tensor input, Tensor target) {
        return Losses.bce(input, target, weight, reduction());
    }
}
