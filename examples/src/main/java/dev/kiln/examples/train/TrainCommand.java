package dev.kiln.examples.train;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import dev.kiln.Kiln;
import dev.kiln.data.CsvTable;
import dev.kiln.examples.ExampleOptions;
import dev.kiln.examples.support.Plots;
import dev.kiln.examples.support.Progress;
import dev.kiln.io.Safetensors;
import dev.kiln.nn.Sequential;

/**
 * {@code kiln train}: trains an MLP on any CSV file and reports how well it does on rows it has not
 * seen. Writes {@value #MODEL_FILE} (the state dict, with the key names of the same
 * {@code nn.Sequential} in PyTorch, and the preprocessing in its metadata) and {@value #PLOT_FILE}
 * into {@code --out}; the last line printed is {@code test_accuracy: 0.xxxx} or {@code test_rmse: x.xxxx}.
 *
 * <p>Exit codes: 0 success, 2 bad input (options, file, columns, an empty split), with one message on
 * standard error.
 */
@Command(name = "train",
        description = {"Trains an MLP on a CSV file (plain or .csv.gz, with or without a header line) to predict"
                + " one column from the others.",
                "String columns are one-hot encoded; numeric ones are standardised with the training split's"
                + " statistics. Prints the loss and metric per epoch and ends with test_accuracy: 0.xxxx or"
                + " test_rmse: x.xxxx.",
                "Writes into --out: model.safetensors (the weights) and loss.png (the training loss)."},
        sortOptions = false,
        mixinStandardHelpOptions = true,
        usageHelpAutoWidth = true)
public final class TrainCommand implements Callable<Integer> {

    /** The state dict written into {@code --out}. */
    public static final String MODEL_FILE = "model.safetensors";
    /** The training loss plot written into {@code --out}. */
    public static final String PLOT_FILE = "loss.png";

    /** Whether the CSV's first line names the columns. */
    enum HeaderChoice {
        AUTO(CsvTable.Header.DETECT), YES(CsvTable.Header.FIRST_LINE), NO(CsvTable.Header.NONE);

        final CsvTable.Header header;

        HeaderChoice(CsvTable.Header header) {
            this.header = header;
        }
    }

    @Spec
    CommandSpec spec;

    @Option(names = "--csv", required = true, paramLabel = "FILE", order = 1,
            description = "The data: a CSV file, or a gzipped one ending in .gz.")
    Path csv;

    @Option(names = "--target", required = true, paramLabel = "COLUMN", order = 2,
            description = "The column to predict: its name, or its number from 0 when the file has no header line.")
    String target;

    @Option(names = "--drop", split = ",", paramLabel = "COLUMN", order = 3,
            description = "Columns to leave out (identifiers, leaks); repeat the option or separate names with commas.")
    List<String> drop = new ArrayList<>();

    @Option(names = "--task", paramLabel = "TASK", order = 4,
            description = "classification or regression (default: guessed from the target: text or at most "
                    + Task.MAX_GUESSED_CLASSES + " distinct whole numbers is classification).")
    Task task;

    private List<Integer> layers = List.of(64, 32);

    @Option(names = "--layers", paramLabel = "N,N,...", order = 5, defaultValue = "64,32",
            description = "The sizes of the hidden layers (default: ${DEFAULT-VALUE}).")
    void setLayers(String text) {
        List<Integer> sizes = new ArrayList<>();
        for (String part : text.split(",", -1)) {
            try {
                sizes.add(Integer.parseInt(part.strip()));
            } catch (NumberFormatException e) {
                sizes.add(0);
            }
            if (sizes.getLast() < 1) {
                throw new ParameterException(spec.commandLine(), "--layers must be positive whole numbers separated"
                        + " by commas, such as 64,32; got '" + text + "'");
            }
        }
        layers = List.copyOf(sizes);
    }

    @Option(names = "--activation", paramLabel = "NAME", order = 6, defaultValue = "relu",
            description = "After each hidden layer: relu, tanh or sigmoid (default: ${DEFAULT-VALUE}).")
    Mlp.Activation activation;

    @Option(names = "--optimizer", paramLabel = "NAME", order = 7, defaultValue = "adam",
            description = "sgd, adam or rmsprop (default: ${DEFAULT-VALUE}).")
    OptimizerKind optimizer;

    private Double lr;

    @Option(names = "--lr", paramLabel = "X", order = 8,
            description = "The learning rate (default: 0.01 for sgd and rmsprop, 0.001 for adam).")
    void setLr(double value) {
        if (!(value > 0) || Double.isInfinite(value)) {
            throw new ParameterException(spec.commandLine(), "--lr must be a positive number, got " + value);
        }
        lr = value;
    }

    private int epochs = 50;

    @Option(names = "--epochs", paramLabel = "N", order = 9, defaultValue = "50",
            description = "Passes over the training split (default: ${DEFAULT-VALUE}).")
    void setEpochs(int n) {
        epochs = positive("--epochs", n);
    }

    private int batchSize = 32;

    @Option(names = "--batch-size", paramLabel = "N", order = 10, defaultValue = "32",
            description = "Rows per training step (default: ${DEFAULT-VALUE}).")
    void setBatchSize(int n) {
        batchSize = positive("--batch-size", n);
    }

    private double testSplit = 0.2;

