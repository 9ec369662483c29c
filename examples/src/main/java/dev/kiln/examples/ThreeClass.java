package dev.kiln.examples;

import java.util.Arrays;
import java.util.Locale;

import dev.kiln.Kiln;
import dev.kiln.Tensor;
import dev.kiln.data.DataLoader;
import dev.kiln.data.TensorDataset;
import dev.kiln.loss.CrossEntropyLoss;
import dev.kiln.nn.F;
import dev.kiln.nn.Linear;
import dev.kiln.nn.Module;
import dev.kiln.optim.Optimizer;
import dev.kiln.optim.SGD;

/**
 * A three-class network on 500 random samples of 20 features, trained by mini-batch SGD with
 * momentum from a {@code TensorDataset} and a shuffling {@code DataLoader}.
 *
 * <p>The features are uniform in [0, 100) and the labels uniform over {0, 1, 2}, independent of the
 * features: there is nothing to learn beyond the class frequencies, so the loss stays near
 * ln 3 = 1.0986. The point is the machinery: a {@link Module} subclass with biases on some layers
 * only, cross-entropy on int64 labels, gradients appearing after {@code backward()}, one optimizer
 * step, then epochs over batches of 120 (the last batch of an epoch holds 20).
 */
public final class ThreeClass implements Example {

    static final int SAMPLES = 500;
    static final int FEATURES = 20;
    static final int CLASSES = 3;
    static final int BATCH_SIZE = 120;
    static final int DEFAULT_EPOCHS = 10;
    static final double LR = 0.1;
    static final double MOMENTUM = 0.9;

    /** 20 -> 13 (ReLU) -> 8 (sigmoid) -> 3: the two hidden layers without bias, the output layer with one. */
    static final class Net extends Module {
        final Linear linear1;
        final Linear linear2;
        final Linear output;

        Net(int inFeatures, int outFeatures) {
            linear1 = new Linear(inFeatures, 13, false);
            linear2 = new Linear(13, 8, false);
            output = new Linear(8, outFeatures, true);
        }

        @Override
        public Tensor forward(Tensor x) {
            Tensor sigma1 = F.relu(linear1.invoke(x));
            Tensor sigma2 = F.sigmoid(linear2.invoke(sigma1));
            // No softmax here: cross-entropy takes the raw scores (logits).
            return output.invoke(sigma2);
        }
    }

    @Override
    public String name() {
        return "three-class";
    }

    @Override
    public String description() {
        return "a 20 -> 13 -> 8 -> 3 classifier trained with SGD + momentum from a DataLoader";
    }

    @Override
    public String notes() {
        return """
                500 random samples (20 features in [0, 100), labels 0..2 drawn independently), SGD lr 0.1
                with momentum 0.9, batches of 120 shuffled each epoch, 10 epochs by default; prints the
                mean batch loss of each epoch. The labels are random, so the loss stays near ln 3 = 1.0986.""";
    }

    @Override
    public void run(ExampleOptions o) {
        Kiln.manualSeed(o.seed());
        int epochs = o.epochsOr(DEFAULT_EPOCHS);

        Tensor x = Tensor.rand(SAMPLES, FEATURES).times(100);
        Tensor y = Tensor.randint(0, CLASSES, SAMPLES);
        int inputs = x.size(1);
        int outputs = y.unique().numel();
        o.info("# X: " + x.shape() + ", y: " + y.shape() + ", " + outputs + " classes");

        Kiln.manualSeed(o.seed());
        var net = new Net(inputs, outputs);
        o.result(net.toString());

        var criterion = new CrossEntropyLoss();
        Tensor loss = criterion.invoke(net.invoke(x), y);
        o.result(">>> loss");
        o.result(loss.toString());
        o.result(">>> net.linear1.weight().grad()   // before backward");
        o.result(String.valueOf(net.linear1.weight().grad()));
        loss.backward();
        o.result(">>> net.linear1.weight().grad().shape()   // after backward");
        o.result(net.linear1.weight().grad().shape().toString());

        Optimizer opt = SGD.builder(net.parameters()).lr(LR).momentum(MOMENTUM).build();
        opt.step();
        opt.zeroGrad();
        o.info("# one step of SGD with momentum; the first row of linear1's weight now starts with");
        o.result(">>> net.linear1.weight().data().get(0).slice(0, 0, 10)");
        o.result(net.linear1.weight().data().get(0).slice(0, 0, 10).toString());

        var loader = DataLoader.builder(new TensorDataset(x, y))
                .batchSize(BATCH_SIZE)
                .shuffle(true)
                .dropLast(false)
                .build();
        o.info("# " + loader.dataset().size() + " samples in " + loader.size() + " batches of up to "
                + loader.batchSize() + "; batch sizes " + Arrays.toString(batchSizes(loader)));

        for (int epoch = 1; epoch <= epochs; epoch++) {
            double sum = 0;
            int batches = 0;
            for (Tensor[] batch : loader) {
                Tensor batchLoss = criterion.invoke(net.invoke(batch[0]), batch[1]);
                batchLoss.backward();
                opt.step();
                opt.zeroGrad();
                sum += batchLoss.item();
                batches++;
            }
            o.result(String.format(Locale.ROOT, "epoch %d  loss %.4f", epoch, sum / batches));
        }
    }

    private static int[] batchSizes(DataLoader<?> loader) {
        int n = loader.dataset().size(), b = loader.batchSize();
        int[] sizes = new int[loader.size()];
        for (int i = 0; i < sizes.length; i++) {
            sizes[i] = Math.min(b, n - i * b);
        }
        return sizes;
    }
}
