package dev.kiln.examples;

import dev.kiln.Kiln;
import dev.kiln.Tensor;
import dev.kiln.examples.support.PyFormat;

/**
 * A two-layer ReLU net, 64 samples of 1000 features to 100 hidden units to 10 outputs, with the
 * forward and the backward pass written out by hand on tensors (no autograd): {@code clampMin} for
 * the ReLU, {@code t().mm} for the weight gradients and {@code gradH.set(h.lt(0), 0)} for the ReLU's
 * gradient. 500 iterations of gradient descent at lr 1e-6 on the summed squared error.
 */
public final class NumpyStyleNet implements Example {

    static final int N = 64, D_IN = 1000, H = 100, D_OUT = 10;
    static final int ITERATIONS = 500;
    static final double LEARNING_RATE = 1e-6;

    @Override
    public String name() {
        return "numpy-style-net";
    }

    @Override
    public String description() {
        return "64x1000 -> 100 -> 10 ReLU net with a hand-written backward pass (no autograd)";
    }

    @Override
    public String notes() {
        return "Runs " + ITERATIONS + " iterations by default (--epochs to change), printing the loss every 100.";
    }

    @Override
    public void run(ExampleOptions o) {
        Kiln.manualSeed(o.seed());
        Tensor x = Tensor.randn(N, D_IN);
        Tensor y = Tensor.randn(N, D_OUT);
        Tensor w1 = Tensor.randn(D_IN, H);
        Tensor w2 = Tensor.randn(H, D_OUT);
        o.info("x " + x.shape() + ", y " + y.shape() + ", w1 " + w1.shape() + ", w2 " + w2.shape()
                + "; learning rate " + PyFormat.repr(LEARNING_RATE));

        int iterations = o.epochsOr(ITERATIONS);
        for (int t = 0; t < iterations; t++) {
            // forward: h = x w1, relu, y_pred = relu(h) w2
            Tensor h = x.mm(w1);
            Tensor hRelu = h.clampMin(0);
            Tensor yPred = hRelu.mm(w2);
            double loss = yPred.minus(y).pow(2).sum().item();
            if (t % 100 == 0 || t == iterations - 1) {
                o.result(t + " " + PyFormat.repr(loss));
            }
            // backward by hand: loss = sum((y_pred - y)^2)
            Tensor gradYPred = yPred.minus(y).times(2.0);
            Tensor gradW2 = hRelu.t().mm(gradYPred);
            Tensor gradHRelu = gradYPred.mm(w2.t());
            Tensor gradH = gradHRelu.clone();
            gradH.set(h.lt(0), 0);
            Tensor gradW1 = x.t().mm(gradH);
            w1.minusAssign(gradW1.times(LEARNING_RATE));
            w2.minusAssign(gradW2.times(LEARNING_RATE));
        }
    }
}
