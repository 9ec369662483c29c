package dev.kiln.nn;

import dev.kiln.Tensor;

/** Elementwise max(x, 0), the counterpart of {@code torch.nn.ReLU}. */
public class ReLU extends Module {

    @Override
    public Tensor forward(Tensor input) {
        return F.relu(input);
    }
}
