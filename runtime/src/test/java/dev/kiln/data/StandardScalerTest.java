package dev.kiln.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.kiln.DType;
import dev.kiln.Generator;
import dev.kiln.Tensor;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import org.junit.jupiter.api.Test;

/** {@link StandardScaler} against hand-computed means and population standard deviations. */
class StandardScalerTest {

    @Test
    void meanAndPopulationStdByHand() {
        // column 0: 2, 4, 4, 4, 5, 5, 7, 9 -> mean 5, population std 2 (the sample std would be 2.138...)
        // column 1: 1, 2, ..., 8 -> mean 4.5, population variance (8^2 - 1) / 12 = 5.25
        Tensor x = Tensor.of(new double[][] {
            {2, 1}, {4, 2}, {4, 3}, {4, 4}, {5, 5}, {5, 6}, {7, 7}, {9, 8}});
        StandardScaler scaler = new StandardScaler().fit(x);
        assertThat(scaler.isFitted()).isTrue();
        assertThat(scaler.numFeatures()).isEqualTo(2);
        assertThat(scaler.mean().dtype()).isEqualTo(DType.FLOAT64);
        assertThat(scaler.mean().toDoubleArray()).containsExactly(5.0, 4.5);
        assertThat(scaler.variance().toDoubleArray()).containsExactly(4.0, 5.25);
        assertThat(scaler.scale().toDoubleArray()).containsExactly(2.0, Math.sqrt(5.25));
        Tensor z = scaler.transform(x);
        assertThat(z.dtype()).isEqualTo(DType.FLOAT64);
        assertThat(z.select(1, 0).toDoubleArray()).containsExactly(-1.5, -0.5, -0.5, -0.5, 0.0, 0.0, 1.0, 2.0);
        assertThat(z.get(0, 1).item()).isCloseTo(-3.5 / Math.sqrt(5.25), within(1e-15));
    }

    @Test
    void constantColumnsScaleByOneAsScikitLearn() {
        Tensor x = Tensor.of(new double[][] {{0.1, 3}, {0.1, 3}, {0.1, 3}, {0.1, 3}, {0.1, 3}, {0.1, 3}, {0.1, 3}});
        StandardScaler scaler = new StandardScaler().fit(x);
        assertThat(scaler.scale().toDoubleArray()).containsExactly(1.0, 1.0);
        assertThat(scaler.transform(x).abs().max().item()).isLessThan(1e-15);
    }

    @Test
    void nearlyConstantColumnsCountAsConstantAsInScikitLearn() {
        // Column 0 differs by one ulp of 1e5: its variance (5.3e-23) is within the rounding error of its mean,
        // so scikit-learn's scale_ is 1 there; column 1 differs by 1e-6, a real spread: scale_ 5e-7.
        Tensor x = Tensor.of(new double[][] {{1e5, 1.0}, {Math.nextUp(1e5), 1.0 + 1e-6}});
        StandardScaler scaler = new StandardScaler().fit(x);
        assertThat(scaler.variance().toDoubleArray()[0]).isCloseTo(5.29395592e-23, within(1e-30));
        assertThat(scaler.scale().toDoubleArray()[0]).isEqualTo(1.0);
        assertThat(scaler.scale().toDoubleArray()[1]).isCloseTo(5e-7, within(1e-15));
        assertThat(scaler.transform(x).select(1, 1).toDoubleArray()).usingElementComparator(
                (a, b) -> Math.abs(a - b) < 1e-6 ? 0 : Double.compare(a, b)).containsExactly(-1.0, 1.0);
    }

    @Test
    void float32StaysFloat32AndIntegersBecomeFloat64() {
        Tensor f = Tensor.of(new float[][] {{1f}, {3f}});
        assertThat(new StandardScaler().fitTransform(f).dtype()).isEqualTo(DType.FLOAT32);
        assertThat(new StandardScaler().fitTransform(f).toFloatArray()).containsExactly(-1f, 1f);
        Tensor l = Tensor.of(new long[][] {{1}, {3}});
        Tensor z = new StandardScaler().fitTransform(l);
        assertThat(z.dtype()).isEqualTo(DType.FLOAT64);
        assertThat(z.toDoubleArray()).containsExactly(-1.0, 1.0);
    }

