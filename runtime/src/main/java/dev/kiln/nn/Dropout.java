package dev.kiln.nn;

import dev.kiln.Tensor;

/** Zeroes each element with probability {@code p} in training mode and scales the rest by 1 / (1 - p), so that eval mode, where it does nothing, sees the same expected values: the counterpart of {@code torch.nn.Dropout}. */
public class Dropout extends Module {
    private final double p;

    /** With PyTorch's default probability of 0.5. */
    public Dropout() {
        this(0.5);
    }

    /** With drop probability {@code p} in [0, 1]. */
    public Dropout(double p) {
        if (!(p >= 0 && p <= 1)) {
            throw new IllegalArgumentException("Dropout: probability has to be between 0 and 1, but got " + p);
        }
        this.p = p;
    }

    /** The drop probability. */
    public double p() {
        return p;
    }

    @Override
    public Tensor forward(Tensor input) {
        return F.dropout(input, p, isTraining());
    }

    @Override
    protected String extraRepr() {
        return "p=" + F.pythonFloat(p) + ", inplace=False";
    }
}
