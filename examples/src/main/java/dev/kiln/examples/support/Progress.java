package dev.kiln.examples.support;

import java.io.Console;
import java.util.Locale;

import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

import dev.kiln.examples.ExampleOptions;

/**
 * Progress of a long loop (epochs, iterations) with its current loss.
 *
 * <p>Three modes, chosen by {@link #start}:
 * <ul>
 *   <li>{@code --quiet}: nothing is shown;</li>
 *   <li>on a terminal ({@code System.console()} is a terminal): a live progress bar on standard
 *       error with the current loss ({@code me.tongfei:progressbar}), leaving standard output
 *       to the results;</li>
 *   <li>otherwise (a pipe, a file, a test): plain lines through {@link ExampleOptions#info},
 *       every {@code every} steps and at the last step, e.g. {@code "epoch 100/1000  loss 0.1234"}.</li>
 * </ul>
 *
 * <pre>{@code
 * int epochs = options.epochsOr(1000);
 * try (var progress = Progress.start(options, "epoch", epochs)) {
 *     for (int epoch = 1; epoch <= epochs; epoch++) {
 *         Tensor loss = ...;
 *         progress.step(loss.item());
 *     }
 * }
 * }</pre>
 *
 * <p>Not thread-safe: call it from the training loop's thread. {@link #close} finishes the bar
 * (safe to call twice).
 */
public final class Progress implements AutoCloseable {

    private enum Mode { SILENT, BAR, LINES }

    private final ExampleOptions options;
    private final String unit;
    private final long total;
    private final long every;
    private final Mode mode;
    private final ProgressBar bar;
    private long current;
    private boolean closed;

    private Progress(ExampleOptions options, String unit, long total, long every, Mode mode) {
        if (total < 1) {
            throw new IllegalArgumentException("progress total must be at least 1, got " + total);
        }
        if (every < 1) {
            throw new IllegalArgumentException("progress interval must be at least 1, got " + every);
        }
        this.options = options;
        this.unit = unit;
        this.total = total;
        this.every = every;
        this.mode = mode;
        this.bar = mode == Mode.BAR
                ? new ProgressBarBuilder()
                        .setTaskName(unit)
                        .setInitialMax(total)
                        .setStyle(ProgressBarStyle.ASCII)
                        .setUpdateIntervalMillis(100)
                        .setConsumer(new ConsoleProgressBarConsumer(System.err))
                        .build()
                : null;
    }

    /**
     * Progress over {@code total} steps called {@code unit} ("epoch", "iteration"), with plain
     * lines about ten times over the run ({@code every = ceil(total / 10)}).
     */
    public static Progress start(ExampleOptions options, String unit, long total) {
        return start(options, unit, total, Math.max(1, (total + 9) / 10));
    }

    /** {@link #start(ExampleOptions, String, long)} with plain lines every {@code every} steps. */
    public static Progress start(ExampleOptions options, String unit, long total, long every) {
        return new Progress(options, unit, total, every, options.quiet() ? Mode.SILENT : isTerminal() ? Mode.BAR : Mode.LINES);
    }

    /**
     * Progress that always prints plain lines (unless {@code --quiet}), even on a terminal: for
     * tests and for output meant to be read back.
     */
    public static Progress lines(ExampleOptions options, String unit, long total, long every) {
        return new Progress(options, unit, total, every, options.quiet() ? Mode.SILENT : Mode.LINES);
    }

    /** One more step done; {@code loss} is its loss (NaN when there is none to show). */
    public void step(double loss) {
        stepTo(current + 1, loss);
    }

    /**
     * One more step done, with its loss and a detail shown after it, such as a metric
     * ({@code "accuracy 0.9500"}; empty for none).
     */
    public void step(double loss, String detail) {
        stepTo(current + 1, loss, detail);
    }

    /** Steps {@code 1..n} done (n within 1..total), with the loss of step n. */
    public void stepTo(long n, double loss) {
        stepTo(n, loss, "");
    }

    /** Steps {@code 1..n} done (n within 1..total), with the loss of step n and a detail (empty for none). */
    public void stepTo(long n, double loss, String detail) {
        if (n < 1 || n > total) {
            throw new IllegalArgumentException(unit + " " + n + " is outside 1.." + total);
        }
        current = n;
        switch (mode) {
            case SILENT -> { }
            case BAR -> {
                bar.stepTo(n);
                String extra = (Double.isNaN(loss) ? "" : String.format(Locale.ROOT, " loss %.4f", loss))
                        + (detail.isEmpty() ? "" : " " + detail);
                if (!extra.isEmpty()) {
                    bar.setExtraMessage(extra);
                }
            }
            case LINES -> {
                if (n % every == 0 || n == total) {
                    options.info(detail.isEmpty() ? line(n, loss) : line(n, loss) + "  " + detail);
                }
            }
        }
    }

    /** The steps done so far. */
    public long current() {
        return current;
    }

    /** The plain line for step n, {@code "epoch 100/1000  loss 0.1234"}. */
    String line(long n, double loss) {
        String s = unit + " " + n + "/" + total;
        return Double.isNaN(loss) ? s : s + String.format(Locale.ROOT, "  loss %.4f", loss);
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            if (bar != null) {
                bar.close();
            }
        }
    }

    private static boolean isTerminal() {
        Console console = System.console();
        // Since JDK 22 System.console() is not null when redirected: ask whether it is a terminal.
        return console != null && console.isTerminal();
    }
}
