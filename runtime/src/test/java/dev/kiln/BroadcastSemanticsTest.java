package dev.kiln;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** Broadcasting and type promotion against PyTorch's documented rules, with hand-computed values. */
class BroadcastSemanticsTest {

    private static Tensor m23() {
        return Tensor.of(new float[][] {{1, 2, 3}, {4, 5, 6}});
    }

    // ---------------------------------------------------------------------------------------------
    // Broadcasting shapes and values

    @Test
    void matrixPlusRowVector() {
        Tensor y = m23().plus(Tensor.of(10f, 20f, 30f));
        assertThat(y.shape()).isEqualTo(Shape.of(2, 3));
        assertThat(y.toFloatArray()).containsExactly(11, 22, 33, 14, 25, 36);
    }

    @Test
    void columnPlusRowGivesOuterSum() {
        Tensor col = Tensor.of(new float[][] {{1}, {2}});
        Tensor row = Tensor.of(new float[][] {{10, 20, 30}});
        Tensor y = col.plus(row);
        assertThat(y.shape()).isEqualTo(Shape.of(2, 3));
        assertThat(y.toFloatArray()).containsExactly(11, 21, 31, 12, 22, 32);
        // Symmetric.
        assertThat(row.plus(col).toFloatArray()).containsExactly(11, 21, 31, 12, 22, 32);
    }

    @Test
    void threeDimTimesTwoDim() {
        // (3,1,2) * (4,2) -> (3,4,2): y[i][j][k] = a[i][0][k] * b[j][k]
        Tensor a = Tensor.of(new float[][][] {{{1, 2}}, {{3, 4}}, {{5, 6}}});
        Tensor b = Tensor.of(new float[][] {{1, 10}, {2, 20}, {3, 30}, {4, 40}});
        Tensor y = a.times(b);
        assertThat(y.shape()).isEqualTo(Shape.of(3, 4, 2));
        float[] expected = new float[24];
        float[][] av = {{1, 2}, {3, 4}, {5, 6}};
        float[][] bv = {{1, 10}, {2, 20}, {3, 30}, {4, 40}};
        for (int i = 0; i < 3; i++) {
            for (int j = 0; j < 4; j++) {
                for (int k = 0; k < 2; k++) {
                    expected[(i * 4 + j) * 2 + k] = av[i][k] * bv[j][k];
                }
            }
        }
        assertThat(y.toFloatArray()).containsExactly(expected);
        assertThat(b.times(a).toFloatArray()).containsExactly(expected);
    }

    @Test
    void zeroDimWithNDim() {
        Tensor s = Tensor.scalar(2.0);
        Tensor y = m23().times(s);
        assertThat(y.shape()).isEqualTo(Shape.of(2, 3));
        assertThat(y.toFloatArray()).containsExactly(2, 4, 6, 8, 10, 12);
        Tensor z = s.minus(m23());
        assertThat(z.shape()).isEqualTo(Shape.of(2, 3));
        assertThat(z.toFloatArray()).containsExactly(1, 0, -1, -2, -3, -4);
        Tensor both = Tensor.scalar(2.0).plus(Tensor.scalar(3.0));
        assertThat(both.dim()).isZero();
        assertThat(both.item()).isEqualTo(5.0);
    }

    @Test
    void broadcastsAgainstSizeOneDimensionsAndEmpty() {
        Tensor y = Tensor.ones(1, 3).plus(Tensor.ones(0, 1));
        assertThat(y.shape()).isEqualTo(Shape.of(0, 3));
        assertThat(y.numel()).isZero();
    }

    @Test
    void broadcastsNonContiguousOperands() {
        Tensor a = m23().t(); // (3,2): [[1,4],[2,5],[3,6]]
        Tensor y = a.plus(Tensor.of(100f, 200f));
        assertThat(y.toFloatArray()).containsExactly(101, 204, 102, 205, 103, 206);
    }

