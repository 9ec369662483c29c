package dev.kiln.examples.train;

import java.util.Locale;

import dev.kiln.Generator;
import dev.kiln.Kiln;
import dev.kiln.Tensor;
import dev.kiln.data.DataLoader;
import dev.kiln.data.TensorDataset;
import dev.kiln.examples.support.Progress;
import dev.kiln.loss.Loss;
import dev.kiln.nn.Sequential;
import dev.kiln.optim.Optimizer;

/**
 * Trains the network on shuffled mini-batches and measures it: the accuracy of the predicted classes,
 * or the root mean squared error in the target's own units.
 */
final class Trainer {

    /** Per epoch: the mean training loss over the samples, and the metric on the whole training split after it. */
    record History(double[] loss, double[] metric) {
    }

    private final Sequential model;
    private final Task task;
    private final Optimizer optimizer;
    private final int batchSize;
    private final long seed;
    private final double targetScale;
    private final Loss criterion;

    /**
     * @param targetScale what one unit of a standardised regression target is in the target's units
     *                    (the training split's standard deviation); 1 for classification
     */
    Trainer(Sequential model, Task task, Optimizer optimizer, int batchSize, long seed, double targetScale) {
        this.model = model;
        this.task = task;
        this.optimizer = optimizer;
        this.batchSize = batchSize;
        this.seed = seed;
        this.targetScale = targetScale;
        this.criterion = task.criterion();
    }

    /** Runs {@code epochs} epochs over {@code (x, y)}, reporting each to {@code progress}. */
    History fit(Tensor x, Tensor y, int epochs, Progress progress) {
        var loader = DataLoader.builder(new TensorDataset(x, y))
                .batchSize(batchSize)
                .shuffle(true)
                .generator(new Generator(seed))
                .build();
        int n = x.size(0);
        double[] losses = new double[epochs], metrics = new double[epochs];
        for (int epoch = 0; epoch < epochs; epoch++) {
            model.train();
            double sum = 0;
            for (Tensor[] batch : loader) {
                optimizer.zeroGrad();
                Tensor loss = criterion.invoke(model.invoke(batch[0]), batch[1]);
                loss.backward();
                optimizer.step();
                sum += loss.item() * batch[0].size(0);
            }
            losses[epoch] = sum / n;
            metrics[epoch] = evaluate(x, y);
            progress.step(losses[epoch], format("train_" + task.metric(), metrics[epoch]));
        }
        return new History(losses, metrics);
    }

    /** The metric of the model on {@code (x, y)}: the fraction of classes predicted right, or the RMSE in target units. */
    double evaluate(Tensor x, Tensor y) {
        model.eval();
        Tensor output;
        try (var noGrad = Kiln.noGrad()) {
            output = model.invoke(x);
        }
        if (task == Task.CLASSIFICATION) {
            long[] predicted = output.argmax(1).toLongArray(), actual = y.toLongArray();
            int right = 0;
            for (int i = 0; i < actual.length; i++) {
                right += predicted[i] == actual[i] ? 1 : 0;
            }
            return (double) right / actual.length;
        }
        return Math.sqrt(output.minus(y).pow(2).mean().item()) * targetScale;
    }

    /** {@code "accuracy 0.9500"}: a metric with four decimals, as in the last line of {@code kiln train}. */
    static String format(String metric, double value) {
        return String.format(Locale.ROOT, "%s %.4f", metric, value);
    }
}
