package dev.kiln.examples.support;

import java.awt.Color;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TimeZone;
import java.util.TreeSet;

import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.BitmapEncoder.BitmapFormat;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;

import dev.kiln.Tensor;
import dev.kiln.examples.ExampleOptions;

/**
 * Charts written as PNG files into an example's {@code --out} directory (XChart, no window).
 *
 * <p>Each method builds one chart of {@link #WIDTH} x {@link #HEIGHT} pixels, writes it to
 * {@code options.outDir()/fileName} (the directory is created; {@code ".png"} is appended when
 * the name lacks it; an existing file is replaced in one step, never left half-written), prints
 * {@code "plot: PATH"} through {@link ExampleOptions#result} and returns the path. The file name
 * must be a plain name, not a path. Everything is drawn off-screen: when {@code java.awt.headless}
 * is unset, the first plot sets it to {@code true} (only here, on the plotting path, so nothing else
 * in Kiln touches AWT).
 *
 * <pre>{@code
 * Plots.line(options, "loss", "Training loss", "epoch", "loss",
 *         epochs, Map.of("train", trainLoss));                       // one or more named series
 * Plots.scatter(options, "fit", "y = 2x + 1", "x", "y", x, y, 2.0, 1.0); // points and the line y = 2x + 1
 * Plots.scatterByClass(options, "classes", "Two classes", "x1", "x2",
 *         Plots.doubles(points.select(1, 0)), Plots.doubles(points.select(1, 1)),
 *         Plots.labels(labels));                                     // one colour per class
 * }</pre>
 *
 * <p>Arrays are copied; series of different lengths than their x values are an
 * {@link IllegalArgumentException}. {@link #doubles(Tensor)} and {@link #labels(Tensor)} turn
 * tensors of any shape into the arrays these methods take.
 */
public final class Plots {

    /** Width of every chart, in pixels. */
    public static final int WIDTH = 800;
    /** Height of every chart, in pixels. */
    public static final int HEIGHT = 600;

    /** Colours of the series (and of classes in {@link #scatterByClass}), in order, then repeated. */
    private static final List<Color> PALETTE = List.of(
            new Color(31, 119, 180), new Color(255, 127, 14), new Color(44, 160, 44),
            new Color(214, 39, 40), new Color(148, 103, 189), new Color(140, 86, 75),
            new Color(227, 119, 194), new Color(127, 127, 127), new Color(188, 189, 34),
            new Color(23, 190, 207));

    private Plots() {
    }

    /**
     * A line chart of one or more named series over the same x values, in the map's iteration
     * order (use a {@link java.util.LinkedHashMap} or {@link Map#of} for a single series); the
     * legend shows the names when there is more than one series.
     *
     * @return the PNG file written
     */
    public static Path line(ExampleOptions options, String fileName, String title, String xLabel, String yLabel,
                            double[] x, Map<String, double[]> series) throws IOException {
        Objects.requireNonNull(x, "x");
        if (series.isEmpty()) {
            throw new IllegalArgumentException("line: no series to plot");
        }
        XYChart chart = chart(title, xLabel, yLabel);
        chart.getStyler().setDefaultSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
        chart.getStyler().setLegendVisible(series.size() > 1);
        int i = 0;
        for (var e : series.entrySet()) {
            checkSameLength("line", "x", x, e.getKey(), e.getValue());
            XYSeries s = chart.addSeries(e.getKey(), x.clone(), e.getValue().clone());
            s.setMarker(SeriesMarkers.NONE);
            s.setLineColor(seriesColor(i++));
        }
        return write(options, fileName, chart);
    }

    /** {@link #line(ExampleOptions, String, String, String, String, double[], Map)} over x = 1, 2, ..., n (epochs). */
    public static Path line(ExampleOptions options, String fileName, String title, String xLabel, String yLabel,
                            Map<String, double[]> series) throws IOException {
        int n = series.values().stream().mapToInt(a -> a.length).max().orElse(0);
        double[] x = new double[n];
        Arrays.setAll(x, k -> k + 1);
        return line(options, fileName, title, xLabel, yLabel, x, series);
    }

