package dev.kiln.nn;

import dev.kiln.Tensor;

/** Merges dimensions {@code startDim..endDim} into one, the counterpart of {@code torch.nn.Flatten} (by default all but the batch dimension). */
public class Flatten extends Module {
    private final int startDim;
    private final int endDim;

    /** Flattens all dimensions but the first. */
    public Flatten() {
        this(1, -1);
    }

    /** Flattens dimensions {@code startDim..endDim}. */
    public Flatten(int startDim, int endDim) {
        this.startDim = startDim;
        this.endDim = endDim;
    }

    @Override
    public Tensor forward(Tensor input) {
        return input.flatten(startDim, endDim);
    }

    @Override
    protected String extraRepr() {
        return "start_dim=" + startDim + ", end_dim=" + endDim;
    }
}
