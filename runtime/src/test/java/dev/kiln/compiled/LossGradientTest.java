package dev.kiln.compiled;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.kiln.DType;
import dev.kiln.Generator;
import dev.kiln.Tensor;
import dev.kiln.loss.BCEWithLogitsLoss;
import dev.kiln.loss.CrossEntropyLoss;
import dev.kiln.loss.L1Loss;
import dev.kiln.loss.Loss;
import dev.kiln.loss.MSELoss;
import dev.kiln.loss.NLLLoss;
import dev.kiln.loss.Reduction;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

/** The fused loss gradients against the eager losses and autograd, in float32 and float64. */
class LossGradientTest {
    private static final Generator G = new Generator(11);

    static Stream<Arguments> losses() {
        return Stream.of(
                Arguments.of(new MSELoss(), false),
                Arguments.of(new MSELoss(Reduction.SUM), false),
                Arguments.of(new L1Loss(), false),
                Arguments.of(new L1Loss(Reduction.SUM), false),
                Arguments.of(new CrossEntropyLoss(), true),
                Arguments.of(new CrossEntropyLoss(Reduction.SUM), true),
                Arguments.of(CrossEntropyLoss.builder().ignoreIndex(2).build(), true),
                Arguments.of(new NLLLoss(), true),
                Arguments.of(new NLLLoss(null, 1, Reduction.SUM), true));
    }

    @ParameterizedTest(name = "{0} float32")
    @MethodSource("losses")
    void float32MatchesTheEagerLossAndItsGradient(Loss loss, boolean classes) {
        check(loss, classes, DType.FLOAT32, 1e-5);
    }

