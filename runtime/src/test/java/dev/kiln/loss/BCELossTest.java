package dev.kiln.loss;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.kiln.DType;
import dev.kiln.Shape;
import dev.kiln.Tensor;
import org.junit.jupiter.api.Test;

/** BCELoss against PyTorch's formula l_i = -w_i (y_i log x_i + (1 - y_i) log(1 - x_i)), logs clamped at -100. */
class BCELossTest {
    private static final double[] X = {0.9, 0.2, 0.6, 0.5};
    private static final double[] Y = {1, 0, 1, 0.3};

    private static double[] expected(double[] w) {
        double[] l = new double[X.length];
        for (int i = 0; i < X.length; i++) {
            l[i] = -(Y[i] * Math.log(X[i]) + (1 - Y[i]) * Math.log(1 - X[i])) * (w == null ? 1 : w[i]);
        }
        return l;
    }

    @Test
    void meanSumAndNone() {
        double[] l = expected(null);
        // -log 0.9, -log 0.8, -log 0.6, -(0.3 log 0.5 + 0.7 log 0.5) = log 2
        assertThat(l[0]).isCloseTo(0.10536051565782628, within(1e-15));
        assertThat(l[3]).isCloseTo(Math.log(2), within(1e-15));
        Tensor x = Tensor.of(X), y = Tensor.of(Y);
        assertThat(new BCELoss().invoke(x, y).item()).isCloseTo(Reference.mean(l), within(1e-15));
        assertThat(new BCELoss(Reduction.SUM).invoke(x, y).item()).isCloseTo(Reference.sum(l), within(1e-15));
        assertThat(Losses.bce(x, y, Reduction.NONE).toDoubleArray()).containsExactly(l, within(1e-15));
        Tensor f = Losses.bce(x.toFloat(), y.toFloat());
        assertThat(f.dtype()).isEqualTo(DType.FLOAT32);
        assertThat(f.item()).isCloseTo(Reference.mean(l), within(1e-6));
    }

    @Test
    void weightRescalesEachElementAndBroadcasts() {
        double[] w = {2, 0.5, 1, 3};
        Tensor x = Tensor.of(X), y = Tensor.of(Y);
        assertThat(new BCELoss(Tensor.of(w)).invoke(x, y).item()).isCloseTo(Reference.mean(expected(w)), within(1e-15));
        assertThat(Losses.bce(x, y, Tensor.of(w), Reduction.SUM).item()).isCloseTo(Reference.sum(expected(w)), within(1e-14));
        // A (2) weight against a (2x2) input weights the columns.
        Tensor x2 = x.reshape(2, 2), y2 = y.reshape(2, 2);
        double[] wc = {2, 0.5, 2, 0.5};
        Tensor none = new BCELoss(Tensor.of(2.0, 0.5), Reduction.NONE).invoke(x2, y2);
        assertThat(none.shape()).isEqualTo(Shape.of(2, 2));
        assertThat(none.toDoubleArray()).containsExactly(expected(wc), within(1e-15));
    }

    @Test
    void logIsClampedAtMinus100() {
        // Confidently wrong at exactly 0 and 1: each log is -inf, clamped to -100; right ones give 0.
        Tensor x = Tensor.of(0.0, 1.0, 0.0, 1.0), y = Tensor.of(1.0, 0.0, 0.0, 1.0);
        assertThat(Losses.bce(x, y, Reduction.NONE).toDoubleArray()).containsExactly(new double[] {100, 100, 0, 0}, within(0.0));
        assertThat(Losses.bce(x, y).item()).isEqualTo(50.0);
        // Fractional targets at the edges: 0.25 * 100 from the clamped log 0.
        assertThat(Losses.bce(Tensor.of(0.0), Tensor.of(0.25)).item()).isCloseTo(25.0, within(1e-12));
        // The gradient stays finite: (x - y) / max(x (1 - x), 1e-12) over the count.
        Tensor leaf = x.clone().requiresGrad(true);
        Losses.bce(leaf, y).backward();
        assertThat(leaf.grad().toDoubleArray()).containsExactly(new double[] {-1e12 / 4, 1e12 / 4, 0, 0}, within(1.0));
    }

    @Test
    void gradientsAndGradFn() {
        Tensor x = Tensor.of(X).requiresGrad(true), y = Tensor.of(Y).requiresGrad(true);
        Tensor loss = new BCELoss().invoke(x, y);
        assertThat(loss.gradFn().name()).isEqualTo("BinaryCrossEntropyBackward0");
        loss.backward();
        double[] gx = new double[4], gy = new double[4];
        for (int i = 0; i < 4; i++) {
            gx[i] = (X[i] - Y[i]) / (X[i] * (1 - X[i])) / 4;
            gy[i] = (Math.log(1 - X[i]) - Math.log(X[i])) / 4;
        }
        assertThat(x.grad().toDoubleArray()).containsExactly(gx, within(1e-15));
        assertThat(y.grad().toDoubleArray()).containsExactly(gy, within(1e-15));
    }

    @Test
    void finiteDifferences() {
        Tensor x = Tensor.of(new double[][] {{0.9, 0.2}, {0.6, 0.35}, {0.05, 0.7}});
        Tensor y = Tensor.of(new double[][] {{1, 0}, {1, 0.3}, {0, 0.8}});
        Tensor w = Tensor.of(1.5, 0.25);
        for (Reduction r : Reduction.values()) {
            FiniteDifferences.check("bce " + r, xs -> Losses.bce(xs[0], xs[1], r), x, y);
            FiniteDifferences.check("bce weighted " + r, xs -> Losses.bce(xs[0], xs[1], w, r), x, y);
        }
    }

    @Test
    void printsAsPyTorch() {
        assertThat(new BCELoss(Tensor.of(1f, 2f))).hasToString("BCELoss()");
        assertThat(new BCELoss().weight()).isNull();
    }
}
