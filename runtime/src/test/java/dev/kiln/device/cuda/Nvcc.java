package dev.kiln.device.cuda;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/** Finds {@code nvcc} on the PATH and compiles the runtime's {@code .cu} files with it, for tests. */
final class Nvcc {
    /** Where the kernels' sources live, relative to the runtime module (surefire's working directory). */
    static final Path SOURCES = Path.of("src/main/resources/dev/kiln/device/cuda");

    private Nvcc() {}

    /** The nvcc executable on the PATH, if there is one. */
    static Optional<Path> find() {
        String path = System.getenv("PATH");
        if (path == null) {
            return Optional.empty();
        }
        return Stream.of(path.split(File.pathSeparator))
                .filter(dir -> !dir.isEmpty())
                .map(dir -> Path.of(dir, "nvcc"))
                .filter(Files::isExecutable)
                .findFirst();
    }

    /** Every {@code .cu} file of the runtime, sorted. */
    static List<Path> sources() throws IOException {
        try (Stream<Path> files = Files.list(SOURCES)) {
            return files.filter(f -> f.toString().endsWith(".cu")).sorted().toList();
        }
    }

    /** The outcome of one nvcc run: its exit code and everything it printed. */
    record Result(int exitCode, String output) {}

    /**
     * Starts {@code nvcc -ptx -arch=ARCH --Werror all-warnings -odir OUT} on {@code sources}; its output
     * goes to {@code OUT/nvcc.log}, so several can run at once.
     */
    static Process startPtx(Path nvcc, String arch, List<Path> sources, Path out) throws IOException {
        List<String> command = new ArrayList<>(List.of(nvcc.toString(), "-ptx", "-arch=" + arch,
                "--Werror", "all-warnings", "-odir", out.toString()));
        sources.forEach(s -> command.add(s.toString()));
        return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.resolve("nvcc.log").toFile())
                .start();
    }

    /** Waits for a run from {@link #startPtx} and returns its exit code and output. */
    static Result finish(Process process, Path out) throws IOException, InterruptedException {
        if (!process.waitFor(5, TimeUnit.MINUTES)) {
            process.destroyForcibly();
            return new Result(-1, "nvcc did not finish in 5 minutes\n" + Files.readString(out.resolve("nvcc.log")));
        }
        return new Result(process.exitValue(), Files.readString(out.resolve("nvcc.log")));
    }
}
