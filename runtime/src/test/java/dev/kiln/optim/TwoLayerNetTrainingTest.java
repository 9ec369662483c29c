package dev.kiln.optim;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.Generator;
import dev.kiln.Parameter;
import dev.kiln.Tensor;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * The tutorials' two-layer network (64 samples, 1000 -> 100 -> 10, ReLU, sum of squared errors)
 * trained with the optimizers: the loss must fall by orders of magnitude (at least 1000 times; with
 * these settings SGD gains about 10⁶ and Adam about 10⁵).
 *
 * <p>The weights are standard normal, as in the tutorials' NumPy and tensor versions, for which SGD's
 * learning rate is 1e-6. The tutorial's Adam example uses 1e-4 with {@code nn.Linear}'s much smaller
 * initial weights (about 1/√1000 of these); with standard-normal weights Adam's steps, which are about
 * the learning rate in size whatever the gradient's scale, need a learning rate 100 times larger to
 * converge in as few steps.
 */
class TwoLayerNetTrainingTest {

    /** Trains for {@code steps} steps and returns the loss before the first and after the last step. */
    private static double[] train(Function<List<Parameter>, Optimizer> make, int steps) {
        Generator generator = new Generator(42);
        Tensor x = Tensor.randn(generator, 64, 1000);
        Tensor y = Tensor.randn(generator, 64, 10);
        Parameter w1 = new Parameter(Tensor.randn(generator, 1000, 100));
        Parameter w2 = new Parameter(Tensor.randn(generator, 100, 10));
        Optimizer optimizer = make.apply(List.of(w1, w2));
        double first = Double.NaN;
        for (int t = 0; t < steps; t++) {
            Tensor loss = x.mm(w1).clampMin(0).mm(w2).minus(y).pow(2).sum();
            if (t == 0) {
                first = loss.item();
            }
            optimizer.zeroGrad();
            loss.backward();
            optimizer.step();
        }
        double last = x.mm(w1).clampMin(0).mm(w2).minus(y).pow(2).sum().item();
        return new double[] {first, last};
    }

    @Test
    void sgdReducesTheLossByOrdersOfMagnitude() {
        double[] loss = train(p -> new SGD(p, 1e-6), 150);
        assertThat(loss[0]).isGreaterThan(1e6);
        assertThat(loss[1]).as("loss after 150 steps, from %s", loss[0]).isLessThan(loss[0] / 1000);
    }

    @Test
    void adamReducesTheLossByOrdersOfMagnitude() {
        double[] loss = train(p -> new Adam(p, 1e-2), 100);
        assertThat(loss[0]).isGreaterThan(1e6);
        assertThat(loss[1]).as("loss after 100 steps, from %s", loss[0]).isLessThan(loss[0] / 1000);
    }
}
