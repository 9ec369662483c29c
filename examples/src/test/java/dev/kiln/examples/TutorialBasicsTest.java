package dev.kiln.examples;

import static dev.kiln.examples.ExampleRunner.assertPng;
import static dev.kiln.examples.ExampleRunner.firstNumber;
import static dev.kiln.examples.ExampleRunner.numbers;
import static dev.kiln.examples.ExampleRunner.valueOf;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.kiln.Kiln;
import dev.kiln.Tensor;
import dev.kiln.examples.support.Plots;

/**
 * Smoke tests of the examples after the first tutorials: each runs to completion (with fewer
 * epochs where training is long) and its key numbers are checked.
 */
class TutorialBasicsTest {

    @TempDir
    Path out;

    @Test
    void autograd() throws Exception {
        String o = ExampleRunner.run(new AutogradBasics(), 0, out).out();
        assertThat(valueOf(o, "b.grad()")).isEqualTo("tensor([[1., 1., 1., 1.],");
        assertThat(valueOf(o, "x.requiresGrad(), b.requiresGrad(), y.requiresGrad()")).isEqualTo("(True, True, True)");
        assertThat(valueOf(o, "x.requiresGrad(), b.requiresGrad(), w.requiresGrad(), y.requiresGrad()"))
                .isEqualTo("(False, True, True, True)");
        assertThat(valueOf(o, "x.isLeaf(), w.isLeaf(), b.isLeaf(), y.isLeaf(), z.isLeaf()"))
                .isEqualTo("(True, True, True, False, False)");
        assertThat(valueOf(o, "y.gradFn(), z.gradFn()")).isEqualTo("(MulBackward0, AddBackward0)");
        // dz/dw = x; after a second backward over the retained graph, 2x; b's gradient 1 then 2.
        double x = firstNumber(valueOf(o, "x, w, b"));
        var lines = o.lines().toList();
        int first = lines.indexOf(">>> w.grad()");
        int second = lines.subList(first + 1, lines.size()).indexOf(">>> w.grad()") + first + 1;
        assertThat(firstNumber(lines.get(first + 1))).isCloseTo(x, within(1e-4));
        assertThat(firstNumber(lines.get(second + 1))).isCloseTo(2 * x, within(1e-4));
        assertThat(lines.get(first + 3)).isEqualTo("tensor([1.])");
        assertThat(lines.get(second + 3)).isEqualTo("tensor([2.])");
        assertThat(valueOf(o, "Autograd.grad(x.pow(2), x)")).isEqualTo("(tensor(2.),)");
        assertThat(firstNumber(valueOf(o, "Autograd.grad(loss, y)"))).isCloseTo(-1.0, within(1e-4));
        assertThat(valueOf(o, "x.grad()")).isEqualTo("None");
        assertThat(valueOf(o, "requiresGrad(), gradFn()")).isEqualTo("(False, None)");
    }

    @Test
    void linearRegressionRecoversTwoAndOne() throws Exception {
        var run = ExampleRunner.run(new LinearRegression(), 0, out);
        List<Double> losses = matching(run.out(), Pattern.compile("epoch (\\d+), loss (\\S+)"), 2);
        assertThat(losses).hasSize(20);
        assertFalls(losses);
        assertThat(losses.getLast()).isLessThan(1e-4);
        String wb = run.lines().stream().filter(l -> l.startsWith("weight ")).findFirst().orElseThrow();
        double[] n = numbers(wb);
        assertThat(n[0]).isCloseTo(2.0, within(0.01));
        assertThat(n[1]).isCloseTo(1.0, within(0.02));
        assertThat(run.out()).contains("all keys matched successfully", "same predictions after reloading: true");
        assertThat(out.resolve(LinearRegression.STATE_FILE)).isRegularFile();
    }

    @Test
    void linearFitLowersTheLossAndPlots() throws Exception {
        var run = ExampleRunner.run(new LinearFit(), 200, out);
        List<Double> losses = matching(run.out(), Pattern.compile("epoch (\\d+)  loss (\\S+)"), 2);
        assertThat(losses).hasSize(3);
        double last = firstNumber(run.lines().stream().filter(l -> l.startsWith("final loss: ")).findFirst().orElseThrow());
        assertThat(last).isLessThan(losses.getFirst());
        assertThat(run.out()).contains("weights: tensor([");
        assertPng(out.resolve(LinearFit.PLOT), Plots.WIDTH, Plots.HEIGHT);
    }

    /**
     * The default run (1000 epochs, lr 1e-4) lands where the same gradient descent lands when done by hand
     * in double precision from the same starting weights: the example's weights and loss are the
     * tutorial's, not just falling numbers.
     */
    @Test
    void linearFitWeightsAreThoseOfGradientDescentByHand() throws Exception {
        var run = ExampleRunner.run(new LinearFit(), 0, out, true);
        Kiln.manualSeed(42);
        float[] start = Tensor.rand(2).toFloatArray();   // the example's first draw after seeding
        double[] x = {1.4, 5, 11, 16, 21}, y = {14.4, 29.6, 62, 85.5, 113.4};
        double w0 = start[0], w1 = start[1], loss = 0;
        for (int epoch = 0; epoch < 1000; epoch++) {
            double g0 = 0, g1 = 0;
            loss = 0;
            for (int i = 0; i < x.length; i++) {
                double r = w0 * x[i] + w1 - y[i];
                loss += r * r;
                g0 += 2 * r * x[i];
                g1 += 2 * r;
            }
            w0 -= 1e-4 * g0;
            w1 -= 1e-4 * g1;
        }
        double[] weights = numbers(run.lines().stream().filter(l -> l.startsWith("weights: ")).findFirst().orElseThrow());
        assertThat(weights[0]).isCloseTo(w0, within(1e-3));
        assertThat(weights[1]).isCloseTo(w1, within(1e-3));
        double printed = firstNumber(run.lines().stream().filter(l -> l.startsWith("final loss: ")).findFirst().orElseThrow());
        assertThat(printed).isCloseTo(loss, within(loss * 1e-3));
        // Starting from a loss near 17500, the line through the points misses by a few units per point.
        assertThat(printed).isLessThan(40);
    }

