package dev.kiln.loss;

/**
 * How a loss combines its per-element values: PyTorch's {@code reduction} argument
 * ({@code 'mean'}, {@code 'sum'}, {@code 'none'}).
 */
public enum Reduction {
    /**
     * The average of the per-element losses, as a 0-d tensor: the default. The weighted losses
     * ({@link NLLLoss}, {@link CrossEntropyLoss} with class targets) divide by the sum of the weights
     * of the targets taken into account instead of by their count, as PyTorch does.
     */
    MEAN("mean"),
    /** The sum of the per-element losses, as a 0-d tensor. */
    SUM("sum"),
    /** No reduction: one loss per element (per sample for the classification losses). */
    NONE("none");

    private final String pytorchName;

    Reduction(String pytorchName) {
        this.pytorchName = pytorchName;
    }

    /** PyTorch's spelling of this reduction: {@code "mean"}, {@code "sum"} or {@code "none"}. */
    public String pytorchName() {
        return pytorchName;
    }
}
