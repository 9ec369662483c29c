package dev.kiln.loss;

import dev.kiln.Tensor;
import java.util.Objects;

/**
 * The cross-entropy between logits and targets, as PyTorch's {@code nn.CrossEntropyLoss}: the
 * log-softmax of the input over its class dimension followed by the negative log-likelihood. Targets
 * are either int64 class indices (shape {@code (N)} for an {@code (N, C)} input) or floating-point
 * class probabilities of the input's shape; class weights, an ignore index and label smoothing work
 * as in PyTorch. See {@link Losses#crossEntropy(Tensor, Tensor, Tensor, long, double, Reduction)} for
 * the formulas.
 *
 * <pre>{@code
 * Loss lossFn = new CrossEntropyLoss();
 * Loss smoothed = CrossEntropyLoss.builder().labelSmoothing(0.1).weight(classWeights).build();
 * Tensor loss = lossFn.invoke(logits, labels);   // logits (N x C), labels int64 (N)
 * }</pre>
 */
public final class CrossEntropyLoss extends Loss {
    private final Tensor weight;
    private final long ignoreIndex;
    private final double labelSmoothing;

    /** No class weights, ignore index -100, no label smoothing, the mean: {@code nn.CrossEntropyLoss()}. */
    public CrossEntropyLoss() {
        this(null, Losses.DEFAULT_IGNORE_INDEX, 0.0, Reduction.MEAN);
    }

    /** {@code nn.CrossEntropyLoss(reduction=...)}. */
    public CrossEntropyLoss(Reduction reduction) {
        this(null, Losses.DEFAULT_IGNORE_INDEX, 0.0, reduction);
    }

    /** {@code nn.CrossEntropyLoss(weight=...)}: one floating-point weight per class (a 1-d tensor of size C). */
    public CrossEntropyLoss(Tensor weight) {
        this(weight, Losses.DEFAULT_IGNORE_INDEX, 0.0, Reduction.MEAN);
    }

    /**
     * {@code nn.CrossEntropyLoss(weight, ignore_index=..., reduction=..., label_smoothing=...)}; see also
     * {@link #builder()}.
     *
     * @param weight one floating-point weight per class (a 1-d tensor of size C), or null for all ones;
     *     kept by reference, as PyTorch keeps it as a buffer, and given no gradient
     * @param ignoreIndex the target value whose samples are skipped (class-index targets only)
     * @param labelSmoothing in {@code [0, 1]}; 0 for none
     * @throws IllegalArgumentException for a weight that is not a 1-d floating-point tensor, or a
     *     smoothing outside [0, 1]
     */
    public CrossEntropyLoss(Tensor weight, long ignoreIndex, double labelSmoothing, Reduction reduction) {
        super(reduction);
        ClassLosses.requireLabelSmoothing("CrossEntropyLoss", labelSmoothing);
        this.weight = LossChecks.classWeight("CrossEntropyLoss", weight);
        this.ignoreIndex = ignoreIndex;
        this.labelSmoothing = labelSmoothing;
    }

    /** A builder starting from PyTorch's defaults. */
    public static Builder builder() {
        return new Builder();
    }

    /** The class weights, or null for none. */
    public Tensor weight() {
        return weight;
    }

    /** The target value whose samples are skipped; -100 by default. */
    public long ignoreIndex() {
        return ignoreIndex;
    }

    /** The label smoothing; 0 by default. */
    public double labelSmoothing() {
        return labelSmoothing;
    }

    @Override
    public Tensor forward(Tensor input, Tensor target) {
        return Losses.crossEntropy(input, target, weight, ignoreIndex, labelSmoothing, reduction());
    }

    /** Settings for a {@link CrossEntropyLoss}, starting from PyTorch's defaults. */
    public static final class Builder {
        private Tensor weight;
        private long ignoreIndex = Losses.DEFAULT_IGNORE_INDEX;
        private double labelSmoothing;
        private Reduction reduction = Reduction.MEAN;

        private Builder() {}

        /** One weight per class (a 1-d floating-point tensor of size C), or null for all ones. */
        public Builder weight(Tensor weight) {
            this.weight = weight;
            return this;
        }

        /** The target value whose samples are skipped; -100 by default. */
        public Builder ignoreIndex(long ignoreIndex) {
            this.ignoreIndex = ignoreIndex;
            return this;
        }

        /** The label smoothing in {@code [0, 1]}; 0 by default. */
        public Builder labelSmoothing(double labelSmoothing) {
            this.labelSmoothing = labelSmoothing;
            return this;
        }

        /** The reduction; the mean by default. */
        public Builder reduction(Reduction reduction) {
            this.reduction = Objects.requireNonNull(reduction, "reduction");
            return this;
        }

        /** The loss with these settings. */
        public CrossEntropyLoss build() {
            return new CrossEntropyLoss(weight, ignoreIndex, labelSmoothing, reduction);
        }
    }
}
