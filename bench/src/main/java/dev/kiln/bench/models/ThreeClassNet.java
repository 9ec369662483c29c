package dev.kiln.bench.models;

import dev.kiln.Tensor;
import dev.kiln.annotations.Model;
import dev.kiln.nn.Linear;
import dev.kiln.nn.Module;

/** The three-class classifier: 20 -> 13 (ReLU) -> 8 (sigmoid) -> 3 logits. TutorialBench's threeclass. */
@Model
public class ThreeClassNet extends Module {
    final Linear hidden1, hidden2, out;

    public ThreeClassNet(int features, int h1, int h2, int classes) {
        hidden1 = new Linear(features, h1);
        hidden2 = new Linear(h1, h2);
        out = new Linear(h2, classes);
    }

    @Override
    public Tensor forward(Tensor x) {
        return out.invoke(hidden2.invoke(hidden1.invoke(x).relu()).sigmoid());
    }
}
