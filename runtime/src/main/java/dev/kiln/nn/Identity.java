package dev.kiln.nn;

import dev.kiln.Tensor;

/** Returns its input unchanged, the counterpart of {@code torch.nn.Identity}; a placeholder layer. */
public class Identity extends Module {

    @Override
    public Tensor forward(Tensor input) {
        return input;
    }
}
