package dev.kiln.examples.train;

import java.util.List;
import java.util.Locale;

import dev.kiln.Generator;
import dev.kiln.Tensor;
import dev.kiln.data.Dataset;
import dev.kiln.data.Subset;
import dev.kiln.data.TensorDataset;

/**
 * The rows of the training and test splits, drawn at random from a seed. As scikit-learn's
 * {@code train_test_split}, the test split has {@code ceil(testFraction * rows)} rows and the training
 * split the rest.
 *
 * @param train the training rows (0-based, in drawn order)
 * @param test  the test rows
 */
record Split(int[] train, int[] test) {

    /**
     * Splits {@code rows} rows.
     *
     * @throws BadInputException when either split would be empty
     */
    static Split of(String source, int rows, double testFraction, long seed) {
        if (rows == 0) {
            throw new BadInputException(source + " has no data rows: the training and test splits would be empty");
        }
        int test = (int) Math.ceil(testFraction * rows);
        int train = rows - test;
        if (train == 0) {
            throw new BadInputException(String.format(Locale.ROOT,
                    "the training split is empty: --test-split %s of the %d rows of %s leaves none to train on;"
                            + " a smaller --test-split or more rows are needed", testFraction, rows, source));
        }
        List<Subset<Tensor[]>> parts = Dataset.randomSplit(new TensorDataset(Tensor.arange(rows)),
                new int[] {train, test}, new Generator(seed));
        return new Split(parts.get(0).indices(), parts.get(1).indices());
    }

    /** The rows of {@code t} (rows first) in the training split. */
    Tensor train(Tensor t) {
        return t.indexSelect(0, index(train));
    }

    /** The rows of {@code t} (rows first) in the test split. */
    Tensor test(Tensor t) {
        return t.indexSelect(0, index(test));
    }

    private static Tensor index(int[] rows) {
        long[] index = new long[rows.length];
        for (int i = 0; i < rows.length; i++) {
            index[i] = rows[i];
        }
        return Tensor.of(index);
    }
}
