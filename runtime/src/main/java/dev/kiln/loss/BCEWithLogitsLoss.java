package dev.kiln.loss;

import dev.kiln.Tensor;
import java.util.Objects;

/**
 * A sigmoid and the binary cross-entropy in one numerically stable step, as PyTorch's
 * {@code nn.BCEWithLogitsLoss}: {@code l_i = -w_i (p_i y_i log sigmoid(x_i) + (1 - y_i) log(1 - sigmoid(x_i)))}
 * for logits {@code x}, with an optional per-element weight {@code w} and weight of positive examples
 * {@code p} (usually one per class). See
 * {@link Losses#bceWithLogits(Tensor, Tensor, Tensor, Tensor, Reduction)}.
 *
 * <pre>{@code
 * Loss lossFn = BCEWithLogitsLoss.builder().posWeight(Tensor.full(3.0, numClasses)).build();
 * }</pre>
 */
public final class BCEWithLogitsLoss extends Loss {
    private final Tensor weight;
    private final Tensor posWeight;

    /** No weights, the mean: {@code nn.BCEWithLogitsLoss()}. */
    public BCEWithLogitsLoss() {
        this(null, null, Reduction.MEAN);
    }

    /** {@code nn.BCEWithLogitsLoss(reduction=...)}. */
    public BCEWithLogitsLoss(Reduction reduction) {
        this(null, null, reduction);
    }

    /**
     * {@code nn.BCEWithLogitsLoss(weight, reduction=..., pos_weight=...)}; see also {@link #builder()}.
     *
     * @param weight a floating-point tensor broadcastable to the input's shape, rescaling each element's
     *     loss, or null; kept by reference and given no gradient
     * @param posWeight the weight of positive examples, broadcastable to the input's shape (one per class,
     *     of shape {@code (C)}, for an {@code (N, C)} input), or null for 1; kept by reference and given no gradient
     */
    public BCEWithLogitsLoss(Tensor weight, Tensor posWeight, Reduction reduction) {
        super(reduction);
        this.weight = weight;
        this.posWeight = posWeight;
    }

    /** A builder starting from PyTorch's defaults. */
    public static Builder builder() {
        return new Builder();
    }

    /** The per-element weight, or null for none. */
    public Tensor weight() {
        return weight;
    }

    /** The weight of positive examples, or null for none. */
    public Tensor posWeight() {
        return posWeight;
    }

    @Override
    public Tensor forward(Tensor input, Tensor target) {
        return Losses.bceWithLogits(input, target, weight, posWeight, reduction());
    }

    /** Settings for a {@link BCEWithLogitsLoss}, starting from PyTorch's defaults. */
    public static final class Builder {
        private Tensor weight;
        private Tensor posWeight;
        private Reduction reduction = Reduction.MEAN;

        private Builder() {}

        /** A per-element weight broadcastable to the input's shape, or null. */
        public Builder weight(Tensor weight) {
            this.weight = weight;
            return this;
        }

        /** The weight of positive examples, broadcastable to the input's shape, or null. */
        public Builder posWeight(Tensor posWeight) {
            this.posWeight = posWeight;
            return this;
        }

        /** The reduction; the mean by default. */
        public Builder reduction(Reduction reduction) {
            this.reduction = Objects.requireNonNull(reduction, "reduction");
            return this;
        }

        /** The loss with these settings. */
        public BCEWithLogitsLoss build() {
            return new BCEWithLogitsLoss(weight, posWeight, reduction);
        }
    }
}
