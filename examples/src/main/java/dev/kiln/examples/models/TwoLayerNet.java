package dev.kiln.examples.models;

import dev.kiln.Tensor;
import dev.kiln.annotations.Model;
import dev.kiln.nn.Linear;
import dev.kiln.nn.Module;

/**
 * The two-layer network of the PyTorch "learning by examples" tutorial: no biases, ReLU as
 * {@code clampMin(0)}. The {@code @Model} processor generates {@code TwoLayerNetKiln}, its compiled
 * form, which the {@code custom-module} example trains.
 */
@Model
public class TwoLayerNet extends Module {
    final Linear linear1, linear2;

    /** {@code dIn -> h} (ReLU) {@code -> dOut}, both layers without bias. */
    public TwoLayerNet(int dIn, int h, int dOut) {
        linear1 = new Linear(dIn, h, false);
        linear2 = new Linear(h, dOut, false);
    }

    @Override
    public Tensor forward(Tensor x) {
        return linear2.invoke(linear1.invoke(x).clampMin(0));
    }
}
