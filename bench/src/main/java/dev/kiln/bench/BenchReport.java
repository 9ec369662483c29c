package dev.kiln.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVRecord;

/**
 * Prints the benchmark table from JMH's CSV results ({@code -rf csv}): the tutorial workloads
 * (eager and compiled microseconds per training step, the compiled speed-up), GEMM throughput next to
 * OpenBLAS's, and the two-thread gains: of the square product n = 1024 and of the MLP step, and of
 * the three products of the MLP's first layer, Kiln's and OpenBLAS's. {@code ./kiln bench report}
 * runs the benchmarks and then this; by hand:
 * <pre>
 * java -cp bench/target/benchmarks.jar dev.kiln.bench.BenchReport tutorial.csv gemm.csv threads.csv layer-threads.csv
 * </pre>
 * Any of the files may hold any of the rows; rows a file lacks are shown as "-".
 */
public final class BenchReport {
    private static final String PREFIX = "dev.kiln.bench.";

    /** One result row: benchmark (without the package), mode, score, unit and parameters. */
    record Row(String benchmark, String mode, double score, String unit, Map<String, String> params) {
        String param(String name) {
            return params.getOrDefault(name, "");
        }
    }

    private final List<Row> rows;

    BenchReport(List<Row> rows) {
        this.rows = rows;
    }

    public static void main(String[] args) throws IOException {
        if (args.length == 0) {
            System.err.println("usage: BenchReport RESULTS.csv [MORE.csv ...]  (JMH results written with -rf csv)");
            System.exit(2);
        }
        List<Row> rows = new ArrayList<>();
        for (String file : args) {
            Path path = Path.of(file);
            if (Files.exists(path)) {
                rows.addAll(read(path));
            } else {
                System.err.println("BenchReport: " + file + " does not exist (that run failed or was skipped); its rows show as -");
            }
        }
        new BenchReport(rows).print(System.out);
    }

    static List<Row> read(Path csv) throws IOException {
        List<Row> rows = new ArrayList<>();
        try (Reader in = Files.newBufferedReader(csv)) {
            for (CSVRecord r : CSVFormat.DEFAULT.builder().setHeader().setSkipHeaderRecord(true).get().parse(in)) {
                Map<String, String> params = new LinkedHashMap<>();
                r.toMap().forEach((k, v) -> {
                    if (k.startsWith("Param: ") && v != null && !v.isEmpty()) {
                        params.put(k.substring("Param: ".length()), v);
                    }
                });
                String name = r.get("Benchmark");
                rows.add(new Row(name.startsWith(PREFIX) ? name.substring(PREFIX.length()) : name, r.get("Mode"),
                        Double.parseDouble(r.get("Score")), r.get("Unit"), params));
            }
        }
        return rows;
    }

    /**
     * The score of the last row matching, or NaN: the files' later runs win, so the thread rows
     * compare one and two threads of the same run. {@code params} alternate name and value.
     */
    double score(String benchmark, String mode, String... params) {
        for (Row row : rows.reversed()) {
            if (!row.benchmark().equals(benchmark) || !row.mode().equals(mode)) {
                continue;
            }
            boolean all = true;
            for (int i = 0; i < params.length; i += 2) {
                all &= row.param(params[i]).equals(params[i + 1]);
            }
            if (all) {
                return row.score();
            }
        }
        return Double.NaN;
    }

    void print(PrintStream out) {
        out.println("Tutorial workloads, one training step, 1 thread (TutorialBench, avgt)");
        out.printf("%-14s %12s %12s %10s%n", "workload", "eager us", "compiled us", "speed-up");
        for (String w : List.of("twolayerSgd", "twolayerAdam", "fizzbuzz", "temperature", "threeclass", "regression",
                "mlp")) {
            double eager = score("TutorialBench." + w + "_eager", "avgt", "threads", "1");
            double compiled = score("TutorialBench." + w + "_compiled", "avgt", "threads", "1");
            out.printf("%-14s %12s %12s %10s%n", w, num(eager, 1), num(compiled, 1), times(eager / compiled));
        }

        out.println();
        out.println("SGEMM, 1 thread (GemmBench, thrpt :gflops)");
        out.printf("%-34s %10s %10s %8s%n", "product", "GFLOP/s", "OpenBLAS", "ratio");
        for (String n : List.of("256", "1024", "2048")) {
            gemmRow(out, "n=" + n, "sgemm", "n", n);
        }
        for (String layer : List.of("64x1000x100", "128x10x100", "256x784x512")) {
            for (String pass : List.of("forward", "gradInput", "gradWeight")) {
                gemmRow(out, layer + " " + pass, "sgemmTrainingShapes", "layer", layer, "pass", pass);
            }
        }

        out.println();
        out.println("Two threads: time with 1 thread / time with 2 (avgt)");
        out.printf("%-34s %10s %10s %8s%n", "", "1 thread", "2 threads", "gain");
        threadRow(out, "Kiln sgemm n=1024 (ms)", "GemmBench.sgemm", "n", "1024");
        threadRow(out, "OpenBLAS sgemm n=1024 (ms)", "GemmBench.sgemmOpenBlas", "n", "1024");
        threadRow(out, "mlp_compiled (us)", "TutorialBench.mlp_compiled");
        // The MLP step's largest products, by both libraries: what two threads gain on the work the
        // step itself splits, beside the square product's gain above.
        out.println("The MLP's first layer, " + MLP_LAYER + " (ms):");
        for (String pass : List.of("forward", "gradInput", "gradWeight")) {
            threadRow(out, "  Kiln " + pass, "GemmBench.sgemmTrainingShapes", "layer", MLP_LAYER, "pass", pass);
            threadRow(out, "  OpenBLAS " + pass, "GemmBench.sgemmTrainingShapesOpenBlas", "layer", MLP_LAYER, "pass", pass);
        }
    }

    /** The MLP workload's first layer, batch x in x out, as {@code GemmBench.Training} names it. */
    static final String MLP_LAYER = "256x784x512";

    private void gemmRow(PrintStream out, String label, String benchmark, String... params) {
        double kiln = score("GemmBench." + benchmark + ":gflops", "thrpt", withThreads(params));
        double blas = score("GemmBench." + benchmark + "OpenBlas:gflops", "thrpt", withThreads(params));
        out.printf("%-34s %10s %10s %8s%n", label, num(kiln, 1), num(blas, 1), num(kiln / blas, 2));
    }

    private void threadRow(PrintStream out, String label, String benchmark, String... params) {
        double one = score(benchmark, "avgt", with(params, "1"));
        double two = score(benchmark, "avgt", with(params, "2"));
        out.printf("%-34s %10s %10s %8s%n", label, num(one, 3), num(two, 3), times(one / two));
    }

    private static String[] withThreads(String... params) {
        return with(params, "1");
    }

    private static String[] with(String[] params, String threads) {
        String[] all = java.util.Arrays.copyOf(params, params.length + 2);
        all[params.length] = "threads";
        all[params.length + 1] = threads;
        return all;
    }

    private static String num(double v, int decimals) {
        return Double.isFinite(v) ? String.format(Locale.ROOT, "%." + decimals + "f", v) : "-";
    }

    private static String times(double v) {
        return Double.isFinite(v) ? String.format(Locale.ROOT, "%.2fx", v) : "-";
    }
}
