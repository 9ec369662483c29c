package dev.kiln.bench.models;

import dev.kiln.Tensor;
import dev.kiln.annotations.Model;
import dev.kiln.nn.Linear;
import dev.kiln.nn.Module;

/** The MNIST-sized MLP: 784 -> 512 (ReLU) -> 256 (ReLU) -> 10 logits. TutorialBench's mlp. */
@Model
public class MlpNet extends Module {
    final Linear fc1, fc2, fc3;

    public MlpNet(int dIn, int h1, int h2, int classes) {
        fc1 = new Linear(dIn, h1);
        fc2 = new Linear(h1, h2);
        fc3 = new Linear(h2, classes);
    }

    @Override
    public Tensor forward(Tensor x) {
        return fc3.invoke(fc2.invoke(fc1.invoke(x).relu()).relu());
    }
}