    /**
     * A line chart of one or more named series over calendar days, one value per date, the x axis
     * labelled with dates ({@code 2016-03-01}) as the tutorials' pandas plots are; otherwise as
     * {@link #line(ExampleOptions, String, String, String, String, double[], Map)}.
     *
     * @return the PNG file written
     */
    public static Path lineOverDates(ExampleOptions options, String fileName, String title, String yLabel,
                                     List<LocalDate> dates, Map<String, double[]> series) throws IOException {
        if (series.isEmpty()) {
            throw new IllegalArgumentException("lineOverDates: no series to plot");
        }
        // Midnight UTC of each day, drawn in UTC, so that no time zone moves a point to the day before.
        List<Date> x = dates.stream().map(d -> Date.from(d.atStartOfDay(ZoneOffset.UTC).toInstant())).toList();
        XYChart chart = chart(title, "date", yLabel);
        chart.getStyler().setDefaultSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
        chart.getStyler().setLegendVisible(series.size() > 1);
        chart.getStyler().setDatePattern("yyyy-MM-dd");
        chart.getStyler().setTimezone(TimeZone.getTimeZone(ZoneOffset.UTC));
        int i = 0;
        for (var e : series.entrySet()) {
            double[] y = e.getValue();
            if (y.length != x.size()) {
                throw new IllegalArgumentException("lineOverDates: " + x.size() + " dates but series '" + e.getKey()
                        + "' has " + y.length + " values");
            }
            XYSeries s = chart.addSeries(e.getKey(), x, Arrays.stream(y).boxed().toList());
            s.setMarker(SeriesMarkers.NONE);
            s.setLineColor(seriesColor(i++));
        }
        return writeAsIs(options, fileName, chart);
    }

    /**
     * A scatter plot of the points (x, y), with a fitted line through (fitX, fitY) drawn over them
     * when {@code fitX} is not null (both arrays, or neither).
     *
     * @return the PNG file written
     */
    public static Path scatter(ExampleOptions options, String fileName, String title, String xLabel, String yLabel,
                               double[] x, double[] y, double[] fitX, double[] fitY) throws IOException {
        checkSameLength("scatter", "x", x, "y", y);
        if ((fitX == null) != (fitY == null)) {
            throw new IllegalArgumentException("scatter: give both fitX and fitY, or neither");
        }
        XYChart chart = chart(title, xLabel, yLabel);
        chart.getStyler().setLegendVisible(fitX != null);
        XYSeries points = chart.addSeries("data", x.clone(), y.clone());
        points.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
        points.setMarker(SeriesMarkers.CIRCLE);
        points.setMarkerColor(seriesColor(0));
        if (fitX != null) {
            checkSameLength("scatter", "fitX", fitX, "fitY", fitY);
            XYSeries fit = chart.addSeries("fit", fitX.clone(), fitY.clone());
            fit.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
            fit.setMarker(SeriesMarkers.NONE);
            fit.setLineColor(seriesColor(3));
        }
        return write(options, fileName, chart);
    }

    /** A scatter plot of the points alone. */
    public static Path scatter(ExampleOptions options, String fileName, String title, String xLabel, String yLabel,
                               double[] x, double[] y) throws IOException {
        return scatter(options, fileName, title, xLabel, yLabel, x, y, null, null);
    }

    /**
     * A scatter plot of the points with the line {@code y = slope * x + intercept} drawn across
     * the range of x.
     */
    public static Path scatter(ExampleOptions options, String fileName, String title, String xLabel, String yLabel,
                               double[] x, double[] y, double slope, double intercept) throws IOException {
        double lo = Arrays.stream(x).min().orElse(0), hi = Arrays.stream(x).max().orElse(1);
        return scatter(options, fileName, title, xLabel, yLabel, x, y,
                new double[] {lo, hi}, new double[] {slope * lo + intercept, slope * hi + intercept});
    }

    /**
     * A scatter plot with one colour (and legend entry {@code "class K"}) per distinct label, in
     * increasing label order.
     *
     * @param labels the class of each point, as long as x and y
     * @return the PNG file written
     */
    public static Path scatterByClass(ExampleOptions options, String fileName, String title, String xLabel,
                                      String yLabel, double[] x, double[] y, long[] labels) throws IOException {
        return scatterByClass(options, fileName, title, xLabel, yLabel, x, y, labels, null);
    }

    /**
     * {@link #scatterByClass(ExampleOptions, String, String, String, String, double[], double[], long[])}
     * with the legend naming label K {@code classNames.get(K)} (when K is within the list).
     */
    public static Path scatterByClass(ExampleOptions options, String fileName, String title, String xLabel,
                                      String yLabel, double[] x, double[] y, long[] labels,
                                      List<String> classNames) throws IOException {
        checkSameLength("scatterByClass", "x", x, "y", y);
        if (labels.length != x.length) {
            throw new IllegalArgumentException("scatterByClass: " + labels.length + " labels for " + x.length + " points");
        }
        XYChart chart = chart(title, xLabel, yLabel);
        chart.getStyler().setDefaultSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
        var classes = new TreeSet<Long>();
        for (long l : labels) {
            classes.add(l);
        }
        int i = 0;
        for (long c : classes) {
            int n = 0;
            for (long l : labels) {
                if (l == c) {
                    n++;
                }
            }
            double[] cx = new double[n], cy = new double[n];
            for (int k = 0, j = 0; k < labels.length; k++) {
                if (labels[k] == c) {
                    cx[j] = x[k];
                    cy[j++] = y[k];
                }
            }
            String name = classNames != null && c >= 0 && c < classNames.size() ? classNames.get((int) c) : "class " + c;
            XYSeries s = chart.addSeries(name, cx, cy);
            s.setMarker(SeriesMarkers.CIRCLE);
            s.setMarkerColor(seriesColor(i++));
        }
        return write(options, fileName, chart);
    }

