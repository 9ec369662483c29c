package dev.kiln.examples.models;

import dev.kiln.Parameter;
import dev.kiln.Tensor;
import dev.kiln.annotations.Model;
import dev.kiln.nn.Linear;
import dev.kiln.nn.Module;

/**
 * Parameters stored as {@code (out, in)}, like a {@code Linear} layer's weight, multiplied through
 * {@code t()} with {@code matmul}, next to a layer: {@code matmul} takes inputs of any rank.
 */
@Model
public class TransposedParameterNet extends Module {
    final Parameter encode = new Parameter(Tensor.randn(6, 5).times(0.3));
    final Linear middle = new Linear(6, 4);
    final Parameter decode;

    public TransposedParameterNet() {
        decode = new Parameter(Tensor.randn(3, 4).times(0.3));
    }

    @Override
    public Tensor forward(Tensor x) {
        Tensor h = x.matmul(encode.t()).tanh();
        return middle.invoke(h).sigmoid().matmul(this.decode.t());
    }
}
