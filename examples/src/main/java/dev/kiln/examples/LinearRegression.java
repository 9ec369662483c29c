package dev.kiln.examples;

import java.nio.file.Path;
import java.util.Map;

import dev.kiln.Kiln;
import dev.kiln.Tensor;
import dev.kiln.examples.support.PyFormat;
import dev.kiln.io.Safetensors;
import dev.kiln.loss.MSELoss;
import dev.kiln.nn.Linear;
import dev.kiln.nn.Module;
import dev.kiln.optim.SGD;

/**
 * Linear regression of y = 2x + 1 on x = 0, 1, ..., 10 with one {@code Linear(1, 1)}, mean squared
 * error and plain SGD (lr 0.01, 1000 epochs); then the state dict saved as safetensors and loaded
 * into a fresh model, which predicts the same values.
 */
public final class LinearRegression implements Example {

    static final int EPOCHS = 1000;
    static final double LEARNING_RATE = 0.01;
    static final String STATE_FILE = "linear-regression.safetensors";

    /** The model of the tutorial: one linear layer. */
    static final class LinearRegressionModel extends Module {
        final Linear linear;

        LinearRegressionModel(int inputDim, int outputDim) {
            linear = new Linear(inputDim, outputDim);
        }

        @Override
        public Tensor forward(Tensor x) {
            return linear.invoke(x);
        }
    }

    @Override
    public String name() {
        return "linear-regression";
    }

    @Override
    public String description() {
        return "y = 2x + 1 with Linear(1, 1), MSE and SGD; the state dict saved and reloaded";
    }

    @Override
    public String notes() {
        return "Trains " + EPOCHS + " epochs by default (--epochs to change), printing the loss every 50;\n"
                + "writes the trained state dict to --out/" + STATE_FILE + ".";
    }

    @Override
    public void run(ExampleOptions o) throws Exception {
        Kiln.manualSeed(o.seed());
        Tensor xTrain = Tensor.arange(11).toFloat().reshape(11, 1);
        Tensor yTrain = xTrain.times(2).plus(1);
        o.info("x_train (11 x 1): 0, 1, ..., 10; y_train = 2 * x_train + 1");

        var model = new LinearRegressionModel(1, 1);
        o.result(model.toString());

        int epochs = o.epochsOr(EPOCHS);
        var optimizer = new SGD(model.parameters(), LEARNING_RATE);
        var criterion = new MSELoss();
        for (int epoch = 1; epoch <= epochs; epoch++) {
            optimizer.zeroGrad();
            Tensor outputs = model.invoke(xTrain);
            Tensor loss = criterion.invoke(outputs, yTrain);
            loss.backward();
            optimizer.step();
            if (epoch % 50 == 0 || epoch == epochs && epochs < 50) {
                o.result("epoch " + epoch + ", loss " + PyFormat.repr(loss.item()));
            }
        }

        Tensor predictions = predict(model, xTrain);
        o.info("predictions on x_train:");
        o.result(predictions.toString());
        o.result("weight " + PyFormat.repr(model.linear.weight().item()) + ", bias " + PyFormat.repr(model.linear.bias().item()));

        Path file = o.ensureOutDir().resolve(STATE_FILE);
        Safetensors.save(model.stateDict(), file);
        o.result("saved the state dict to " + file);
        var restored = new LinearRegressionModel(1, 1);
        Map<String, Tensor> state = Safetensors.load(file);
        var keys = restored.loadStateDict(state, true);
        o.result("loaded it into a fresh model: " + (keys.missingKeys().isEmpty() && keys.unexpectedKeys().isEmpty()
                ? "all keys matched successfully" : keys));
        Tensor again = predict(restored, xTrain);
        o.result("same predictions after reloading: " + again.equal(predictions));
    }

    static Tensor predict(Module model, Tensor x) {
        try (var noGrad = Kiln.noGrad()) {
            return model.invoke(x);
        }
    }
}
