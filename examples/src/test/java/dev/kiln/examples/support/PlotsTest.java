package dev.kiln.examples.support;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.awt.image.BufferedImage;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.stream.IntStream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.kiln.Tensor;
import dev.kiln.examples.ExampleOptions;
import dev.kiln.examples.ExampleRunner;

class PlotsTest {

    @TempDir
    Path tmp;

    final StringWriter buffer = new StringWriter();

    ExampleOptions options(Path out) {
        return new ExampleOptions(1, OptionalInt.empty(), out, false, false, new PrintWriter(buffer));
    }

    @Test
    void lineChartOfTwoSeriesIsAPngInANewOutDirectory() throws Exception {
        Path out = tmp.resolve("new/dir");
        var series = new LinkedHashMap<String, double[]>();
        series.put("train", new double[] {3, 2, 1.5, 1.2});
        series.put("test", new double[] {3.5, 2.5, 2, 1.9});
        Path file = Plots.line(options(out), "loss", "Loss", "epoch", "loss", new double[] {1, 2, 3, 4}, series);
        assertThat(file).isEqualTo(out.resolve("loss.png"));
        ExampleRunner.assertPng(file, Plots.WIDTH, Plots.HEIGHT);
        assertThat(buffer.toString()).contains("plot: " + file);
    }

    @Test
    void lineOverEpochNumbers() throws Exception {
        Path file = Plots.line(options(tmp), "l.png", "t", "x", "y", Map.of("only", new double[] {1, 0.5, 0.25}));
        ExampleRunner.assertPng(file, Plots.WIDTH, Plots.HEIGHT);
    }

    @Test
    void lineOverDatesTakesOneValuePerDay() throws Exception {
        List<LocalDate> days = IntStream.range(0, 90).mapToObj(d -> LocalDate.of(2016, 1, 1).plusDays(d)).toList();
        double[] actual = days.stream().mapToDouble(d -> Math.sin(d.getDayOfYear() / 10.0)).toArray();
        var series = new LinkedHashMap<String, double[]>();
        series.put("actual", actual);
        series.put("predicted", Arrays.stream(actual).map(v -> 0.9 * v).toArray());
        Path file = Plots.lineOverDates(options(tmp), "days", "t", "y", days, series);
        BufferedImage img = ExampleRunner.assertPng(file, Plots.WIDTH, Plots.HEIGHT);
        assertThat(ExampleRunner.pixelsOf(img, Plots.seriesColor(0))).isPositive();
        assertThat(ExampleRunner.pixelsOf(img, Plots.seriesColor(1))).isPositive();
        assertThatThrownBy(() -> Plots.lineOverDates(options(tmp), "d", "t", "y", days.subList(0, 3), series))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("lineOverDates: 3 dates but series 'actual' has 90 values");
    }

    @Test
    void scatterWithAndWithoutFit() throws Exception {
        double[] x = {1, 2, 3, 4}, y = {3.1, 4.9, 7.2, 8.8};
        ExampleRunner.assertPng(Plots.scatter(options(tmp), "a", "t", "x", "y", x, y), Plots.WIDTH, Plots.HEIGHT);
        ExampleRunner.assertPng(Plots.scatter(options(tmp), "b", "t", "x", "y", x, y, 2, 1), Plots.WIDTH, Plots.HEIGHT);
        BufferedImage img = ExampleRunner.assertPng(
                Plots.scatter(options(tmp), "c", "t", "x", "y", x, y, x, new double[] {3, 5, 7, 9}),
                Plots.WIDTH, Plots.HEIGHT);
        assertThat(img.getRGB(0, 0) & 0xffffff).as("white background").isEqualTo(0xffffff);
    }

    @Test
    void scatterByClassFromTensors() throws Exception {
        Tensor points = Tensor.of(new float[][] {{0, 0}, {1, 1}, {2, 0}, {3, 3}});
        Tensor labels = Tensor.of(0L, 1L, 0L, 2L);
        Path file = Plots.scatterByClass(options(tmp), "classes", "t", "x1", "x2",
                Plots.doubles(points.select(1, 0)), Plots.doubles(points.select(1, 1)), Plots.labels(labels),
                List.of("zero", "one"));
        ExampleRunner.assertPng(file, Plots.WIDTH, Plots.HEIGHT);
    }

    @Test
    void aNewPlotReplacesTheOldOneAndLeavesNoTemporaryFile() throws Exception {
        double[] x = {1, 2, 3};
        Path first = Plots.scatter(options(tmp), "fit", "t", "x", "y", x, new double[] {1, 2, 3});
        long before = Files.size(first);
        Path second = Plots.scatter(options(tmp), "fit", "t", "x", "y", x, new double[] {3, 1, 2}, 0.5, 1);
        assertThat(second).isEqualTo(first);
        ExampleRunner.assertPng(second, Plots.WIDTH, Plots.HEIGHT);
        assertThat(Files.size(second)).isNotEqualTo(before);
        try (var files = Files.list(tmp)) {
            assertThat(files.map(f -> f.getFileName().toString())).containsExactly("fit.png");
        }
    }

    @Test
    void rejectsMismatchedLengthsAndPaths() {
        assertThatThrownBy(() -> Plots.scatter(options(tmp), "a", "t", "x", "y", new double[2], new double[3]))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("3");
        assertThatThrownBy(() -> Plots.scatter(options(tmp), "../a", "t", "x", "y", new double[2], new double[2]))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("plain name");
    }
}