    @Test
    void scalarOverloads() {
        Tensor x = Tensor.of(1f, 2f, 3f);
        assertThat(x.times(2).toFloatArray()).containsExactly(2, 4, 6);
        assertThat(x.times(2).dtype()).isEqualTo(DType.FLOAT32);
        assertThat(x.minus(1.5).toFloatArray()).containsExactly(-0.5f, 0.5f, 1.5f);
        assertThat(x.plus(1).toFloatArray()).containsExactly(2, 3, 4);
        assertThat(x.div(2).toFloatArray()).containsExactly(0.5f, 1f, 1.5f);
        assertThat(x.div(4.0).toFloatArray()).containsExactly(0.25f, 0.5f, 0.75f);
        assertThat(x.unaryMinus().toFloatArray()).containsExactly(-1, -2, -3);
        assertThat(x.pow(2).toFloatArray()).containsExactly(1, 4, 9);
    }

    // ---------------------------------------------------------------------------------------------
    // Type promotion (torch.result_type)

    @Test
    void int64PlusDoubleScalarIsFloat32() {
        Tensor y = Tensor.of(1L, 2L).plus(1.5);
        assertThat(y.dtype()).isEqualTo(DType.FLOAT32);
        assertThat(y.toFloatArray()).containsExactly(2.5f, 3.5f);
    }

    @Test
    void int64WithLongScalarStaysInt64() {
        Tensor x = Tensor.of(1L, 2L, 3L);
        assertThat(x.plus(2).dtype()).isEqualTo(DType.INT64);
        assertThat(x.times(3).toLongArray()).containsExactly(3, 6, 9);
        assertThat(x.minus(5L).toLongArray()).containsExactly(-4, -3, -2);
    }

    @Test
    void int64PlusInt64StaysInt64() {
        Tensor y = Tensor.of(1L, 2L).plus(Tensor.of(10L, 20L));
        assertThat(y.dtype()).isEqualTo(DType.INT64);
        assertThat(y.toLongArray()).containsExactly(11, 22);
        // Large values are exact (no detour through double).
        long big = (1L << 53) + 1;
        assertThat(Tensor.of(big).plus(Tensor.of(1L)).toLongArray()).containsExactly(big + 1);
    }

    @Test
    void float32TensorWithFloat64ZeroDimStaysFloat32() {
        Tensor y = Tensor.of(1f, 2f).plus(Tensor.scalar(0.5, DType.FLOAT64));
        assertThat(y.dtype()).isEqualTo(DType.FLOAT32);
        assertThat(y.toFloatArray()).containsExactly(1.5f, 2.5f);
        assertThat(Tensor.scalar(0.5, DType.FLOAT64).times(Tensor.of(2f)).dtype()).isEqualTo(DType.FLOAT32);
    }

    @Test
    void int64TensorWithFloat64ZeroDimTakesTheZeroDimType() {
        // A 0-d operand of a higher category decides: torch.tensor([1, 2]) + torch.tensor(0.5, dtype=float64) is float64.
        Tensor y = Tensor.of(1L, 2L).plus(Tensor.scalar(0.5, DType.FLOAT64));
        assertThat(y.dtype()).isEqualTo(DType.FLOAT64);
        assertThat(y.toDoubleArray()).containsExactly(1.5, 2.5);
    }

    @Test
    void float32WithInt64ZeroDimStaysFloat32() {
        assertThat(Tensor.of(1f).plus(Tensor.scalar(3L)).dtype()).isEqualTo(DType.FLOAT32);
    }

    @Test
    void float32PlusFloat64BothNDimIsFloat64() {
        Tensor y = Tensor.of(1f, 2f).plus(Tensor.of(0.25, 0.5));
        assertThat(y.dtype()).isEqualTo(DType.FLOAT64);
        assertThat(y.toDoubleArray()).containsExactly(1.25, 2.5);
    }

    @Test
    void twoZeroDimTensorsPromoteNormally() {
        assertThat(Tensor.scalar(1.0).plus(Tensor.scalar(1.0, DType.FLOAT64)).dtype()).isEqualTo(DType.FLOAT64);
    }

    @Test
    void int64DivisionIsTrueDivisionToFloat32() {
        Tensor y = Tensor.of(7L, -7L, 6L).div(Tensor.of(2L, 2L, 3L));
        assertThat(y.dtype()).isEqualTo(DType.FLOAT32);
        assertThat(y.toFloatArray()).containsExactly(3.5f, -3.5f, 2f);
        Tensor z = Tensor.of(1L, 2L).div(2);
        assertThat(z.dtype()).isEqualTo(DType.FLOAT32);
        assertThat(z.toFloatArray()).containsExactly(0.5f, 1f);
    }

