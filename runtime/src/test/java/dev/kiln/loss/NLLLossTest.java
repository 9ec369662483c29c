package dev.kiln.loss;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.kiln.DType;
import dev.kiln.Shape;
import dev.kiln.Tensor;
import org.junit.jupiter.api.Test;

/**
 * NLLLoss against PyTorch's formula l_n = -w[y_n] x_n[y_n] (0 for ignored samples), with the mean
 * dividing by sum_n w[y_n] over the samples not ignored.
 */
class NLLLossTest {
    private static final double[][] X = {
        {-0.5, -1.0, -2.0},
        {-1.5, -0.25, -3.0},
        {-0.1, -2.5, -0.7},
        {-1.2, -0.9, -0.3}};
    private static final long[] Y = {0, 1, 2, 1};
    private static final double[] W = {1.0, 2.0, 0.5};

    private static Tensor x() {
        return Tensor.of(X);
    }

    private static Tensor y() {
        return Tensor.of(Y);
    }

    @Test
    void unweighted() {
        // picked entries -0.5, -0.25, -0.7, -0.9: losses 0.5, 0.25, 0.7, 0.9; sum 2.35, mean 0.5875
        assertThat(new NLLLoss().invoke(x(), y()).item()).isCloseTo(0.5875, within(1e-15));
        assertThat(new NLLLoss(Reduction.SUM).invoke(x(), y()).item()).isCloseTo(2.35, within(1e-15));
        Tensor none = Losses.nll(x(), y(), Reduction.NONE);
        assertThat(none.shape()).isEqualTo(Shape.of(4));
        assertThat(none.toDoubleArray()).containsExactly(0.5, 0.25, 0.7, 0.9);
        Tensor f = Losses.nll(x().toFloat(), y());
        assertThat(f.dtype()).isEqualTo(DType.FLOAT32);
        assertThat(f.item()).isCloseTo(0.5875, within(1e-7));
    }

    @Test
    void weightedMeanDividesByTheTargetsWeights() {
        // sample weights w[y] = 1, 2, 0.5, 2: losses 0.5, 0.5, 0.35, 1.8; sum 3.15; total weight 5.5
        Tensor w = Tensor.of(W);
        assertThat(new NLLLoss(w).invoke(x(), y()).item()).isCloseTo(3.15 / 5.5, within(1e-15));
        assertThat(new NLLLoss(w, -100, Reduction.SUM).invoke(x(), y()).item()).isCloseTo(3.15, within(1e-15));
        assertThat(Losses.nll(x(), y(), w, -100, Reduction.NONE).toDoubleArray())
                .containsExactly(new double[] {0.5, 0.5, 0.35, 1.8}, within(1e-15));
        // A float32 weight with a float64 input.
        assertThat(Losses.nll(x(), y(), w.toFloat(), -100, Reduction.MEAN).item()).isCloseTo(3.15 / 5.5, within(1e-15));
    }

    @Test
    void ignoreIndexSkipsSamplesInTheSumAndTheDivisor() {
        // Ignoring class 1 drops samples 1 and 3: losses 0.5, 0.7 over 2 samples.
        assertThat(new NLLLoss(null, 1, Reduction.MEAN).invoke(x(), y()).item()).isCloseTo(0.6, within(1e-15));
        assertThat(Losses.nll(x(), y(), null, 1, Reduction.NONE).toDoubleArray()).containsExactly(0.5, 0, 0.7, 0);
        // With weights: 0.5 + 0.35 over 1 + 0.5.
        assertThat(Losses.nll(x(), y(), Tensor.of(W), 1, Reduction.MEAN).item()).isCloseTo(0.85 / 1.5, within(1e-15));
        // The default ignore index, -100, may appear among the targets.
        Tensor withIgnored = Tensor.of(0L, -100L, 2L, 1L);
        assertThat(new NLLLoss().invoke(x(), withIgnored).item()).isCloseTo(2.1 / 3, within(1e-15));
        assertThat(new NLLLoss().ignoreIndex()).isEqualTo(-100);
    }

    @Test
    void everySampleIgnoredGivesNaNForTheMeanAndZeroForTheSum() {
        Tensor all = Tensor.of(-100L, -100L, -100L, -100L);
        assertThat(Losses.nll(x(), all).item()).isNaN();
        assertThat(Losses.nll(x(), all, Reduction.SUM).item()).isZero();
    }

