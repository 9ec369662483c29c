package dev.kiln.examples.train;

import static dev.kiln.examples.ExampleRunner.kiln;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.zip.GZIPOutputStream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.kiln.Kiln;
import dev.kiln.Tensor;
import dev.kiln.examples.ExampleRunner;
import dev.kiln.examples.ExampleRunner.CliResult;
import dev.kiln.examples.support.Plots;
import dev.kiln.io.Safetensors;
import dev.kiln.io.SafetensorsContents;
import dev.kiln.nn.Linear;
import dev.kiln.nn.ReLU;
import dev.kiln.nn.Sequential;
import dev.kiln.nn.Tanh;

/**
 * {@code kiln train} end to end through the CLI's picocli entry point, on CSV files written here: a
 * classification table with a header and a string column, a gzipped regression table without a header,
 * and each kind of bad input.
 */
class TrainCommandTest {

    @TempDir
    Path dir;

    /**
     * Three well separated classes named by text: class k sits around (3k, -3k) in (x1, x2); a string
     * column (shape) that says nothing about the class, and an id to drop.
     */
    private Path classificationCsv(int rows) throws IOException {
        var random = new Random(7);
        String[] names = {"circle", "square", "triangle"};
        var sb = new StringBuilder("id,x1,shape,x2,species\n");
        for (int i = 0; i < rows; i++) {
            int k = i % 3;
            sb.append(String.format(Locale.ROOT, "%d,%.3f,%s,%.3f,%s%n", i, 3 * k + random.nextGaussian() * 0.5,
                    random.nextBoolean() ? "round" : "flat", -3 * k + random.nextGaussian() * 0.5, names[k]));
        }
        Path file = dir.resolve("species.csv");
        Files.writeString(file, sb);
        return file;
    }