    @ParameterizedTest(name = "{0} float32, one row per feature")
    @MethodSource("losses")
    void anOutputStoredOneRowPerFeatureGivesTheSameLossAndGradientTransposed(Loss loss, boolean classes) {
        int rows = 7, cols = 5;
        Tensor output = Tensor.randn(G, rows, cols).times(3);
        Tensor target = classes ? Tensor.of(0, 4, 2, 2, 1, 3, 2) : Tensor.randn(G, rows, cols);
        LossGradient fused = LossGradient.of(loss);
        float[] rowMajor = output.toFloatArray();
        float[] transposed = output.t().contiguous().toFloatArray();
        float[] grad = new float[rows * cols], gradTransposed = new float[rows * cols];
        double value = fused.apply(rowMajor, rows, cols, target, grad);
        assertThat(fused.applyTransposed(transposed, rows, cols, target, gradTransposed))
                .isCloseTo(value, within(1e-5 * Math.max(1, Math.abs(value))));
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                assertThat(gradTransposed[c * rows + r]).as("gradient of (%d, %d)", r, c)
                        .isCloseTo(grad[r * cols + c], within(1e-6f));
            }
        }
    }

    @ParameterizedTest(name = "{0} float64")
    @MethodSource("losses")
    void float64MatchesTheEagerLossAndItsGradient(Loss loss, boolean classes) {
        check(loss, classes, DType.FLOAT64, 1e-12);
    }

    private static void check(Loss loss, boolean classes, DType type, double tolerance) {
        int rows = 7, cols = 5;
        Tensor output = Tensor.randn(G, rows, cols).to(type).times(3);
        Tensor target = classes ? Tensor.of(0, 4, 2, 2, 1, 3, 2) : Tensor.randn(G, rows, cols).to(type);
        LossGradient fused = LossGradient.of(loss);
        assertThat(fused.fuses()).isTrue();
        assertThat(fused.accepts(type, rows, cols, target)).isTrue();
        assertThat(fused.accepts(type, Tensor.zeros(rows, 11), cols, target)).as("rows of an input").isTrue();

        Tensor leaf = output.detach().requiresGrad(true);
        Tensor expected = loss.invoke(leaf, target);
        expected.backward();
        double value;
        double[] grad;
        if (type == DType.FLOAT32) {
            float[] g = new float[rows * cols];
            value = fused.apply(output.toFloatArray(), rows, cols, target, g);
            grad = Tensor.of(g).to(DType.FLOAT64).toDoubleArray();
        } else {
            grad = new double[rows * cols];
            value = fused.apply(output.toDoubleArray(), rows, cols, target, grad);
        }
        assertThat(value).isCloseTo(expected.item(), within(tolerance * Math.max(1, Math.abs(expected.item()))));
        double[] want = leaf.grad().to(DType.FLOAT64).toDoubleArray();
        for (int i = 0; i < want.length; i++) {
            assertThat(grad[i]).as("gradient element " + i).isCloseTo(want[i], within(tolerance * Math.max(1, Math.abs(want[i]))));
        }
    }

    @Test
    void lossesOrSettingsItCannotFuseRunEagerly() {
        assertThat(LossGradient.of(new MSELoss(Reduction.NONE)).fuses()).isFalse();
        assertThat(LossGradient.of(new BCEWithLogitsLoss()).fuses()).isFalse();
        assertThat(LossGradient.of(CrossEntropyLoss.builder().labelSmoothing(0.1).build()).fuses()).isFalse();
        assertThat(LossGradient.of(new CrossEntropyLoss(Tensor.of(1f, 2f, 3f))).fuses()).isFalse();
        LossGradient none = LossGradient.of(new BCEWithLogitsLoss());
        assertThat(none.accepts(DType.FLOAT32, 2, 3, Tensor.zeros(2, 3))).isFalse();
        assertThatThrownBy(() -> none.apply(new float[6], 2, 3, Tensor.zeros(2, 3), new float[6]))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("check accepts() first");
    }

    @Test
    void targetsTheFusedGradientDoesNotTakeAreLeftToTheEagerLoss() {
        LossGradient mse = LossGradient.of(new MSELoss());
        assertThat(mse.accepts(DType.FLOAT32, 4, 3, Tensor.zeros(4, 3))).isTrue();
        assertThat(mse.accepts(DType.FLOAT32, 4, 3, Tensor.zeros(4, 1))).as("broadcasting").isFalse();
        assertThat(mse.accepts(DType.FLOAT32, 4, 3, Tensor.zeros(3, 3))).as("other rows").isFalse();
        assertThat(mse.accepts(DType.FLOAT32, 4, 3, Tensor.zeros(DType.FLOAT64, 4, 3))).as("promotion").isFalse();
        // an output with the input's leading sizes: (2, 5, 7) -> (2, 5, 3)
        Tensor input = Tensor.zeros(2, 5, 7);
        assertThat(mse.accepts(DType.FLOAT32, input, 3, Tensor.zeros(2, 5, 3))).isTrue();
        assertThat(mse.accepts(DType.FLOAT32, input, 3, Tensor.zeros(10, 3))).as("rows flattened").isFalse();
        assertThat(mse.accepts(DType.FLOAT32, input, 3, Tensor.zeros(2, 4, 3))).as("other leading size").isFalse();
        assertThat(mse.accepts(DType.FLOAT32, input, 3, Tensor.zeros(2, 5, 7))).as("the input's features").isFalse();
        assertThat(mse.accepts(DType.FLOAT32, Tensor.zeros(7), 3, Tensor.zeros(3))).as("one sample").isTrue();
        assertThat(mse.accepts(DType.FLOAT32, Tensor.scalar(1.0).to(DType.FLOAT32), 3, Tensor.scalar(1.0).to(DType.FLOAT32))).as("a scalar input").isFalse();

        LossGradient ce = LossGradient.of(new CrossEntropyLoss());
        assertThat(ce.accepts(DType.FLOAT32, 4, 3, Tensor.of(0, 1, 2, 0))).isTrue();
        assertThat(ce.accepts(DType.FLOAT32, Tensor.zeros(4, 9), 3, Tensor.of(0, 1, 2, 0))).isTrue();
        assertThat(ce.accepts(DType.FLOAT32, 4, 3, Tensor.of(0, 1, 3, 0))).as("class out of range").isFalse();
        assertThat(ce.accepts(DType.FLOAT32, 4, 3, Tensor.of(0, 1, -1, 0))).as("negative class").isFalse();
        assertThat(ce.accepts(DType.FLOAT32, 4, 3, Tensor.of(0, 1, 2))).as("wrong count").isFalse();
        assertThat(ce.accepts(DType.FLOAT32, 4, 3, Tensor.zeros(4, 3))).as("probabilities").isFalse();
        assertThat(ce.accepts(DType.FLOAT32, input, 3, Tensor.of(0, 1))).as("3-d output").isFalse();
        assertThat(ce.accepts(DType.FLOAT32, 4, 3, Tensor.of(-100, -100, -100, -100))).as("all ignored").isFalse();
    }

    /** The check a compiled training step starts with reads the sizes in place: no array per call. */
    @Test
    void acceptingAllocatesNothing() {
        var threads = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        long id = Thread.currentThread().threadId();
        LossGradient mse = LossGradient.of(new MSELoss()), ce = LossGradient.of(new CrossEntropyLoss());
        Tensor input = Tensor.zeros(2, 5, 7), output = Tensor.zeros(2, 5, 3), classes = Tensor.of(0, 1, 2, 0);
        // a first call initialises what it uses (classes, the kernels' provider): not counted
        boolean all = mse.accepts(DType.FLOAT32, input, 3, output) && ce.accepts(DType.FLOAT32, 4, 3, classes);
        threads.getThreadAllocatedBytes(id);
        long before = threads.getThreadAllocatedBytes(id);
        for (int i = 0; i < 10_000; i++) {
            all &= mse.accepts(DType.FLOAT32, input, 3, output) && ce.accepts(DType.FLOAT32, 4, 3, classes);
        }
        long allocated = threads.getThreadAllocatedBytes(id) - before;
        assertThat(all).isTrue();
        assertThat(allocated).as("bytes allocated by 20,000 checks").isLessThan(10_000);
    }
}
