package dev.kiln.examples;

import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import dev.kiln.DType;
import dev.kiln.Kiln;
import dev.kiln.Tensor;
import dev.kiln.data.CsvTable;
import dev.kiln.data.StandardScaler;
import dev.kiln.examples.support.Plots;
import dev.kiln.loss.MSELoss;
import dev.kiln.nn.Linear;
import dev.kiln.nn.Sequential;
import dev.kiln.nn.Sigmoid;
import dev.kiln.optim.Adam;
import dev.kiln.optim.Optimizer;

/**
 * Daily maximum temperature predicted from the date, the two previous days' maxima and the
 * long-term average: the tutorial's pandas-to-tensor pipeline and two ways of training.
 *
 * <ol>
 *   <li>Read the table (a synthetic year, see {@link TemperatureData}), drop {@code date}, one-hot
 *       encode {@code week} ({@code week_Friday} .. {@code week_Wednesday}), split off the
 *       {@code actual} labels and standardise the 13 features.</li>
 *   <li>A network written by hand in float64: {@code relu(x W1 + b1) W2 + b2} with 128 hidden units,
 *       weights drawn from {@code randn}, mean squared error, plain gradient steps of lr 0.001,
 *       gradients zeroed after each step; the loss printed every 100 iterations.</li>
 *   <li>The same shape with {@code Sequential(Linear(13, 128), Sigmoid(), Linear(128, 1))} in
 *       float32, trained with Adam (lr 0.001) on mini-batches of 16 taken in order; the mean batch
 *       loss printed every 100 epochs.</li>
 *   <li>A plot of the actual and predicted maxima over the year, {@code temperature.png}.</li>
 * </ol>
 *
 * <p>The labels are shaped (365, 1), like the predictions. (With labels of shape (365), PyTorch
 * would broadcast the difference to 365 x 365 and train on the wrong loss; Kiln's {@code MSELoss}
 * refuses such a pair.)
 */
public final class Temperature implements Example {

    static final int HIDDEN = 128;
    static final int BATCH_SIZE = 16;
    static final int DEFAULT_EPOCHS = 1000;
    static final double LR = 0.001;

    @Override
    public String name() {
        return "temperature";
    }

    @Override
    public String description() {
        return "daily temperature regression from a CSV: hand-written float64 net, then Sequential + Adam";
    }

    @Override
    public String notes() {
        return """
                Reads a synthetic 2016 table (shipped with Kiln), one-hot encodes the weekday and standardises
                the features; trains a hand-written 13 -> 128 -> 1 ReLU net for 1000 iterations, then a
                Sequential with a sigmoid for 1000 epochs of mini-batches (--epochs N sets both), and writes
                the plot of actual against predicted temperatures to --out/temperature.png.""";
    }