    /** y = 3 x + 4 (when the group is "up") + 10, with a little noise; no header line, gzipped. */
    private Path regressionCsvGz(int rows) throws IOException {
        var random = new Random(11);
        var sb = new StringBuilder();
        for (int i = 0; i < rows; i++) {
            double x = random.nextDouble() * 4 - 2;
            boolean up = random.nextBoolean();
            sb.append(String.format(Locale.ROOT, "%.4f,%s,%.4f%n", x, up ? "up" : "down",
                    3 * x + (up ? 4 : 0) + 10 + random.nextGaussian() * 0.05));
        }
        Path file = dir.resolve("line.csv.gz");
        try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(file))) {
            out.write(sb.toString().getBytes(StandardCharsets.UTF_8));
        }
        return file;
    }

    @Test
    void classifiesASeparableTableWithAHeaderAndAStringColumn() throws Exception {
        Path csv = classificationCsv(150);
        Path out = dir.resolve("out");
        CliResult r = kiln("train", "--csv", csv.toString(), "--target", "species", "--drop", "id",
                "--layers", "16", "--epochs", "40", "--lr", "0.01", "--out", out.toString());
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.err()).isEmpty();
        assertThat(r.out()).contains("task: classification (guessed: the column holds text",
                "split: 120 training rows, 30 test rows",
                "features: 4 (2 standardised, 2 one-hot): x1, x2, shape_flat, shape_round",
                "classes: 3 (circle, square, triangle)");
        List<String> epochs = r.lines().stream().filter(l -> l.startsWith("epoch ")).toList();
        assertThat(epochs).hasSize(40).first().asString().matches("epoch 1/40  loss \\d+\\.\\d{4}  train_accuracy \\d\\.\\d{4}");
        assertThat(lossOf(epochs.getLast())).isLessThan(lossOf(epochs.getFirst()));

        String last = r.lines().getLast();
        assertThat(last).matches("test_accuracy: \\d\\.\\d{4}");
        assertThat(Double.parseDouble(last.substring("test_accuracy: ".length()))).isGreaterThan(0.9);

        ExampleRunner.assertPng(out.resolve(TrainCommand.PLOT_FILE), Plots.WIDTH, Plots.HEIGHT);
        assertThat(r.out()).contains("plot: " + out.resolve(TrainCommand.PLOT_FILE));

        // The file loads strictly into the same Sequential, under nn.Sequential's key names, and with the
        // preprocessing in its metadata it classifies the table as well as the command said.
        Path modelFile = out.resolve(TrainCommand.MODEL_FILE);
        SafetensorsContents contents = Safetensors.loadWithMetadata(modelFile);
        assertThat(contents.tensors().keySet()).containsExactlyInAnyOrder("0.weight", "0.bias", "2.weight", "2.bias");
        var model = new Sequential(new Linear(4, 16), new ReLU(), new Linear(16, 3));
        var keys = model.loadStateDict(contents.tensors(), true);
        assertThat(keys.missingKeys()).isEmpty();
        assertThat(keys.unexpectedKeys()).isEmpty();
        Map<String, String> meta = contents.metadata();
        assertThat(meta).containsEntry("format", "pt").containsEntry("kiln.task", "classification")
                .containsEntry("kiln.features", "x1\nx2\nshape_flat\nshape_round")
                .containsEntry("kiln.classes", "circle\nsquare\ntriangle");
        double[] mean = numbers(meta.get("kiln.feature_mean")), scale = numbers(meta.get("kiln.feature_scale"));
        List<String> rows = Files.readAllLines(csv).subList(1, 151);
        float[] x = new float[rows.size() * 4];
        long[] labels = new long[rows.size()];
        for (int i = 0; i < rows.size(); i++) {
            String[] f = rows.get(i).split(",");
            x[4 * i] = (float) ((Double.parseDouble(f[1]) - mean[0]) / scale[0]);
            x[4 * i + 1] = (float) ((Double.parseDouble(f[3]) - mean[1]) / scale[1]);
            x[4 * i + 2] = f[2].equals("flat") ? 1 : 0;
            x[4 * i + 3] = f[2].equals("round") ? 1 : 0;
            labels[i] = List.of("circle", "square", "triangle").indexOf(f[4]);
        }
        long[] predicted;
        try (var noGrad = Kiln.noGrad()) {
            predicted = model.invoke(Tensor.of(x).reshape(rows.size(), 4)).argmax(1).toLongArray();
        }
        int right = 0;
        for (int i = 0; i < labels.length; i++) {
            right += predicted[i] == labels[i] ? 1 : 0;
        }
        assertThat(right).isGreaterThan(135);
    }

    @Test
    void regressesAGzippedTableWithoutAHeader() throws Exception {
        Path csv = regressionCsvGz(200);
        Path out = dir.resolve("out");
        CliResult r = kiln("train", "--csv", csv.toString(), "--target", "2", "--layers", "16,8", "--activation", "tanh",
                "--optimizer", "rmsprop", "--lr", "0.003", "--epochs", "40", "--batch-size", "16",
                "--test-split", "0.25", "--out", out.toString());
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).contains("columns 0, 1, 2", "task: regression (guessed:",
                "split: 150 training rows, 50 test rows", "features: 3 (1 standardised, 2 one-hot): 0, 1_down, 1_up");
        assertThat(r.lines().stream().filter(l -> l.matches("epoch \\d+/40  loss \\d+\\.\\d{4}  train_rmse \\d+\\.\\d{4}")))
                .hasSize(40);
        String last = r.lines().getLast();
        assertThat(last).matches("test_rmse: \\d+\\.\\d{4}");
        // y spreads over about +-7 around its mean; a fitted net misses by a small fraction of that.
        assertThat(Double.parseDouble(last.substring("test_rmse: ".length()))).isLessThan(0.5);

        var model = new Sequential(new Linear(3, 16), new Tanh(), new Linear(16, 8), new Tanh(), new Linear(8, 1));
        assertThat(Safetensors.loadInto(model.stateDict(), out.resolve(TrainCommand.MODEL_FILE), true).missingKeys())
                .isEmpty();
        Map<String, String> meta = Safetensors.loadWithMetadata(out.resolve(TrainCommand.MODEL_FILE)).metadata();
        assertThat(meta).containsEntry("kiln.task", "regression").containsKeys("kiln.target_mean", "kiln.target_scale");
        assertThat(Double.parseDouble(meta.get("kiln.target_mean"))).isBetween(10.0, 14.0);
        ExampleRunner.assertPng(out.resolve(TrainCommand.PLOT_FILE), Plots.WIDTH, Plots.HEIGHT);
    }

    @Test
    void wholeNumberLabelsAreGuessedToBeClassesAndTheTaskCanBeForced() throws Exception {
        Path csv = dir.resolve("digits.csv");
        var sb = new StringBuilder("a,b,label\n");
        for (int i = 0; i < 40; i++) {
            sb.append(i % 2).append(',').append(i % 5).append(',').append(i % 2).append('\n');
        }
        Files.writeString(csv, sb);
        CliResult guessed = kiln("train", "--csv", csv.toString(), "--target", "label", "--epochs", "2",
                "--out", dir.resolve("a").toString());
        assertThat(guessed.out()).contains("task: classification (guessed: the column holds 2 distinct whole numbers",
                "classes: 2 (0, 1)");
        assertThat(guessed.lines().getLast()).startsWith("test_accuracy: ");
        CliResult forced = kiln("train", "--csv", csv.toString(), "--target", "label", "--task", "REGRESSION",
                "--epochs", "2", "--out", dir.resolve("b").toString());
        assertThat(forced.out()).contains("task: regression (--task)");
        assertThat(forced.lines().getLast()).startsWith("test_rmse: ");
    }

    // ---------------------------------------------------------------------------------------------
    // Bad input: one message on standard error, exit code 2, nothing written

    /** Runs {@code kiln train} expecting exit code 2 and returns standard error. */
    private String refused(String... args) {
        Path out = dir.resolve("refused");
        var all = new ArrayList<>(List.of("train"));
        all.addAll(Arrays.asList(args));
        all.addAll(List.of("--out", out.toString()));
        CliResult r = kiln(all.toArray(String[]::new));
        assertThat(r.exit()).as("exit code of %s; stderr: %s", all, r.err()).isEqualTo(2);
        assertThat(r.out().lines().filter(l -> l.startsWith("test_"))).isEmpty();
        assertThat(out.resolve(TrainCommand.MODEL_FILE)).doesNotExist();
        return r.err();
    }

    @Test
    void aMissingFileIsRefused() {
        Path missing = dir.resolve("nope.csv");
        assertThat(refused("--csv", missing.toString(), "--target", "y"))
                .isEqualTo("kiln train: --csv " + missing + ": no such file" + System.lineSeparator());
    }

    @Test
    void filesThatAreNotCsvTablesAreRefusedSayingWhy() throws IOException {
        Path notGzip = dir.resolve("plain.csv.gz");
        Files.writeString(notGzip, "a,b\n1,2\n");
        assertThat(refused("--csv", notGzip.toString(), "--target", "b")).isEqualTo("kiln train: --csv " + notGzip
                + ": the name ends in .gz, but the file is not gzip data (Not in GZIP format)" + System.lineSeparator());
        Path empty = dir.resolve("empty.csv");
        Files.writeString(empty, "");
        assertThat(refused("--csv", empty.toString(), "--target", "b")).startsWith("kiln train: " + empty + ": no lines");
        Path ragged = dir.resolve("ragged.csv");
        Files.writeString(ragged, "a,b\n1,2\n3\n");
        assertThat(refused("--csv", ragged.toString(), "--target", "b"))
                .startsWith("kiln train: " + ragged + ", line 3: expected 2 fields");
        assertThat(refused("--csv", dir.toString(), "--target", "b")).contains("not a file");
    }

    @Test
    void unknownColumnsAreRefusedNamingTheColumnsThereAre() throws IOException {
        String csv = classificationCsv(30).toString();
        assertThat(refused("--csv", csv, "--target", "colour"))
                .contains("--target colour: no such column in " + csv + "; its columns are id, x1, shape, x2, species");
        assertThat(refused("--csv", csv, "--target", "species", "--drop", "id,size"))
                .contains("--drop size: no such column in " + csv);
        assertThat(refused("--csv", csv, "--target", "species", "--drop", "species"))
                .contains("--drop species: that is the --target column");
        assertThat(refused("--csv", regressionCsvGz(10).toString(), "--target", "3"))
                .contains("its columns are 0, 1, 2 (it has no header line, so its columns are numbered from 0)");
    }

    @Test
    void aTextTargetForRegressionIsRefused() throws IOException {
        String csv = classificationCsv(30).toString();
        assertThat(refused("--csv", csv, "--target", "species", "--task", "regression"))
                .contains("--task regression needs a numeric target, but column 'species' holds text ('circle' on line 2 of "
                        + csv + "); use --task classification");
    }

    @Test
    void anEmptySplitIsRefused() throws IOException {
        Path headerOnly = dir.resolve("empty.csv");
        Files.writeString(headerOnly, "x,y\n");
        assertThat(refused("--csv", headerOnly.toString(), "--target", "y"))
                .contains(headerOnly + " has no data rows: the training and test splits would be empty");
        String csv = classificationCsv(3).toString();
        assertThat(refused("--csv", csv, "--target", "species", "--test-split", "0.9"))
                .contains("the training split is empty: --test-split 0.9 of the 3 rows of " + csv + " leaves none to train on");
    }

    @Test
    void missingValuesAreRefusedNamingTheLine() throws IOException {
        Path csv = dir.resolve("holes.csv");
        Files.writeString(csv, "a,b,y\n1,2,3\n4,,6\n7,8,9\n");
        assertThat(refused("--csv", csv.toString(), "--target", "y"))
                .contains(csv + ", line 3: column 'b' has no value; kiln train needs a value in every row"
                        + " (fix the row, remove it, or --drop b)");
    }

    @Test
    void anOutputDirectoryThatCannotBeMadeIsRefusedBeforeTraining() throws IOException {
        Path file = dir.resolve("taken");
        Files.writeString(file, "a file, not a directory");
        CliResult r = kiln("train", "--csv", classificationCsv(30).toString(), "--target", "species",
                "--out", file.toString());
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).startsWith("kiln train: --out " + file + ": cannot create the directory");
        assertThat(r.out()).doesNotContain("epoch 1/");
    }

    @Test
    void badOptionValuesAreRefused() throws IOException {
        String csv = classificationCsv(30).toString();
        assertThat(refused("--csv", csv, "--target", "species", "--epochs", "0")).contains("--epochs must be at least 1, got 0");
        assertThat(refused("--csv", csv, "--target", "species", "--batch-size", "-3")).contains("--batch-size must be at least 1");
        assertThat(refused("--csv", csv, "--target", "species", "--lr", "-0.1")).contains("--lr must be a positive number");
        assertThat(refused("--csv", csv, "--target", "species", "--test-split", "1")).contains("--test-split must be between 0 and 1");
        assertThat(refused("--csv", csv, "--target", "species", "--layers", "64,,8")).contains("--layers must be positive whole numbers");
        assertThat(refused("--csv", csv, "--target", "species", "--activation", "softsign")).contains("--activation");
        assertThat(refused("--csv", csv, "--target", "species", "--optimizer", "lbfgs")).contains("--optimizer");
        assertThat(refused("--csv", csv, "--target", "species", "--task", "ranking")).contains("--task");
        assertThat(refused("--csv", csv)).contains("Missing required option: '--target=COLUMN'");
        assertThat(refused("--csv", csv, "--target", "species", "--epochs", "0")).isEqualTo(
                "kiln train: --epochs must be at least 1, got 0" + System.lineSeparator()
                        + "Run 'kiln train --help' for the options." + System.lineSeparator());
    }

    @Test
    void kilnHelpListsTrainAndTrainHelpItsOptions() {
        assertThat(kiln("--help").out()).contains("train", "Trains an MLP on a CSV file");
        CliResult help = kiln("train", "--help");
        assertThat(help.exit()).isZero();
        assertThat(help.out()).contains("--csv=FILE", "--target=COLUMN", "--drop=COLUMN", "--task=TASK", "--layers",
                "--activation", "--optimizer", "--lr", "--epochs", "--batch-size", "--test-split", "--seed", "--out");
    }

    private static double lossOf(String epochLine) {
        return Double.parseDouble(epochLine.split("\\s+")[3]);
    }

    private static double[] numbers(String lines) {
        return lines.lines().mapToDouble(Double::parseDouble).toArray();
    }
}
