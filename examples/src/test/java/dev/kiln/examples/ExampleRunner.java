package dev.kiln.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.Color;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.OptionalInt;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import javax.imageio.ImageIO;

/** Runs an example (or the whole CLI) in-process and checks what it printed and wrote. */
public final class ExampleRunner {

    private ExampleRunner() {
    }

    /** What one run printed, and where it could write. */
    public record Run(String out, Path outDir) {
        public List<String> lines() {
            return out.lines().toList();
        }
    }

    /** Runs {@code example} with seed 42, {@code epochs} (0 for the example's own) and {@code outDir}. */
    public static Run run(Example example, int epochs, Path outDir) throws Exception {
        return run(example, epochs, outDir, false);
    }

    public static Run run(Example example, int epochs, Path outDir, boolean quiet) throws Exception {
        return run(example, epochs, outDir, quiet, false);
    }

    /** As {@link #run(Example, int, Path, boolean)}, with {@code --eager} when {@code eager} is set. */
    public static Run run(Example example, int epochs, Path outDir, boolean quiet, boolean eager) throws Exception {
        var buffer = new StringWriter();
        var options = new ExampleOptions(42, epochs > 0 ? OptionalInt.of(epochs) : OptionalInt.empty(), outDir,
                quiet, eager, new PrintWriter(buffer));
        example.run(options);
        return new Run(buffer.toString(), outDir);
    }

    /** Exit code, standard output and standard error of one invocation of the CLI. */
    public record CliResult(int exit, String out, String err) {
        public List<String> lines() {
            return out.lines().toList();
        }
    }

    /** Runs the CLI in-process, through its picocli entry point, with {@code args}. */
    public static CliResult kiln(String... args) {
        var out = new StringWriter();
        var err = new StringWriter();
        int exit = KilnCli.commandLine()
                .setOut(new PrintWriter(out, true))
                .setErr(new PrintWriter(err, true))
                .execute(args);
        return new CliResult(exit, out.toString(), err.toString());
    }

    /** The first number in a line, e.g. 2.0 in {@code "tensor([2.])"}. */
    public static double firstNumber(String line) {
        Matcher m = NUMBER.matcher(line);
        assertThat(m.find()).as("a number in '%s'", line).isTrue();
        return Double.parseDouble(m.group());
    }

    /** Every number in a line, in order. */
    public static double[] numbers(String line) {
        var all = new ArrayList<Double>();
        Matcher m = NUMBER.matcher(line);
        while (m.find()) {
            all.add(Double.parseDouble(m.group()));
        }
        return all.stream().mapToDouble(Double::doubleValue).toArray();
    }

    private static final Pattern NUMBER = Pattern.compile("-?\\d+(\\.\\d*)?([eE][-+]?\\d+)?");

    /** The line right after {@code >>> code}. */
    public static String valueOf(String output, String code) {
        var lines = output.lines().toList();
        int i = lines.indexOf(">>> " + code);
        assertThat(i).as("'>>> %s' in the output", code).isNotNegative();
        return lines.get(i + 1);
    }

    private static final byte[] PNG_SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

    /**
     * Asserts that {@code file} is a PNG image of the given size with something drawn on it (a chart's
     * background, axes, labels and data give many colours; a blank image has one) and returns it.
     */
    public static BufferedImage assertPng(Path file, int width, int height) throws IOException {
        assertThat(file).isRegularFile();
        byte[] bytes = Files.readAllBytes(file);
        assertThat(Arrays.copyOf(bytes, PNG_SIGNATURE.length)).as("PNG signature of %s", file).isEqualTo(PNG_SIGNATURE);
        BufferedImage image = ImageIO.read(file.toFile());
        assertThat(image).as("ImageIO reads %s", file).isNotNull();
        assertThat(image.getWidth()).as("width of %s", file).isEqualTo(width);
        assertThat(image.getHeight()).as("height of %s", file).isEqualTo(height);
        var colours = new HashSet<Integer>();
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                colours.add(image.getRGB(x, y));
            }
        }
        assertThat(colours.size()).as("distinct colours in %s", file).isGreaterThan(10);
        return image;
    }

    /** The number of pixels of {@code image} that have exactly the colour {@code rgb} (alpha ignored). */
    public static int pixelsOf(BufferedImage image, Color rgb) {
        int n = 0;
        for (int y = 0; y < image.getHeight(); y++) {
            for (int x = 0; x < image.getWidth(); x++) {
                n += (image.getRGB(x, y) & 0xffffff) == (rgb.getRGB() & 0xffffff) ? 1 : 0;
            }
        }
        return n;
    }
}
