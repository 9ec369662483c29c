package dev.kiln.examples;

import static dev.kiln.examples.ExampleRunner.kiln;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.kiln.examples.ExampleRunner.CliResult;

class KilnCliTest {

    @Test
    void listPrintsOneLinePerExample() {
        CliResult r = kiln("list");
        assertThat(r.exit()).isZero();
        assertThat(r.out().lines()).hasSize(Examples.all().size());
        assertThat(r.out()).contains("tour").contains("a short tour of tensors and autograd");
    }

    @Test
    void exampleNamesAreUniqueAndTypable() {
        assertThat(Examples.names()).doesNotHaveDuplicates().allMatch(n -> n.matches("[a-z0-9]+(-[a-z0-9]+)*"));
        assertThat(Examples.all()).allSatisfy(e -> assertThat(e.description()).isNotBlank().doesNotContain("\n"));
    }

    @Test
    void unknownExampleIsAUsageErrorNamingTheKnownOnes() {
        CliResult r = kiln("run", "nope");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("unknown example 'nope'").contains("tour");
        assertThat(r.out()).isEmpty();
    }

    @Test
    void missingExampleNameIsAUsageError() {
        CliResult r = kiln("run");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("which example").contains("tour");
    }

    @Test
    void runHelpExplainsTheCommonOptionsAndTheExample() {
        CliResult r = kiln("run", "tour", "--help");
        assertThat(r.exit()).isZero();
        assertThat(r.out()).contains("--seed", "--epochs", "--out", "--quiet", "--eager")
                .contains("tour: a short tour of tensors and autograd");
    }

    @Test
    void runHelpWithoutNameListsExamples() {
        CliResult r = kiln("run", "--help");
        assertThat(r.exit()).isZero();
        assertThat(r.out()).contains("--seed").contains("Examples:").contains("tour");
    }

    @Test
    void badOptionValuesAreUsageErrors() {
        assertThat(kiln("run", "tour", "--epochs", "0").exit()).isEqualTo(2);
        assertThat(kiln("run", "tour", "--seed", "abc").exit()).isEqualTo(2);
        assertThat(kiln("run", "tour", "--no-such-option").exit()).isEqualTo(2);
    }

    @Test
    void aBadOptionGetsOneMessageAndAPointerToHelpNotTheWholeUsage() {
        CliResult r = kiln("run", "tour", "--epochs", "0");
        assertThat(r.err().lines()).containsExactly("kiln run: --epochs must be at least 1, got 0",
                "Run 'kiln run --help' for the options.");
        assertThat(r.out()).isEmpty();
        CliResult typo = kiln("run", "tour", "--quite");
        assertThat(typo.exit()).isEqualTo(2);
        assertThat(typo.err().lines().toList()).first().asString().isEqualTo("kiln run: Unknown option: '--quite'");
        assertThat(typo.err()).contains("--quiet").endsWith("Run 'kiln run --help' for the options." + System.lineSeparator());
        assertThat(kiln("--bogus").err()).startsWith("kiln: Unknown option: '--bogus'");
    }

    @Test
    void anOutThatCannotBeADirectoryIsRefusedBeforeTheExampleRuns(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("taken");
        Files.writeString(file, "a file, not a directory");
        CliResult r = kiln("run", "regression", "--out", file.toString());
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).startsWith("kiln run: --out " + file + ": it is a file, not a directory;");
        assertThat(r.out()).isEmpty();
        Path under = file.resolve("plots");
        CliResult nested = kiln("run", "regression", "--out", under.toString());
        assertThat(nested.exit()).isEqualTo(2);
        assertThat(nested.err()).contains("--out " + under + ": " + file + " is a file, so no directory can be made under it");
        assertThat(nested.out()).isEmpty();
    }

    @Test
    void anOutDirectoryStillToBeMadeIsAccepted(@TempDir Path dir) {
        assertThat(ExampleOptions.outDirProblem(dir.resolve("a/b/c"))).isEmpty();
        assertThat(ExampleOptions.outDirProblem(dir)).isEmpty();
        assertThat(dir.resolve("a")).doesNotExist();   // checking makes nothing
    }

    @Test
    void bareKilnPrintsHelp() {
        CliResult r = kiln();
        assertThat(r.exit()).isZero();
        assertThat(r.out()).contains("list").contains("run");
    }
}
