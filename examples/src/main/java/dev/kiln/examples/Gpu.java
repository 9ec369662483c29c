package dev.kiln.examples;

import dev.kiln.Kiln;
import dev.kiln.Tensor;
import dev.kiln.device.Device;
import dev.kiln.examples.LinearRegression.LinearRegressionModel;
import dev.kiln.examples.support.PyFormat;
import dev.kiln.loss.MSELoss;
import dev.kiln.optim.SGD;

/**
 * The {@code linear-regression} program on the best device there is, as the tutorial's GPU section:
 * {@code Device.best()} (PyTorch's {@code torch.device('cuda:0' if torch.cuda.is_available() else 'cpu')}),
 * then {@code model.to(device)} and {@code .to(device)} on the inputs and labels before each step.
 * Prints the device used and, when that is the CPU, why CUDA was not.
 */
public final class Gpu implements Example {

    @Override
    public String name() {
        return "gpu";
    }

    @Override
    public String description() {
        return "linear regression on Device.best(): model and data moved with .to(device)";
    }

    @Override
    public String notes() {
        return "Trains " + LinearRegression.EPOCHS + " epochs by default (--epochs to change), printing the loss every 50;\n"
                + "runs on a CUDA device when one can be used, otherwise on the CPU, and says which.";
    }

    @Override
    public void run(ExampleOptions o) {
        Kiln.manualSeed(o.seed());
        Device device = Device.best();
        o.result("device: " + device);
        if (device.equals(Device.CPU)) {
            o.result(whyNotCuda());
        }

        Tensor xTrain = Tensor.arange(11).toFloat().reshape(11, 1);
        Tensor yTrain = xTrain.times(2).plus(1);
        var model = new LinearRegressionModel(1, 1);
        model.to(device);
        var criterion = new MSELoss();
        var optimizer = new SGD(model.parameters(), LinearRegression.LEARNING_RATE);
        int epochs = o.epochsOr(LinearRegression.EPOCHS);
        for (int epoch = 1; epoch <= epochs; epoch++) {
            Tensor inputs = xTrain.to(device);
            Tensor labels = yTrain.to(device);
            optimizer.zeroGrad();
            Tensor loss = criterion.invoke(model.invoke(inputs), labels);
            loss.backward();
            optimizer.step();
            if (epoch % 50 == 0 || epoch == epochs && epochs < 50) {
                o.result("epoch " + epoch + ", loss " + PyFormat.repr(loss.item()));
            }
        }

        Tensor predictions = LinearRegression.predict(model, xTrain.to(device)).to(Device.CPU);
        o.info("predictions on x_train, back on the CPU:");
        o.result(predictions.toString());
        o.result("weight " + PyFormat.repr(model.linear.weight().item()) + ", bias "
                + PyFormat.repr(model.linear.bias().item()) + " (on " + model.linear.weight().device() + ")");
    }

    /** Why the CPU was chosen: in the usual case, what {@code Device.cuda(0)} says when CUDA cannot be used. */
    private static String whyNotCuda() {
        try {
            return "Device.best() preferred the CPU over " + Device.cuda(0);
        } catch (IllegalStateException e) {
            return "no CUDA available; Device.cuda(0) says: " + e.getMessage();
        }
    }
}
