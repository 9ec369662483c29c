package dev.kiln.examples;

import java.util.Locale;

import dev.kiln.Kiln;
import dev.kiln.Tensor;
import dev.kiln.data.DataLoader;
import dev.kiln.data.TensorDataset;

/**
 * Mini-batches from a {@code DataLoader}: ten samples x = 1..10, y = 10..1 in a
 * {@code TensorDataset}, batches of 5, shuffled anew each epoch, printed per epoch and step.
 */
public final class DataLoaderDemo implements Example {

    static final int EPOCHS = 3;
    static final int BATCH_SIZE = 5;

    @Override
    public String name() {
        return "dataloader";
    }

    @Override
    public String description() {
        return "a shuffled DataLoader of 10 samples in batches of 5, printed per epoch and step";
    }

    @Override
    public String notes() {
        return "Runs " + EPOCHS + " epochs by default (--epochs to change); --seed decides the shuffles.";
    }

    @Override
    public void run(ExampleOptions o) {
        Kiln.manualSeed(o.seed());
        Tensor x = Tensor.linspace(1, 10, 10);
        Tensor y = Tensor.linspace(10, 1, 10);
        var dataset = new TensorDataset(x, y);
        var loader = new DataLoader<>(dataset, BATCH_SIZE, true);
        o.info("dataset of " + dataset.size() + " samples, " + loader.size() + " batches of " + BATCH_SIZE + " per epoch");

        int epochs = o.epochsOr(EPOCHS);
        for (int epoch = 0; epoch < epochs; epoch++) {
            int step = 0;
            for (Tensor[] batch : loader) {
                o.result("Epoch: " + epoch + " | Step: " + step + " | batch x: " + numpy(batch[0])
                        + " | batch y: " + numpy(batch[1]));
                step++;
            }
        }
    }

    /** A 1-d tensor as NumPy prints a float array: {@code [ 5.  7. 10.  3.  4.]}. */
    static String numpy(Tensor t) {
        double[] v = t.toDouble().toDoubleArray();
        String[] s = new String[v.length];
        int width = 0;
        for (int i = 0; i < v.length; i++) {
            s[i] = v[i] == Math.rint(v[i]) ? String.format(Locale.ROOT, "%.0f.", v[i])
                    : String.format(Locale.ROOT, "%.4f", v[i]).replaceAll("0+$", "");
            width = Math.max(width, s[i].length());
        }
        var sb = new StringBuilder("[");
        for (int i = 0; i < s.length; i++) {
            if (i > 0) {
                sb.append(' ');
            }
            sb.append(" ".repeat(width - s[i].length())).append(s[i]);
        }
        return sb.append(']').toString();
    }
}
