package dev.kiln.examples;

import dev.kiln.Kiln;
import dev.kiln.Tensor;
import dev.kiln.examples.support.PyFormat;

/**
 * The two-layer ReLU net of {@code numpy-style-net} with autograd computing the gradients: the
 * weights require grad, {@code loss.backward()} fills {@code w1.grad()} and {@code w2.grad()}, and
 * the update runs inside {@code Kiln.noGrad()} so that it is not recorded.
 */
public final class AutogradNet implements Example {

    @Override
    public String name() {
        return "autograd-net";
    }

    @Override
    public String description() {
        return "the 64x1000 -> 100 -> 10 net with autograd and a manual update under Kiln.noGrad()";
    }

    @Override
    public String notes() {
        return "Runs " + NumpyStyleNet.ITERATIONS + " iterations by default (--epochs to change), printing the loss every 100.";
    }

    @Override
    public void run(ExampleOptions o) {
        Kiln.manualSeed(o.seed());
        Tensor x = Tensor.randn(NumpyStyleNet.N, NumpyStyleNet.D_IN);
        Tensor y = Tensor.randn(NumpyStyleNet.N, NumpyStyleNet.D_OUT);
        Tensor w1 = Tensor.randn(NumpyStyleNet.D_IN, NumpyStyleNet.H).requiresGrad(true);
        Tensor w2 = Tensor.randn(NumpyStyleNet.H, NumpyStyleNet.D_OUT).requiresGrad(true);
        double lr = NumpyStyleNet.LEARNING_RATE;

        int iterations = o.epochsOr(NumpyStyleNet.ITERATIONS);
        for (int t = 0; t < iterations; t++) {
            Tensor yPred = x.mm(w1).clampMin(0).mm(w2);
            Tensor loss = yPred.minus(y).pow(2).sum();
            if (t % 100 == 0 || t == iterations - 1) {
                o.result(t + " " + PyFormat.repr(loss.item()));
            }
            loss.backward();
            try (var noGrad = Kiln.noGrad()) {
                w1.minusAssign(w1.grad().times(lr));
                w2.minusAssign(w2.grad().times(lr));
                w1.grad().zero();
                w2.grad().zero();
            }
        }
    }
}
