package dev.kiln.examples.train;

import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.IntStream;
import java.util.zip.ZipException;

import dev.kiln.data.CsvTable;

/** The CSV file of {@code kiln train}: read, and checked against the columns the command line names. */
final class CsvInput {

    private CsvInput() {
    }

    /**
     * Reads {@code file} (gunzipped when its name ends in {@code .gz}) with {@code header}.
     *
     * @throws BadInputException when the file is missing, unreadable or not valid CSV
     */
    static CsvTable read(Path file, CsvTable.Header header) {
        if (!Files.exists(file)) {
            throw new BadInputException("--csv " + file + ": no such file");
        }
        if (!Files.isRegularFile(file)) {
            throw new BadInputException("--csv " + file + ": not a file (a CSV file, plain or .csv.gz, is expected)");
        }
        try {
            return CsvTable.read(file, header);
        } catch (UncheckedIOException e) {
            if (e.getCause() instanceof ZipException notGzip) {
                throw new BadInputException("--csv " + file + ": the name ends in .gz, but the file is not gzip data ("
                        + notGzip.getMessage() + ")", e);
            }
            throw new BadInputException("--csv " + file + ": cannot be read (" + e.getCause().getMessage() + ")", e);
        } catch (IllegalArgumentException e) {
            // CsvTable's messages about the text already start with the file's name.
            String message = e.getMessage();
            throw new BadInputException(message.startsWith(file.toString()) ? message : "--csv " + file + ": " + message, e);
        }
    }

    /**
     * Checks that {@code target} and every column of {@code drop} are columns of {@code table}, and
     * that the target is not dropped.
     *
     * @throws BadInputException naming the option, the column and the columns there are
     */
    static void checkColumns(CsvTable table, String target, List<String> drop) {
        if (!table.hasColumn(target)) {
            throw unknownColumn(table, "--target", target);
        }
        for (String column : drop) {
            if (!table.hasColumn(column)) {
                throw unknownColumn(table, "--drop", column);
            }
            if (column.equals(target)) {
                throw new BadInputException("--drop " + column + ": that is the --target column; it cannot be dropped");
            }
        }
    }

    private static BadInputException unknownColumn(CsvTable table, String option, String column) {
        List<String> names = table.columnNames();
        boolean numbered = names.equals(IntStream.range(0, names.size()).mapToObj(Integer::toString).toList());
        return new BadInputException(option + " " + column + ": no such column in " + table.source()
                + "; its columns are " + String.join(", ", names)
                + (numbered ? " (it has no header line, so its columns are numbered from 0)" : ""));
    }
}
