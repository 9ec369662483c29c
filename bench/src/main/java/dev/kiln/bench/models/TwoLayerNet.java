package dev.kiln.bench.models;

import dev.kiln.Tensor;
import dev.kiln.annotations.Model;
import dev.kiln.nn.Linear;
import dev.kiln.nn.Module;

/** The two-layer network of the PyTorch "learning by examples" tutorial: no biases, ReLU as clampMin(0). TutorialBench's twolayerSgd and twolayerAdam. */
@Model
public class TwoLayerNet extends Module {
    final Linear linear1, linear2;

    public TwoLayerNet(int dIn, int h, int dOut) {
        linear1 = new Linear(dIn, h, false);
        linear2 = new Linear(h, dOut, false);
    }

    @Override
    public Tensor forward(Tensor x) {
        return linear2.invoke(linear1.invoke(x).clampMin(0));
    }
}
