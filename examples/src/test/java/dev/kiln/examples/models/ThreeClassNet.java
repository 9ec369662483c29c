package dev.kiln.examples.models;

import dev.kiln.Tensor;
import dev.kiln.annotations.Model;
import dev.kiln.nn.Linear;
import dev.kiln.nn.Module;
import dev.kiln.nn.Sequential;
import dev.kiln.nn.Sigmoid;

/** The three-class classifier: 20 -> 13 (ReLU) -> 8 (sigmoid) -> 3, with and without biases. */
@Model
public class ThreeClassNet extends Module {
    final Linear hidden = new Linear(20, 13);
    final Sequential head;

    public ThreeClassNet() {
        head = new Sequential(new Linear(13, 8, false), new Sigmoid(), new Linear(8, 3));
    }

    @Override
    public Tensor forward(Tensor x) {
        Tensor h = hidden.invoke(x).relu();
        return head.invoke(h);
    }
}
