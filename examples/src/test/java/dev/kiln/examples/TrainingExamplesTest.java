package dev.kiln.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.OptionalInt;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.kiln.examples.support.Plots;

/**
 * Smoke tests of the training examples (fizzbuzz, temperature, three-class, regression,
 * classification, optimizers): each runs to completion, with fewer epochs where the full run is
 * long, and its key numbers and plots are checked.
 */
class TrainingExamplesTest {

    @TempDir
    Path out;

    /** Runs {@code example} with seed 42 and {@code epochs} epochs (0: its own number), into {@link #out}. */
    private String run(Example example, int epochs) throws Exception {
        var buffer = new StringWriter();
        var options = new ExampleOptions(42, epochs > 0 ? OptionalInt.of(epochs) : OptionalInt.empty(), out,
                false, false, new PrintWriter(buffer));
        example.run(options);
        return buffer.toString();
    }

    /** Group {@code group} of every line matching {@code pattern} (whole line), as numbers. */
    private static List<Double> matching(String output, String pattern, int group) {
        Pattern p = Pattern.compile(pattern);
        List<Double> values = new ArrayList<>();
        for (String line : output.lines().toList()) {
            Matcher m = p.matcher(line);
            if (m.matches()) {
                values.add(Double.parseDouble(m.group(group)));
            }
        }
        return values;
    }

    /** {@code out/name} is a chart-sized PNG file that ImageIO reads, with something drawn on it, and the output names it. */
    private BufferedImage assertPlot(String output, String name) throws Exception {
        Path file = out.resolve(name);
        assertThat(output).contains("plot: " + file);
        return ExampleRunner.assertPng(file, Plots.WIDTH, Plots.HEIGHT);
    }

    @Test
    void fizzbuzzPlaysOneToHundredAndEndsWithTheAccuracy() throws Exception {
        String o = run(new FizzBuzz(), 30);
        List<String> lines = o.lines().toList();
        assertThat(lines.getLast()).matches("accuracy: \\d+/100");
        // Plain progress lines (the output is not a terminal) ten times over the run, the loss falling.
        List<Double> losses = matching(o, "epoch \\d+/30  loss ([\\d.]+)", 1);
        assertThat(losses).hasSize(10);
        assertThat(losses.getLast()).isLessThan(losses.getFirst());
        String answers = lines.get(lines.size() - 2);
        assertThat(answers).startsWith("[").endsWith("]");
        assertThat(answers.substring(1, answers.length() - 1).split(", ")).hasSize(100)
                .allMatch(a -> a.matches("\\d+|fizz|buzz|fizzbuzz"));
        // The rules by hand, as the tutorial prints them for 1, 2, 5, 12, 15.
        assertThat(o).contains("1\n2\nbuzz\nfizz\nfizzbuzz\n");
    }

    /**
     * The full default run (10000 epochs, seed 42), as {@code ./kiln run fizzbuzz} plays it: PyTorch's recipe
     * gets 89 to 98 of 1..100 right, and so must this. About 40 s of one core, the longest test of the suite.
     */
    @Test
    void fizzbuzzDefaultRunScoresLikeThePyTorchRecipe() throws Exception {
        var buffer = new StringWriter();
        new FizzBuzz().run(new ExampleOptions(42, OptionalInt.empty(), out, true, false, new PrintWriter(buffer)));
        String last = buffer.toString().lines().toList().getLast();
        assertThat(last).matches("accuracy: \\d+/100");
        assertThat(Integer.parseInt(last.substring("accuracy: ".length(), last.indexOf('/')))).isBetween(89, 98);
    }

    @Test
    void fizzbuzzEncodingAndDecoding() {
        assertThat(FizzBuzz.encode(3)).isEqualTo(1);
        assertThat(FizzBuzz.encode(10)).isEqualTo(2);
        assertThat(FizzBuzz.encode(30)).isEqualTo(3);
        assertThat(FizzBuzz.encode(7)).isZero();
        assertThat(FizzBuzz.decode(7, 0)).isEqualTo("7");
        assertThat(FizzBuzz.decode(7, 3)).isEqualTo("fizzbuzz");
        // 6 = 0b0000000110, least significant digit first.
        assertThat(FizzBuzz.binaryEncode(6, 7).toFloatArray()).containsExactly(0, 1, 1, 0, 0, 0, 0, 0, 0, 0);
        assertThat(FizzBuzz.binaryEncode(101, 1024).shape().toString()).isEqualTo("[923, 10]");
        assertThat(FizzBuzz.labels(1, 16).toLongArray()).containsExactly(0, 0, 1, 0, 2, 1, 0, 0, 1, 2, 0, 1, 0, 0, 3);
    }

    @Test
    void fizzbuzzQuietPrintsOnlyTheAnswersAndTheAccuracy() throws Exception {
        var buffer = new StringWriter();
        new FizzBuzz().run(new ExampleOptions(42, OptionalInt.of(2), out, true, false, new PrintWriter(buffer)));
        List<String> lines = buffer.toString().lines().toList();
        assertThat(lines).hasSize(2);
        assertThat(lines.get(1)).matches("accuracy: \\d+/100");
    }

