package dev.kiln;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

/** Reductions (sum, mean, max, min, argmax, argmin) and softmax against PyTorch's semantics. */
class ReductionSemanticsTest {

    private static Tensor m23() {
        return Tensor.of(new float[][] {{1, 2, 3}, {4, 5, 6}});
    }

    // ---------------------------------------------------------------------------------------------
    // sum and mean

    @Test
    void sumWholeIsZeroDim() {
        Tensor s = m23().sum();
        assertThat(s.dim()).isZero();
        assertThat(s.dtype()).isEqualTo(DType.FLOAT32);
        assertThat(s.item()).isEqualTo(21.0);
    }

    @Test
    void sumPerDim() {
        Tensor s0 = m23().sum(0);
        assertThat(s0.shape()).isEqualTo(Shape.of(3));
        assertThat(s0.toFloatArray()).containsExactly(5, 7, 9);
        Tensor s1 = m23().sum(1);
        assertThat(s1.shape()).isEqualTo(Shape.of(2));
        assertThat(s1.toFloatArray()).containsExactly(6, 15);
        assertThat(m23().sum(-1).toFloatArray()).containsExactly(6, 15);
    }

    @Test
    void sumKeepDim() {
        Tensor s = m23().sum(1, true);
        assertThat(s.shape()).isEqualTo(Shape.of(2, 1));
        assertThat(s.toFloatArray()).containsExactly(6, 15);
        assertThat(m23().sum(0, true).shape()).isEqualTo(Shape.of(1, 3));
    }

