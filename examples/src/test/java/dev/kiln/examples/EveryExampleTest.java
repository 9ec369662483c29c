package dev.kiln.examples;

import static dev.kiln.examples.ExampleRunner.assertPng;
import static dev.kiln.examples.ExampleRunner.kiln;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import dev.kiln.examples.ExampleRunner.CliResult;
import dev.kiln.examples.support.Plots;

/**
 * Every example in the registry, as a user starts it: {@code kiln run NAME --epochs 2 --quiet --out DIR}
 * through the CLI. An example added to {@link Examples} is run here without a test of its own; the
 * per-example tests check the numbers.
 */
class EveryExampleTest {

    static Stream<String> names() {
        return Examples.names().stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("names")
    void runsFromTheCommandLineAndWritesOnlyPlotsAndStateDictsIntoOut(String name, @TempDir Path dir) throws IOException {
        Path out = dir.resolve("out");
        CliResult r = kiln("run", name, "--epochs", "2", "--quiet", "--out", out.toString());
        assertThat(r.exit()).as("exit code; stderr: %s", r.err()).isZero();
        assertThat(r.err()).isEmpty();
        assertThat(r.out()).isNotBlank();
        List<Path> plots = r.lines().stream().filter(l -> l.startsWith("plot: ")).map(l -> Path.of(l.substring(6))).toList();
        for (Path plot : plots) {
            assertThat(plot.getParent()).isEqualTo(out);
            assertPng(plot, Plots.WIDTH, Plots.HEIGHT);
        }
        if (Files.exists(out)) {
            try (var files = Files.list(out)) {
                assertThat(files.map(f -> f.getFileName().toString()))
                        .allMatch(f -> f.endsWith(".png") || f.endsWith(".safetensors"));
            }
        }
    }
}