    /** The shipped table. */
    static CsvTable readTable() {
        InputStream in = Temperature.class.getResourceAsStream(TemperatureData.RESOURCE);
        if (in == null) {
            throw new IllegalStateException("resource " + TemperatureData.RESOURCE + " is missing from the class path");
        }
        try (Reader reader = new InputStreamReader(in, StandardCharsets.UTF_8)) {
            return CsvTable.read(reader, "temperature-2016.csv");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void run(ExampleOptions o) throws IOException {
        int epochs = o.epochsOr(DEFAULT_EPOCHS);

        CsvTable data = readTable();
        o.info("# " + data.rowCount() + " rows, columns " + data.columnNames());
        o.info("# first days: " + firstRows(data, 3));

        CsvTable features = data.drop("date").oneHot("week");
        Tensor labels = features.numeric("actual").toTensor(DType.FLOAT64).reshape(-1, 1);
        features = features.drop("actual");
        o.info("# features: " + features.columnNames());
        Tensor inputFeatures = new StandardScaler().fitTransform(features.toTensor(DType.FLOAT64));
        o.result("labels " + labels.shape() + ", features " + inputFeatures.shape());

        // 1. By hand, in float64.
        o.info("");
        o.info("== a hand-written network (float64), " + epochs + " iterations ==");
        Kiln.manualSeed(o.seed());
        Tensor x = inputFeatures;
        Tensor y = labels;
        int nFeatures = x.size(1);
        Tensor weights = Tensor.randn(DType.FLOAT64, nFeatures, HIDDEN).requiresGrad(true);
        Tensor biases = Tensor.randn(DType.FLOAT64, HIDDEN).requiresGrad(true);
        Tensor weights2 = Tensor.randn(DType.FLOAT64, HIDDEN, 1).requiresGrad(true);
        Tensor biases2 = Tensor.randn(DType.FLOAT64, 1).requiresGrad(true);
        Tensor[] params = {weights, biases, weights2, biases2};
        double handLoss = Double.NaN;
        for (int i = 0; i < epochs; i++) {
            Tensor hidden = x.mm(weights).plus(biases).relu();
            Tensor predictions = hidden.mm(weights2).plus(biases2);
            Tensor loss = predictions.minus(y).pow(2).mean();
            if (i % 100 == 0 || i == epochs - 1) {
                o.result("loss: " + loss);
            }
            handLoss = loss.item();
            loss.backward();
            for (Tensor p : params) {
                p.data().minusAssign(p.grad().times(LR));
            }
            for (Tensor p : params) {
                p.grad().zero();
            }
        }

        // 2. With modules and Adam, in float32, on mini-batches.
        o.info("");
        o.info("== Sequential + Adam, mini-batches of " + BATCH_SIZE + ", " + epochs + " epochs ==");
        Kiln.manualSeed(o.seed());
        Tensor xf = inputFeatures.toFloat();
        Tensor yf = labels.toFloat();
        var myNn = new Sequential(
                new Linear(nFeatures, HIDDEN),
                new Sigmoid(),
                new Linear(HIDDEN, 1));
        o.info(myNn.toString());
        var cost = new MSELoss();
        Optimizer optimizer = Adam.builder(myNn.parameters()).lr(LR).build();
        int n = xf.size(0);
        double[] epochLoss = new double[epochs];
        for (int epoch = 1; epoch <= epochs; epoch++) {
            double sum = 0;
            int batches = 0;
            for (int start = 0; start < n; start += BATCH_SIZE) {
                int end = Math.min(start + BATCH_SIZE, n);
                Tensor prediction = myNn.invoke(xf.slice(0, start, end));
                Tensor loss = cost.invoke(prediction, yf.slice(0, start, end));
                optimizer.zeroGrad();
                loss.backward();
                optimizer.step();
                sum += loss.item();
                batches++;
            }
            epochLoss[epoch - 1] = sum / batches;
            if (epoch == 1 || epoch % 100 == 0 || epoch == epochs) {
                o.result(String.format(Locale.ROOT, "%d %.4f", epoch, epochLoss[epoch - 1]));
            }
        }

        Tensor prediction;
        try (var _ = Kiln.noGrad()) {
            prediction = myNn.invoke(xf);
        }
        double mse = prediction.minus(yf).pow(2).mean().item();
        o.result(String.format(Locale.ROOT, "final loss: hand-written %.4f, Sequential + Adam %.4f (mean squared error, C^2)",
                handLoss, mse));

        List<LocalDate> dates = data.strings("date").values().stream().map(LocalDate::parse).toList();
        Map<String, double[]> series = new LinkedHashMap<>();
        series.put("actual", Plots.doubles(labels));
        series.put("predicted", Plots.doubles(prediction));
        Plots.lineOverDates(o, "temperature", "Daily maximum temperature, 2016", "temperature (C)", dates, series);
    }

    private static String firstRows(CsvTable t, int rows) {
        var sb = new StringBuilder();
        for (int r = 0; r < rows; r++) {
            if (r > 0) {
                sb.append("; ");
            }
            sb.append(t.strings("date").get(r)).append(' ').append(t.strings("week").get(r))
                    .append(" temp_1=").append(num(t, "temp_1", r))
                    .append(" temp_2=").append(num(t, "temp_2", r))
                    .append(" average=").append(t.numeric("average").get(r))
                    .append(" actual=").append(num(t, "actual", r));
        }
        return sb.toString();
    }

    private static long num(CsvTable t, String column, int row) {
        return (long) t.numeric(column).get(row);
    }
}
