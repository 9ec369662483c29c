package dev.kiln.loss;

import dev.kiln.Tensor;

/**
 * The mean absolute error between each element of the input and the target, as PyTorch's
 * {@code nn.L1Loss}: {@code l_i = |x_i - y_i|}, reduced by the mean unless told otherwise. Input and
 * target must have the same shape (see {@link Losses#l1(Tensor, Tensor, Reduction)}).
 */
public final class L1Loss extends Loss {
    /** The mean over all elements: {@code nn.L1Loss()}. */
    public L1Loss() {
        this(Reduction.MEAN);
    }

    /** {@code nn.L1Loss(reduction=...)}. */
    public L1Loss(Reduction reduction) {
        super(reduction);
    }

    @Override
    public Tensor forward(Tensor input, Tensor target) {
        return Losses.l1(input, target, reduction());
    }
}
