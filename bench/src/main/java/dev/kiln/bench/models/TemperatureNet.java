package dev.kiln.bench.models;

import dev.kiln.Tensor;
import dev.kiln.annotations.Model;
import dev.kiln.nn.Linear;
import dev.kiln.nn.Module;
import dev.kiln.nn.Sequential;
import dev.kiln.nn.Sigmoid;

/** The temperature regression: 13 -> 128 (sigmoid) -> 1. TutorialBench's temperature. */
@Model
public class TemperatureNet extends Module {
    final Sequential layers;

    public TemperatureNet(int features, int h) {
        layers = new Sequential(new Linear(features, h), new Sigmoid(), new Linear(h, 1));
    }

    @Override
    public Tensor forward(Tensor x) {
        return layers.invoke(x);
    }
}
