package dev.kiln;

/**
 * A tensor that is a learnable parameter of a module, the counterpart of {@code torch.nn.Parameter}:
 * a leaf that requires grad by default, which modules list in {@code parameters()} and
 * {@code stateDict()} and optimizers update.
 *
 * <p>Operations on a parameter give plain tensors; a parameter only ever changes in place (an
 * optimizer step, {@code copyFrom} when a state dict is loaded), so modules and optimizers keep
 * seeing the same object.
 */
public final class Parameter extends Tensor {

    /** A parameter sharing {@code data}'s elements, requiring grad. */
    public Parameter(Tensor data) {
        this(data, true);
    }

    /**
     * A parameter sharing {@code data}'s elements.
     *
     * @throws IllegalArgumentException if {@code requiresGrad} and {@code data} is not floating point
     */
    public Parameter(Tensor data, boolean requiresGrad) {
        super(data);
        requiresGrad(requiresGrad);
    }

    /** As PyTorch prints a parameter: {@code Parameter containing:} and the tensor on the next line. */
    @Override
    public String toString() {
        return "Parameter containing:\n" + super.toString();
    }
}
