package dev.kiln.bench.models;

import dev.kiln.Tensor;
import dev.kiln.annotations.Model;
import dev.kiln.nn.Linear;
import dev.kiln.nn.Module;

/** The 1 -> 20 (ReLU) -> 1 regression network. TutorialBench's regression. */
@Model
public class RegressionNet extends Module {
    final Linear hidden, predict;

    public RegressionNet(int features, int h, int outputs) {
        hidden = new Linear(features, h);
        predict = new Linear(h, outputs);
    }

    @Override
    public Tensor forward(Tensor x) {
        return predict.invoke(hidden.invoke(x).relu());
    }
}
