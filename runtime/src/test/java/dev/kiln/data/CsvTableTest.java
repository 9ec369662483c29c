package dev.kiln.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.kiln.DType;
import dev.kiln.Tensor;
import dev.kiln.data.CsvTable.NumericColumn;
import dev.kiln.data.CsvTable.StringColumn;
import java.io.IOException;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reading CSV text into typed columns, pandas-style one-hot encoding, and tensors. */
class CsvTableTest {

    static Path temps() {
        try {
            return Path.of(CsvTableTest.class.getResource("temps.csv").toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static CsvTable csv(String text) {
        return CsvTable.read(new StringReader(text), "test.csv");
    }

    // ---------------------------------------------------------------------------------------------
    // The temperature table of the tutorial (a few rows of it)

    @Test
    void readsTheTemperatureTableIntoTypedColumns() {
        CsvTable table = CsvTable.read(temps());
        assertThat(table.rowCount()).isEqualTo(8);
        assertThat(table.columnNames()).containsExactly(
                "year", "month", "day", "week", "temp_2", "temp_1", "average", "actual");
        assertThat(table.numericColumns()).containsExactly(
                "year", "month", "day", "temp_2", "temp_1", "average", "actual");
        assertThat(table.stringColumns()).containsExactly("week");
        assertThat(table.column("week")).isInstanceOf(StringColumn.class);
        assertThat(table.strings("week").values()).containsExactly("Fri", "Sat", "Sun", "Mon", "Tues", "Wed", "Thurs", "Fri");
        assertThat(table.strings("week").categories()).containsExactly("Fri", "Mon", "Sat", "Sun", "Thurs", "Tues", "Wed");
        assertThat(table.numeric("average").toArray()).containsExactly(45.6, 45.7, 45.8, 45.9, 46.0, 46.1, 46.2, 46.3);
        assertThat(table.numeric("year").isIntegral()).isTrue();
        assertThat(table.numeric("average").isIntegral()).isFalse();
        assertThat(table.lineOf(0)).isEqualTo(2);
        assertThat(table.lineOf(7)).isEqualTo(9);
        assertThat(table.source()).endsWith("temps.csv");
        assertThat(table.toString()).endsWith("temps.csv, 8 rows x 8 columns: year:number month:number day:number"
                + " week:string temp_2:number temp_1:number average:number actual:number)");
    }

    @Test
    void oneHotOfWeekPlacesTheDummiesAtTheEndInSortedOrder() {
        // pd.get_dummies(data) on this file gives exactly these columns (checked with pandas 1.5).
        CsvTable encoded = CsvTable.read(temps()).oneHot("week");
        assertThat(encoded.columnNames()).containsExactly("year", "month", "day", "temp_2", "temp_1", "average",
                "actual", "week_Fri", "week_Mon", "week_Sat", "week_Sun", "week_Thurs", "week_Tues", "week_Wed");
        assertThat(encoded.stringColumns()).isEmpty();
        assertThat(encoded.numeric("week_Fri").toArray()).containsExactly(1, 0, 0, 0, 0, 0, 0, 1);
        assertThat(encoded.numeric("week_Tues").toArray()).containsExactly(0, 0, 0, 0, 1, 0, 0, 0);
        // With no columns named, every string column is encoded: the same result here.
        assertThat(CsvTable.read(temps()).oneHot().columnNames()).isEqualTo(encoded.columnNames());
    }

    @Test
    void featuresAndLabelsOfTheTemperatureTable() {
        CsvTable encoded = CsvTable.read(temps()).oneHot("week");
        Tensor labels = encoded.numeric("actual").toTensor(DType.FLOAT32);
        assertThat(labels.shape().toArray()).containsExactly(8);
        assertThat(labels.toFloatArray()).containsExactly(45, 44, 41, 40, 44, 51, 45, 48);
        CsvTable features = encoded.drop("actual");
        assertThat(features.columnCount()).isEqualTo(13);
        Tensor x = features.toTensor();
        assertThat(x.dtype()).isEqualTo(DType.FLOAT32);
        assertThat(x.shape().toArray()).containsExactly(8, 13);
        assertThat(x.get(0).toFloatArray()).containsExactly(2016, 1, 1, 45, 42, 45.6f, 1, 0, 0, 0, 0, 0, 0);
        assertThat(x.get(4).toFloatArray()).containsExactly(2016, 1, 5, 41, 45, 46.0f, 0, 0, 0, 0, 0, 1, 0);
        Tensor x64 = features.toTensor(DType.FLOAT64);
        assertThat(x64.dtype()).isEqualTo(DType.FLOAT64);
        assertThat(x64.get(1).toDoubleArray()).containsExactly(2016, 1, 2, 44, 44, 45.7, 0, 0, 1, 0, 0, 0, 0);
        Tensor picked = encoded.toTensor(DType.FLOAT64, "temp_1", "actual");
        assertThat(picked.shape().toArray()).containsExactly(8, 2);
        assertThat(picked.get(7).toDoubleArray()).containsExactly(49, 48);
    }

    @Test
    void temperatureFeaturesScaledAsScikitLearnDoes() {
        // StandardScaler().fit_transform(features) of the tutorial, computed by hand for these 8 rows.
        CsvTable features = CsvTable.read(temps()).oneHot("week").drop("actual");
        StandardScaler scaler = new StandardScaler();
        Tensor x = scaler.fitTransform(features.toTensor(DType.FLOAT64));
        double sqrt3 = Math.sqrt(3), sqrt7 = Math.sqrt(7);
        // mean: year and month constant; day 1..8 -> 4.5; temp_2 -> 354 / 8; temp_1 42,44,44,44,45,45,47,49 -> 45
        assertThat(scaler.mean().toDoubleArray()).usingElementComparator(close(1e-12)).containsExactly(
                2016.0, 1.0, 4.5, 44.25, 45.0, 45.95, 0.25, 0.125, 0.125, 0.125, 0.125, 0.125, 0.125);
        // population std: constant columns scale by 1; day sqrt((8^2 - 1) / 12); temp_2 sqrt(75.5 / 8);
        // temp_1 sqrt(32 / 8) = 2; average 0.1 * sqrt(5.25); a dummy with k ones of 8: sqrt(k/8 * (1 - k/8))
        assertThat(scaler.scale().toDoubleArray()).usingElementComparator(close(1e-12)).containsExactly(
                1.0, 1.0, Math.sqrt(5.25), Math.sqrt(75.5 / 8), 2.0, 0.1 * Math.sqrt(5.25), sqrt3 / 4,
                sqrt7 / 8, sqrt7 / 8, sqrt7 / 8, sqrt7 / 8, sqrt7 / 8, sqrt7 / 8);
        // first row (2016, 1, 1, Fri, temp_2 45, temp_1 42, average 45.6)
        assertThat(x.get(0).toDoubleArray()).usingElementComparator(close(1e-9)).containsExactly(
                0.0, 0.0, -3.5 / Math.sqrt(5.25), 0.75 / Math.sqrt(75.5 / 8), -1.5, -3.5 / Math.sqrt(5.25),
                sqrt3, -1 / sqrt7, -1 / sqrt7, -1 / sqrt7, -1 / sqrt7, -1 / sqrt7, -1 / sqrt7);
        // temp_1 scaled: (v - 45) / 2
        assertThat(x.select(1, 4).toDoubleArray()).usingElementComparator(close(1e-12))
                .containsExactly(-1.5, -0.5, -0.5, -0.5, 0.0, 0.0, 1.0, 2.0);
        // every non-constant column now has mean 0 and population std 1
        double[] means = x.mean(0).toDoubleArray();
        double[] vars = x.pow(2).mean(0).toDoubleArray();
        for (int c = 2; c < 13; c++) {
            assertThat(means[c]).isCloseTo(0.0, within(1e-12));
            assertThat(vars[c]).isCloseTo(1.0, within(1e-12));
        }
    }

    // ---------------------------------------------------------------------------------------------
    // One-hot placement and names, as pandas

    private static final String MIXED = "a,n,b,m,c\nx,1,q,1.5,1\ny,2,p,2.5,1\nx,1,,1.5,3\n";

    @Test
    void namedColumnsAreEncodedInTheOrderNamedAfterTheColumnsKept() {
        // pd.get_dummies(df, columns=['m', 'a', 'c']).columns
        CsvTable table = csv(MIXED).oneHot("m", "a", "c");
        assertThat(table.columnNames()).containsExactly("n", "b", "m_1.5", "m_2.5", "a_x", "a_y", "c_1", "c_3");
        assertThat(table.numeric("c_3").toArray()).containsExactly(0, 0, 1);
        assertThat(table.numeric("m_2.5").toArray()).containsExactly(0, 1, 0);
    }

    @Test
    void withoutNamesEveryStringColumnIsEncodedInTableOrder() {
        // pd.get_dummies(df).columns; b's missing value gives zeros in both of its columns
        CsvTable table = csv(MIXED).oneHot();
        assertThat(table.columnNames()).containsExactly("n", "m", "c", "a_x", "a_y", "b_p", "b_q");
        assertThat(table.numeric("b_p").toArray()).containsExactly(0, 1, 0);
        assertThat(table.numeric("b_q").toArray()).containsExactly(1, 0, 0);
        assertThat(table.toTensor().get(2).toFloatArray()).containsExactly(1, 1.5f, 3, 1, 0, 0, 0);
    }

    @Test
    void oneHotRefusesToOverwriteAColumn() {
        assertThatThrownBy(() -> csv("week,week_Fri\nFri,1\n").oneHot("week"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("test.csv: one-hot encoding column 'week' makes a column 'week_Fri', but the table already"
                        + " has one");
    }

    @Test
    void numericLabelsAreNamedAsPythonPrintsThem() {
        assertThat(CsvTable.pythonRepr(1.5)).isEqualTo("1.5");
        assertThat(CsvTable.pythonRepr(2.0)).isEqualTo("2.0");
        assertThat(CsvTable.pythonRepr(-0.25)).isEqualTo("-0.25");
        assertThat(CsvTable.pythonRepr(1e16)).isEqualTo("1e+16");
        assertThat(CsvTable.pythonRepr(1e-5)).isEqualTo("1e-05");
        assertThat(CsvTable.pythonRepr(0.0001)).isEqualTo("0.0001");
        assertThat(CsvTable.pythonRepr(123456789012345.6)).isEqualTo("123456789012345.6");
        assertThat(CsvTable.pythonRepr(2.5e-7)).isEqualTo("2.5e-07");
        assertThat(CsvTable.pythonRepr(0.0)).isEqualTo("0.0");
        assertThat(csv("v\n2\n1.0\n").oneHot("v").columnNames()).containsExactly("v_1.0", "v_2.0");
    }

    // ---------------------------------------------------------------------------------------------
    // Parsing

    @Test
    void quotedFieldsMayHoldCommasQuotesAndLineBreaks() {
        CsvTable table = csv("name,score\n\"Smith, J.\",1\n\"say \"\"hi\"\"\",2\n\"two\nlines\",3\nlast,4");
        assertThat(table.strings("name").values()).containsExactly("Smith, J.", "say \"hi\"", "two\nlines", "last");
        assertThat(table.numeric("score").toArray()).containsExactly(1, 2, 3, 4);
        assertThat(table.lineOf(2)).isEqualTo(4);
        assertThat(table.lineOf(3)).isEqualTo(6);
    }

    @Test
    void emptyLinesAreSkippedAndLinesStillCounted() {
        CsvTable table = csv("\na,b\n1,2\n\n\r\n3,4\n\n");
        assertThat(table.rowCount()).isEqualTo(2);
        assertThat(table.lineOf(0)).isEqualTo(3);
        assertThat(table.lineOf(1)).isEqualTo(6);
        assertThat(table.numeric("b").toArray()).containsExactly(2, 4);
    }

    @Test
    void numbersAreParsedAsPandasDoes() {
        CsvTable table = csv("i,f,e,blank,inf,hex,word\n1,1.5,1e3, 7 ,inf,0x10,1\n-2,.5,-2.5E-1,8,-Infinity,1,one\n");
        assertThat(table.numeric("i").toArray()).containsExactly(1, -2);
        assertThat(table.numeric("f").toArray()).containsExactly(1.5, 0.5);
        assertThat(table.numeric("e").toArray()).containsExactly(1000, -0.25);
        assertThat(table.numeric("blank").toArray()).containsExactly(7, 8);
        assertThat(table.numeric("inf").toArray()).containsExactly(Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY);
        // Java-only number syntax is text, as for pandas
        assertThat(table.stringColumns()).containsExactly("hex", "word");
        assertThat(table.numeric("e").isIntegral()).isFalse();
    }

    @Test
    void missingValuesAreNaNInNumericColumnsAndNullInStringColumns() {
        CsvTable table = csv("x,s,empty\n1,NA,\n,b,\nNaN,,\n4,null,\n");
        assertThat(table.numeric("x").toArray()).containsExactly(1, Double.NaN, Double.NaN, 4);
        assertThat(table.numeric("x").isIntegral()).isFalse();
        assertThat(table.strings("s").values()).containsExactly(null, "b", null, null);
        assertThat(table.strings("s").categories()).containsExactly("b");
        assertThat(table.numeric("empty").toArray()).containsOnly(Double.NaN);
    }

    @Test
    void headerNamesAreMadeUniqueAsPandasDoes() {
        // pd.read_csv(io.StringIO("a,,a,a.1,a\n1,2,3,4,5\n")).columns
        assertThat(csv("a,,a,a.1,a\n1,2,3,4,5\n").columnNames()).containsExactly("a", "Unnamed: 1", "a.2", "a.1", "a.3");
    }

    @Test
    void aByteOrderMarkIsSkipped(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("bom.csv");
        Files.writeString(file, "\uFEFFa,b\n1,2\n", StandardCharsets.UTF_8);
        assertThat(CsvTable.read(file).columnNames()).containsExactly("a", "b");
    }

    // ---------------------------------------------------------------------------------------------
    // Errors

    @Test
    void aRowWithTooFewFieldsNamesFileLineAndColumn(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("ragged.csv");
        Files.writeString(file, "year,week,actual\n2016,Fri,45\n2016,Sat\n");
        assertThatThrownBy(() -> CsvTable.read(file))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage(file + ", line 3: expected 3 fields as in the header, but found 2; column 3 ('actual') and"
                        + " after are missing");
    }

    @Test
    void aRowWithTooManyFieldsNamesFileLineAndColumn() {
        assertThatThrownBy(() -> csv("a,b\n1,2\n\n3,4,5\n"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("test.csv, line 4: expected 2 fields as in the header, but found 3; column 3 ('5') is beyond"
                        + " the header");
    }

    @Test
    void anUnclosedQuoteNamesTheLineWhereTheRecordStarts() {
        assertThatThrownBy(() -> csv("a,b\n1,2\n3,\"open\n4,5\n"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("test.csv, line 3: cannot parse the record starting here");
    }

    @Test
    void emptyTextHasNoHeader() {
        assertThatThrownBy(() -> csv("\n\n")).hasMessage("test.csv: no header line; the CSV text is empty");
    }

    @Test
    void aMissingFileIsAnUncheckedIOException(@TempDir Path dir) {
        assertThatThrownBy(() -> CsvTable.read(dir.resolve("nope.csv")))
                .isInstanceOf(UncheckedIOException.class).hasMessageContaining("nope.csv");
    }

    @Test
    void unknownAndStringColumnsAreExplained() {
        CsvTable table = CsvTable.read(temps());
        assertThatThrownBy(() -> table.column("wek"))
                .hasMessageEndingWith("no column 'wek'; the columns are [year, month, day, week, temp_2, temp_1, average,"
                        + " actual]");
        assertThatThrownBy(() -> table.drop("wek")).hasMessageContaining("no column 'wek'");
        assertThatThrownBy(table::toTensor)
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageEndingWith("toTensor: column 'week' holds strings (for example 'Fri' on line 2), not numbers;"
                        + " one-hot encode it with oneHot(\"week\") or drop it");
        assertThatThrownBy(() -> table.numeric("week")).hasMessageContaining("column 'week' holds strings");
        assertThatThrownBy(() -> table.strings("year")).hasMessageContaining("column 'year' is numeric");
    }

    @Test
    void dropAndSelectMakeNewTables() {
        CsvTable table = CsvTable.read(temps());
        CsvTable dropped = table.drop("week", "actual");
        assertThat(dropped.columnNames()).containsExactly("year", "month", "day", "temp_2", "temp_1", "average");
        assertThat(table.columnCount()).isEqualTo(8);
        CsvTable selected = table.select("actual", "temp_1");
        assertThat(selected.columnNames()).containsExactly("actual", "temp_1");
        assertThat(selected.toTensor().get(0).toFloatArray()).containsExactly(45, 42);
        assertThat(selected.hasColumn("week")).isFalse();
        assertThat(selected.numeric("actual").get(0)).isEqualTo(45.0);
    }

    private static java.util.Comparator<Double> close(double tolerance) {
        return (a, b) -> Math.abs(a - b) <= tolerance ? 0 : Double.compare(a, b);
    }
}
