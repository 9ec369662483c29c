package dev.kiln.loss;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.kiln.DType;
import dev.kiln.Shape;
import dev.kiln.Tensor;
import org.junit.jupiter.api.Test;

/** L1Loss against PyTorch's formula l_i = |x_i - y_i|. */
class L1LossTest {
    // x - y = [-0.5, 0, 1, -2]; absolute values [0.5, 0, 1, 2]: sum 3.5, mean 0.875.
    private static Tensor x() {
        return Tensor.of(new float[][] {{1, 2}, {3, 4}});
    }

    private static Tensor y() {
        return Tensor.of(new float[][] {{1.5f, 2}, {2, 6}});
    }

    @Test
    void meanSumAndNone() {
        assertThat(new L1Loss().invoke(x(), y()).item()).isEqualTo(0.875);
        assertThat(new L1Loss(Reduction.SUM).invoke(x(), y()).item()).isEqualTo(3.5);
        Tensor none = Losses.l1(x(), y(), Reduction.NONE);
        assertThat(none.shape()).isEqualTo(Shape.of(2, 2));
        assertThat(none.dtype()).isEqualTo(DType.FLOAT32);
        assertThat(none.toDoubleArray()).containsExactly(0.5, 0, 1, 2);
        assertThat(Losses.l1(x(), y()).item()).isEqualTo(0.875);
    }

    @Test
    void gradientIsSignOverCountWithZeroAtTheKink() {
        Tensor input = x().requiresGrad(true);
        Tensor loss = new L1Loss().invoke(input, y());
        // PyTorch composes l1_loss as (input - target).abs().mean().
        assertThat(loss.gradFn().name()).isEqualTo("MeanBackward0");
        assertThat(Losses.l1(x().requiresGrad(true), y(), Reduction.SUM).gradFn().name()).isEqualTo("SumBackward0");
        assertThat(Losses.l1(x().requiresGrad(true), y(), Reduction.NONE).gradFn().name()).isEqualTo("AbsBackward0");
        loss.backward();
        assertThat(input.grad().toDoubleArray()).containsExactly(new double[] {-0.25, 0, 0.25, -0.25}, within(0.0));
    }

    @Test
    void finiteDifferences() {
        Tensor a = Tensor.of(new double[][] {{0.3, -1.2, 2.0}, {0.7, 0.1, -0.4}});
        Tensor b = Tensor.of(new double[][] {{1.1, -0.2, 0.5}, {-0.3, 0.8, 0.0}});
        for (Reduction r : Reduction.values()) {
            FiniteDifferences.check("l1 " + r, xs -> Losses.l1(xs[0], xs[1], r), a, b);
        }
    }

    @Test
    void printsAsPyTorch() {
        assertThat(new L1Loss(Reduction.NONE)).hasToString("L1Loss()");
    }
}
