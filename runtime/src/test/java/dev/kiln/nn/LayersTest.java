package dev.kiln.nn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.kiln.DType;
import dev.kiln.Generator;
import dev.kiln.Kiln;
import dev.kiln.Tensor;
import org.junit.jupiter.api.Test;

class LayersTest {

    @Test
    void linearComputesXWTransposedPlusBias() {
        Linear layer = new Linear(3, 2);
        Tensor x = Tensor.of(new float[][] {{1, 2, 3}, {-1, 0, 4}});
        double[] w = layer.weight().toDoubleArray();
        double[] b = layer.bias().toDoubleArray();
        double[] y = layer.invoke(x).toDoubleArray();
        double[][] xs = {{1, 2, 3}, {-1, 0, 4}};
        for (int i = 0; i < 2; i++) {
            for (int o = 0; o < 2; o++) {
                double expected = b[o];
                for (int k = 0; k < 3; k++) {
                    expected += xs[i][k] * w[o * 3 + k];
                }
                assertThat(y[i * 2 + o]).isCloseTo(expected, within(1e-5));
            }
        }
        assertThat(layer.invoke(Tensor.of(1f, 2f, 3f)).shape().toArray()).containsExactly(2);
        assertThat(layer.invoke(Tensor.zeros(4, 5, 3)).shape().toArray()).containsExactly(4, 5, 2);
    }

    @Test
    void linearRejectsTheWrongNumberOfFeatures() {
        assertThatThrownBy(() -> new Linear(13, 128).invoke(Tensor.zeros(16, 12)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("Linear(in_features=13, out_features=128, bias=True): expected an input whose last"
                        + " dimension has 13 features, but got shape (16x12)");
    }

    @Test
    void linearInitialisationMatchesPyTorchBounds() {
        Kiln.manualSeed(7);
        int in = 400, out = 300;
        Linear layer = new Linear(in, out);
        double bound = 1 / Math.sqrt(in);
        double[] w = layer.weight().toDoubleArray();
        double sum = 0, sumSq = 0;
        double min = Double.MAX_VALUE, max = -Double.MAX_VALUE;
        for (double v : w) {
            sum += v;
            sumSq += v * v;
            min = Math.min(min, v);
            max = Math.max(max, v);
        }
        // Uniform in [-bound, bound): mean 0, variance bound^2 / 3, extremes near the bounds.
        assertThat(min).isGreaterThanOrEqualTo(-bound);
        assertThat(max).isLessThan(bound);
        assertThat(min).isLessThan(-0.99 * bound);
        assertThat(max).isGreaterThan(0.99 * bound);
        assertThat(sum / w.length).isCloseTo(0, within(0.02 * bound));
        assertThat(sumSq / w.length).isCloseTo(bound * bound / 3, within(0.02 * bound * bound));
        assertThat(java.util.Arrays.stream(layer.bias().toDoubleArray()).map(Math::abs).max().orElseThrow()).isLessThanOrEqualTo(bound);
        assertThat(layer.weight().requiresGrad()).isTrue();
        assertThat(layer.weight().isLeaf()).isTrue();
    }

    @Test
    void activationsMatchTheirTensorOperations() {
        Tensor x = Tensor.of(-2f, -0.5f, 0f, 1.5f);
        assertThat(new ReLU().invoke(x).toFloatArray()).containsExactly(0f, 0f, 0f, 1.5f);
        assertThat(new LeakyReLU(0.1).invoke(x).toFloatArray()).containsExactly(-0.2f, -0.05f, 0f, 1.5f);
        assertThat(new Sigmoid().invoke(x).allClose(x.sigmoid())).isTrue();
        assertThat(new Tanh().invoke(x).allClose(x.tanh())).isTrue();
        assertThat(new Identity().invoke(x)).isSameAs(x);
        Tensor m = Tensor.randn(3, 4);
        assertThat(new Softmax(1).invoke(m).allClose(m.softmax(1))).isTrue();
        assertThat(new LogSoftmax(0).invoke(m).allClose(m.logSoftmax(0))).isTrue();
        assertThat(new Flatten().invoke(Tensor.zeros(2, 3, 4)).shape().toArray()).containsExactly(2, 12);
    }

    @Test
    void leakyReluGradientIsTheSlopeBelowZero() {
        Tensor x = Tensor.of(-2.0, 3.0).requiresGrad(true);
        F.leakyRelu(x, 0.2).sum().backward();
        assertThat(x.grad().toDoubleArray()).containsExactly(0.2, 1.0);
    }

    @Test
    void dropoutScalesInTrainingAndVanishesInEval() {
        Dropout dropout = new Dropout(0.25);
        Tensor x = Tensor.ones(DType.FLOAT64, 200, 200);
        double[] y = dropout.invoke(x).toDoubleArray();
        int kept = 0;
        for (double v : y) {
            if (v != 0) {
                assertThat(v).isCloseTo(1 / 0.75, within(1e-12));
                kept++;
            }
        }
        assertThat(kept / (double) y.length).isCloseTo(0.75, within(0.01));
        dropout.eval();
        assertThat(dropout.invoke(x)).isSameAs(x);
        assertThat(F.dropout(x, 1.0, true).toDoubleArray()).containsOnly(0.0);
        assertThatThrownBy(() -> new Dropout(1.5)).hasMessageContaining("between 0 and 1, but got 1.5");
    }

    @Test
    void dropoutIsReproducibleFromAGenerator() {
        Tensor x = Tensor.ones(50);
        Tensor a = F.dropout(x, 0.5, true, new Generator(3));
        Tensor b = F.dropout(x, 0.5, true, new Generator(3));
        assertThat(a.equal(b)).isTrue();
    }

    @Test
    void initFunctionsFillInPlaceWithTheDocumentedStatistics() {
        Kiln.manualSeed(11);
        Tensor w = Tensor.zeros(DType.FLOAT64, 500, 200).requiresGrad(true);
        Init.xavierUniform_(w, 1.0);
        double bound = Math.sqrt(6.0 / 700);
        assertThat(java.util.Arrays.stream(w.toDoubleArray()).map(Math::abs).max().orElseThrow()).isLessThanOrEqualTo(bound);
        Init.kaimingNormal_(w, 0, Init.FanMode.FAN_IN, "relu");
        assertThat(std(w.toDoubleArray())).isCloseTo(Math.sqrt(2.0 / 200), within(0.002));
        Init.xavierNormal_(w, 2.0);
        assertThat(std(w.toDoubleArray())).isCloseTo(2 * Math.sqrt(2.0 / 700), within(0.002));
        Init.normal_(w, 3, 0.5);
        assertThat(std(w.toDoubleArray())).isCloseTo(0.5, within(0.01));
        Init.zeros_(w);
        assertThat(w.toDoubleArray()).containsOnly(0.0);
        Init.ones_(w);
        assertThat(w.toDoubleArray()).containsOnly(1.0);
        assertThat(w.isLeaf()).isTrue();
        assertThat(Init.calculateGain("leaky_relu", Math.sqrt(5))).isCloseTo(Math.sqrt(1.0 / 3), within(1e-12));
        assertThat(Init.calculateGain("tanh")).isEqualTo(5.0 / 3);
        assertThatThrownBy(() -> Init.xavierUniform_(Tensor.zeros(3), 1))
                .hasMessageContaining("fewer than 2 dimensions, but got shape (3)");
    }

    private static double std(double[] v) {
        double mean = 0;
        for (double x : v) {
            mean += x;
        }
        mean /= v.length;
        double var = 0;
        for (double x : v) {
            var += (x - mean) * (x - mean);
        }
        return Math.sqrt(var / v.length);
    }
}
