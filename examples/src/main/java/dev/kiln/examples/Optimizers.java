package dev.kiln.examples;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import dev.kiln.Kiln;
import dev.kiln.Tensor;
import dev.kiln.data.DataLoader;
import dev.kiln.data.TensorDataset;
import dev.kiln.examples.support.Plots;
import dev.kiln.loss.MSELoss;
import dev.kiln.nn.F;
import dev.kiln.nn.Linear;
import dev.kiln.nn.Module;
import dev.kiln.optim.Adam;
import dev.kiln.optim.Optimizer;
import dev.kiln.optim.RMSprop;
import dev.kiln.optim.SGD;

/**
 * Four optimizers on one problem: SGD, SGD with momentum 0.8, RMSprop (alpha 0.9) and Adam
 * (betas 0.9, 0.99), all with lr 0.01, each training its own 1 -> 20 (ReLU) -> 1 network on the same
 * mini-batches of 32 drawn from 1000 points of {@code y = x^2 + 0.1 e} (e standard normal, x evenly
 * spaced in [-1, 1]), for 12 epochs. Prints each optimizer's mean loss per epoch and writes the
 * four per-step loss curves to {@code optimizers.png}.
 */
public final class Optimizers implements Example {

    static final int POINTS = 1000;
    static final int BATCH_SIZE = 32;
    static final int DEFAULT_EPOCHS = 12;
    static final double LR = 0.01;

    /** The network every optimizer trains its own copy of. */
    static final class Net extends Module {
        final Linear hidden;
        final Linear predict;

        Net() {
            hidden = new Linear(1, 20);
            predict = new Linear(20, 1);
        }

        @Override
        public Tensor forward(Tensor x) {
            return predict.invoke(F.relu(hidden.invoke(x)));
        }
    }

    @Override
    public String name() {
        return "optimizers";
    }

    @Override
    public String description() {
        return "SGD, Momentum, RMSprop and Adam on the same regression, loss curves on one plot";
    }

    @Override
    public String notes() {
        return """
                12 epochs by default (--epochs N) of shuffled batches of 32 from 1000 points; prints each
                optimizer's mean loss per epoch and writes the per-step loss curves to --out/optimizers.png.""";
    }

    @Override
    public void run(ExampleOptions o) throws IOException {
        Kiln.manualSeed(o.seed());
        int epochs = o.epochsOr(DEFAULT_EPOCHS);

        Tensor x = Tensor.linspace(-1, 1, POINTS).unsqueeze(1);                     // (1000, 1)
        Tensor y = x.pow(2).plus(Tensor.normal(0, 1, POINTS, 1).times(0.1));        // (1000, 1)
        var loader = DataLoader.builder(new TensorDataset(x, y)).batchSize(BATCH_SIZE).shuffle(true).build();

        Map<String, Net> nets = new LinkedHashMap<>();
        for (String name : List.of("SGD", "Momentum", "RMSprop", "Adam")) {
            nets.put(name, new Net());
        }
        Map<String, Optimizer> optimizers = new LinkedHashMap<>();
        optimizers.put("SGD", SGD.builder(nets.get("SGD").parameters()).lr(LR).build());
        optimizers.put("Momentum", SGD.builder(nets.get("Momentum").parameters()).lr(LR).momentum(0.8).build());
        optimizers.put("RMSprop", RMSprop.builder(nets.get("RMSprop").parameters()).lr(LR).alpha(0.9).build());
        optimizers.put("Adam", Adam.builder(nets.get("Adam").parameters()).lr(LR).betas(0.9, 0.99).build());

        var lossFunc = new MSELoss();
        Map<String, List<Double>> history = new LinkedHashMap<>();
        nets.keySet().forEach(name -> history.put(name, new ArrayList<>()));

        o.result(String.format(Locale.ROOT, "%-6s %10s %10s %10s %10s", "epoch", "SGD", "Momentum", "RMSprop", "Adam"));
        for (int epoch = 1; epoch <= epochs; epoch++) {
            Map<String, Double> sums = new LinkedHashMap<>();
            int steps = 0;
            for (Tensor[] batch : loader) {
                for (String name : nets.keySet()) {
                    Tensor output = nets.get(name).invoke(batch[0]);
                    Tensor loss = lossFunc.invoke(output, batch[1]);
                    Optimizer opt = optimizers.get(name);
                    opt.zeroGrad();
                    loss.backward();
                    opt.step();
                    double l = loss.item();
                    history.get(name).add(l);
                    sums.merge(name, l, Double::sum);
                }
                steps++;
            }
            var line = new StringBuilder(String.format(Locale.ROOT, "%-6d", epoch));
            for (String name : nets.keySet()) {
                line.append(String.format(Locale.ROOT, " %10.4f", sums.get(name) / steps));
            }
            o.result(line.toString());
        }

        Map<String, double[]> series = new LinkedHashMap<>();
        history.forEach((name, losses) -> series.put(name, losses.stream().mapToDouble(Double::doubleValue).toArray()));
        Plots.line(o, "optimizers", "Training loss of four optimizers", "step", "loss", series);
    }
}