    @Test
    void numpyStyleAndAutogradNetsAgree() throws Exception {
        List<String> byHand = ExampleRunner.run(new NumpyStyleNet(), 11, out, true).lines();
        List<String> auto = ExampleRunner.run(new AutogradNet(), 11, out, true).lines();
        assertThat(byHand).hasSize(2).first().asString().startsWith("0 ");
        assertThat(auto).hasSize(2).last().asString().startsWith("10 ");
        double[] hand = lossesOf(byHand), grad = lossesOf(auto);
        assertThat(hand[0]).isEqualTo(grad[0]);   // same seed, same data and weights
        assertFalls(Arrays.stream(hand).boxed().toList());
        for (int i = 0; i < hand.length; i++) {
            assertThat(grad[i]).isCloseTo(hand[i], within(hand[i] * 1e-3));
        }
    }

    @Test
    void sequentialNetPrintsTheModelAndLearns() throws Exception {
        var run = ExampleRunner.run(new SequentialNet(), 11, out);
        assertFalls(Arrays.stream(lossesOf(run.lines().subList(0, 2))).boxed().toList());
        assertThat(valueOf(run.out(), "model")).isEqualTo("Sequential(");
        assertThat(run.out()).contains("(0): Linear(in_features=1000, out_features=100, bias=False)",
                "(1): ReLU()", "(2): Linear(in_features=100, out_features=10, bias=False)");
        assertThat(valueOf(run.out(), "model.get(0, Linear.class).weight()")).isEqualTo("Parameter containing:");
    }

    @Test
    void optimNetLearnsWithAdam() throws Exception {
        var run = ExampleRunner.run(new OptimNet(), 11, out, true);
        assertThat(run.lines()).hasSize(2);
        assertFalls(Arrays.stream(lossesOf(run.lines())).boxed().toList());
    }

    @Test
    void saveRestoreGivesIdenticalPredictions() throws Exception {
        var run = ExampleRunner.run(new SaveRestore(), 0, out);
        assertThat(run.out()).contains("net1 and net2 predict the same: true",
                "missing keys [], unexpected keys []", "predicts differently before loading: true");
        assertThat(firstNumber(run.lines().stream().filter(l -> l.startsWith("restored net loss")).findFirst().orElseThrow()))
                .isLessThan(0.05);
        assertThat(out.resolve(SaveRestore.STATE_FILE)).isRegularFile();
        assertPng(out.resolve(SaveRestore.PLOT), Plots.WIDTH, Plots.HEIGHT);
    }

    @Test
    void dataLoaderShufflesAllTenSamplesEachEpoch() throws Exception {
        var run = ExampleRunner.run(new DataLoaderDemo(), 0, out, true);
        List<String> lines = run.lines();
        assertThat(lines).hasSize(6);
        for (int epoch = 0; epoch < 3; epoch++) {
            double[] xs = new double[10];
            for (int step = 0; step < 2; step++) {
                String line = lines.get(2 * epoch + step);
                assertThat(line).startsWith("Epoch: " + epoch + " | Step: " + step + " | batch x: [");
                String[] parts = line.split("\\| batch [xy]: ");
                double[] x = numbers(parts[1]), y = numbers(parts[2]);
                assertThat(x).hasSize(5);
                for (int i = 0; i < 5; i++) {
                    assertThat(y[i]).isEqualTo(11 - x[i]);
                    xs[5 * step + i] = x[i];
                }
            }
            Arrays.sort(xs);
            assertThat(xs).containsExactly(1, 2, 3, 4, 5, 6, 7, 8, 9, 10);
        }
        assertThat(ExampleRunner.run(new DataLoaderDemo(), 0, out, true).out()).isEqualTo(run.out());
        assertThat(DataLoaderDemo.numpy(dev.kiln.Tensor.of(5f, 7f, 10f))).isEqualTo("[ 5.  7. 10.]");
    }

    private static double[] lossesOf(List<String> lines) {
        return lines.stream().mapToDouble(l -> Double.parseDouble(l.split(" ")[1])).toArray();
    }

    private static List<Double> matching(String output, Pattern p, int group) {
        return output.lines().map(p::matcher).filter(java.util.regex.Matcher::matches)
                .map(m -> Double.parseDouble(m.group(group))).toList();
    }

    private static void assertFalls(List<Double> losses) {
        assertThat(losses.size()).isGreaterThan(1);
        assertThat(losses.getLast()).as("last loss of %s", losses).isLessThan(losses.getFirst());
    }
}
