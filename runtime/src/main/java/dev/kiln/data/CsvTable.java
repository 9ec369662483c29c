package dev.kiln.data;

import dev.kiln.DType;
import dev.kiln.Tensor;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.zip.GZIPInputStream;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;

/**
 * A table read from a CSV file into typed columns, with the preprocessing the tutorials do in pandas:
 * {@code pd.read_csv}, {@code drop(columns=...)}, {@code pd.get_dummies} and {@code .values}.
 *
 * <pre>{@code
 * CsvTable table = CsvTable.read(Path.of("temps.csv"));   // year, month, day, week, temp_2, temp_1, ..., actual
 * Tensor labels = table.numeric("actual").toTensor(DType.FLOAT32);
 * Tensor features = table.drop("actual").oneHot("week").toTensor();   // ..., week_Fri, week_Mon, ...
 * }</pre>
 *
 * <h2>Reading</h2>
 * Apache Commons CSV parses the text (RFC 4180: commas, double quotes, quoted line breaks). The first
 * record is the header, unless {@link Header} says there is none ({@code 0}, {@code 1}, ... name the
 * columns then) or asks to detect it; every record must have exactly as many fields as the first, or
 * reading fails naming the file, the line and the column. Lines that are empty are skipped, as pandas
 * does. As in pandas, an empty header name becomes {@code Unnamed: i} (i the 0-based column position)
 * and a repeated one gets {@code .1}, {@code .2}, ... appended, and a file whose name ends in
 * {@code .gz} is read through gzip.
 *
 * <p>A field is <em>missing</em> when it is empty or one of pandas' default missing-value markers
 * ({@code NA}, {@code N/A}, {@code NaN}, {@code nan}, {@code null}, {@code NULL}, {@code None},
 * {@code <NA>}, {@code #N/A} and the others of {@code pandas.read_csv}'s {@code na_values}). A column is
 * {@linkplain NumericColumn numeric} (float64) when each of its fields that is not missing is a decimal
 * number (surrounding blanks allowed, {@code inf} and {@code infinity} in any case accepted); missing
 * fields become NaN there. Other columns are {@linkplain StringColumn string} columns, holding the
 * fields as written, with null where a field is missing.
 *
 * <h2>One-hot encoding</h2>
 * {@link #oneHot(String...)} is {@code pd.get_dummies(df, columns=[...])}: each encoded column is
 * replaced by one 0/1 column per distinct value, named {@code <column>_<value>}, in sorted value order
 * (string order by Unicode code point; numeric order for numbers, named as Python prints them:
 * {@code month_1} for a column of integers, {@code price_2.5} otherwise). The columns not encoded keep
 * their order and come first; the new columns follow at the end, grouped by encoded column in the
 * order the columns were named. With no columns named, every string column is encoded, in table order,
 * as {@code get_dummies(df)}. A row whose value is missing gets 0 in every indicator column (pandas'
 * {@code dummy_na=False}). The indicators are numeric columns of 1.0 and 0.0 (pandas makes them bool or
 * uint8; both become the same numbers in a tensor).
 *
 * <p>A table is immutable: {@link #drop}, {@link #select} and {@link #oneHot} return new tables that
 * share the unchanged columns.
 */
public final class CsvTable {
    /** pandas' default {@code na_values} ({@code pandas._libs.parsers.STR_NA_VALUES}). */
    private static final Set<String> MISSING = Set.of("", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN",
            "-nan", "1.#IND", "1.#QNAN", "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null");
    private static final Pattern DECIMAL = Pattern.compile("[+-]?(\\d+\\.?\\d*|\\.\\d+)([eE][+-]?\\d+)?");
    private static final Pattern INTEGER = Pattern.compile("[+-]?\\d+");
    private static final Pattern INFINITE = Pattern.compile("[+-]?(?i:inf|infinity)");

    private final String source;
    private final LinkedHashMap<String, Column> columns;
    private final long[] lines;

