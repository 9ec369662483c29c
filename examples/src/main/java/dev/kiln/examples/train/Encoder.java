package dev.kiln.examples.train;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.TreeSet;

import dev.kiln.DType;
import dev.kiln.Tensor;
import dev.kiln.data.CsvTable;
import dev.kiln.data.CsvTable.NumericColumn;
import dev.kiln.data.CsvTable.StringColumn;
import dev.kiln.data.StandardScaler;

/**
 * Turns a table into the tensors an MLP trains on. Every string column becomes 0/1 indicator columns
 * ({@link CsvTable#oneHot}, the categories of all rows, so both splits have the same columns); every
 * numeric column is standardised with the mean and standard deviation of the training split only, so
 * nothing about the test rows leaks into training. A classification target becomes class indices
 * (the classes in sorted order); a regression target is standardised like a feature, and
 * {@link Encoded#targetScale} turns errors back into its units.
 */
final class Encoder {

    private Encoder() {
    }

    /**
     * The encoded splits.
     *
     * @param xTrain       float32 (training rows x features)
     * @param yTrain       int64 class indices (classification) or float32 (rows x 1) standardised values
     * @param xTest        as {@code xTrain}, for the test rows
     * @param yTest        as {@code yTrain}, for the test rows
     * @param features     the feature names, in column order: the numeric columns, then the indicators
     * @param standardised how many of the first features are standardised numeric columns
     * @param featureMean  the training split's mean of each standardised feature
     * @param featureScale the training split's standard deviation of each standardised feature (1 where constant)
     * @param classes      the class names, index order (empty for regression)
     * @param targetMean   the training split's mean of a regression target (0 for classification)
     * @param targetScale  the training split's standard deviation of a regression target (1 for classification)
     */
    record Encoded(Tensor xTrain, Tensor yTrain, Tensor xTest, Tensor yTest, List<String> features,
                   int standardised, double[] featureMean, double[] featureScale, List<String> classes,
                   double targetMean, double targetScale) {

        /** The number of outputs of the network: one per class, or one value. */
        int outputs() {
            return classes.isEmpty() ? 1 : classes.size();
        }
    }

    /**
     * Encodes {@code table}: {@code target} is what to predict, every other column a feature.
     *
     * @throws BadInputException when the target does not fit {@code task}, a value is missing, or no feature is left
     */
    static Encoded encode(CsvTable table, String target, Task task, Split split) {
        CsvTable features = table.drop(target);
        if (features.columnCount() == 0) {
            throw new BadInputException("no feature columns: " + table.source() + " has only the --target column '"
                    + target + "' left to learn from");
        }
        List<String> numeric = features.numericColumns();
        for (String name : numeric) {
            checkFinite(table, features.numeric(name), false);
        }
        CsvTable encoded = features.oneHot();
        List<String> indicators = new ArrayList<>(encoded.columnNames());
        indicators.removeAll(numeric);

        List<Tensor> trainParts = new ArrayList<>(), testParts = new ArrayList<>();
        double[] mean = {}, scale = {};
        if (!numeric.isEmpty()) {
            Tensor values = encoded.toTensor(DType.FLOAT64, numeric);
            var scaler = new StandardScaler().fit(split.train(values));
            trainParts.add(scaler.transform(split.train(values)));
            testParts.add(scaler.transform(split.test(values)));
            mean = scaler.mean().toDoubleArray();
            scale = scaler.scale().toDoubleArray();
        }
        if (!indicators.isEmpty()) {
            Tensor values = encoded.toTensor(DType.FLOAT64, indicators);
            trainParts.add(split.train(values));
            testParts.add(split.test(values));
        }
        List<String> names = new ArrayList<>(numeric);
        names.addAll(indicators);
        Tensor xTrain = Tensor.cat(trainParts, 1).toFloat(), xTest = Tensor.cat(testParts, 1).toFloat();

        CsvTable.Column column = table.column(target);
        if (task == Task.CLASSIFICATION) {
            var labels = new ClassLabels(table, column);
            return new Encoded(xTrain, split.train(labels.indices), xTest, split.test(labels.indices),
                    List.copyOf(names), numeric.size(), mean, scale, List.copyOf(labels.names), 0, 1);
        }
        if (!(column instanceof NumericColumn values)) {
            throw notNumeric(table, (StringColumn) column);
        }
        checkFinite(table, values, true);
        Tensor y = values.toTensor(DType.FLOAT64).reshape(-1, 1);
        var scaler = new StandardScaler().fit(split.train(y));
        return new Encoded(xTrain, scaler.transform(split.train(y)).toFloat(), xTest,
                scaler.transform(split.test(y)).toFloat(), List.copyOf(names), numeric.size(), mean, scale, List.of(),
                scaler.mean().item(), scaler.scale().item());
    }

    /** The class of each row, as indices into the sorted distinct values of the target column. */
    private static final class ClassLabels {
        final List<String> names = new ArrayList<>();
        final Tensor indices;

        ClassLabels(CsvTable table, CsvTable.Column column) {
            long[] index = new long[column.size()];
            switch (column) {
                case StringColumn strings -> {
                    names.addAll(strings.categories());
                    for (int r = 0; r < index.length; r++) {
                        if (strings.get(r) == null) {
                            throw missing(table, column.name(), r, true);
                        }
                        index[r] = names.indexOf(strings.get(r));
                    }
                }
                case NumericColumn numbers -> {
                    checkFinite(table, numbers, true);
                    List<Double> sorted = List.copyOf(new TreeSet<>(Arrays.stream(numbers.toArray()).boxed().toList()));
                    for (double v : sorted) {
                        names.add(v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : Double.toString(v));
                    }
                    for (int r = 0; r < index.length; r++) {
                        index[r] = sorted.indexOf(numbers.get(r));
                    }
                }
            }
            indices = Tensor.of(index);
        }
    }

    /** Every value of {@code column} is a finite number; {@code target} says whether it is the target, for the advice. */
    private static void checkFinite(CsvTable table, NumericColumn column, boolean target) {
        for (int r = 0; r < column.size(); r++) {
            double v = column.get(r);
            if (Double.isNaN(v)) {
                throw missing(table, column.name(), r, target);
            }
            if (Double.isInfinite(v)) {
                throw new BadInputException(table.source() + ", line " + table.lineOf(r) + ": column '" + column.name()
                        + "' holds " + v + "; kiln train needs finite numbers (" + remedy(column.name(), target) + ")");
            }
        }
    }

    private static BadInputException missing(CsvTable table, String column, int row, boolean target) {
        return new BadInputException(table.source() + ", line " + table.lineOf(row) + ": column '" + column
                + "' has no value; kiln train needs a value in every row (" + remedy(column, target) + ")");
    }

    private static String remedy(String column, boolean target) {
        return target ? "fix the row or remove it" : "fix the row, remove it, or --drop " + column;
    }

    private static BadInputException notNumeric(CsvTable table, StringColumn column) {
        for (int r = 0; r < column.size(); r++) {
            String v = column.get(r);
            if (v != null && !isNumber(v)) {
                return new BadInputException("--task regression needs a numeric target, but column '" + column.name()
                        + "' holds text ('" + v + "' on line " + table.lineOf(r) + " of " + table.source()
                        + "); use --task classification to predict it as a class");
            }
        }
        throw new IllegalStateException("column '" + column.name() + "' is a string column without text");
    }

    private static boolean isNumber(String v) {
        try {
            Double.parseDouble(v.strip());
            return true;
        } catch (NumberFormatException e) {
            return false;
        }
    }
}
