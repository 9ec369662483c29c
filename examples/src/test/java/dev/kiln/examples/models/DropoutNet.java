package dev.kiln.examples.models;

import dev.kiln.Tensor;
import dev.kiln.annotations.Model;
import dev.kiln.nn.Dropout;
import dev.kiln.nn.LeakyReLU;
import dev.kiln.nn.Linear;
import dev.kiln.nn.Module;

/** A network with Dropout and LeakyReLU layers and scalar arithmetic, for the compiled path's edge cases. */
@Model
public class DropoutNet extends Module {
    final Linear fc1 = new Linear(7, 5);
    final LeakyReLU act = new LeakyReLU(0.1);
    final Dropout drop = new Dropout(0.5);
    final Linear fc2 = new Linear(5, 3, false);

    public DropoutNet() {
    }

    @Override
    public Tensor forward(Tensor x) {
        Tensor h = drop.invoke(act.invoke(fc1.invoke(x.times(0.5).plus(1))));
        return fc2.invoke(h).clamp(-0.5, 0.5).exp().div(2);
    }
}
