package dev.kiln.examples;

import java.io.IOException;
import java.util.Locale;

import dev.kiln.Kiln;
import dev.kiln.Tensor;
import dev.kiln.examples.support.Plots;
import dev.kiln.loss.MSELoss;
import dev.kiln.nn.F;
import dev.kiln.nn.Linear;
import dev.kiln.nn.Module;
import dev.kiln.optim.Optimizer;
import dev.kiln.optim.SGD;

/**
 * Fitting a curve: 100 points of {@code y = x^2 + 0.2 u} (u uniform in [0, 1)) for x evenly spaced
 * in [-1, 1], learned by a 1 -> 10 (ReLU) -> 1 network with full-batch SGD (lr 0.2) on the mean
 * squared error. Prints the loss as it falls and writes the points with the fitted curve to
 * {@code regression.png}.
 */
public final class Regression implements Example {

    static final int POINTS = 100;
    static final int DEFAULT_EPOCHS = 200;
    static final double LR = 0.2;

    /** One hidden layer with ReLU, one linear output. */
    static final class Net extends Module {
        final Linear hidden;
        final Linear predict;

        Net(int nFeature, int nHidden, int nOutput) {
            hidden = new Linear(nFeature, nHidden);
            predict = new Linear(nHidden, nOutput);
        }

        @Override
        public Tensor forward(Tensor x) {
            return predict.invoke(F.relu(hidden.invoke(x)));
        }
    }

    @Override
    public String name() {
        return "regression";
    }

    @Override
    public String description() {
        return "fit y = x^2 + noise with a 1 -> 10 -> 1 ReLU net and SGD, plotted";
    }

    @Override
    public String notes() {
        return """
                Full-batch SGD (lr 0.2) on 100 points for 200 steps by default (--epochs N); prints the
                loss every 20 steps and writes the data with the fitted curve to --out/regression.png.""";
    }

    @Override
    public void run(ExampleOptions o) throws IOException {
        Kiln.manualSeed(o.seed());
        int epochs = o.epochsOr(DEFAULT_EPOCHS);

        Tensor x = Tensor.linspace(-1, 1, POINTS).unsqueeze(1);          // (100, 1)
        Tensor y = x.pow(2).plus(Tensor.rand(POINTS, 1).times(0.2));    // (100, 1)

        var net = new Net(1, 10, 1);
        o.result(net.toString());

        Optimizer optimizer = SGD.builder(net.parameters()).lr(LR).build();
        var lossFunc = new MSELoss();
        int every = Math.max(1, epochs / 10);
        for (int t = 1; t <= epochs; t++) {
            Tensor prediction = net.invoke(x);
            Tensor loss = lossFunc.invoke(prediction, y);
            optimizer.zeroGrad();
            loss.backward();
            optimizer.step();
            if (t == 1 || t % every == 0 || t == epochs) {
                o.result(String.format(Locale.ROOT, "step %d  loss %.4f", t, loss.item()));
            }
        }

        Tensor fitted;
        try (var _ = Kiln.noGrad()) {
            fitted = net.invoke(x);
        }
        o.result(String.format(Locale.ROOT, "final loss %.4f", lossFunc.invoke(fitted, y).item()));
        Plots.scatter(o, "regression", "y = x^2 + noise, fitted by a 1-10-1 net", "x", "y",
                Plots.doubles(x), Plots.doubles(y), Plots.doubles(x), Plots.doubles(fitted));
    }
}
