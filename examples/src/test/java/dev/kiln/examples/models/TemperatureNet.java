package dev.kiln.examples.models;

import dev.kiln.Tensor;
import dev.kiln.annotations.Model;
import dev.kiln.nn.Linear;
import dev.kiln.nn.Module;
import dev.kiln.nn.Sequential;
import dev.kiln.nn.Sigmoid;

/** The temperature regression of the tutorial: 13 -> 128 (sigmoid) -> 1. */
@Model
public class TemperatureNet extends Module {
    final Sequential layers = new Sequential(new Linear(13, 128), new Sigmoid(), new Linear(128, 1));

    public TemperatureNet() {
    }

    @Override
    public Tensor forward(Tensor x) {
        return layers.invoke(x);
    }
}
