package dev.kiln.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BenchReportTest {
    private static final String HEADER = "\"Benchmark\",\"Mode\",\"Threads\",\"Samples\",\"Score\",\"Score Error (99.9%)\","
            + "\"Unit\",\"Param: kernels\",\"Param: layer\",\"Param: n\",\"Param: pass\",\"Param: threads\"";

    @TempDir
    Path dir;

    /** A row as JMH 1.37 writes it with -rf csv; empty parameters are those the benchmark lacks. */
    private static String row(String benchmark, String mode, double score, String layer, String n, String pass,
                              int threads) {
        return "\"dev.kiln.bench." + benchmark + "\",\"" + mode + "\",1,5," + score + ",1.0,\"ms/op\",auto,"
                + layer + "," + n + "," + pass + "," + threads;
    }

    private String report(Path... files) throws IOException {
        List<BenchReport.Row> rows = new ArrayList<>();
        for (Path file : files) {
            rows.addAll(BenchReport.read(file));
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        new BenchReport(rows).print(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        return bytes.toString(StandardCharsets.UTF_8);
    }

    private static String line(String report, String start) {
        return report.lines().filter(l -> l.startsWith(start)).findFirst()
                .orElseThrow(() -> new AssertionError("no line starting with '" + start + "' in\n" + report));
    }

    @Test
    void theFirstLayersProductsShowBothLibrariesTwoThreadGains() throws IOException {
        Path layer = Files.writeString(dir.resolve("layer-threads.csv"), String.join("\n",
                HEADER,
                row("GemmBench.sgemmTrainingShapes", "avgt", 1.6, "256x784x512", "", "forward", 1),
                row("GemmBench.sgemmTrainingShapes", "avgt", 0.8, "256x784x512", "", "forward", 2),
                row("GemmBench.sgemmTrainingShapes:gflops", "avgt", 7.7, "256x784x512", "", "forward", 1),
                row("GemmBench.sgemmTrainingShapesOpenBlas", "avgt", 1.5, "256x784x512", "", "forward", 1),
                row("GemmBench.sgemmTrainingShapesOpenBlas", "avgt", 1.0, "256x784x512", "", "forward", 2),
                row("GemmBench.sgemmTrainingShapesOpenBlas", "avgt", 1.4, "256x784x512", "", "gradWeight", 1),
                row("GemmBench.sgemmTrainingShapesOpenBlas", "avgt", 0.7, "256x784x512", "", "gradWeight", 2),
                // another layer's rows must not be taken for the MLP's
                row("GemmBench.sgemmTrainingShapes", "avgt", 9.0, "64x1000x100", "", "gradWeight", 1),
                row("GemmBench.sgemmTrainingShapes", "avgt", 1.0, "64x1000x100", "", "gradWeight", 2)) + "\n");
        Path threads = Files.writeString(dir.resolve("threads.csv"), String.join("\n",
                HEADER,
                row("GemmBench.sgemm", "avgt", 16.0, "", "1024", "", 1),
                row("GemmBench.sgemm", "avgt", 8.0, "", "1024", "", 2)) + "\n");

        String report = report(threads, layer);

        assertThat(line(report, "Kiln sgemm n=1024")).contains("16.000", "8.000", "2.00x");
        assertThat(report).contains("The MLP's first layer, 256x784x512 (ms):");
        assertThat(line(report, "  Kiln forward")).contains("1.600", "0.800", "2.00x");
        assertThat(line(report, "  OpenBLAS forward")).contains("1.500", "1.000", "1.50x");
        assertThat(line(report, "  OpenBLAS gradWeight")).contains("1.400", "0.700", "2.00x");
        // rows no file holds are shown as "-"
        assertThat(line(report, "  Kiln gradWeight")).matches("\\s*Kiln gradWeight\\s+-\\s+-\\s+-");
        assertThat(line(report, "  OpenBLAS gradInput")).matches("\\s*OpenBLAS gradInput\\s+-\\s+-\\s+-");
    }
}