    @Test
    void int64PlusFloat32TensorIsFloat32() {
        Tensor y = Tensor.of(1L, 2L).plus(Tensor.of(0.5f, 0.5f));
        assertThat(y.dtype()).isEqualTo(DType.FLOAT32);
        assertThat(y.toFloatArray()).containsExactly(1.5f, 2.5f);
    }

    @Test
    void boolArithmetic() {
        Tensor a = Tensor.of(true, true, false, false);
        Tensor b = Tensor.of(true, false, true, false);
        Tensor sum = a.plus(b);
        assertThat(sum.dtype()).isEqualTo(DType.BOOL);
        assertThat(sum.toBooleanArray()).containsExactly(true, true, true, false);
        Tensor prod = a.times(b);
        assertThat(prod.dtype()).isEqualTo(DType.BOOL);
        assertThat(prod.toBooleanArray()).containsExactly(true, false, false, false);
        // bool with a Java long gives int64, with a double float32; bool with an int64 tensor gives int64.
        assertThat(a.plus(1).dtype()).isEqualTo(DType.INT64);
        assertThat(a.plus(1).toLongArray()).containsExactly(2, 2, 1, 1);
        assertThat(a.times(0.5).dtype()).isEqualTo(DType.FLOAT32);
        assertThat(a.plus(Tensor.of(1L, 1L, 1L, 1L)).dtype()).isEqualTo(DType.INT64);
        assertThatThrownBy(() -> a.minus(b)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("bool");
    }

    @Test
    void comparisonsGiveBool() {
        Tensor x = Tensor.of(1f, 2f, 3f);
        Tensor y = Tensor.of(3f, 2f, 1f);
        assertThat(x.lt(y).dtype()).isEqualTo(DType.BOOL);
        assertThat(x.lt(y).toBooleanArray()).containsExactly(true, false, false);
        assertThat(x.le(y).toBooleanArray()).containsExactly(true, true, false);
        assertThat(x.gt(y).toBooleanArray()).containsExactly(false, false, true);
        assertThat(x.ge(y).toBooleanArray()).containsExactly(false, true, true);
        assertThat(x.eq(y).toBooleanArray()).containsExactly(false, true, false);
        assertThat(x.ne(y).toBooleanArray()).containsExactly(true, false, true);
        assertThat(x.gt(1.5).toBooleanArray()).containsExactly(false, true, true);
        // Mixed types compare on the common type; broadcasting applies.
        assertThat(Tensor.of(1L, 2L).eq(Tensor.of(1.0, 2.5)).toBooleanArray()).containsExactly(true, false);
        assertThat(Tensor.of(1L, 2L, 3L).lt(2.5).toBooleanArray()).containsExactly(true, true, false);
        Tensor grid = Tensor.of(new float[][] {{1}, {2}}).lt(Tensor.of(1f, 2f, 3f));
        assertThat(grid.shape()).isEqualTo(Shape.of(2, 3));
        assertThat(grid.toBooleanArray()).containsExactly(false, true, true, false, false, true);
    }

    @Test
    void nanComparesFalseExceptNe() {
        Tensor x = Tensor.of(Float.NaN);
        assertThat(x.eq(x).toBooleanArray()).containsExactly(false);
        assertThat(x.ne(x).toBooleanArray()).containsExactly(true);
        assertThat(x.lt(0.0).toBooleanArray()).containsExactly(false);
    }

    @Test
    void integerPowerStaysIntegerAndFollowsPyTorchForNegativeExponents() {
        Tensor x = Tensor.of(2L, 3L, -2L);
        assertThat(x.pow(3).dtype()).isEqualTo(DType.INT64);
        assertThat(x.pow(3).toLongArray()).containsExactly(8, 27, -8);
        assertThat(Tensor.of(2L).pow(Tensor.of(62L)).toLongArray()).containsExactly(1L << 62);
        // A huge exponent is computed by squaring (and wraps like int64 arithmetic), not by a long loop.
        assertThat(Tensor.of(1L, -1L, 0L).pow(Tensor.of(Long.MAX_VALUE)).toLongArray()).containsExactly(1, -1, 0);
        // torch.tensor([2, 1, -1, -1]) ** torch.tensor([-1, -3, -3, -2]) == tensor([0, 1, -1, 1])
        Tensor neg = Tensor.of(2L, 1L, -1L, -1L).pow(Tensor.of(-1L, -3L, -3L, -2L));
        assertThat(neg.toLongArray()).containsExactly(0, 1, -1, 1);
        assertThat(Tensor.of(2f, 3f).pow(Tensor.of(2L)).toFloatArray()).containsExactly(4, 9);
    }

    // ---------------------------------------------------------------------------------------------
    // Gradients of broadcast operations are summed back to each operand's shape

    @Test
    void broadcastGradientsAreReduced() {
        Tensor a = Tensor.of(new float[][] {{1}, {2}}).requiresGrad(true);
        Tensor b = Tensor.of(new float[][] {{10, 20, 30}}).requiresGrad(true);
        a.times(b).sum().backward();
        assertThat(a.grad().shape()).isEqualTo(Shape.of(2, 1));
        assertThat(a.grad().toFloatArray()).containsExactly(60, 60); // sum of b
        assertThat(b.grad().shape()).isEqualTo(Shape.of(1, 3));
        assertThat(b.grad().toFloatArray()).containsExactly(3, 3, 3); // sum of a
    }

    @Test
    void zeroDimOperandGradientKeepsItsShapeAndType() {
        Tensor s = Tensor.scalar(2.0, DType.FLOAT64).requiresGrad(true);
        Tensor x = Tensor.of(1f, 2f, 3f).requiresGrad(true);
        Tensor y = x.times(s);
        assertThat(y.dtype()).isEqualTo(DType.FLOAT32);
        y.sum().backward();
        assertThat(s.grad().dim()).isZero();
        assertThat(s.grad().dtype()).isEqualTo(DType.FLOAT64);
        assertThat(s.grad().item()).isEqualTo(6.0);
        assertThat(x.grad().dtype()).isEqualTo(DType.FLOAT32);
        assertThat(x.grad().toFloatArray()).containsExactly(2, 2, 2);
    }

    @Test
    void threeDimByTwoDimGradient() {
        Tensor a = Tensor.ones(3, 1, 2).requiresGrad(true);
        Tensor b = Tensor.of(new float[][] {{1, 10}, {2, 20}, {3, 30}, {4, 40}}).requiresGrad(true);
        a.times(b).sum().backward();
        // d/da[i][0][k] = sum_j b[j][k]; d/db[j][k] = sum_i a[i][0][k]
        assertThat(a.grad().toFloatArray()).containsExactly(10, 100, 10, 100, 10, 100);
        assertThat(b.grad().toFloatArray()).containsOnly(3f);
    }

    // ---------------------------------------------------------------------------------------------
    // Errors

    @Test
    void broadcastErrorNamesBothShapes() {
        Tensor a = Tensor.zeros(2, 3);
        Tensor b = Tensor.zeros(4);
        assertThatThrownBy(() -> a.plus(b)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("(2x3)").hasMessageContaining("(4)");
        assertThatThrownBy(() -> Tensor.zeros(2, 3).times(Tensor.zeros(3, 2)))
                .hasMessageContaining("(2x3)").hasMessageContaining("(3x2)").hasMessageContaining("times");
    }

    @org.junit.jupiter.api.Test
    void comparisonsWithLongScalarsAreExactOnInt64() {
        Tensor big = Tensor.of(16777217L, 16777216L);
        org.assertj.core.api.Assertions.assertThat(big.eq(16777217L).toBooleanArray()).containsExactly(true, false);
        org.assertj.core.api.Assertions.assertThat(big.gt(16777216L).toBooleanArray()).containsExactly(true, false);
        org.assertj.core.api.Assertions.assertThat(Tensor.of(1.5f, 2f).ge(2).toBooleanArray()).containsExactly(false, true);
    }
}
