package dev.kiln.examples.models;

import dev.kiln.Tensor;
import dev.kiln.annotations.Model;
import dev.kiln.nn.Linear;
import dev.kiln.nn.Module;

/**
 * Branches that meet three times: towers over the input (one of them itself two branches multiplied)
 * added together, then a gated unit whose gate and value are computed from the same hidden value.
 */
@Model
public class BranchNet extends Module {
    final Linear left = new Linear(6, 8);
    final Linear right = new Linear(6, 8, false);
    final Linear third = new Linear(6, 8);
    final Linear gate = new Linear(8, 5);
    final Linear value = new Linear(8, 5);
    final Linear out = new Linear(5, 3);

    public BranchNet() {
    }

    @Override
    public Tensor forward(Tensor x) {
        // the right operand has two branches of its own
        Tensor h = left.invoke(x).tanh().plus(right.invoke(x).times(third.invoke(x).sigmoid())).relu();
        Tensor gated = gate.invoke(h).sigmoid().times(value.invoke(h));
        return out.invoke(gated);
    }
}
