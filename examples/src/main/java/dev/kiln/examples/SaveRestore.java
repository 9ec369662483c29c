package dev.kiln.examples;

import java.nio.file.Path;

import dev.kiln.Kiln;
import dev.kiln.Tensor;
import dev.kiln.examples.support.Plots;
import dev.kiln.examples.support.PyFormat;
import dev.kiln.io.Safetensors;
import dev.kiln.loss.MSELoss;
import dev.kiln.nn.Linear;
import dev.kiln.nn.ReLU;
import dev.kiln.nn.Sequential;
import dev.kiln.optim.SGD;

/**
 * Trains a 1 -> 10 -> 1 ReLU net on y = x^2 + noise (100 points in [-1, 1], SGD lr 0.5, 100
 * steps), saves its whole state dict as a safetensors file, restores it into a freshly built
 * model and shows that both predict exactly the same values. The data and the restored net's
 * curve are plotted.
 */
public final class SaveRestore implements Example {

    static final int EPOCHS = 100;
    static final String STATE_FILE = "save-restore.safetensors";
    static final String PLOT = "save-restore.png";

    @Override
    public String name() {
        return "save-restore";
    }

    @Override
    public String description() {
        return "train a small net, save its state dict, restore it into a fresh model";
    }

    @Override
    public String notes() {
        return "Trains " + EPOCHS + " steps by default (--epochs to change); writes --out/" + STATE_FILE
                + " and the plot --out/" + PLOT + ".";
    }

    static Sequential net() {
        return new Sequential(new Linear(1, 10), new ReLU(), new Linear(10, 1));
    }

    @Override
    public void run(ExampleOptions o) throws Exception {
        Kiln.manualSeed(o.seed());
        Tensor x = Tensor.linspace(-1, 1, 100).unsqueeze(1);
        Tensor y = x.pow(2).plus(Tensor.rand(100, 1).times(0.2));

        Sequential net1 = net();
        var optimizer = new SGD(net1.parameters(), 0.5);
        var lossFn = new MSELoss();
        int epochs = o.epochsOr(EPOCHS);
        Tensor loss = null;
        for (int t = 0; t < epochs; t++) {
            Tensor prediction = net1.invoke(x);
            loss = lossFn.invoke(prediction, y);
            optimizer.zeroGrad();
            loss.backward();
            optimizer.step();
            if ((t + 1) % 20 == 0) {
                o.info("step " + (t + 1) + "  loss " + PyFormat.repr(loss.item()));
            }
        }
        o.result("net1 trained, final loss " + PyFormat.repr(loss.item()));
        Tensor prediction1 = predict(net1, x);

        Path file = o.ensureOutDir().resolve(STATE_FILE);
        Safetensors.save(net1.stateDict(), file);
        o.result("saved " + net1.stateDict().keySet() + " to " + file);

        Sequential net2 = net();
        o.info("a fresh net2 predicts differently before loading: "
                + !predict(net2, x).equal(prediction1));
        var keys = net2.loadStateDict(Safetensors.load(file), true);
        o.result("restored into net2: missing keys " + keys.missingKeys() + ", unexpected keys " + keys.unexpectedKeys());
        Tensor prediction2 = predict(net2, x);
        o.result("net1 and net2 predict the same: " + prediction2.equal(prediction1));
        for (int i : new int[] {0, 50, 99}) {
            o.result("net2(" + PyFormat.repr(x.get(i, 0).item()) + ") = " + PyFormat.repr(prediction2.get(i, 0).item()));
        }
        o.result("restored net loss " + PyFormat.repr(lossFn.invoke(prediction2, y).item()));

        Plots.scatter(o, PLOT, "y = x^2 + noise, restored net", "x", "y",
                Plots.doubles(x), Plots.doubles(y), Plots.doubles(x), Plots.doubles(prediction2));
    }

    static Tensor predict(Sequential net, Tensor x) {
        try (var noGrad = Kiln.noGrad()) {
            return net.invoke(x);
        }
    }
}
