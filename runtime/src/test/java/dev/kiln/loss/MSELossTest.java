package dev.kiln.loss;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.kiln.DType;
import dev.kiln.Shape;
import dev.kiln.Tensor;
import org.junit.jupiter.api.Test;

/** MSELoss against PyTorch's formula l_i = (x_i - y_i)^2. */
class MSELossTest {
    // x - y = [-0.5, 0, 1, -2]; squares [0.25, 0, 1, 4]: sum 5.25, mean 1.3125.
    private static Tensor x() {
        return Tensor.of(new float[][] {{1, 2}, {3, 4}});
    }

    private static Tensor y() {
        return Tensor.of(new float[][] {{1.5f, 2}, {2, 6}});
    }

    @Test
    void meanSumAndNone() {
        Tensor mean = new MSELoss().invoke(x(), y());
        assertThat(mean.dim()).isZero();
        assertThat(mean.dtype()).isEqualTo(DType.FLOAT32);
        assertThat(mean.item()).isEqualTo(1.3125);
        assertThat(new MSELoss(Reduction.SUM).forward(x(), y()).item()).isEqualTo(5.25);
        Tensor none = new MSELoss(Reduction.NONE).forward(x(), y());
        assertThat(none.shape()).isEqualTo(Shape.of(2, 2));
        assertThat(none.toDoubleArray()).containsExactly(0.25, 0, 1, 4);
        assertThat(Losses.mse(x(), y()).item()).isEqualTo(1.3125);
        assertThat(Losses.mse(x(), y(), Reduction.SUM).item()).isEqualTo(5.25);
    }

    @Test
    void float64StaysFloat64() {
        Tensor l = Losses.mse(Tensor.of(0.1, 0.2, 0.3), Tensor.of(0.0, 0.0, 0.0));
        assertThat(l.dtype()).isEqualTo(DType.FLOAT64);
        assertThat(l.item()).isCloseTo((0.01 + 0.04 + 0.09) / 3, within(1e-16));
    }

    @Test
    void gradientsOfInputAndTarget() {
        Tensor input = x().requiresGrad(true);
        Tensor target = y().requiresGrad(true);
        Tensor loss = new MSELoss().invoke(input, target);
        assertThat(loss.gradFn().name()).isEqualTo("MseLossBackward0");
        loss.backward();
        // 2 (x - y) / 4
        assertThat(input.grad().toDoubleArray()).containsExactly(-0.25, 0, 0.5, -1);
        assertThat(target.grad().toDoubleArray()).containsExactly(new double[] {0.25, 0, -0.5, 1}, within(0.0));
        assertThat(input.grad().dtype()).isEqualTo(DType.FLOAT32);
    }

    @Test
    void sumAndNoneGradients() {
        Tensor input = x().requiresGrad(true);
        Losses.mse(input, y(), Reduction.SUM).backward();
        assertThat(input.grad().toDoubleArray()).containsExactly(-1, 0, 2, -4);
        Tensor in2 = x().requiresGrad(true);
        Losses.mse(in2, y(), Reduction.NONE).backward(Tensor.of(new float[][] {{1, 2}, {3, 4}}));
        assertThat(in2.grad().toDoubleArray()).containsExactly(-1, 0, 6, -16);
    }

    @Test
    void finiteDifferences() {
        Tensor a = Tensor.of(new double[][] {{0.3, -1.2, 2.0}, {0.7, 0.1, -0.4}});
        Tensor b = Tensor.of(new double[][] {{1.1, -0.2, 0.5}, {-0.3, 0.8, 0.0}});
        for (Reduction r : Reduction.values()) {
            FiniteDifferences.check("mse " + r, xs -> Losses.mse(xs[0], xs[1], r), a, b);
        }
        FiniteDifferences.check("mse 0-d", xs -> Losses.mse(xs[0], xs[1]), Tensor.scalar(0.5, DType.FLOAT64),
                Tensor.scalar(-1.5, DType.FLOAT64));
    }

    @Test
    void printsAsPyTorch() {
        assertThat(new MSELoss()).hasToString("MSELoss()");
        assertThat(new MSELoss(Reduction.SUM)).hasToString("MSELoss()");
        assertThat(new MSELoss(Reduction.SUM).reduction()).isEqualTo(Reduction.SUM);
        assertThat(new MSELoss().reduction()).isEqualTo(Reduction.MEAN);
    }
}