    private CsvTable(String source, LinkedHashMap<String, Column> columns, long[] lines) {
        this.source = source;
        this.columns = columns;
        this.lines = lines;
    }

    // ---------------------------------------------------------------------------------------------
    // Reading

    /**
     * Whether the first line of the CSV text names the columns.
     *
     * <p>{@link #DETECT} decides from the fields themselves, classifying each as missing, a number, or
     * text (anything else). The first line is the header when
     * <ul>
     *   <li>some column holds text on the first line and numbers on every later line that is not
     *       missing there (at least one), as {@code price} above {@code 12.5}; or, failing that,</li>
     *   <li>every field of the first line is text and none of them appears again in its column
     *       below, as {@code color} above {@code red} and {@code blue}.</li>
     * </ul>
     * Otherwise every line is data. The rule cannot tell a header from a first row of distinct words in
     * a table of words only; name the choice ({@link #FIRST_LINE}, {@link #NONE}) where that matters.
     */
    public enum Header {
        /** The first line is the header, as pandas' {@code read_csv} (its {@code header=0}). */
        FIRST_LINE,
        /**
         * No header: every line is data and the columns are named {@code 0}, {@code 1}, ..., as pandas'
         * {@code read_csv(..., header=None)}.
         */
        NONE,
        /** The first line is the header or data as the fields decide; see {@link Header}. */
        DETECT
    }

    /**
     * Reads a UTF-8 CSV file (a leading byte-order mark is skipped) whose first line is the header;
     * a file whose name ends in {@code .gz} is gunzipped first, as pandas infers from the name.
     *
     * @throws UncheckedIOException when the file cannot be read
     * @throws IllegalArgumentException when the file has no header, a record has more or fewer fields
     *     than the header, or a quoted field is not closed; the message names the file and line
     */
    public static CsvTable read(Path file) {
        return read(file, Header.FIRST_LINE);
    }