    @Test
    void unbatchedInput() {
        Tensor l = Losses.nll(Tensor.of(-0.5, -1.0, -2.0), Tensor.scalar(2L), Reduction.NONE);
        assertThat(l.dim()).isZero();
        assertThat(l.item()).isEqualTo(2.0);
        assertThat(Losses.nll(Tensor.of(-0.5, -1.0, -2.0), Tensor.scalar(1L)).item()).isEqualTo(1.0);
        // weighted unbatched mean: w[y] x / w[y] = -x
        assertThat(Losses.nll(Tensor.of(-0.5, -1.0, -2.0), Tensor.scalar(1L), Tensor.of(W), -100, Reduction.MEAN)
                .item()).isEqualTo(1.0);
    }

    @Test
    void spatialInput() {
        // (N=2, C=3, d=2): x[n][c][k], targets (2x2)
        double[][][] x3 = {
            {{-0.1, -0.2}, {-0.3, -0.4}, {-0.5, -0.6}},
            {{-0.7, -0.8}, {-0.9, -1.0}, {-1.1, -1.2}}};
        long[][] y2 = {{0, 2}, {1, -100}};
        Tensor none = Losses.nll(Tensor.of(x3), Tensor.of(y2), Reduction.NONE);
        assertThat(none.shape()).isEqualTo(Shape.of(2, 2));
        assertThat(none.toDoubleArray()).containsExactly(0.1, 0.6, 0.9, 0);
        assertThat(Losses.nll(Tensor.of(x3), Tensor.of(y2)).item()).isCloseTo((0.1 + 0.6 + 0.9) / 3, within(1e-15));
        Tensor leaf = Tensor.of(x3).requiresGrad(true);
        Tensor loss = Losses.nll(leaf, Tensor.of(y2), Tensor.of(W), -100, Reduction.MEAN);
        assertThat(loss.gradFn().name()).isEqualTo("NllLoss2DBackward0");
        // weights 1, 0.5, 2: total 3.5
        assertThat(loss.item()).isCloseTo((0.1 + 0.5 * 0.6 + 2 * 0.9) / 3.5, within(1e-15));
        loss.backward();
        double[] g = new double[12];
        g[0] = -1 / 3.5;            // [0][0][0]
        g[5] = -0.5 / 3.5;          // [0][2][1]
        g[6 + 2] = -2 / 3.5;        // [1][1][0]
        assertThat(leaf.grad().toDoubleArray()).containsExactly(g, within(1e-15));
    }

    @Test
    void gradientIsMinusTheWeightAtTheTargetOverTheTotalWeight() {
        Tensor leaf = x().requiresGrad(true);
        Tensor loss = new NLLLoss(Tensor.of(W), 2, Reduction.MEAN).invoke(leaf, y());
        assertThat(loss.gradFn().name()).isEqualTo("NllLossBackward0");
        loss.backward();
        // samples 0, 1, 3 count (sample 2 is class 2, ignored): total weight 1 + 2 + 2 = 5
        double[] g = new double[12];
        g[0] = -1 / 5.0;
        g[3 + 1] = -2 / 5.0;
        g[9 + 1] = -2 / 5.0;
        assertThat(leaf.grad().toDoubleArray()).containsExactly(g, within(1e-15));
    }

    @Test
    void finiteDifferences() {
        Tensor w = Tensor.of(W);
        for (Reduction r : Reduction.values()) {
            FiniteDifferences.check("nll " + r, xs -> Losses.nll(xs[0], y(), r), x());
            FiniteDifferences.check("nll weighted ignore " + r, xs -> Losses.nll(xs[0], y(), w, 1, r), x());
            FiniteDifferences.check("nll unbatched " + r, xs -> Losses.nll(xs[0], Tensor.scalar(2L), w, -100, r),
                    Tensor.of(-0.5, -1.0, -2.0));
        }
    }

    @Test
    void printsAsPyTorch() {
        assertThat(new NLLLoss(Tensor.of(W))).hasToString("NLLLoss()");
        assertThat(new NLLLoss(Tensor.of(W)).weight()).isNotNull();
    }
}
