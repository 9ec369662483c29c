package dev.kiln.examples.models;

import dev.kiln.Parameter;
import dev.kiln.Tensor;
import dev.kiln.annotations.Model;
import dev.kiln.nn.Module;

/**
 * The tutorials' two-layer net written with its weights as parameters, as the "tensors and
 * autograd" version is: {@code x.mm(w1).clampMin(0).mm(w2)}.
 */
@Model
public class ParameterNet extends Module {
    final Parameter w1;
    final Parameter w2;

    public ParameterNet(int dIn, int h, int dOut) {
        w1 = new Parameter(Tensor.randn(dIn, h).times(0.1));
        w2 = new Parameter(Tensor.randn(h, dOut).times(0.1));
    }

    @Override
    public Tensor forward(Tensor x) {
        return x.mm(w1).clampMin(0).mm(w2);
    }
}
