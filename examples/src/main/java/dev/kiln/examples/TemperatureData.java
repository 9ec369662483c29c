package dev.kiln.examples;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.format.TextStyle;
import java.util.Locale;
import java.util.Random;

/**
 * Generates {@code temperature-2016.csv}, the synthetic daily table that the {@code temperature}
 * example reads (shipped as the resource {@value #RESOURCE}).
 *
 * <p>One row a day for the first 365 days of 2016 (2016 is a leap year, so the table ends on
 * 30 December), with the tutorial's columns:
 * <ul>
 *   <li>{@code date} ({@code 2016-01-01}), {@code year}, {@code month}, {@code day} and {@code week}
 *       (the day of the week, {@code Monday} .. {@code Sunday});</li>
 *   <li>{@code average}: the long-term mean daily maximum for that date, a seasonal cycle in degrees
 *       Celsius, {@code 15.5 - 10.5 cos(2 pi (d - 20) / 365.25)} for day of year d (coldest around
 *       20 January at 5 C, warmest around 21 July at 26 C), rounded to 0.1;</li>
 *   <li>{@code actual}: the day's maximum, {@code average + a(d)} rounded to a whole degree, where the
 *       anomaly {@code a} is an AR(1) process, {@code a(d) = 0.7 a(d-1) + e(d)} with {@code e} normal
 *       with standard deviation 2.5 (so warm and cold spells last a few days; the anomaly's own
 *       standard deviation is about 3.5 C);</li>
 *   <li>{@code temp_1} and {@code temp_2}: the actual maxima of the previous day and of the day before
 *       (the process starts on 29 December 2015, so 1 January has both).</li>
 * </ul>
 *
 * <p>The numbers come from {@link java.util.Random} seeded with {@value #SEED}, not from Kiln's
 * generator, so the file does not change when the example's {@code --seed} does. To regenerate it
 * (a test checks that the shipped file equals {@link #csv(long) csv(SEED)}):
 *
 * <pre>{@code
 * ./kiln list > /dev/null     # compiles examples/target/classes when they are missing or stale
 * /usr/lib/jvm/temurin-25-jdk-amd64/bin/java -cp examples/target/classes dev.kiln.examples.TemperatureData \
 *     examples/src/main/resources/dev/kiln/examples/temperature-2016.csv
 * }</pre>
 *
 * <p>Any JDK 25 {@code java} runs it; the {@code java} first on the PATH may be older and refuse the classes.
 */
public final class TemperatureData {

    /** Where the table lives on the class path. */
    static final String RESOURCE = "/dev/kiln/examples/temperature-2016.csv";
    /** The seed of the shipped table. */
    static final long SEED = 2016;
    static final int ROWS = 365;

    static final String HEADER = "date,year,month,day,week,temp_1,temp_2,average,actual";

    private TemperatureData() {
    }

    /** The long-term mean daily maximum for day of year {@code dayOfYear} (1-based), in degrees Celsius. */
    static double seasonalMean(int dayOfYear) {
        return 15.5 - 10.5 * Math.cos(2 * Math.PI * (dayOfYear - 20) / 365.25);
    }

    /** The whole CSV text (header and 365 rows, '\n' line ends) generated from {@code seed}. */
    static String csv(long seed) {
        var random = new Random(seed);
        var sb = new StringBuilder(HEADER).append('\n');
        LocalDate first = LocalDate.of(2016, 1, 1);
        double anomaly = 0;
        long beforeYesterday = 0, yesterday = 0;
        // Two days of warm-up (29 and 30 December 2015 feed temp_2 and temp_1 of 1 January), then the rows.
        for (int k = -2; k < ROWS; k++) {
            LocalDate date = first.plusDays(k);
            anomaly = 0.7 * anomaly + 2.5 * random.nextGaussian();
            double average = Math.round(seasonalMean(date.getDayOfYear()) * 10) / 10.0;
            long actual = Math.round(seasonalMean(date.getDayOfYear()) + anomaly);
            if (k >= 0) {
                sb.append(date).append(',')
                        .append(date.getYear()).append(',')
                        .append(date.getMonthValue()).append(',')
                        .append(date.getDayOfMonth()).append(',')
                        .append(date.getDayOfWeek().getDisplayName(TextStyle.FULL, Locale.ENGLISH)).append(',')
                        .append(yesterday).append(',')
                        .append(beforeYesterday).append(',')
                        .append(String.format(Locale.ROOT, "%.1f", average)).append(',')
                        .append(actual).append('\n');
            }
            beforeYesterday = yesterday;
            yesterday = actual;
        }
        return sb.toString();
    }

    /** Writes {@code csv(SEED)} to the file named by the one argument. */
    public static void main(String[] args) throws IOException {
        if (args.length != 1) {
            System.err.println("usage: TemperatureData OUTPUT.csv");
            System.exit(2);
        }
        Path out = Path.of(args[0]);
        if (out.getParent() != null) {
            Files.createDirectories(out.getParent());
        }
        Files.writeString(out, csv(SEED), StandardCharsets.UTF_8);
        System.out.println("wrote " + ROWS + " rows to " + out);
    }
}
