package dev.kiln.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

import dev.kiln.data.CsvTable;

/** The shipped temperature table is what its documented generator makes, and looks like weather. */
class TemperatureDataTest {

    @Test
    void theShippedTableIsTheGeneratorsOutput() throws IOException {
        try (InputStream in = TemperatureData.class.getResourceAsStream(TemperatureData.RESOURCE)) {
            assertThat(in).as("resource %s", TemperatureData.RESOURCE).isNotNull();
            String shipped = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            assertThat(shipped).as("regenerate it as TemperatureData's javadoc says")
                    .isEqualTo(TemperatureData.csv(TemperatureData.SEED));
        }
    }

    @Test
    void columnsRowsAndTheirRelations() {
        CsvTable t = Temperature.readTable();
        assertThat(t.columnNames()).containsExactly("date", "year", "month", "day", "week",
                "temp_1", "temp_2", "average", "actual");
        assertThat(t.rowCount()).isEqualTo(365);
        assertThat(t.strings("date").get(0)).isEqualTo("2016-01-01");
        assertThat(t.strings("week").get(0)).isEqualTo("Friday");
        assertThat(t.strings("week").categories()).hasSize(7);
        double[] actual = t.numeric("actual").toArray();
        double[] temp1 = t.numeric("temp_1").toArray();
        double[] temp2 = t.numeric("temp_2").toArray();
        double[] average = t.numeric("average").toArray();
        for (int r = 2; r < actual.length; r++) {
            assertThat(temp1[r]).isEqualTo(actual[r - 1]);
            assertThat(temp2[r]).isEqualTo(actual[r - 2]);
        }
        // A seasonal cycle: January is colder than July, on average and in fact.
        assertThat(average[14]).isLessThan(8);
        assertThat(average[196]).isGreaterThan(24);
        assertThat(mean(actual, 0, 31)).isLessThan(mean(actual, 182, 213) - 10);
        // Persistence: the day-to-day anomalies are positively correlated.
        double[] anomaly = new double[actual.length];
        for (int r = 0; r < actual.length; r++) {
            anomaly[r] = actual[r] - average[r];
        }
        assertThat(lagOneCorrelation(anomaly)).isGreaterThan(0.4);
    }

    private static double mean(double[] a, int from, int to) {
        double s = 0;
        for (int i = from; i < to; i++) {
            s += a[i];
        }
        return s / (to - from);
    }

    private static double lagOneCorrelation(double[] a) {
        double m = mean(a, 0, a.length), num = 0, den = 0;
        for (int i = 0; i < a.length; i++) {
            den += (a[i] - m) * (a[i] - m);
            if (i > 0) {
                num += (a[i] - m) * (a[i - 1] - m);
            }
        }
        return num / den;
    }
}