    @Test
    void temperatureTrainsBothNetworksAndPlotsTheYear() throws Exception {
        String o = run(new Temperature(), 120);
        assertThat(o).contains("labels [365, 1], features [365, 13]")
                .contains("week_Friday").contains("week_Wednesday");
        // The hand-written float64 network: its loss printed every 100 iterations and at the end, falling.
        List<Double> hand = matching(o, "loss: tensor\\(([-\\d.e]+), dtype=torch\\.float64, grad_fn=<MeanBackward0>\\)", 1);
        assertThat(hand).hasSize(3);
        assertThat(hand.getLast()).isLessThan(hand.getFirst() / 10);
        // Sequential + Adam: the mean batch loss at epochs 1, 100 and 120, falling.
        List<Double> adam = matching(o, "(\\d+) ([\\d.]+)", 2);
        assertThat(adam).hasSize(3);
        assertThat(adam.getLast()).isLessThan(adam.getFirst());
        // Better than always predicting the mean (the labels' variance is about 60).
        List<Double> fin = matching(o, "final loss: hand-written ([\\d.]+), Sequential \\+ Adam ([\\d.]+) .*", 2);
        assertThat(fin).hasSize(1);
        assertThat(fin.getFirst()).isLessThan(30);
        assertPlot(o, "temperature.png");
    }

    @Test
    void threeClassPrintsTheLossOfEachEpoch() throws Exception {
        String o = run(new ThreeClass(), 3);
        assertThat(o).contains("(linear1): Linear(in_features=20, out_features=13, bias=False)")
                .contains("(output): Linear(in_features=8, out_features=3, bias=True)")
                .contains("grad_fn=<NllLossBackward0>")
                .contains("[120, 120, 120, 120, 20]");
        List<String> lines = o.lines().toList();
        assertThat(lines.get(lines.indexOf(">>> net.linear1.weight().grad()   // before backward") + 1)).isEqualTo("null");
        assertThat(lines.get(lines.indexOf(">>> net.linear1.weight().grad().shape()   // after backward") + 1))
                .isEqualTo("[13, 20]");
        List<Double> losses = matching(o, "epoch \\d+  loss ([\\d.]+)", 1);
        assertThat(losses).hasSize(3);
        // Random labels over three classes: about ln 3.
        assertThat(losses).allMatch(l -> l > 0.9 && l < 1.5);
    }

    @Test
    void regressionLossFallsAndTheFitIsPlotted() throws Exception {
        String o = run(new Regression(), 0);
        List<Double> losses = matching(o, "step \\d+  loss ([\\d.]+)", 1);
        assertThat(losses).hasSizeGreaterThan(5);
        assertThat(losses.getLast()).isLessThan(losses.getFirst() / 5);
        assertThat(matching(o, "final loss ([\\d.]+)", 1).getFirst()).isLessThan(0.02);
        assertPlot(o, "regression.png");
    }

    @Test
    void classificationSeparatesTheClusters() throws Exception {
        String o = run(new Classification(), 0);
        List<Double> accuracy = matching(o, "accuracy: ([\\d.]+)", 1);
        assertThat(accuracy).hasSize(1);
        assertThat(accuracy.getFirst()).isGreaterThan(0.95);
        List<Double> losses = matching(o, "step \\d+  loss ([\\d.]+)  accuracy [\\d.]+", 1);
        assertThat(losses.getLast()).isLessThan(losses.getFirst());
        // Both predicted classes are drawn, each in its own colour (100 points of 7-pixel markers each,
        // far more pixels than a legend entry).
        BufferedImage plot = assertPlot(o, "classification.png");
        assertThat(ExampleRunner.pixelsOf(plot, Plots.seriesColor(0))).isGreaterThan(500);
        assertThat(ExampleRunner.pixelsOf(plot, Plots.seriesColor(1))).isGreaterThan(500);
    }

    @Test
    void optimizersTrainFourNetworksAndPlotTheirLosses() throws Exception {
        String o = run(new Optimizers(), 3);
        assertThat(o).contains("SGD").contains("Momentum").contains("RMSprop").contains("Adam");
        List<String> rows = o.lines().filter(l -> l.matches("\\d+( +[\\d.]+){4}")).toList();
        assertThat(rows).hasSize(3);
        double[] first = Arrays.stream(rows.getFirst().trim().split(" +")).skip(1).mapToDouble(Double::parseDouble).toArray();
        double[] last = Arrays.stream(rows.getLast().trim().split(" +")).skip(1).mapToDouble(Double::parseDouble).toArray();
        for (int k = 0; k < 4; k++) {
            assertThat(last[k]).as("optimizer %d", k).isLessThan(first[k]);
        }
        assertPlot(o, "optimizers.png");
    }

    @Test
    void theSameSeedGivesTheSameOutput() throws Exception {
        assertThat(run(new Classification(), 5)).isEqualTo(run(new Classification(), 5));
    }
}
