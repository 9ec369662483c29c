package dev.kiln.examples;

import java.io.IOException;
import java.util.List;
import java.util.Locale;

import dev.kiln.Kiln;
import dev.kiln.Tensor;
import dev.kiln.examples.support.Plots;
import dev.kiln.loss.CrossEntropyLoss;
import dev.kiln.nn.F;
import dev.kiln.nn.Linear;
import dev.kiln.nn.Module;
import dev.kiln.optim.Optimizer;
import dev.kiln.optim.SGD;

/**
 * Two classes of 100 points each, drawn from normal distributions (standard deviation 1) around
 * (2, 2) (class 0) and (-2, -2) (class 1), separated by a 2 -> 10 (ReLU) -> 2 network trained with
 * cross-entropy and full-batch SGD (lr 0.02). Prints the loss and the accuracy, and writes the
 * points coloured by the predicted class to {@code classification.png}.
 */
public final class Classification implements Example {

    static final int PER_CLASS = 100;
    static final int DEFAULT_EPOCHS = 100;
    static final double LR = 0.02;

    /** One hidden layer with ReLU; the output layer gives the two class scores. */
    static final class Net extends Module {
        final Linear hidden;
        final Linear out;

        Net(int nFeature, int nHidden, int nOutput) {
            hidden = new Linear(nFeature, nHidden);
            out = new Linear(nHidden, nOutput);
        }

        @Override
        public Tensor forward(Tensor x) {
            // Scores, not probabilities: softmax(out) gives those, argmax gives the class.
            return out.invoke(F.relu(hidden.invoke(x)));
        }
    }

    @Override
    public String name() {
        return "classification";
    }

    @Override
    public String description() {
        return "separate two Gaussian clusters with a 2 -> 10 -> 2 net and cross-entropy, plotted";
    }

    @Override
    public String notes() {
        return """
                Full-batch SGD (lr 0.02) for 100 steps by default (--epochs N); prints the loss and accuracy
                every 10 steps and writes the points coloured by predicted class to --out/classification.png.""";
    }

    @Override
    public void run(ExampleOptions o) throws IOException {
        Kiln.manualSeed(o.seed());
        int epochs = o.epochsOr(DEFAULT_EPOCHS);

        Tensor nData = Tensor.ones(PER_CLASS, 2);
        Tensor x0 = Tensor.normal(0, 1, PER_CLASS, 2).plus(nData.times(2));     // around (2, 2)
        Tensor y0 = Tensor.zeros(PER_CLASS);
        Tensor x1 = Tensor.normal(0, 1, PER_CLASS, 2).plus(nData.times(-2));    // around (-2, -2)
        Tensor y1 = Tensor.ones(PER_CLASS);
        Tensor x = Tensor.cat(x0, x1);                 // (200, 2) float32
        Tensor y = Tensor.cat(y0, y1).toLong();        // (200) int64 class indices

        var net = new Net(2, 10, 2);
        o.result(net.toString());

        Optimizer optimizer = SGD.builder(net.parameters()).lr(LR).build();
        var lossFunc = new CrossEntropyLoss();
        int every = Math.max(1, epochs / 10);
        Tensor out = null;
        for (int t = 1; t <= epochs; t++) {
            out = net.invoke(x);
            Tensor loss = lossFunc.invoke(out, y);
            optimizer.zeroGrad();
            loss.backward();
            optimizer.step();
            if (t == 1 || t % every == 0 || t == epochs) {
                o.result(String.format(Locale.ROOT, "step %d  loss %.4f  accuracy %.2f",
                        t, loss.item(), accuracy(out, y)));
            }
        }

        Tensor predicted;
        try (var _ = Kiln.noGrad()) {
            predicted = net.invoke(x).argmax(1);
        }
        double accuracy = predicted.eq(y).toFloat().mean().item();
        o.result(String.format(Locale.ROOT, "accuracy: %.3f", accuracy));
        Plots.scatterByClass(o, "classification", "Two clusters, coloured by predicted class", "x1", "x2",
                Plots.doubles(x.select(1, 0)), Plots.doubles(x.select(1, 1)), Plots.labels(predicted),
                List.of("predicted 0", "predicted 1"));
    }

    private static double accuracy(Tensor scores, Tensor y) {
        return scores.detach().argmax(1).eq(y).toFloat().mean().item();
    }
}
