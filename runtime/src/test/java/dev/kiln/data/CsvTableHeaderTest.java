package dev.kiln.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.data.CsvTable.Header;
import java.io.IOException;
import java.io.OutputStream;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** CSV text with and without a header line, the detection rule between them, and gzipped files. */
class CsvTableHeaderTest {

    static CsvTable csv(String text, Header header) {
        return CsvTable.read(new StringReader(text), "test.csv", header);
    }

    @Test
    void withoutAHeaderEveryLineIsDataAndColumnsAreNumberedAsPandasDoes() {
        CsvTable table = csv("1.5,red,3\n2.5,blue,4\n", Header.NONE);
        assertThat(table.columnNames()).containsExactly("0", "1", "2");
        assertThat(table.rowCount()).isEqualTo(2);
        assertThat(table.numeric("0").toArray()).containsExactly(1.5, 2.5);
        assertThat(table.strings("1").values()).containsExactly("red", "blue");
        assertThat(table.lineOf(0)).isEqualTo(1);
        assertThat(table.oneHot("1").columnNames()).containsExactly("0", "2", "1_blue", "1_red");
    }

    @Test
    void aFirstLineOfNamesAboveNumbersIsDetectedAsTheHeader() {
        CsvTable table = csv("size,color,price\n1,red,12.5\n2,blue,\n", Header.DETECT);
        assertThat(table.columnNames()).containsExactly("size", "color", "price");
        assertThat(table.rowCount()).isEqualTo(2);
        assertThat(table.lineOf(0)).isEqualTo(2);
    }

    @Test
    void aFirstLineOfDataIsNotTakenForAHeader() {
        CsvTable table = csv("1.5,red,3\n2.5,blue,4\n3.5,red,5\n", Header.DETECT);
        assertThat(table.columnNames()).containsExactly("0", "1", "2");
        assertThat(table.rowCount()).isEqualTo(3);
        // A word on the first line of a column of words says nothing either way.
        assertThat(csv("x,1\ny,2\n", Header.DETECT).columnNames()).containsExactly("0", "1");
    }

    @Test
    void inATableOfWordsAFirstLineOfWordsNotRepeatedBelowIsTheHeader() {
        assertThat(csv("color,size\nred,big\nblue,small\n", Header.DETECT).columnNames())
                .containsExactly("color", "size");
        assertThat(csv("red,big\nblue,small\nred,small\n", Header.DETECT).columnNames())
                .containsExactly("0", "1");
    }

    @Test
    void theFirstLineIsTheHeaderByDefault() {
        assertThat(CsvTable.read(new StringReader("1,2\n3,4\n"), "test.csv").columnNames()).containsExactly("1", "2");
    }

    @Test
    void withoutAHeaderRaggedLinesAreMeasuredAgainstTheFirstLine() {
        assertThatThrownBy(() -> csv("\n1,2,3\n4,5\n", Header.NONE))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("test.csv, line 3: expected 3 fields as on the first line (line 2), but found 2;"
                        + " column 3 ('2') and after are missing");
        assertThatThrownBy(() -> csv("1,2\n4,5,6\n", Header.DETECT))
                .hasMessage("test.csv, line 2: expected 2 fields as on the first line (line 1), but found 3;"
                        + " column 3 ('6') is beyond the first line");
        assertThatThrownBy(() -> csv("\n", Header.DETECT)).hasMessage("test.csv: no lines; the CSV text is empty");
    }

    @Test
    void aGzippedFileIsReadThroughGzip(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("data.csv.gz");
        try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(file))) {
            out.write("0.5,a\n1.5,b\n".getBytes(StandardCharsets.UTF_8));
        }
        CsvTable table = CsvTable.read(file, Header.DETECT);
        assertThat(table.columnNames()).containsExactly("0", "1");
        assertThat(table.numeric("0").toArray()).containsExactly(0.5, 1.5);
        assertThat(table.source()).isEqualTo(file.toString());
    }

    @Test
    void aFileNamedGzThatIsNotGzipSaysSo(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("plain.csv.gz");
        Files.writeString(file, "a,b\n1,2\n");
        assertThatThrownBy(() -> CsvTable.read(file))
                .isInstanceOf(UncheckedIOException.class)
                .hasMessageStartingWith("CsvTable.read: cannot read " + file + ": Not in GZIP format");
    }
}
