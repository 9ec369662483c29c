package dev.kiln.examples;

import java.util.List;

import dev.kiln.Kiln;
import dev.kiln.Tensor;
import dev.kiln.examples.support.Plots;
import dev.kiln.examples.support.PyFormat;

/**
 * A straight line fitted to five points by hand-written gradient descent: the design matrix
 * {@code X = stack(x, 1)}, the prediction {@code X.mv(w)}, a sum-of-squares loss, and the update
 * {@code w.data -= lr * w.grad}. The points and the fitted line are plotted.
 */
public final class LinearFit implements Example {

    static final int EPOCHS = 1000;
    static final double LEARNING_RATE = 1e-4;
    static final String PLOT = "linear-fit.png";

    @Override
    public String name() {
        return "linear-fit";
    }

    @Override
    public String description() {
        return "fit a line to 5 points with X.mv(w) and Tensor.stack, plotted";
    }

    @Override
    public String notes() {
        return "Trains " + EPOCHS + " epochs by default (--epochs to change), printing the loss every 80;\n"
                + "writes the points and the fitted line to --out/" + PLOT + ".";
    }

    @Override
    public void run(ExampleOptions o) throws Exception {
        Kiln.manualSeed(o.seed());
        Tensor x = Tensor.of(1.4f, 5f, 11f, 16f, 21f);
        Tensor y = Tensor.of(14.4f, 29.6f, 62f, 85.5f, 113.4f);
        Tensor inputs = produceX(x);
        o.info(">>> X = Tensor.stack(List.of(x, Tensor.ones(5)), 1)");
        o.info(inputs.toString());
        Tensor w = Tensor.rand(2).requiresGrad(true);
        o.info("initial w: " + w);

        int epochs = o.epochsOr(EPOCHS);
        Tensor output = null;
        Tensor loss = null;
        for (int epoch = 0; epoch < epochs; epoch++) {
            output = inputs.mv(w);
            loss = output.minus(y).pow(2).sum();
            loss.backward();
            w.data().minusAssign(w.grad().times(LEARNING_RATE));
            w.grad().zero();
            if (epoch % 80 == 0) {
                o.info("epoch " + epoch + "  loss " + PyFormat.repr(loss.item()));
            }
        }
        o.result("final loss: " + PyFormat.repr(loss.item()));
        o.result("weights: " + w.data());

        double[] fit = Plots.doubles(output);
        double[] xs = Plots.doubles(x);
        Plots.scatter(o, PLOT, String.format(java.util.Locale.ROOT, "y = %.3f x + %.3f,  loss %.2f", w.get(0).item(), w.get(1).item(), loss.item()),
                "x", "y", xs, Plots.doubles(y), xs, fit);
    }

    /** The design matrix: x in the first column, ones in the second. */
    static Tensor produceX(Tensor x) {
        Tensor x0 = Tensor.ones((int) x.numel());
        return Tensor.stack(List.of(x, x0), 1);
    }
}
