package dev.kiln.examples.models;

import dev.kiln.Tensor;
import dev.kiln.annotations.Model;
import dev.kiln.nn.F;
import dev.kiln.nn.Linear;
import dev.kiln.nn.Module;

/** The 1 -> 10 -> 1 regression network with a ReLU hidden layer. */
@Model
public class RegressionNet extends Module {
    final Linear hidden;
    final Linear predict;

    public RegressionNet(int features, int hiddenSize, int outputs) {
        hidden = new Linear(features, hiddenSize);
        predict = new Linear(hiddenSize, outputs);
    }

    @Override
    public Tensor forward(Tensor x) {
        Tensor h = F.relu(hidden.invoke(x));
        Tensor y = predict.invoke(h);
        return y;
    }
}
