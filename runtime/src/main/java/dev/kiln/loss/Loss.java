package dev.kiln.loss;

import dev.kiln.Tensor;
import java.util.Objects;

/**
 * A loss criterion: the counterpart of PyTorch's {@code torch.nn.modules.loss._Loss}. A loss object
 * holds its settings (the {@link Reduction}, and class weights or label smoothing where the loss has
 * them) and computes from a prediction and a target through {@link #forward}, or {@link #invoke} so
 * that Kotlin callers write {@code loss(pred, y)} as in PyTorch.
 *
 * <p>The result is built from recorded operations, so {@code loss.invoke(pred, y).backward()}
 * fills the gradients of everything {@code pred} was computed from. The functions behind each loss
 * are in {@link Losses}.
 *
 * <p>Unlike PyTorch, Kiln never broadcasts a target against an input of a different shape: the
 * {@code (16, 1)} prediction against a {@code (16)} target that PyTorch silently turns into a
 * {@code (16, 16)} loss is an error naming both shapes and the fix.
 *
 * <p>Loss objects are immutable and may be shared between threads.
 */
public abstract class Loss {
    private final Reduction reduction;

    /** A loss that reduces its per-element values with {@code reduction}. */
    protected Loss(Reduction reduction) {
        this.reduction = Objects.requireNonNull(reduction, "reduction");
    }

    /** How the per-element losses are combined. */
    public final Reduction reduction() {
        return reduction;
    }

    /**
     * The loss of {@code input} (the model's prediction) against {@code target}.
     *
     * @return a 0-d tensor for {@link Reduction#MEAN} and {@link Reduction#SUM}, otherwise the
     *     per-element losses
     * @throws IllegalArgumentException when the types or shapes of the operands do not fit, with a
     *     message naming what was expected and what was found
     */
    public abstract Tensor forward(Tensor input, Tensor target);

    /** {@link #forward}: Kotlin's {@code loss(input, target)}. */
    public final Tensor invoke(Tensor input, Tensor target) {
        return forward(input, target);
    }

    /** As PyTorch prints the module: the class name and empty parentheses, such as {@code MSELoss()}. */
    @Override
    public String toString() {
        return getClass().getSimpleName() + "()";
    }
}
