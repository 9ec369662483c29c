package dev.kiln;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

/** Tensor creation, random factories, conversions and element access against PyTorch's semantics. */
class CreationSemanticsTest {

    // ---------------------------------------------------------------------------------------------
    // Tensor.of

    @Test
    void ofOneDimensional() {
        Tensor f = Tensor.of(1f, 2f);
        assertThat(f.dtype()).isEqualTo(DType.FLOAT32);
        assertThat(f.shape()).isEqualTo(Shape.of(2));
        assertThat(Tensor.of(1.0, 2.0).dtype()).isEqualTo(DType.FLOAT64);
        assertThat(Tensor.of(1L, 2L).dtype()).isEqualTo(DType.INT64);
        assertThat(Tensor.of(1, 2, 3).dtype()).isEqualTo(DType.INT64);
        assertThat(Tensor.of(1, 2, 3).toLongArray()).containsExactly(1, 2, 3);
        assertThat(Tensor.of(true, false).dtype()).isEqualTo(DType.BOOL);
        assertThat(Tensor.of(new float[0]).shape()).isEqualTo(Shape.of(0));
    }

    @Test
    void ofCopiesItsArgument() {
        float[] values = {1, 2};
        Tensor t = Tensor.of(values);
        values[0] = 99;
        assertThat(t.toFloatArray()).containsExactly(1, 2);
        float[][] nested = {{1, 2}};
        Tensor n = Tensor.of(nested);
        nested[0][0] = 99;
        assertThat(n.toFloatArray()).containsExactly(1, 2);
    }

    @Test
    void ofNested() {
        Tensor t = Tensor.of(new double[][][] {{{1, 2}, {3, 4}, {5, 6}}, {{7, 8}, {9, 10}, {11, 12}}});
        assertThat(t.dtype()).isEqualTo(DType.FLOAT64);
        assertThat(t.shape()).isEqualTo(Shape.of(2, 3, 2));
        assertThat(t.toDoubleArray()).containsExactly(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12);
        assertThat(Tensor.of(new int[][] {{1, 2}, {3, 4}}).dtype()).isEqualTo(DType.INT64);
        assertThat(Tensor.of(new int[][] {{1, 2}, {3, 4}}).toLongArray()).containsExactly(1, 2, 3, 4);
        assertThat(Tensor.of(new long[][] {{5}}).shape()).isEqualTo(Shape.of(1, 1));
        assertThat(Tensor.of(new boolean[][] {{true}, {false}}).toBooleanArray()).containsExactly(true, false);
        assertThat(Tensor.of(new float[2][0]).shape()).isEqualTo(Shape.of(2, 0));
    }

    @Test
    void ofEmptyOuterArray() {
        Tensor t = Tensor.of(new float[0][]);
        assertThat(t.dtype()).isEqualTo(DType.FLOAT32);
        assertThat(t.numel()).isZero();
    }