    /**
     * Reads a UTF-8 CSV file, gunzipped first when its name ends in {@code .gz}, with or without a
     * header line as {@code header} says.
     *
     * @throws UncheckedIOException when the file cannot be read or is not valid gzip
     * @throws IllegalArgumentException when the file is empty, a record has more or fewer fields than
     *     the first, or a quoted field is not closed; the message names the file and line
     */
    public static CsvTable read(Path file, Header header) {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(header, "header");
        boolean gzip = file.getFileName() != null
                && file.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".gz");
        try (InputStream bytes = Files.newInputStream(file);
             Reader reader = new InputStreamReader(gzip ? new GZIPInputStream(bytes) : bytes,
                     StandardCharsets.UTF_8.newDecoder()
                             .onMalformedInput(CodingErrorAction.REPORT)
                             .onUnmappableCharacter(CodingErrorAction.REPORT))) {
            return read(reader, file.toString(), header);
        } catch (IOException e) {
            throw new UncheckedIOException("CsvTable.read: cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * Reads CSV text from {@code reader}; errors call the source {@code <reader>}. The reader is not
     * closed.
     *
     * @see #read(Reader, String)
     */
    public static CsvTable read(Reader reader) {
        return read(reader, "<reader>");
    }

    /**
     * Reads CSV text whose first line is the header from {@code reader}, calling it {@code sourceName}
     * in error messages (a file name, a resource name). The reader is not closed.
     *
     * @throws UncheckedIOException when reading fails
     * @throws IllegalArgumentException as {@link #read(Path)}
     */
    public static CsvTable read(Reader reader, String sourceName) {
        return read(reader, sourceName, Header.FIRST_LINE);
    }

    /**
     * Reads CSV text from {@code reader}, with or without a header line as {@code header} says, calling
     * it {@code sourceName} in error messages. The reader is not closed.
     *
     * @throws UncheckedIOException when reading fails
     * @throws IllegalArgumentException as {@link #read(Path, Header)}
     */
    public static CsvTable read(Reader reader, String sourceName, Header header) {
        Objects.requireNonNull(reader, "reader");
        Objects.requireNonNull(sourceName, "sourceName");
        Objects.requireNonNull(header, "header");
        try {
            return parse(skipByteOrderMark(reader), sourceName, header);
        } catch (IOException e) {
            throw new UncheckedIOException("CsvTable.read: cannot read " + sourceName + ": " + e.getMessage(), e);
        }
    }

    private static Reader skipByteOrderMark(Reader reader) throws IOException {
        BufferedReader buffered = reader instanceof BufferedReader b ? b : new BufferedReader(reader);
        buffered.mark(1);
        if (buffered.read() != '\uFEFF') {
            buffered.reset();
        }
        return buffered;
    }

    private static CsvTable parse(Reader reader, String source, Header header) throws IOException {
        // Empty lines come through as one-field records (so that the parser's line count stays exact)
        // and are skipped here.
        CSVFormat format = CSVFormat.RFC4180.builder().setIgnoreEmptyLines(false).get();
        List<String[]> records = new ArrayList<>();
        List<Long> recordLines = new ArrayList<>();
        CSVParser parser = CSVParser.builder().setReader(reader).setFormat(format).get();
        Iterator<CSVRecord> iterator = parser.iterator();
        while (true) {
            long line = parser.getCurrentLineNumber() + 1;
            CSVRecord record;
            try {
                if (!iterator.hasNext()) {
                    break;
                }
                record = iterator.next();
            } catch (UncheckedIOException e) {
                throw new IllegalArgumentException(source + ", line " + line + ": cannot parse the record starting"
                        + " here: " + e.getCause().getMessage(), e);
            }
            if (record.size() == 1 && record.get(0).isEmpty()) {
                continue;
            }
            if (!records.isEmpty() && record.size() != records.getFirst().length) {
                throw raggedRow(source, line, header, recordLines.getFirst(), records.getFirst(), record);
            }
            records.add(record.values());
            recordLines.add(line);
        }
        if (records.isEmpty()) {
            throw new IllegalArgumentException(source + ": "
                    + (header == Header.FIRST_LINE ? "no header line" : "no lines") + "; the CSV text is empty");
        }
        boolean hasHeader = switch (header) {
            case FIRST_LINE -> true;
            case NONE -> false;
            case DETECT -> firstLineIsHeader(records);
        };
        List<String> names = hasHeader ? pandasNames(Arrays.asList(records.getFirst())) : positionNames(records.getFirst().length);
        List<String[]> rows = hasHeader ? records.subList(1, records.size()) : records;
        long[] lines = recordLines.subList(hasHeader ? 1 : 0, recordLines.size()).stream()
                .mapToLong(Long::longValue).toArray();
        LinkedHashMap<String, Column> columns = new LinkedHashMap<>();
        for (int c = 0; c < names.size(); c++) {
            String[] fields = new String[rows.size()];
            for (int r = 0; r < fields.length; r++) {
                fields[r] = rows.get(r)[c];
            }
            columns.put(names.get(c), typed(names.get(c), fields));
        }
        return new CsvTable(source, columns, lines);
    }

    private static IllegalArgumentException raggedRow(String source, long line, Header header, long firstLine,
                                                      String[] first, CSVRecord record) {
        int expected = first.length, found = record.size();
        List<String> names = header == Header.FIRST_LINE ? pandasNames(Arrays.asList(first)) : positionNames(expected);
        String where = found < expected
                ? "column " + (found + 1) + " ('" + names.get(found) + "') and after are missing"
                : "column " + (expected + 1) + " ('" + record.get(expected) + "') is beyond "
                        + (header == Header.FIRST_LINE ? "the header" : "the first line");
        return new IllegalArgumentException(source + ", line " + line + ": expected " + expected + " fields as "
                + (header == Header.FIRST_LINE ? "in the header" : "on the first line (line " + firstLine + ")")
                + ", but found " + found + "; " + where);
    }

    /** The {@link Header#DETECT} rule; {@code records} holds at least the first line. */
    private static boolean firstLineIsHeader(List<String[]> records) {
        String[] first = records.getFirst();
        List<String[]> below = records.subList(1, records.size());
        for (int c = 0; c < first.length; c++) {
            if (isText(first[c]) && numbersBelow(below, c)) {
                return true;
            }
        }
        for (int c = 0; c < first.length; c++) {
            if (!isText(first[c])) {
                return false;
            }
            for (String[] row : below) {
                if (row[c].equals(first[c])) {
                    return false;
                }
            }
        }
        return true;
    }

    /** Whether column {@code c} holds at least one number in {@code rows}, and nothing but numbers and missing fields. */
    private static boolean numbersBelow(List<String[]> rows, int c) {
        boolean any = false;
        for (String[] row : rows) {
            if (isText(row[c])) {
                return false;
            }
            any |= !MISSING.contains(row[c]);
        }
        return any;
    }

    /** A field that is neither missing nor a number, by the rules of {@link #typed}. */
    private static boolean isText(String field) {
        if (MISSING.contains(field)) {
            return false;
        }
        String s = field.strip();
        return !DECIMAL.matcher(s).matches() && !INFINITE.matcher(s).matches();
    }

    /** pandas' names for the columns of a table without a header: 0, 1, 2, ... */
    private static List<String> positionNames(int count) {
        List<String> names = new ArrayList<>(count);
        for (int c = 0; c < count; c++) {
            names.add(Integer.toString(c));
        }
        return names;
    }

    /** pandas' header names: {@code Unnamed: i} for empty ones, {@code .1}, {@code .2}, ... for repeats. */
    private static List<String> pandasNames(List<String> header) {
        // pandas' TextReader deduplication: a repeat takes the first free suffix that is not also a name in the header.
        List<String> names = new ArrayList<>(header.size());
        for (int c = 0; c < header.size(); c++) {
            names.add(header.get(c).isEmpty() ? "Unnamed: " + c : header.get(c));
        }
        Map<String, Integer> counts = new HashMap<>();
        for (int c = 0; c < names.size(); c++) {
            String original = names.get(c);
            String name = original;
            int count = counts.getOrDefault(name, 0);
            while (count > 0) {
                counts.put(original, count + 1);
                name = original + "." + count;
                count = names.contains(name) ? count + 1 : counts.getOrDefault(name, 0);
            }
            names.set(c, name);
            counts.put(name, count + 1);
        }
        return names;
    }

    private static Column typed(String name, String[] fields) {
        double[] values = new double[fields.length];
        boolean integral = true;
        for (int r = 0; r < fields.length; r++) {
            String field = fields[r];
            if (MISSING.contains(field)) {
                values[r] = Double.NaN;
                integral = false;
                continue;
            }
            String s = field.strip();
            if (DECIMAL.matcher(s).matches()) {
                values[r] = Double.parseDouble(s);
                integral &= INTEGER.matcher(s).matches();
            } else if (INFINITE.matcher(s).matches()) {
                values[r] = s.startsWith("-") ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
                integral = false;
            } else {
                String[] strings = new String[fields.length];
                for (int i = 0; i < fields.length; i++) {
                    strings[i] = MISSING.contains(fields[i]) ? null : fields[i];
                }
                return new StringColumn(name, strings);
            }
        }
        return new NumericColumn(name, values, integral && fields.length > 0);
    }

    // ---------------------------------------------------------------------------------------------
    // Shape and access

    /** Where the table was read from: the file name, or the name given to {@link #read(Reader, String)}. */
    public String source() {
        return source;
    }

    /** The number of rows, not counting the header. */
    public int rowCount() {
        return lines.length;
    }

    /** The number of columns. */
    public int columnCount() {
        return columns.size();
    }

    /** The column names in table order. */
    public List<String> columnNames() {
        return List.copyOf(columns.keySet());
    }

    /** Whether the table has a column called {@code name}. */
    public boolean hasColumn(String name) {
        return columns.containsKey(name);
    }

    /**
     * The column called {@code name}.
     *
     * @throws IllegalArgumentException when there is none; the message lists the columns there are
     */
    public Column column(String name) {
        Column column = columns.get(Objects.requireNonNull(name, "name"));
        if (column == null) {
            throw new IllegalArgumentException(source + ": no column '" + name + "'; the columns are "
                    + columns.keySet());
        }
        return column;
    }

    /**
     * The numeric column called {@code name}.
     *
     * @throws IllegalArgumentException when there is none, or it holds strings
     */
    public NumericColumn numeric(String name) {
        Column column = column(name);
        if (column instanceof NumericColumn numeric) {
            return numeric;
        }
        throw notNumeric("numeric", (StringColumn) column);
    }

    /**
     * The string column called {@code name}.
     *
     * @throws IllegalArgumentException when there is none, or it is numeric
     */
    public StringColumn strings(String name) {
        Column column = column(name);
        if (column instanceof StringColumn strings) {
            return strings;
        }
        throw new IllegalArgumentException(source + ": column '" + name + "' is numeric, not a string column");
    }

    /** The names of the numeric columns, in table order. */
    public List<String> numericColumns() {
        return columns.values().stream().filter(c -> c instanceof NumericColumn).map(Column::name).toList();
    }

    /** The names of the string columns, in table order. */
    public List<String> stringColumns() {
        return columns.values().stream().filter(c -> c instanceof StringColumn).map(Column::name).toList();
    }

    /**
     * The line of the CSV text that row {@code row} (0-based, header excluded) starts on, 1-based as
     * editors count.
     */
    public long lineOf(int row) {
        return lines[Objects.checkIndex(row, lines.length)];
    }

    // ---------------------------------------------------------------------------------------------
    // New tables

    /**
     * This table without the named columns, as {@code df.drop(columns=[...])}.
     *
     * @throws IllegalArgumentException when a name is not a column
     */
    public CsvTable drop(String... names) {
        Set<String> dropped = known(names);
        LinkedHashMap<String, Column> kept = new LinkedHashMap<>(columns);
        kept.keySet().removeAll(dropped);
        return new CsvTable(source, kept, lines);
    }

    /**
     * The named columns only, in the order named, as {@code df[[...]]}.
     *
     * @throws IllegalArgumentException when a name is not a column
     */
    public CsvTable select(String... names) {
        LinkedHashMap<String, Column> kept = new LinkedHashMap<>();
        for (String name : known(names)) {
            kept.put(name, columns.get(name));
        }
        return new CsvTable(source, kept, lines);
    }

    /**
     * One-hot encodes the named columns (string or numeric), or every string column when none is named,
     * as pandas' {@code get_dummies}; see the class documentation for names and placement.
     *
     * <p>For the tutorial's table {@code year, month, day, week, temp_2, temp_1, average, actual},
     * {@code oneHot("week")} gives {@code year, month, day, temp_2, temp_1, average, actual, week_Fri,
     * week_Mon, week_Sat, week_Sun, week_Thurs, week_Tues, week_Wed}.
     *
     * @throws IllegalArgumentException when a name is not a column, or a new column's name is already
     *     taken by a column that stays
     */
    public CsvTable oneHot(String... names) {
        Set<String> encoded = names.length == 0 ? new LinkedHashSet<>(stringColumns()) : known(names);
        LinkedHashMap<String, Column> out = new LinkedHashMap<>(columns);
        out.keySet().removeAll(encoded);
        for (String name : encoded) {
            for (NumericColumn indicator : indicators(columns.get(name))) {
                if (out.putIfAbsent(indicator.name(), indicator) != null) {
                    throw new IllegalArgumentException(source + ": one-hot encoding column '" + name
                            + "' makes a column '" + indicator.name() + "', but the table already has one");
                }
            }
        }
        return new CsvTable(source, out, lines);
    }

    private static List<NumericColumn> indicators(Column column) {
        int n = column.size();
        List<NumericColumn> out = new ArrayList<>();
        switch (column) {
            case StringColumn strings -> {
                for (String category : strings.categories()) {
                    double[] values = new double[n];
                    for (int r = 0; r < n; r++) {
                        values[r] = category.equals(strings.get(r)) ? 1 : 0;
                    }
                    out.add(new NumericColumn(column.name() + "_" + category, values, true));
                }
            }
            case NumericColumn numbers -> {
                TreeSet<Double> categories = new TreeSet<>();
                for (int r = 0; r < n; r++) {
                    if (!Double.isNaN(numbers.get(r))) {
                        categories.add(numbers.get(r) == 0 ? 0.0 : numbers.get(r));
                    }
                }
                for (double category : categories) {
                    double[] values = new double[n];
                    for (int r = 0; r < n; r++) {
                        values[r] = numbers.get(r) == category ? 1 : 0;
                    }
                    String label = numbers.isIntegral() ? Long.toString((long) category) : pythonRepr(category);
                    out.add(new NumericColumn(column.name() + "_" + label, values, true));
                }
            }
        }
        return out;
    }

    /** Python's {@code repr} of a float: shortest round-trip digits, plain between 1e-4 and 1e16. */
    static String pythonRepr(double value) {
        if (Double.isNaN(value)) {
            return "nan";
        }
        if (Double.isInfinite(value)) {
            return value > 0 ? "inf" : "-inf";
        }
        if (value == 0) {
            return (1 / value < 0) ? "-0.0" : "0.0";
        }
        BigDecimal exact = new BigDecimal(Double.toString(value)).stripTrailingZeros();
        int exponent = exact.precision() - exact.scale() - 1;
        if (exponent >= -4 && exponent < 16) {
            String plain = exact.toPlainString();
            return plain.contains(".") ? plain : plain + ".0";
        }
        String digits = exact.unscaledValue().abs().toString();
        String mantissa = digits.length() == 1 ? digits : digits.charAt(0) + "." + digits.substring(1);
        return (value < 0 ? "-" : "") + mantissa + "e" + (exponent < 0 ? "-" : "+")
                + (Math.abs(exponent) < 10 ? "0" : "") + Math.abs(exponent);
    }

    private Set<String> known(String... names) {
        Objects.requireNonNull(names, "names");
        Set<String> set = new LinkedHashSet<>();
        for (String name : names) {
            column(name);
            set.add(name);
        }
        return set;
    }

    // ---------------------------------------------------------------------------------------------
    // Tensors

    /** Every column as a float32 (rows x columns) tensor, as {@code df.values}; every column must be numeric. */
    public Tensor toTensor() {
        return toTensor(DType.FLOAT32, columnNames());
    }

    /**
     * The named columns, in the order named, as a float32 (rows x columns) tensor; all columns in table
     * order when none is named.
     *
     * @throws IllegalArgumentException when a name is not a column or a column holds strings
     */
    public Tensor toTensor(String... names) {
        return toTensor(DType.FLOAT32, names);
    }

    /**
     * The named columns (all in table order when none is named) as a (rows x columns) tensor of type
     * {@code dtype} (float32 or float64; int64 and bool convert as {@link Tensor#to(DType)} does).
     *
     * @throws IllegalArgumentException when a name is not a column or a column holds strings
     */
    public Tensor toTensor(DType dtype, String... names) {
        return toTensor(dtype, names.length == 0 ? columnNames() : List.of(names));
    }

    /** The listed columns as a (rows x columns) tensor of type {@code dtype}. */
    public Tensor toTensor(DType dtype, List<String> names) {
        Objects.requireNonNull(dtype, "dtype");
        int rows = rowCount(), cols = names.size();
        double[] values = new double[rows * cols];
        for (int c = 0; c < cols; c++) {
            Column column = column(names.get(c));
            if (!(column instanceof NumericColumn numeric)) {
                throw notNumeric("toTensor", (StringColumn) column);
            }
            for (int r = 0; r < rows; r++) {
                values[r * cols + c] = numeric.get(r);
            }
        }
        return Tensor.of(values).reshape(rows, cols).to(dtype);
    }

    private IllegalArgumentException notNumeric(String what, StringColumn column) {
        int row = 0;
        while (row < column.size() && column.get(row) == null) {
            row++;
        }
        String example = row < column.size()
                ? " (for example '" + column.get(row) + "' on line " + lines[row] + ")"
                : "";
        return new IllegalArgumentException(source + ": " + what + ": column '" + column.name()
                + "' holds strings" + example + ", not numbers; one-hot encode it with oneHot(\"" + column.name()
                + "\") or drop it");
    }

    /** A short description: the source, the size, and each column with its type. */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("CsvTable(").append(source).append(", ").append(rowCount())
                .append(" rows x ").append(columnCount()).append(" columns:");
        for (Column column : columns.values()) {
            sb.append(' ').append(column.name()).append(column instanceof NumericColumn ? ":number" : ":string");
        }
        return sb.append(')').toString();
    }

    // ---------------------------------------------------------------------------------------------
    // Columns

    /** A column of a {@link CsvTable}: {@link NumericColumn} or {@link StringColumn}. */
    public sealed interface Column permits NumericColumn, StringColumn {
        /** The column's name. */
        String name();

        /** The number of rows. */
        int size();
    }

    /** A column of float64 values; NaN where the CSV field was missing. */
    public static final class NumericColumn implements Column {
        private final String name;
        private final double[] values;
        private final boolean integral;

        NumericColumn(String name, double[] values, boolean integral) {
            this.name = name;
            this.values = values;
            this.integral = integral;
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public int size() {
            return values.length;
        }

        /** The value in row {@code row}. */
        public double get(int row) {
            return values[Objects.checkIndex(row, values.length)];
        }

        /** A copy of the values. */
        public double[] toArray() {
            return values.clone();
        }

        /**
         * Whether every field was written as an integer and none was missing: pandas would read the
         * column as int64, which decides how its one-hot columns are named.
         */
        public boolean isIntegral() {
            return integral;
        }

        /** The values as a 1-d tensor of type {@code dtype}, for example labels. */
        public Tensor toTensor(DType dtype) {
            return Tensor.of(values).to(dtype);
        }

        @Override
        public String toString() {
            return "NumericColumn(" + name + ", " + values.length + " rows)";
        }
    }

    /** A column of strings as written in the CSV; null where the field was missing. */
    public static final class StringColumn implements Column {
        private final String name;
        private final String[] values;

        StringColumn(String name, String[] values) {
            this.name = name;
            this.values = values;
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public int size() {
            return values.length;
        }

        /** The value in row {@code row}, or null when it was missing. */
        public String get(int row) {
            return values[Objects.checkIndex(row, values.length)];
        }

        /** The values in row order (an unmodifiable list that may hold nulls). */
        public List<String> values() {
            return Collections.unmodifiableList(Arrays.asList(values.clone()));
        }

        /** The distinct values that are not missing, in sorted order (by Unicode code point, as Python sorts). */
        public List<String> categories() {
            TreeSet<String> sorted = new TreeSet<>(CsvTable::compareCodePoints);
            for (String value : values) {
                if (value != null) {
                    sorted.add(value);
                }
            }
            return List.copyOf(sorted);
        }

        @Override
        public String toString() {
            return "StringColumn(" + name + ", " + values.length + " rows)";
        }
    }

    private static int compareCodePoints(String a, String b) {
        return Arrays.compare(a.codePoints().toArray(), b.codePoints().toArray());
    }
}
