package dev.kiln.loss;

import dev.kiln.Tensor;

/**
 * The mean squared error between each element of the input and the target, as PyTorch's
 * {@code nn.MSELoss}: {@code l_i = (x_i - y_i)^2}, reduced by the mean unless told otherwise. Input
 * and target must have the same shape (see {@link Losses#mse(Tensor, Tensor, Reduction)}).
 *
 * <pre>{@code
 * Loss lossFn = new MSELoss();
 * Tensor loss = lossFn.invoke(model.invoke(x), y);   // Kotlin: lossFn(model(x), y)
 * loss.backward();
 * }</pre>
 */
public final class MSELoss extends Loss {
    /** The mean over all elements: {@code nn.MSELoss()}. */
    public MSELoss() {
        this(Reduction.MEAN);
    }

    /** {@code nn.MSELoss(reduction=...)}. */
    public MSELoss(Reduction reduction) {
        super(reduction);
    }

    @Override
    public Tensor forward(Tensor input, Tensor target) {
        return Losses.mse(input, target, reduction());
    }
}
