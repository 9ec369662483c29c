package dev.kiln.bench.models;

import dev.kiln.Tensor;
import dev.kiln.annotations.Model;
import dev.kiln.nn.Linear;
import dev.kiln.nn.Module;

/** FizzBuzz classifier: 10 binary digits -> 100 (ReLU) -> 4 class logits. TutorialBench's fizzbuzz. */
@Model
public class FizzBuzzNet extends Module {
    final Linear hidden, out;

    public FizzBuzzNet(int digits, int h, int classes) {
        hidden = new Linear(digits, h);
        out = new Linear(h, classes);
    }

    @Override
    public Tensor forward(Tensor x) {
        return out.invoke(hidden.invoke(x).relu());
    }
}
