package dev.kiln.nn;

import dev.kiln.Tensor;

/** Softmax along a dimension, the counterpart of {@code torch.nn.Softmax}. */
public class Softmax extends Module {
    private final int dim;

    /** Softmax along {@code dim}. */
    public Softmax(int dim) {
        this.dim = dim;
    }

    @Override
    public Tensor forward(Tensor input) {
        return input.softmax(dim);
    }

    @Override
    protected String extraRepr() {
        return "dim=" + dim;
    }
}