    @Option(names = "--test-split", paramLabel = "F", order = 11, defaultValue = "0.2",
            description = "The fraction of rows held out for the test (default: ${DEFAULT-VALUE}).")
    void setTestSplit(double f) {
        if (!(f > 0 && f < 1)) {
            throw new ParameterException(spec.commandLine(), "--test-split must be between 0 and 1 (exclusive), got " + f);
        }
        testSplit = f;
    }

    @Option(names = "--header", paramLabel = "WHICH", order = 12, defaultValue = "auto",
            description = "Whether the first line names the columns: auto (decided from the fields), yes or no"
                    + " (default: ${DEFAULT-VALUE}).")
    HeaderChoice header;

    @Option(names = "--seed", paramLabel = "N", order = 13, defaultValue = "42",
            description = "Seeds the split, the initial weights and the shuffling (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--out", paramLabel = "DIR", order = 14, defaultValue = "kiln-out/",
            description = "Where model.safetensors and loss.png go (default: ${DEFAULT-VALUE}).")
    Path outDir;

    private int positive(String option, int n) {
        if (n < 1) {
            throw new ParameterException(spec.commandLine(), option + " must be at least 1, got " + n);
        }
        return n;
    }

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        try {
            train(new ExampleOptions(seed, OptionalInt.of(epochs), outDir, false, false, out));
            return CommandLine.ExitCode.OK;
        } catch (BadInputException e) {
            out.flush();
            PrintWriter err = spec.commandLine().getErr();
            err.println("kiln train: " + e.getMessage());
            err.flush();
            return CommandLine.ExitCode.USAGE;
        }
    }

    private void train(ExampleOptions o) throws IOException {
        CsvTable table = CsvInput.read(csv, header.header);
        CsvInput.checkColumns(table, target, drop);
        o.info(String.format(Locale.ROOT, "read %s: %d rows, columns %s", csv, table.rowCount(),
                String.join(", ", table.columnNames())));
        table = table.drop(drop.toArray(String[]::new));

        Task.Guess guess = Task.guess(table.column(target));
        Task chosen = task != null ? task : guess.task();
        o.info("task: " + chosen.label() + (task != null ? " (--task)" : " (guessed: " + guess.reason() + "; --task to choose)"));

        Split split = Split.of(table.source(), table.rowCount(), testSplit, seed);
        Encoder.Encoded data = Encoder.encode(table, target, chosen, split);
        o.info(String.format(Locale.ROOT, "split: %d training rows, %d test rows (--test-split %s, --seed %d)",
                split.train().length, split.test().length, testSplit, seed));
        o.info(String.format(Locale.ROOT, "features: %d (%d standardised, %d one-hot): %s", data.features().size(),
                data.standardised(), data.features().size() - data.standardised(), String.join(", ", data.features())));
        if (chosen == Task.CLASSIFICATION) {
            o.info("classes: " + data.classes().size() + " (" + String.join(", ", data.classes()) + ")");
        }
        // The last check of the input, before the time spent training.
        try {
            o.ensureOutDir();
        } catch (IOException e) {
            throw new BadInputException("--out " + outDir + ": cannot create the directory: " + e, e);
        }

        Kiln.manualSeed(seed);
        Sequential model = Mlp.build(data.features().size(), layers, data.outputs(), activation);
        o.info(model.toString());
        double rate = lr != null ? lr : optimizer.defaultLr();
        o.info(String.format(Locale.ROOT, "training: %s, lr %s, %d epochs of batches of %d", optimizer.name().toLowerCase(Locale.ROOT),
                rate, epochs, batchSize));
        var trainer = new Trainer(model, chosen, optimizer.create(model.parameters(), rate), batchSize, seed,
                data.targetScale());
        Trainer.History history;
        try (var progress = Progress.start(o, "epoch", epochs, 1)) {
            history = trainer.fit(data.xTrain(), data.yTrain(), epochs, progress);
        }
        double test = trainer.evaluate(data.xTest(), data.yTest());

        Plots.line(o, PLOT_FILE, "Training loss (" + chosen.lossDescription() + ")",
                "epoch", "loss", Map.of("train", history.loss()));
        Path modelFile = outDir.resolve(MODEL_FILE);
        Safetensors.save(model.stateDict(), metadata(chosen, data), modelFile);
        o.result("model: " + modelFile + " (" + String.join(", ", model.stateDict().keySet()) + ")");
        o.result(String.format(Locale.ROOT, "test_%s: %.4f", chosen.metric(), test));
    }

    /**
     * What a user of the model needs besides the weights, as the safetensors metadata (string values;
     * lists one item a line): PyTorch's {@code format}, the task, the feature names in input order, the
     * mean and scale of the standardised features (the first ones; the one-hot indicators follow), the
     * classes in output order, or the target's mean and scale (the network predicts
     * {@code (y - mean) / scale}).
     */
    private Map<String, String> metadata(Task chosen, Encoder.Encoded data) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("format", "pt");
        m.put("kiln.task", chosen.label());
        m.put("kiln.target", target);
        m.put("kiln.features", String.join("\n", data.features()));
        m.put("kiln.feature_mean", joined(data.featureMean()));
        m.put("kiln.feature_scale", joined(data.featureScale()));
        if (chosen == Task.CLASSIFICATION) {
            m.put("kiln.classes", String.join("\n", data.classes()));
        } else {
            m.put("kiln.target_mean", Double.toString(data.targetMean()));
            m.put("kiln.target_scale", Double.toString(data.targetScale()));
        }
        return m;
    }

    private static String joined(double[] values) {
        return Arrays.stream(values).mapToObj(Double::toString).collect(Collectors.joining("\n"));
    }
}
