package dev.kiln.examples.train;

import java.util.HashSet;
import java.util.Locale;
import java.util.Set;

import dev.kiln.data.CsvTable;
import dev.kiln.data.CsvTable.NumericColumn;
import dev.kiln.data.CsvTable.StringColumn;
import dev.kiln.loss.CrossEntropyLoss;
import dev.kiln.loss.Loss;
import dev.kiln.loss.MSELoss;

/** What {@code kiln train} learns: a class per row (accuracy) or a number per row (RMSE). */
enum Task {
    CLASSIFICATION("accuracy"),
    REGRESSION("rmse");

    /** The most distinct whole numbers a target may hold to be guessed a class label rather than a quantity. */
    static final int MAX_GUESSED_CLASSES = 20;

    private final String metric;

    Task(String metric) {
        this.metric = metric;
    }

    /** The metric printed per epoch and, as {@code test_<metric>}, last: {@code accuracy} or {@code rmse}. */
    String metric() {
        return metric;
    }

    /** Cross-entropy over class scores, or mean squared error. */
    Loss criterion() {
        return this == CLASSIFICATION ? new CrossEntropyLoss() : new MSELoss();
    }

    /** What the training loss is, for the plot's title. */
    String lossDescription() {
        return this == CLASSIFICATION ? "cross-entropy" : "mean squared error of the standardised target";
    }

    /** The task's name on the command line. */
    String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** A guessed task and why, for the user to read. */
    record Guess(Task task, String reason) {
    }

    /**
     * The task a target column suggests: classification when it holds text, or at most
     * {@value #MAX_GUESSED_CLASSES} distinct whole numbers (labels such as 0/1); regression otherwise.
     */
    static Guess guess(CsvTable.Column target) {
        return switch (target) {
            case StringColumn s -> new Guess(CLASSIFICATION, "the column holds text");
            case NumericColumn n -> {
                Set<Double> distinct = new HashSet<>();
                for (int r = 0; r < n.size(); r++) {
                    distinct.add(n.get(r));
                }
                yield n.isIntegral() && distinct.size() <= MAX_GUESSED_CLASSES
                        ? new Guess(CLASSIFICATION, "the column holds " + distinct.size() + " distinct whole numbers")
                        : new Guess(REGRESSION, n.isIntegral()
                                ? "the column holds " + distinct.size() + " distinct whole numbers, more than "
                                        + MAX_GUESSED_CLASSES + " classes"
                                : "the column holds numbers that are not all whole");
            }
        };
    }
}
