package dev.kiln.nn;

import dev.kiln.Tensor;

/** Log-softmax along a dimension, the counterpart of {@code torch.nn.LogSoftmax}. */
public class LogSoftmax extends Module {
    private final int dim;

    /** Log-softmax along {@code dim}. */
    public LogSoftmax(int dim) {
        this.dim = dim;
    }

    @Override
    public Tensor forward(Tensor input) {
        return input.logSoftmax(dim);
    }

    @Override
    protected String extraRepr() {
        return "dim=" + dim;
    }
}
