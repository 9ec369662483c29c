package dev.kiln.examples.models;

import dev.kiln.Tensor;
import dev.kiln.annotations.Model;
import dev.kiln.nn.Linear;
import dev.kiln.nn.Module;

/** Images of 3x4 pixels as rows of 12 features through {@code view(-1, 12)}, then two layers. */
@Model
public class ReshapeNet extends Module {
    final Linear hidden = new Linear(12, 5);
    final Linear out = new Linear(5, 2);

    public ReshapeNet() {
    }

    @Override
    public Tensor forward(Tensor x) {
        Tensor rows = x.view(-1, 12);
        return out.invoke(hidden.invoke(rows).relu());
    }
}