    @Test
    void sumOverSeveralDims() {
        Tensor x = Tensor.arange(24).reshape(2, 3, 4).toFloat();
        // sum over dims 0 and 2: out[j] = sum_i sum_k (12 i + 4 j + k)
        Tensor s = x.sum(new int[] {0, 2}, false);
        assertThat(s.shape()).isEqualTo(Shape.of(3));
        float[] expected = new float[3];
        for (int i = 0; i < 2; i++) {
            for (int j = 0; j < 3; j++) {
                for (int k = 0; k < 4; k++) {
                    expected[j] += 12 * i + 4 * j + k;
                }
            }
        }
        assertThat(s.toFloatArray()).containsExactly(expected);
        assertThat(x.sum(new int[] {2, 0}, true).shape()).isEqualTo(Shape.of(1, 3, 1));
        assertThat(x.sum(new int[] {-1, 0}, true).toFloatArray()).containsExactly(expected);
        assertThatThrownBy(() -> x.sum(new int[] {0, 0}, false)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void sumOfNonContiguous() {
        assertThat(m23().t().sum(0).toFloatArray()).containsExactly(6, 15);
    }

    @Test
    void int64SumStaysInt64AndBoolSumIsInt64() {
        Tensor s = Tensor.of(1L, 2L, 3L).sum();
        assertThat(s.dtype()).isEqualTo(DType.INT64);
        assertThat(s.toLongArray()).containsExactly(6);
        long big = (1L << 60) + 1;
        assertThat(Tensor.of(big, 2L).sum().toLongArray()).containsExactly(big + 2);
        Tensor b = Tensor.of(true, false, true).sum();
        assertThat(b.dtype()).isEqualTo(DType.INT64);
        assertThat(b.item()).isEqualTo(2.0);
    }

    @Test
    void float64SumStaysFloat64() {
        assertThat(Tensor.of(0.1, 0.2).sum().dtype()).isEqualTo(DType.FLOAT64);
    }

    @Test
    void meanWholeAndPerDim() {
        assertThat(m23().mean().item()).isEqualTo(3.5);
        assertThat(m23().mean().dim()).isZero();
        assertThat(m23().mean(0).toFloatArray()).containsExactly(2.5f, 3.5f, 4.5f);
        Tensor m1 = m23().mean(1, true);
        assertThat(m1.shape()).isEqualTo(Shape.of(2, 1));
        assertThat(m1.toFloatArray()).containsExactly(2, 5);
        assertThat(m23().mean(new int[] {0, 1}, false).item()).isEqualTo(3.5);
        assertThat(Tensor.of(1.0, 2.0).mean().dtype()).isEqualTo(DType.FLOAT64);
    }

    @Test
    void meanOfInt64IsAnError() {
        assertThatThrownBy(() -> Tensor.of(1L, 2L).mean()).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("mean").hasMessageContaining("torch.int64");
    }

    // ---------------------------------------------------------------------------------------------
    // max, min, argmax, argmin

    @Test
    void maxAndMinWhole() {
        Tensor x = Tensor.of(new float[][] {{3, -1, 7}, {2, 9, -4}});
        assertThat(x.max().item()).isEqualTo(9.0);
        assertThat(x.max().dim()).isZero();
        assertThat(x.min().item()).isEqualTo(-4.0);
        assertThat(Tensor.of(5L, -2L).max().dtype()).isEqualTo(DType.INT64);
    }

    @Test
    void maxAlongDimGivesValuesAndFirstIndexOnTies() {
        Tensor x = Tensor.of(new float[][] {{1, 5, 5}, {7, 7, 2}});
        ValuesAndIndices r = x.max(1);
        assertThat(r.values().shape()).isEqualTo(Shape.of(2));
        assertThat(r.values().toFloatArray()).containsExactly(5, 7);
        assertThat(r.indices().dtype()).isEqualTo(DType.INT64);
        assertThat(r.indices().toLongArray()).containsExactly(1, 0);
        ValuesAndIndices c = x.max(0);
        assertThat(c.values().toFloatArray()).containsExactly(7, 7, 5);
        assertThat(c.indices().toLongArray()).containsExactly(1, 1, 0);
        ValuesAndIndices k = x.max(1, true);
        assertThat(k.values().shape()).isEqualTo(Shape.of(2, 1));
        assertThat(k.indices().shape()).isEqualTo(Shape.of(2, 1));
        ValuesAndIndices mn = x.min(-1);
        assertThat(mn.values().toFloatArray()).containsExactly(1, 2);
        assertThat(mn.indices().toLongArray()).containsExactly(0, 2);
    }

    @Test
    void argmaxArgminWholeAndPerDim() {
        Tensor x = Tensor.of(new float[][] {{1, 9, 3}, {9, 0, 0}});
        Tensor a = x.argmax();
        assertThat(a.dim()).isZero();
        assertThat(a.dtype()).isEqualTo(DType.INT64);
        assertThat(a.item()).isEqualTo(1.0); // first of the tied maxima in flattened order
        assertThat(x.argmin().item()).isEqualTo(4.0);
        assertThat(x.argmax(0).toLongArray()).containsExactly(1, 0, 0);
        assertThat(x.argmax(1).toLongArray()).containsExactly(1, 0);
        assertThat(x.argmin(1).toLongArray()).containsExactly(0, 1);
        assertThat(x.argmax(1, true).shape()).isEqualTo(Shape.of(2, 1));
        assertThat(x.t().argmax(0).toLongArray()).containsExactly(1, 0);
    }

    @Test
    void maxPropagatesNaN() {
        Tensor x = Tensor.of(1f, Float.NaN, 3f);
        assertThat(x.max().item()).isNaN();
        assertThat(x.min().item()).isNaN();
        ValuesAndIndices r = Tensor.of(new float[][] {{1, Float.NaN, 3}, {4, 5, 6}}).max(1);
        float[] values = r.values().toFloatArray();
        assertThat(values[0]).isNaN();
        assertThat(values[1]).isEqualTo(6f);
        assertThat(r.indices().toLongArray()).containsExactly(1, 2);
        assertThat(x.argmax().item()).isEqualTo(1.0);
    }

    @Test
    void maxOfEmptyIsAnError() {
        assertThatThrownBy(() -> Tensor.zeros(0).max()).isInstanceOf(IllegalArgumentException.class);
    }

    // ---------------------------------------------------------------------------------------------
    // softmax and log-softmax

    @Test
    void softmaxRowsSumToOne() {
        Tensor x = Tensor.of(new float[][] {{1, 2, 3}, {-1, 0, 1}});
        Tensor s = x.softmax(1);
        assertThat(s.shape()).isEqualTo(Shape.of(2, 3));
        float[] v = s.toFloatArray();
        double e1 = Math.exp(1), e2 = Math.exp(2), e3 = Math.exp(3);
        double total = e1 + e2 + e3;
        assertThat((double) v[0]).isCloseTo(e1 / total, within(1e-6));
        assertThat((double) v[1]).isCloseTo(e2 / total, within(1e-6));
        assertThat((double) v[2]).isCloseTo(e3 / total, within(1e-6));
        // Row 2 is row 1 shifted by -2: softmax is shift invariant.
        for (int j = 0; j < 3; j++) {
            assertThat(v[3 + j]).isCloseTo(v[j], within(1e-6f));
        }
        float[] rowSums = s.sum(1).toFloatArray();
        assertThat(rowSums[0]).isCloseTo(1f, within(1e-6f));
        assertThat(rowSums[1]).isCloseTo(1f, within(1e-6f));
        // Along dim 0 the columns sum to one.
        for (float c : x.softmax(0).sum(0).toFloatArray()) {
            assertThat(c).isCloseTo(1f, within(1e-6f));
        }
    }

    @Test
    void logSoftmaxAgreesWithLogOfSoftmax() {
        Tensor x = Tensor.of(new double[][] {{0.5, -1.25, 2.0}, {3.0, 3.0, 3.0}});
        Tensor ls = x.logSoftmax(-1);
        assertThat(ls.dtype()).isEqualTo(DType.FLOAT64);
        assertThat(ls.allClose(x.softmax(-1).log(), 1e-12, 1e-12)).isTrue();
        double[] v = ls.toDoubleArray();
        assertThat(v[3]).isCloseTo(-Math.log(3), within(1e-12));
    }

    @Test
    void softmaxIsStableForLargeInputs() {
        Tensor x = Tensor.of(1000f, 1000f, 990f);
        float[] s = x.softmax(0).toFloatArray();
        double small = Math.exp(-10);
        assertThat((double) s[0]).isCloseTo(1 / (2 + small), within(1e-6));
        assertThat((double) s[2]).isCloseTo(small / (2 + small), within(1e-7));
        float[] ls = x.logSoftmax(0).toFloatArray();
        assertThat((double) ls[0]).isCloseTo(-Math.log(2 + small), within(1e-5));
        assertThat(ls).doesNotContain(Float.NaN, Float.NEGATIVE_INFINITY);
        float[] neg = Tensor.of(-1000f, -1000f).softmax(0).toFloatArray();
        assertThat(neg).containsExactly(0.5f, 0.5f);
    }

    @Test
    void softmaxOfIntegerTensorIsAnError() {
        assertThatThrownBy(() -> Tensor.of(1L, 2L).softmax(0)).isInstanceOf(IllegalArgumentException.class);
    }
}
