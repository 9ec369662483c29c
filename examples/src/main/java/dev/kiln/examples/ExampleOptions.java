package dev.kiln.examples;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * The options every example accepts, as given on {@code kiln run NAME [options]}.
 *
 * @param seed   seed for {@code Kiln.manualSeed}; examples seed before creating any random tensor,
 *               so the same seed gives the same output
 * @param epochs an override of the example's own number of epochs, when given
 * @param outDir where the example may write files (plots, checkpoints); created on first use
 *               by {@link #ensureOutDir()}, relative to the user's working directory
 * @param quiet  print results only: {@link #info} lines are dropped
 * @param eager  run {@code @Model} classes eagerly instead of through their generated, compiled
 *               subclass (examples without a model ignore it)
 * @param out    where the example prints; the CLI's standard output, or a buffer in tests
 */
public record ExampleOptions(long seed, OptionalInt epochs, Path outDir, boolean quiet, boolean eager,
                             PrintWriter out) {

    public ExampleOptions {
        Objects.requireNonNull(epochs, "epochs");
        Objects.requireNonNull(outDir, "outDir");
        Objects.requireNonNull(out, "out");
        if (epochs.isPresent() && epochs.getAsInt() < 1) {
            throw new IllegalArgumentException("epochs must be at least 1, got " + epochs.getAsInt());
        }
    }

    /** The defaults of {@code kiln run}, printing to {@code out}. */
    public static ExampleOptions defaults(PrintWriter out) {
        return new ExampleOptions(42, OptionalInt.empty(), Path.of("kiln-out"), false, false, out);
    }

    /** The number of epochs to train: the {@code --epochs} override, else the example's own default. */
    public int epochsOr(int exampleDefault) {
        return epochs.orElse(exampleDefault);
    }

    /** {@link #outDir()}, created if it does not exist yet. */
    public Path ensureOutDir() throws IOException {
        return Files.createDirectories(outDir);
    }

    /**
     * Why {@code dir} cannot serve as {@code --out}, or empty when it can: it is a writable directory, or
     * it does not exist yet and its nearest existing ancestor is a writable directory (where
     * {@link #ensureOutDir()} will make it). Checked before an example runs, so that a bad {@code --out}
     * is refused at once rather than after the training it was to keep.
     */
    public static Optional<String> outDirProblem(Path dir) {
        Path absolute = dir.toAbsolutePath();
        Path existing = absolute;
        while (existing != null && !Files.exists(existing)) {
            existing = existing.getParent();
        }
        if (existing == null) {
            return Optional.of("no part of it exists, not even its root");
        }
        if (!Files.isDirectory(existing)) {
            return Optional.of(existing.equals(absolute)
                    ? "it is a file, not a directory"
                    : existing + " is a file, so no directory can be made under it");
        }
        if (!Files.isWritable(existing)) {
            return Optional.of(existing.equals(absolute)
                    ? "the directory cannot be written to"
                    : existing + " cannot be written to, so the directory cannot be made");
        }
        return Optional.empty();
    }

    /** Commentary and progress: printed unless {@code --quiet}. */
    public void info(String line) {
        if (!quiet) {
            out.println(line);
            out.flush();
        }
    }

    /** A result: always printed. */
    public void result(String line) {
        out.println(line);
        out.flush();
    }
}
