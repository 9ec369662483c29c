package dev.kiln.nn;

import dev.kiln.Tensor;

/** Elementwise hyperbolic tangent, the counterpart of {@code torch.nn.Tanh}. */
public class Tanh extends Module {

    @Override
    public Tensor forward(Tensor input) {
        return F.tanh(input);
    }
}
