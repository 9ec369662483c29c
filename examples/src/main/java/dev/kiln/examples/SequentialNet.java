package dev.kiln.examples;

import dev.kiln.Kiln;
import dev.kiln.Parameter;
import dev.kiln.Tensor;
import dev.kiln.examples.support.PyFormat;
import dev.kiln.loss.MSELoss;
import dev.kiln.loss.Reduction;
import dev.kiln.nn.Linear;
import dev.kiln.nn.ReLU;
import dev.kiln.nn.Sequential;

/**
 * The two-layer ReLU net built from layers: {@code Sequential(Linear(1000, 100, false), ReLU(),
 * Linear(100, 10, false))}, {@code MSELoss} with {@code Reduction.SUM}, and gradient descent by hand
 * over {@code model.parameters()} (lr 1e-4). Prints the model, its layers and the first layer's
 * weight.
 */
public final class SequentialNet implements Example {

    static final double LEARNING_RATE = 1e-4;

    @Override
    public String name() {
        return "sequential-net";
    }

    @Override
    public String description() {
        return "the 64x1000 -> 100 -> 10 net as a Sequential with MSE(sum) and a manual update";
    }

    @Override
    public String notes() {
        return "Runs " + NumpyStyleNet.ITERATIONS + " iterations by default (--epochs to change), printing the loss every 100.";
    }

    /** The tutorial's model: two linear layers without bias around a ReLU. */
    static Sequential model() {
        return new Sequential(
                new Linear(NumpyStyleNet.D_IN, NumpyStyleNet.H, false),
                new ReLU(),
                new Linear(NumpyStyleNet.H, NumpyStyleNet.D_OUT, false));
    }

    @Override
    public void run(ExampleOptions o) {
        Kiln.manualSeed(o.seed());
        Tensor x = Tensor.randn(NumpyStyleNet.N, NumpyStyleNet.D_IN);
        Tensor y = Tensor.randn(NumpyStyleNet.N, NumpyStyleNet.D_OUT);
        Sequential model = model();
        var lossFn = new MSELoss(Reduction.SUM);

        int iterations = o.epochsOr(NumpyStyleNet.ITERATIONS);
        for (int t = 0; t < iterations; t++) {
            Tensor yPred = model.invoke(x);
            Tensor loss = lossFn.invoke(yPred, y);
            if (t % 100 == 0 || t == iterations - 1) {
                o.result(t + " " + PyFormat.repr(loss.item()));
            }
            loss.backward();
            try (var noGrad = Kiln.noGrad()) {
                for (Parameter param : model.parameters()) {
                    param.minusAssign(param.grad().times(LEARNING_RATE));
                }
            }
            model.zeroGrad();
        }

        o.result(">>> model");
        o.result(model.toString());
        for (int i = 0; i < 3; i++) {
            o.result(">>> model.get(" + i + ")");
            o.result(model.get(i).toString());
        }
        Linear first = model.get(0, Linear.class);
        o.result(">>> model.get(0, Linear.class).weight()");
        o.result(first.weight().toString());
        o.result(">>> model.get(0, Linear.class).bias()");
        o.result(first.bias() == null ? "null (built with bias = false)" : first.bias().toString());
    }
}