    @Test
    void inverseTransformUndoesTransform() {
        Tensor x = Tensor.randn(new Generator(3), 20, 4).times(5.0).plus(3.0);
        StandardScaler scaler = new StandardScaler().fit(x);
        Tensor back = scaler.inverseTransform(scaler.transform(x));
        assertThat(back.dtype()).isEqualTo(DType.FLOAT32);
        assertThat(back.allClose(x, 1e-5, 1e-5)).isTrue();
    }

    @Test
    void transformUsesTheFittedStatisticsNotTheNewData() {
        StandardScaler scaler = new StandardScaler().fit(Tensor.of(new double[][] {{0}, {2}}));
        assertThat(scaler.transform(Tensor.of(new double[][] {{5}, {7}})).toDoubleArray()).containsExactly(4.0, 6.0);
    }

    @Test
    void nansAreLeftOutOfTheStatisticsAndStayNaN() {
        Tensor x = Tensor.of(new double[][] {{1, 1}, {Double.NaN, 2}, {3, 3}});
        StandardScaler scaler = new StandardScaler().fit(x);
        assertThat(scaler.mean().toDoubleArray()).containsExactly(2.0, 2.0);
        assertThat(scaler.scale().toDoubleArray()[0]).isEqualTo(1.0); // population std of {1, 3}
        assertThat(scaler.transform(x).select(1, 0).toDoubleArray()).containsExactly(-1.0, Double.NaN, 1.0);
    }

    @Test
    void errorsSayWhatIsWrong() {
        StandardScaler scaler = new StandardScaler();
        assertThat(scaler.isFitted()).isFalse();
        assertThat(scaler.toString()).isEqualTo("StandardScaler(not fitted)");
        assertThatThrownBy(() -> scaler.transform(Tensor.zeros(2, 3)))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("StandardScaler.transform: this scaler is not fitted yet; call fit(x) or fitTransform(x) first");
        assertThatThrownBy(scaler::mean).isInstanceOf(IllegalStateException.class)
                .hasMessageStartingWith("StandardScaler.mean: this scaler is not fitted yet");
        scaler.fit(Tensor.randn(new Generator(0), 5, 13));
        assertThatThrownBy(() -> scaler.transform(Tensor.zeros(5, 12)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("StandardScaler.transform: x has 12 features (shape (5x12)), but this scaler was fitted on 13");
        assertThatThrownBy(() -> scaler.inverseTransform(Tensor.zeros(5, 14)))
                .hasMessageContaining("x has 14 features");
        assertThatThrownBy(() -> scaler.fit(Tensor.zeros(5)))
                .hasMessage("StandardScaler.fit: expected a 2-d (samples x features) tensor, but x has shape (5); for a"
                        + " single feature use x.unsqueeze(1)");
        assertThatThrownBy(() -> scaler.fit(Tensor.zeros(0, 3))).hasMessageContaining("at least one sample");
        assertThatThrownBy(() -> scaler.fit(Tensor.of(new double[][] {{1}, {Double.POSITIVE_INFINITY}})))
                .hasMessageContaining("Infinity at row 1, column 0");
        assertThat(scaler.toString()).isEqualTo("StandardScaler(13 features)");
    }

    @Test
    void gradientsFlowThroughTransform() {
        Tensor x = Tensor.of(new double[][] {{1, 10}, {3, 30}}).requiresGrad(true);
        StandardScaler scaler = new StandardScaler().fit(x.detach());
        scaler.transform(x).sum().backward();
        // d/dx of (x - mean) / scale is 1 / scale per column: scales 1 and 10
        assertThat(x.grad().toDoubleArray()).containsExactly(1.0, 0.1, 1.0, 0.1);
    }

    @Property(tries = 50)
    void transformedColumnsHaveMeanZeroAndStdOne(@ForAll @IntRange(min = 2, max = 40) int rows,
            @ForAll @IntRange(min = 1, max = 6) int cols, @ForAll @LongRange(min = 0, max = 1000) long seed) {
        Tensor x = Tensor.randn(new Generator(seed), rows, cols).toDouble().times(7.0).plus(-4.0);
        Tensor z = new StandardScaler().fitTransform(x);
        double[] mean = z.mean(0).toDoubleArray();
        double[] meanSquare = z.pow(2).mean(0).toDoubleArray();
        for (int c = 0; c < cols; c++) {
            assertThat(mean[c]).isCloseTo(0.0, within(1e-12));
            assertThat(meanSquare[c]).isCloseTo(1.0, within(1e-12));
        }
    }
}