    @Test
    void ofRaggedNamesTheOffendingElement() {
        assertThatThrownBy(() -> Tensor.of(new float[][] {{1, 2}, {3}})).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("[1]").hasMessageContaining("length 1").hasMessageContaining("2");
        assertThatThrownBy(() -> Tensor.of(new float[][][] {{{1, 2}, {3, 4}}, {{5, 6}, {7}}}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("[1][1]");
        assertThatThrownBy(() -> Tensor.of(new float[][] {{1, 2}, null}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("[1]");
        assertThatThrownBy(() -> Tensor.of(new String[] {"a"})).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void ofWithDType() {
        Tensor t = Tensor.of(new float[] {1.7f, -1.7f}, DType.INT64);
        assertThat(t.dtype()).isEqualTo(DType.INT64);
        assertThat(t.toLongArray()).containsExactly(1, -1);
        assertThat(Tensor.of(new int[][] {{1}, {2}}, DType.FLOAT64).toDoubleArray()).containsExactly(1, 2);
    }

    @Test
    void scalars() {
        assertThat(Tensor.scalar(2.5).dim()).isZero();
        assertThat(Tensor.scalar(2.5).dtype()).isEqualTo(DType.FLOAT32);
        assertThat(Tensor.scalar(3L).dtype()).isEqualTo(DType.INT64);
        assertThat(Tensor.scalar(0.1, DType.FLOAT64).item()).isEqualTo(0.1);
    }

    // ---------------------------------------------------------------------------------------------
    // Constant fills and ranges

    @Test
    void zerosOnesFullEye() {
        Tensor z = Tensor.zeros(2, 3);
        assertThat(z.dtype()).isEqualTo(DType.FLOAT32);
        assertThat(z.shape()).isEqualTo(Shape.of(2, 3));
        assertThat(z.toFloatArray()).containsOnly(0f);
        assertThat(Tensor.zeros().dim()).isZero();
        assertThat(Tensor.ones(DType.INT64, 2).toLongArray()).containsExactly(1, 1);
        assertThat(Tensor.full(2.5, 2, 2).toFloatArray()).containsOnly(2.5f);
        assertThat(Tensor.full(1, DType.BOOL, 2).toBooleanArray()).containsExactly(true, true);
        assertThat(Tensor.eye(3).toFloatArray()).containsExactly(1, 0, 0, 0, 1, 0, 0, 0, 1);
        assertThat(Tensor.eye(2, 3).toFloatArray()).containsExactly(1, 0, 0, 0, 1, 0);
        assertThat(Tensor.eye(3, 2, DType.INT64).toLongArray()).containsExactly(1, 0, 0, 1, 0, 0);
        assertThatThrownBy(() -> Tensor.zeros(2, -1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void arangeLong() {
        assertThat(Tensor.arange(5).toLongArray()).containsExactly(0, 1, 2, 3, 4);
        assertThat(Tensor.arange(5).dtype()).isEqualTo(DType.INT64);
        assertThat(Tensor.arange(2, 5).toLongArray()).containsExactly(2, 3, 4);
        assertThat(Tensor.arange(0, 10, 3).toLongArray()).containsExactly(0, 3, 6, 9);
        assertThat(Tensor.arange(5, 0, -2).toLongArray()).containsExactly(5, 3, 1);
        assertThat(Tensor.arange(0).numel()).isZero();
        assertThatThrownBy(() -> Tensor.arange(0, 5, 0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void arangeDouble() {
        Tensor t = Tensor.arange(0, 1, 0.1);
        assertThat(t.dtype()).isEqualTo(DType.FLOAT32);
        assertThat(t.numel()).isEqualTo(10);
        float[] v = t.toFloatArray();
        assertThat(v[0]).isEqualTo(0f);
        assertThat(v[9]).isCloseTo(0.9f, within(1e-6f));
        assertThat(Tensor.arange(1.0, 2.0, 0.5).toFloatArray()).containsExactly(1f, 1.5f);
        assertThat(Tensor.arange(1.0, 0.0, -0.25).toFloatArray()).containsExactly(1f, 0.75f, 0.5f, 0.25f);
        assertThat(Tensor.arange(0, 0.3, 0.1).numel()).isEqualTo(3);
    }

    @Test
    void linspaceHasExactEndpoints() {
        Tensor t = Tensor.linspace(0, 1, 5);
        assertThat(t.toFloatArray()).containsExactly(0f, 0.25f, 0.5f, 0.75f, 1f);
        float[] v = Tensor.linspace(-3.3, 7.7, 11).toFloatArray();
        assertThat(v).hasSize(11);
        assertThat(v[0]).isEqualTo(-3.3f);
        assertThat(v[10]).isEqualTo(7.7f);
        assertThat(v[5]).isCloseTo(2.2f, within(1e-6f));
        assertThat(Tensor.linspace(2, 5, 1).toFloatArray()).containsExactly(2f);
        assertThat(Tensor.linspace(2, 5, 0).numel()).isZero();
        assertThat(Tensor.linspace(5, 2, 4).toFloatArray()).containsExactly(5, 4, 3, 2);
    }

    // ---------------------------------------------------------------------------------------------
    // Random factories

    @Test
    void randIsInUnitInterval() {
        Tensor r = Tensor.rand(10_000);
        assertThat(r.dtype()).isEqualTo(DType.FLOAT32);
        float[] v = r.toFloatArray();
        double mean = 0;
        for (float x : v) {
            assertThat(x).isGreaterThanOrEqualTo(0f).isLessThan(1f);
            mean += x;
        }
        assertThat(mean / v.length).isCloseTo(0.5, within(0.02));
    }

    @Test
    void randnAndNormalMoments() {
        float[] v = Tensor.randn(new Generator(1), 20_000).toFloatArray();
        double mean = 0, sq = 0;
        for (float x : v) {
            mean += x;
            sq += x * x;
        }
        mean /= v.length;
        assertThat(mean).isCloseTo(0, within(0.03));
        assertThat(sq / v.length - mean * mean).isCloseTo(1, within(0.05));
        float[] n = Tensor.normal(10, 0.5, new Generator(2), 20_000).toFloatArray();
        double m2 = 0;
        for (float x : n) {
            m2 += x;
        }
        assertThat(m2 / n.length).isCloseTo(10, within(0.02));
        assertThat(Tensor.randn(DType.FLOAT64, 3).dtype()).isEqualTo(DType.FLOAT64);
        assertThatThrownBy(() -> Tensor.normal(0, -1, 2)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void randintRange() {
        Tensor r = Tensor.randint(-2, 3, new Generator(5), 5_000);
        assertThat(r.dtype()).isEqualTo(DType.INT64);
        long[] v = r.toLongArray();
        boolean[] seen = new boolean[5];
        for (long x : v) {
            assertThat(x).isBetween(-2L, 2L);
            seen[(int) x + 2] = true;
        }
        assertThat(seen).containsOnly(true);
        assertThatThrownBy(() -> Tensor.randint(3, 3, 2)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void likeVariantsKeepShapeAndDType() {
        Tensor d = Tensor.zeros(DType.FLOAT64, 2, 3);
        assertThat(Tensor.zerosLike(d).dtype()).isEqualTo(DType.FLOAT64);
        assertThat(Tensor.onesLike(d).shape()).isEqualTo(Shape.of(2, 3));
        assertThat(Tensor.fullLike(Tensor.of(1L, 2L), 7).dtype()).isEqualTo(DType.INT64);
        assertThat(Tensor.fullLike(Tensor.of(1L, 2L), 7).toLongArray()).containsExactly(7, 7);
        assertThat(Tensor.randLike(d).dtype()).isEqualTo(DType.FLOAT64);
        assertThat(Tensor.randnLike(d).shape()).isEqualTo(Shape.of(2, 3));
        Tensor ri = Tensor.randintLike(d, 0, 4);
        assertThat(ri.dtype()).isEqualTo(DType.FLOAT64); // torch.randint_like keeps the input's dtype
        assertThat(ri.shape()).isEqualTo(Shape.of(2, 3));
        for (double x : ri.toDoubleArray()) {
            assertThat(x).isIn(0.0, 1.0, 2.0, 3.0);
        }
        assertThat(Tensor.randintLike(Tensor.of(1L), 0, 4).dtype()).isEqualTo(DType.INT64);
        assertThatThrownBy(() -> Tensor.randLike(Tensor.of(1L))).isInstanceOf(IllegalArgumentException.class);
        Tensor requiring = Tensor.ones(2).requiresGrad(true);
        assertThat(Tensor.zerosLike(requiring).requiresGrad()).isFalse();
    }

    @Test
    void manualSeedIsReproducible() {
        Kiln.manualSeed(42);
        float[] a = Tensor.rand(5).toFloatArray();
        float[] b = Tensor.randn(3).toFloatArray();
        long[] c = Tensor.randint(0, 100, 4).toLongArray();
        Kiln.manualSeed(42);
        assertThat(Tensor.rand(5).toFloatArray()).containsExactly(a);
        assertThat(Tensor.randn(3).toFloatArray()).containsExactly(b);
        assertThat(Tensor.randint(0, 100, 4).toLongArray()).containsExactly(c);
        Kiln.manualSeed(43);
        assertThat(Tensor.rand(5).toFloatArray()).isNotEqualTo(a);
    }

    @Test
    void generatorsAreIndependentStreams() {
        Generator g1 = new Generator(7);
        float[] first = Tensor.rand(g1, 4).toFloatArray();
        float[] second = Tensor.rand(g1, 4).toFloatArray();
        assertThat(second).isNotEqualTo(first);
        // A fresh generator with the same seed replays the stream, whatever the default generator does.
        Generator g2 = new Generator(7);
        Kiln.manualSeed(1);
        Tensor.rand(100);
        assertThat(Tensor.rand(g2, 4).toFloatArray()).containsExactly(first);
        // Drawing from another generator does not disturb the default one.
        Kiln.manualSeed(5);
        float[] expected = Tensor.rand(3).toFloatArray();
        Kiln.manualSeed(5);
        Tensor.rand(new Generator(8), 10);
        assertThat(Tensor.rand(3).toFloatArray()).containsExactly(expected);
        assertThat(g2.manualSeed(7).initialSeed()).isEqualTo(7L);
        assertThat(Tensor.rand(g2, 4).toFloatArray()).containsExactly(first);
    }

    // ---------------------------------------------------------------------------------------------
    // Element access and conversion

    @Test
    void itemOnOneElement() {
        assertThat(Tensor.of(3.5f).item()).isEqualTo(3.5);
        assertThat(Tensor.of(new float[][] {{2}}).item()).isEqualTo(2.0);
        assertThat(Tensor.of(true).item()).isEqualTo(1.0);
        assertThat(Tensor.of(1f, 2f, 3f).get(2).item()).isEqualTo(3.0);
    }

    @Test
    void itemOnSeveralElementsIsAnError() {
        assertThatThrownBy(() -> Tensor.zeros(2, 3).item()).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("6 elements").hasMessageContaining("(2x3)");
        assertThatThrownBy(() -> Tensor.zeros(0).item()).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void toArrays() {
        Tensor x = Tensor.of(new float[][] {{1.5f, -2.5f}, {0f, 3f}}).t();
        assertThat(x.toFloatArray()).containsExactly(1.5f, 0f, -2.5f, 3f);
        assertThat(x.toDoubleArray()).containsExactly(1.5, 0, -2.5, 3);
        assertThat(x.toLongArray()).containsExactly(1, 0, -2, 3);
        assertThat(x.toBooleanArray()).containsExactly(true, false, true, true);
        assertThat(Tensor.of(true, false).toFloatArray()).containsExactly(1f, 0f);
        // The returned arrays are copies.
        Tensor y = Tensor.of(1f, 2f);
        y.toFloatArray()[0] = 100;
        assertThat(y.toFloatArray()).containsExactly(1f, 2f);
    }

    @Test
    void conversions() {
        Tensor f = Tensor.of(1.9f, -1.9f, 0.5f, 0f);
        Tensor l = f.to(DType.INT64);
        assertThat(l.dtype()).isEqualTo(DType.INT64);
        assertThat(l.toLongArray()).containsExactly(1, -1, 0, 0); // truncates toward zero
        assertThat(f.toLong().toLongArray()).containsExactly(1, -1, 0, 0);
        assertThat(f.toBool().toBooleanArray()).containsExactly(true, true, true, false);
        assertThat(f.toDouble().dtype()).isEqualTo(DType.FLOAT64);
        assertThat(Tensor.of(0.1).toFloat().toFloatArray()).containsExactly(0.1f);
        assertThat(Tensor.of(true, false).toLong().toLongArray()).containsExactly(1, 0);
        assertThat(Tensor.of(3L, 0L).toBool().toBooleanArray()).containsExactly(true, false);
        assertThat(f.to(DType.FLOAT32)).isSameAs(f);
        // Conversions of a view read the view's elements.
        assertThat(Tensor.of(1.5, 2.5, 3.5).slice(0, 1, 3).toLong().toLongArray()).containsExactly(2, 3);
    }

    @Test
    void requiresGradOnIntegerTensorIsAnError() {
        assertThatThrownBy(() -> Tensor.of(1L, 2L).requiresGrad(true)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("torch.int64");
        assertThatThrownBy(() -> Tensor.of(true).requiresGrad(true)).isInstanceOf(IllegalArgumentException.class);
        assertThat(Tensor.of(1L).requiresGrad(false).requiresGrad()).isFalse();
        assertThat(Tensor.of(1.0).requiresGrad(true).requiresGrad()).isTrue();
    }

    @Test
    void shapeAndSize() {
        Tensor x = Tensor.zeros(2, 3, 4);
        assertThat(x.size(0)).isEqualTo(2);
        assertThat(x.size(-1)).isEqualTo(4);
        assertThat(x.shape().get(-2)).isEqualTo(3);
        assertThat(x.shape().toString()).isEqualTo("[2, 3, 4]");
        assertThat(x.dim()).isEqualTo(3);
        assertThat(x.numel()).isEqualTo(24);
        assertThatThrownBy(() -> x.size(3)).isInstanceOf(IndexOutOfBoundsException.class);
    }

    @Test
    void theDefaultFloatingTypeDecidesWhatFactoriesAndNewLayersMake() {
        Kiln.setDefaultDtype(DType.FLOAT64);
        try {
            assertThat(Tensor.zeros(2, 3).dtype()).isEqualTo(DType.FLOAT64);
            assertThat(Tensor.rand(4).dtype()).isEqualTo(DType.FLOAT64);
            assertThat(Tensor.scalar(1.5).dtype()).isEqualTo(DType.FLOAT64);
            // computed in double and not rounded through float: 0.1 steps stay exact doubles
            assertThat(Tensor.arange(0, 1, 0.1).toDoubleArray()[3]).isEqualTo(0.30000000000000004);
            assertThat(Tensor.linspace(0, 1, 3).dtype()).isEqualTo(DType.FLOAT64);
            assertThat(new dev.kiln.nn.Linear(3, 2).weight().dtype()).isEqualTo(DType.FLOAT64);
            assertThat(Tensor.ones(DType.FLOAT32, 2).dtype()).isEqualTo(DType.FLOAT32);
        } finally {
            Kiln.setDefaultDtype(DType.FLOAT32);
        }
        assertThat(Tensor.zeros(2).dtype()).isEqualTo(DType.FLOAT32);
        assertThat(Tensor.arange(0, 1, 0.1).toFloatArray()[3]).isEqualTo(0.3f);
        assertThatThrownBy(() -> Kiln.setDefaultDtype(DType.INT64))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("only floating-point types (float32, float64) can be the default type");
        assertThat(Kiln.defaultDtype()).isEqualTo(DType.FLOAT32);
    }
}
