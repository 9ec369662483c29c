package dev.kiln.nn;

import dev.kiln.Tensor;

/** Elementwise 1 / (1 + e^-x), the counterpart of {@code torch.nn.Sigmoid}. */
public class Sigmoid extends Module {

    @Override
    public Tensor forward(Tensor input) {
        return F.sigmoid(input);
    }
}
