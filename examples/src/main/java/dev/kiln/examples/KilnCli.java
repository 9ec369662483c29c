package dev.kiln.examples;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.OptionalInt;
import java.util.concurrent.Callable;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import dev.kiln.examples.train.TrainCommand;

/**
 * The examples CLI behind {@code ./kiln}: {@code kiln list}, {@code kiln run NAME [options]} and
 * {@code kiln train --csv FILE --target COLUMN [options]} ({@link TrainCommand}).
 *
 * <p>Exit codes: 0 success, 1 an example failed, 2 a usage error (unknown example or option, an
 * {@code --out} that cannot be a directory, input {@code kiln train} cannot use).
 */
@Command(name = "kiln",
        mixinStandardHelpOptions = true,
        versionProvider = KilnCli.Version.class,
        description = "Runs the Kiln examples, and trains an MLP on any CSV file.",
        subcommands = {KilnCli.ListCommand.class, KilnCli.RunCommand.class, TrainCommand.class,
                CommandLine.HelpCommand.class},
        footer = {"", "The launcher also has: kiln build (install all modules), kiln test (all tests),"
                + " kiln bench (the JMH benchmarks)."})
public final class KilnCli implements Callable<Integer> {

    /** Exit code of a usage error, as picocli uses for its own. */
    static final int USAGE = CommandLine.ExitCode.USAGE;

    @Spec
    CommandSpec spec;

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /**
     * A fresh command line; tests redirect its output with {@code setOut}/{@code setErr}. Option values
     * naming a choice ({@code --task regression}) are accepted in any case. A bad option or value is
     * reported in one message on standard error (with picocli's "did you mean" suggestions) and a
     * pointer to {@code --help}, rather than the whole usage text, and exit code 2.
     */
    public static CommandLine commandLine() {
        return new CommandLine(new KilnCli())
                .setCaseInsensitiveEnumValuesAllowed(true)
                .setParameterExceptionHandler(KilnCli::usageError);
    }

    private static int usageError(ParameterException e, String[] args) {
        CommandLine command = e.getCommandLine();
        PrintWriter err = command.getErr();
        err.println(command.getCommandSpec().qualifiedName() + ": " + e.getMessage());
        CommandLine.UnmatchedArgumentException.printSuggestions(e, err);
        err.println("Run '" + command.getCommandSpec().qualifiedName() + " --help' for the options.");
        err.flush();
        return USAGE;
    }

    /** Bare {@code kiln}: the help, since there is nothing else sensible to do. */
    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getOut());
        return CommandLine.ExitCode.OK;
    }

    @Command(name = "list", description = "Lists the examples, one a line: name and what it shows.")
    static final class ListCommand implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            printExamples(out, "");
            out.flush();
            return CommandLine.ExitCode.OK;
        }
    }

    @Command(name = "run",
            customSynopsis = {
                    "kiln run NAME [--seed=SEED] [--epochs=N] [--out=DIR] [-q] [--eager]",
                    "       kiln run [NAME] --help"},
            description = "Runs one example.",
            sortOptions = false,
            usageHelpAutoWidth = true)
    static final class RunCommand implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        // Optional so that `run --help` works without a name and a missing name gets our message.
        @Parameters(index = "0", arity = "0..1", paramLabel = "NAME",
                completionCandidates = Names.class,
                description = "The example to run: ${COMPLETION-CANDIDATES} (see 'kiln list').")
        String name;

        @Option(names = "--seed", order = 1, paramLabel = "SEED", defaultValue = "42",
                description = "Seed for Kiln.manualSeed; the same seed gives the same output (default: ${DEFAULT-VALUE}).")
        long seed;

        private Integer epochs;

        @Option(names = "--epochs", order = 2, paramLabel = "N",
                description = "Train for N epochs instead of the example's own number.")
        void setEpochs(int n) {
            if (n < 1) {
                throw new ParameterException(spec.commandLine(), "--epochs must be at least 1, got " + n);
            }
            epochs = n;
        }

        @Option(names = "--out", order = 3, paramLabel = "DIR", defaultValue = "kiln-out/",
                description = "Where the example writes files, relative to the current directory (default: ${DEFAULT-VALUE}).")
        Path outDir;

        @Option(names = {"-q", "--quiet"}, order = 4,
                description = "Print results only, no commentary or progress.")
        boolean quiet;

        @Option(names = "--eager", order = 5,
                description = "Run @Model classes eagerly instead of their compiled form (to compare the two).")
        boolean eager;

        // Handled here rather than as picocli's usageHelp so that `run NAME --help` can add the
        // example's own notes.
        @Option(names = {"-h", "--help"}, order = 6, description = "Show this help (with NAME: also the example's notes) and exit.")
        boolean help;

        @Override
        public Integer call() throws Exception {
            PrintWriter out = spec.commandLine().getOut();
            if (help) {
                spec.commandLine().usage(out);
            }
            if (name == null) {
                if (help) {
                    out.println();
                    out.println("Examples:");
                    printExamples(out, "  ");
                    out.flush();
                    return CommandLine.ExitCode.OK;
                }
                return usageError("kiln run: which example? Give its name.");
            }
            Example example = Examples.find(name).orElse(null);
            if (example == null) {
                return usageError("kiln run: unknown example '" + name + "'.");
            }
            if (help) {
                out.println();
                out.println(example.name() + ": " + example.description());
                if (!example.notes().isBlank()) {
                    out.println(example.notes().strip());
                }
                out.flush();
                return CommandLine.ExitCode.OK;
            }
            var outProblem = ExampleOptions.outDirProblem(outDir);
            if (outProblem.isPresent()) {
                PrintWriter err = spec.commandLine().getErr();
                err.println("kiln run: --out " + outDir + ": " + outProblem.get()
                        + "; give a directory that exists or can be made");
                err.flush();
                return USAGE;
            }
            var options = new ExampleOptions(seed,
                    epochs == null ? OptionalInt.empty() : OptionalInt.of(epochs),
                    outDir, quiet, eager, out);
            example.run(options);
            out.flush();
            return CommandLine.ExitCode.OK;
        }

        private int usageError(String message) {
            PrintWriter err = spec.commandLine().getErr();
            err.println(message);
            err.println("Known examples:");
            printExamples(err, "  ");
            err.println("Run 'kiln run NAME --help' for the options.");
            err.flush();
            return USAGE;
        }
    }

    private static void printExamples(PrintWriter w, String indent) {
        int width = Examples.names().stream().mapToInt(String::length).max().orElse(0);
        for (Example e : Examples.all()) {
            w.printf("%s%-" + width + "s  %s%n", indent, e.name(), e.description());
        }
    }

    /** The example names, for picocli's help text and shell completion. */
    static final class Names implements Iterable<String> {
        @Override
        public Iterator<String> iterator() {
            return Examples.names().iterator();
        }
    }

    /** The version from the jar manifest (set by the shade plugin); "dev" when run from classes. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = KilnCli.class.getPackage().getImplementationVersion();
            return new String[] {"kiln " + (v == null ? "dev" : v) + " (Java " + Runtime.version() + ")"};
        }
    }
}
