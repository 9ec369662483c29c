package dev.kiln.examples.models;

import dev.kiln.Tensor;
import dev.kiln.annotations.Model;
import dev.kiln.nn.Linear;
import dev.kiln.nn.Module;

/** The 2 -> 10 -> 2 classifier, returning log-probabilities. */
@Model
public class TwoClassNet extends Module {
    final Linear fc1 = new Linear(2, 10);
    final Linear fc2 = new Linear(10, 2);

    public TwoClassNet() {
    }

    @Override
    public Tensor forward(Tensor x) {
        Tensor h = fc1.invoke(x).tanh();
        return fc2.invoke(h).logSoftmax(1);
    }
}