    /** The elements of a tensor of any shape and dtype, in row-major order, as doubles. */
    public static double[] doubles(Tensor t) {
        return t.detach().contiguous().toDouble().toDoubleArray();
    }

    /** The elements of an integer (or bool) tensor of any shape, in row-major order, as class labels. */
    public static long[] labels(Tensor t) {
        return t.detach().contiguous().toLong().toLongArray();
    }

    private static XYChart chart(String title, String xLabel, String yLabel) {
        headless();
        XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT)
                .title(title).xAxisTitle(xLabel).yAxisTitle(yLabel).build();
        chart.getStyler().setChartBackgroundColor(Color.WHITE);
        chart.getStyler().setPlotBackgroundColor(Color.WHITE);
        chart.getStyler().setMarkerSize(7);
        return chart;
    }

    /** Writes a chart whose x values are numbers, with round x ticks. */
    private static Path write(ExampleOptions options, String fileName, XYChart chart) throws IOException {
        niceXTicks(chart);
        return writeAsIs(options, fileName, chart);
    }

    /** Writes a chart as it is (dates on the x axis get XChart's own date ticks). */
    private static Path writeAsIs(ExampleOptions options, String fileName, XYChart chart) throws IOException {
        Objects.requireNonNull(fileName, "fileName");
        if (fileName.isBlank() || fileName.contains("/") || fileName.contains("\\")) {
            throw new IllegalArgumentException("plot file name must be a plain name, got '" + fileName + "'");
        }
        String name = fileName.toLowerCase(java.util.Locale.ROOT).endsWith(".png") ? fileName : fileName + ".png";
        Path dir = options.ensureOutDir();
        Path file = dir.resolve(name);
        // Drawn into a temporary file beside the target and moved over it in one step, so that a failed
        // or interrupted run never leaves a truncated PNG where an earlier plot was.
        Path temp = Files.createTempFile(dir, "." + name, ".tmp");
        try {
            try (OutputStream out = Files.newOutputStream(temp)) {
                BitmapEncoder.saveBitmap(chart, out, BitmapFormat.PNG);
            }
            Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(temp);
        }
        options.result("plot: " + file);
        return file;
    }

    /**
     * XChart puts the x ticks on the data points themselves when all x values are equally spaced
     * (linspace data, epochs), which gives labels such as -0.8182 and -0.6364. A point of an
     * invisible series off that grid makes it choose round ticks (-1, -0.5, 0, ...) as usual.
     */
    private static void niceXTicks(XYChart chart) {
        var xs = new TreeSet<Double>();
        double y = Double.NaN;
        for (XYSeries s : chart.getSeriesCollection()) {
            for (double v : s.getXData()) {
                if (Double.isFinite(v)) {
                    xs.add(v);
                }
            }
            for (double v : s.getYData()) {
                if (Double.isNaN(y) && Double.isFinite(v)) {
                    y = v;
                }
            }
        }
        if (xs.size() < 3 || Double.isNaN(y)) {
            return;
        }
        double lo = xs.first(), hi = xs.last(), step = (hi - lo) / (xs.size() - 1);
        double previous = Double.NaN;
        for (double v : xs) {
            if (!Double.isNaN(previous) && Math.abs(v - previous - step) > 1e-4 * step) {
                return;   // not equally spaced: XChart picks round ticks itself
            }
            previous = v;
        }
        XYSeries offGrid = chart.addSeries("kiln-off-grid-tick", new double[] {lo + step / 2}, new double[] {y});
        offGrid.setMarker(SeriesMarkers.NONE);
        offGrid.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
        offGrid.setShowInLegend(false);
    }

    /** Off-screen drawing needs no display; set only when the user has not chosen. */
    private static void headless() {
        if (System.getProperty("java.awt.headless") == null) {
            System.setProperty("java.awt.headless", "true");
        }
    }

    /**
     * The colour of series {@code i} (counting from 0) of a chart, and of the {@code i}-th class in
     * {@link #scatterByClass}.
     */
    public static Color seriesColor(int i) {
        return PALETTE.get(i % PALETTE.size());
    }

    private static void checkSameLength(String method, String aName, double[] a, String bName, double[] b) {
        Objects.requireNonNull(a, aName);
        Objects.requireNonNull(b, bName);
        if (a.length != b.length) {
            throw new IllegalArgumentException(method + ": " + aName + " has " + a.length + " values but "
                    + bName + " has " + b.length);
        }
    }
}
