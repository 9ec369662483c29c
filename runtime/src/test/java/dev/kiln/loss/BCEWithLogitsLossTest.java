package dev.kiln.loss;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.kiln.DType;
import dev.kiln.Shape;
import dev.kiln.Tensor;
import org.junit.jupiter.api.Test;

/**
 * BCEWithLogitsLoss against PyTorch's formula
 * l_i = -w_i (p_i y_i log sigmoid(x_i) + (1 - y_i) log(1 - sigmoid(x_i))).
 */
class BCEWithLogitsLossTest {
    private static final double[][] X = {{2, -1}, {0, 3}};
    private static final double[][] Y = {{1, 0}, {1, 0.5}};

    /** The documented formula, directly (fine for moderate logits). */
    private static double[] expected(double[] posWeightPerColumn, double[] weightPerColumn) {
        double[] l = new double[4];
        for (int i = 0; i < 2; i++) {
            for (int j = 0; j < 2; j++) {
                double s = Reference.sigmoid(X[i][j]);
                double p = posWeightPerColumn == null ? 1 : posWeightPerColumn[j];
                double w = weightPerColumn == null ? 1 : weightPerColumn[j];
                l[i * 2 + j] = -w * (p * Y[i][j] * Math.log(s) + (1 - Y[i][j]) * Math.log(1 - s));
            }
        }
        return l;
    }

    @Test
    void meanSumAndNone() {
        double[] l = expected(null, null);
        // x = 0, y = 1: -log(1/2)
        assertThat(l[2]).isCloseTo(Math.log(2), within(1e-14));
        Tensor x = Tensor.of(X), y = Tensor.of(Y);
        assertThat(new BCEWithLogitsLoss().invoke(x, y).item()).isCloseTo(Reference.mean(l), within(1e-14));
        assertThat(new BCEWithLogitsLoss(Reduction.SUM).invoke(x, y).item()).isCloseTo(Reference.sum(l), within(1e-14));
        Tensor none = Losses.bceWithLogits(x, y, Reduction.NONE);
        assertThat(none.shape()).isEqualTo(Shape.of(2, 2));
        assertThat(none.toDoubleArray()).containsExactly(l, within(1e-14));
        Tensor f = Losses.bceWithLogits(x.toFloat(), y.toFloat());
        assertThat(f.dtype()).isEqualTo(DType.FLOAT32);
        assertThat(f.item()).isCloseTo(Reference.mean(l), within(1e-6));
    }

    @Test
    void posWeightPerClassAndWeight() {
        Tensor x = Tensor.of(X), y = Tensor.of(Y);
        double[] p = {3, 0.5}, w = {2, 0.25};
        BCEWithLogitsLoss loss = BCEWithLogitsLoss.builder().posWeight(Tensor.of(p)).build();
        assertThat(loss.invoke(x, y).item()).isCloseTo(Reference.mean(expected(p, null)), within(1e-14));
        BCEWithLogitsLoss both = new BCEWithLogitsLoss(Tensor.of(w), Tensor.of(p), Reduction.NONE);
        assertThat(both.invoke(x, y).toDoubleArray()).containsExactly(expected(p, w), within(1e-14));
        assertThat(Losses.bceWithLogits(x, y, Tensor.of(w), null, Reduction.SUM).item())
                .isCloseTo(Reference.sum(expected(null, w)), within(1e-14));
        assertThat(both.posWeight()).isNotNull();
        assertThat(both.weight()).isNotNull();
    }

    @Test
    void largeLogitsStayFinite() {
        // Right with huge confidence costs 0, wrong costs |x|; the naive formula gives log(0) or exp overflow.
        Tensor x = Tensor.of(1000.0, -1000.0, 1000.0, -1000.0), y = Tensor.of(1.0, 0.0, 0.0, 1.0);
        assertThat(Losses.bceWithLogits(x, y, Reduction.NONE).toDoubleArray()).containsExactly(0, 0, 1000, 1000);
        Tensor xf = x.toFloat().requiresGrad(true);
        Tensor loss = Losses.bceWithLogits(xf, y.toFloat());
        assertThat(loss.item()).isEqualTo(500.0);
        loss.backward();
        // (sigmoid(x) - y) / 4
        assertThat(xf.grad().toDoubleArray()).containsExactly(0, 0, 0.25, -0.25);
        Tensor pw = Tensor.of(2.0);
        assertThat(Losses.bceWithLogits(x, y, null, pw, Reduction.NONE).toDoubleArray())
                .containsExactly(0, 0, 1000, 2000);
    }

    @Test
    void agreesWithBceOfSigmoid() {
        Tensor x = Tensor.of(new double[] {-3, -0.5, 0.25, 4}), y = Tensor.of(0.0, 1.0, 0.6, 1.0);
        assertThat(Losses.bceWithLogits(x, y).item()).isCloseTo(Losses.bce(x.sigmoid(), y).item(), within(1e-14));
    }

    @Test
    void gradientsAndGradFn() {
        Tensor x = Tensor.of(X).requiresGrad(true), y = Tensor.of(Y).requiresGrad(true);
        double[] p = {3, 0.5};
        Tensor loss = Losses.bceWithLogits(x, y, null, Tensor.of(p), Reduction.SUM);
        assertThat(loss.gradFn().name()).isEqualTo("BinaryCrossEntropyWithLogitsBackward0");
        loss.backward();
        double[] gx = new double[4], gy = new double[4];
        for (int i = 0; i < 2; i++) {
            for (int j = 0; j < 2; j++) {
                double xv = X[i][j], yv = Y[i][j], s = Reference.sigmoid(xv);
                // d/dx of -(p y log s + (1 - y) log(1 - s)) = -(p y (1 - s) - (1 - y) s)
                gx[i * 2 + j] = -(p[j] * yv * (1 - s) - (1 - yv) * s);
                // d/dy = -(p log s - log(1 - s))
                gy[i * 2 + j] = -(p[j] * Math.log(s) - Math.log(1 - s));
            }
        }
        assertThat(x.grad().toDoubleArray()).containsExactly(gx, within(1e-14));
        assertThat(y.grad().toDoubleArray()).containsExactly(gy, within(1e-14));
    }

    @Test
    void finiteDifferences() {
        Tensor x = Tensor.of(new double[][] {{2, -1, 0.3}, {0.01, 3, -2.5}});
        Tensor y = Tensor.of(new double[][] {{1, 0, 0.4}, {1, 0.5, 0}});
        Tensor w = Tensor.of(new double[][] {{0.5}, {2}});
        Tensor p = Tensor.of(3.0, 0.5, 1.5);
        for (Reduction r : Reduction.values()) {
            FiniteDifferences.check("bceWithLogits " + r, xs -> Losses.bceWithLogits(xs[0], xs[1], r), x, y);
            FiniteDifferences.check("bceWithLogits weighted " + r,
                    xs -> Losses.bceWithLogits(xs[0], xs[1], w, p, r), x, y);
        }
        // Exactly at 0, where |x| and max(-x, 0) have kinks that the formula's derivative does not.
        FiniteDifferences.check("bceWithLogits at 0", xs -> Losses.bceWithLogits(xs[0], xs[1], null, p, Reduction.SUM),
                Tensor.zeros(DType.FLOAT64, 3), Tensor.of(1.0, 0.0, 0.5));
    }

    @Test
    void printsAsPyTorch() {
        assertThat(new BCEWithLogitsLoss()).hasToString("BCEWithLogitsLoss()");
        assertThat(BCEWithLogitsLoss.builder().reduction(Reduction.NONE).build().reduction()).isEqualTo(Reduction.NONE);
    }
}
