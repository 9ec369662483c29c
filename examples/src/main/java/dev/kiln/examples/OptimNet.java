package dev.kiln.examples;

import dev.kiln.Kiln;
import dev.kiln.Tensor;
import dev.kiln.examples.support.PyFormat;
import dev.kiln.loss.MSELoss;
import dev.kiln.loss.Reduction;
import dev.kiln.nn.Sequential;
import dev.kiln.optim.Adam;
import dev.kiln.optim.Optimizer;

/**
 * The {@code sequential-net} model trained by an optimizer instead of a hand-written update:
 * {@code Adam} with lr 1e-4, {@code optimizer.zeroGrad()}, {@code loss.backward()},
 * {@code optimizer.step()}.
 */
public final class OptimNet implements Example {

    static final double LEARNING_RATE = 1e-4;

    @Override
    public String name() {
        return "optim-net";
    }

    @Override
    public String description() {
        return "the 64x1000 -> 100 -> 10 Sequential net trained with Adam (lr 1e-4)";
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
        Sequential model = SequentialNet.model();
        var lossFn = new MSELoss(Reduction.SUM);
        Optimizer optimizer = new Adam(model.parameters(), LEARNING_RATE);
        o.info("optimizer: Adam, lr " + PyFormat.repr(LEARNING_RATE));

        int iterations = o.epochsOr(NumpyStyleNet.ITERATIONS);
        for (int t = 0; t < iterations; t++) {
            Tensor yPred = model.invoke(x);
            Tensor loss = lossFn.invoke(yPred, y);
            if (t % 100 == 0 || t == iterations - 1) {
                o.result(t + " " + PyFormat.repr(loss.item()));
            }
            optimizer.zeroGrad();
            loss.backward();
            optimizer.step();
        }
    }
}
