package dev.kiln.data;

import dev.kiln.DType;
import dev.kiln.Shape;
import dev.kiln.Tensor;
import java.util.Objects;

/**
 * Standardises features column by column, as scikit-learn's {@code StandardScaler}: {@link #fit}
 * learns each column's mean and population standard deviation (ddof = 0), and {@link #transform}
 * computes {@code (x - mean) / scale}.
 *
 * <pre>{@code
 * StandardScaler scaler = new StandardScaler();
 * Tensor xTrain = scaler.fitTransform(train);   // (n x features)
 * Tensor xTest = scaler.transform(test);        // the training set's mean and scale
 * }</pre>
 *
 * <p>As in scikit-learn: statistics are computed in float64 whatever the input type; NaNs are left out
 * of them and stay NaN when transformed; a column that is constant (its variance is within the rounding
 * error of the mean, scikit-learn's {@code _is_constant_feature}) gets scale 1, so it becomes 0 rather
 * than NaN. {@link #transform} returns a tensor of the input's type when that is floating point and
 * float64 otherwise, computed in float64 and rounded once; it is recorded for autograd like any other
 * operation.
 *
 * <p>A fitted scaler is immutable until the next {@code fit} and can be used from several threads.
 */
public final class StandardScaler {
    private static final double EPS = Math.ulp(1.0);

    private volatile Fitted fitted;

    private record Fitted(double[] mean, double[] variance, double[] scale) {}

    /** An unfitted scaler. */
    public StandardScaler() {}

    /**
     * Learns the per-column mean and population standard deviation of {@code x}, replacing what was
     * learnt before; returns this scaler.
     *
     * @param x a 2-d (samples x features) tensor with at least one row
     * @throws IllegalArgumentException when {@code x} is not 2-d, has no rows, or holds an infinity
     */
    public StandardScaler fit(Tensor x) {
        check2d(x, "fit");
        int rows = x.size(0), cols = x.size(1);
        if (rows == 0) {
            throw new IllegalArgumentException("StandardScaler.fit: x has shape " + describe(x)
                    + "; at least one sample is needed");
        }
        double[] values = x.toDoubleArray();
        double[] sum = new double[cols];
        long[] count = new long[cols];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                double v = values[r * cols + c];
                if (Double.isInfinite(v)) {
                    throw new IllegalArgumentException("StandardScaler.fit: x holds " + v + " at row " + r
                            + ", column " + c + "; the statistics need finite values (NaN is skipped)");
                }
                if (!Double.isNaN(v)) {
                    sum[c] += v;
                    count[c]++;
                }
            }
        }
        double[] mean = new double[cols];
        for (int c = 0; c < cols; c++) {
            mean[c] = sum[c] / count[c];
        }
        // scikit-learn's _incremental_mean_and_var: a second pass with a correction for the rounding of the mean.
        double[] squares = new double[cols];
        double[] correction = new double[cols];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                double v = values[r * cols + c];
                if (!Double.isNaN(v)) {
                    double d = v - mean[c];
                    correction[c] += d;
                    squares[c] += d * d;
                }
            }
        }
        double[] variance = new double[cols];
        double[] scale = new double[cols];
        for (int c = 0; c < cols; c++) {
            variance[c] = (squares[c] - correction[c] * correction[c] / count[c]) / count[c];
            double bound = count[c] * EPS * variance[c] + Math.pow(count[c] * mean[c] * EPS, 2);
            scale[c] = variance[c] <= bound ? 1.0 : Math.sqrt(variance[c]);
        }
        fitted = new Fitted(mean, variance, scale);
        return this;
    }

    /**
     * {@code (x - mean) / scale} with the statistics of the last {@link #fit}.
     *
     * @throws IllegalStateException before the first fit
     * @throws IllegalArgumentException when {@code x} is not 2-d or its number of columns differs from
     *     the fitted one
     */
    public Tensor transform(Tensor x) {
        Fitted f = checkFitted(x, "transform");
        return x.to(DType.FLOAT64).minus(Tensor.of(f.mean)).div(Tensor.of(f.scale)).to(outputType(x));
    }

    /** {@link #fit} then {@link #transform} on the same tensor, as {@code fit_transform}. */
    public Tensor fitTransform(Tensor x) {
        return fit(x).transform(x);
    }

    /**
     * Undoes {@link #transform}: {@code x * scale + mean}.
     *
     * @throws IllegalStateException before the first fit
     * @throws IllegalArgumentException when {@code x} is not 2-d or its number of columns differs from
     *     the fitted one
     */
    public Tensor inverseTransform(Tensor x) {
        Fitted f = checkFitted(x, "inverseTransform");
        return x.to(DType.FLOAT64).times(Tensor.of(f.scale)).plus(Tensor.of(f.mean)).to(outputType(x));
    }

    /** Whether {@link #fit} has been called. */
    public boolean isFitted() {
        return fitted != null;
    }

    /**
     * The number of columns seen by {@link #fit}, scikit-learn's {@code n_features_in_}.
     *
     * @throws IllegalStateException before the first fit
     */
    public int numFeatures() {
        return requireFitted("numFeatures").mean.length;
    }

    /**
     * The per-column mean, a 1-d float64 tensor (scikit-learn's {@code mean_}).
     *
     * @throws IllegalStateException before the first fit
     */
    public Tensor mean() {
        return Tensor.of(requireFitted("mean").mean);
    }

    /**
     * The per-column population variance, a 1-d float64 tensor (scikit-learn's {@code var_}).
     *
     * @throws IllegalStateException before the first fit
     */
    public Tensor variance() {
        return Tensor.of(requireFitted("variance").variance);
    }

    /**
     * The per-column divisor: the population standard deviation, or 1 for a constant column; a 1-d
     * float64 tensor (scikit-learn's {@code scale_}).
     *
     * @throws IllegalStateException before the first fit
     */
    public Tensor scale() {
        return Tensor.of(requireFitted("scale").scale);
    }

    private Fitted requireFitted(String method) {
        Fitted f = fitted;
        if (f == null) {
            throw new IllegalStateException("StandardScaler." + method
                    + ": this scaler is not fitted yet; call fit(x) or fitTransform(x) first");
        }
        return f;
    }

    private Fitted checkFitted(Tensor x, String method) {
        Fitted f = requireFitted(method);
        check2d(x, method);
        if (x.size(1) != f.mean.length) {
            throw new IllegalArgumentException("StandardScaler." + method + ": x has " + x.size(1)
                    + " features (shape " + describe(x) + "), but this scaler was fitted on " + f.mean.length);
        }
        return f;
    }

    private static void check2d(Tensor x, String method) {
        Objects.requireNonNull(x, "x");
        if (x.dim() != 2) {
            throw new IllegalArgumentException("StandardScaler." + method
                    + ": expected a 2-d (samples x features) tensor, but x has shape " + describe(x)
                    + (x.dim() == 1 ? "; for a single feature use x.unsqueeze(1)" : ""));
        }
    }

    private static DType outputType(Tensor x) {
        return x.dtype().isFloatingPoint() ? x.dtype() : DType.FLOAT64;
    }

    private static String describe(Tensor x) {
        return Shape.describe(x.shape().toArray());
    }

    @Override
    public String toString() {
        Fitted f = fitted;
        return f == null ? "StandardScaler(not fitted)" : "StandardScaler(" + f.mean.length + " features)";
    }
}
