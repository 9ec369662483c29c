package dev.kiln;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** mm, mv, dot, bmm and matmul's rank rules against hand-computed products. */
class LinearAlgebraSemanticsTest {

    /** A (2x3) matrix [[1,2,3],[4,5,6]]. */
    private static Tensor a() {
        return Tensor.of(new float[][] {{1, 2, 3}, {4, 5, 6}});
    }

    /** A (3x2) matrix [[7,8],[9,10],[11,12]]. */
    private static Tensor b() {
        return Tensor.of(new float[][] {{7, 8}, {9, 10}, {11, 12}});
    }

    /** Naive reference product of row-major matrices. */
    private static double[] naive(double[] x, double[] y, int m, int k, int n) {
        double[] out = new double[m * n];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int p = 0; p < k; p++) {
                    s += x[i * k + p] * y[p * n + j];
                }
                out[i * n + j] = s;
            }
        }
        return out;
    }

    @Test
    void mm() {
        Tensor c = a().mm(b());
        assertThat(c.shape()).isEqualTo(Shape.of(2, 2));
        // [1*7+2*9+3*11, 1*8+2*10+3*12] = [58, 64]; [4*7+5*9+6*11, 4*8+5*10+6*12] = [139, 154]
        assertThat(c.toFloatArray()).containsExactly(58, 64, 139, 154);
        assertThat(c.dtype()).isEqualTo(DType.FLOAT32);
    }

    @Test
    void mv() {
        Tensor y = a().mv(Tensor.of(1f, 0f, -1f));
        assertThat(y.shape()).isEqualTo(Shape.of(2));
        assertThat(y.toFloatArray()).containsExactly(-2, -2);
        // Non-contiguous matrix and vector.
        Tensor v = Tensor.of(1f, 9f, 2f, 9f).slice(0, 0, 4, 2); // [1, 2]
        assertThat(a().t().mv(v).toFloatArray()).containsExactly(9, 12, 15);
    }

    @Test
    void dot() {
        Tensor d = Tensor.of(1f, 2f, 3f).dot(Tensor.of(4f, 5f, 6f));
        assertThat(d.dim()).isZero();
        assertThat(d.item()).isEqualTo(32.0);
        assertThat(Tensor.of(1f, 2f).dot(Tensor.of(1f, 2f, 3f, 4f).slice(0, 1, 4, 2)).item()).isEqualTo(10.0);
        assertThatThrownBy(() -> Tensor.of(1f, 2f).dot(Tensor.of(1f, 2f, 3f)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("(2)").hasMessageContaining("(3)");
    }

    @Test
    void matmulOneByOneIsDot() {
        Tensor r = Tensor.of(1f, 2f, 3f).matmul(Tensor.of(4f, 5f, 6f));
        assertThat(r.dim()).isZero();
        assertThat(r.item()).isEqualTo(32.0);
    }

    @Test
    void matmulTwoByOneIsMatrixVector() {
        Tensor r = a().matmul(Tensor.of(1f, 1f, 1f));
        assertThat(r.shape()).isEqualTo(Shape.of(2));
        assertThat(r.toFloatArray()).containsExactly(6, 15);
    }

    @Test
    void matmulOneByTwoIsVectorMatrix() {
        Tensor r = Tensor.of(1f, 1f).matmul(a());
        assertThat(r.shape()).isEqualTo(Shape.of(3));
        assertThat(r.toFloatArray()).containsExactly(5, 7, 9);
    }

    @Test
    void matmulTwoByTwoIsMm() {
        assertThat(a().matmul(b()).toFloatArray()).containsExactly(58, 64, 139, 154);
    }

    @Test
    void matmulThreeByTwoFoldsTheBatch() {
        Tensor x = Tensor.stack(a(), a().times(2)); // (2,2,3)
        Tensor r = x.matmul(b());
        assertThat(r.shape()).isEqualTo(Shape.of(2, 2, 2));
        assertThat(r.toFloatArray()).containsExactly(58, 64, 139, 154, 116, 128, 278, 308);
        Tensor rv = x.matmul(Tensor.of(1f, 1f, 1f));
        assertThat(rv.shape()).isEqualTo(Shape.of(2, 2));
        assertThat(rv.toFloatArray()).containsExactly(6, 15, 12, 30);
    }

    @Test
    void matmulBatchedWithBroadcastBatchDims() {
        // (2,1,2,3) @ (3,3,2) -> (2,3,2,2)
        Tensor x = Tensor.arange(12).reshape(2, 1, 2, 3).toDouble();
        Tensor y = Tensor.arange(18).reshape(3, 3, 2).toDouble().minus(5);
        Tensor r = x.matmul(y);
        assertThat(r.shape()).isEqualTo(Shape.of(2, 3, 2, 2));
        assertThat(r.dtype()).isEqualTo(DType.FLOAT64);
        double[] xv = x.toDoubleArray(), yv = y.toDoubleArray(), rv = r.toDoubleArray();
        for (int i = 0; i < 2; i++) {
            for (int j = 0; j < 3; j++) {
                double[] xm = java.util.Arrays.copyOfRange(xv, i * 6, i * 6 + 6);
                double[] ym = java.util.Arrays.copyOfRange(yv, j * 6, j * 6 + 6);
                double[] expected = naive(xm, ym, 2, 3, 2);
                double[] actual = java.util.Arrays.copyOfRange(rv, (i * 3 + j) * 4, (i * 3 + j) * 4 + 4);
                assertThat(actual).containsExactly(expected);
            }
        }
    }

    @Test
    void matmulTwoByThreeAndOneByThree() {
        // (2,3) @ (2,3,2) -> (2,2,2): the matrix broadcasts over the batch.
        Tensor y = Tensor.stack(b(), b().times(2));
        Tensor r = a().matmul(y);
        assertThat(r.shape()).isEqualTo(Shape.of(2, 2, 2));
        assertThat(r.toFloatArray()).containsExactly(58, 64, 139, 154, 116, 128, 278, 308);
        // (3) @ (2,3,2) -> (2,2)
        Tensor v = Tensor.of(1f, 1f, 1f).matmul(y);
        assertThat(v.shape()).isEqualTo(Shape.of(2, 2));
        assertThat(v.toFloatArray()).containsExactly(27, 30, 54, 60);
    }

    @Test
    void bmm() {
        Tensor x = Tensor.stack(a(), a());
        Tensor y = Tensor.stack(b(), b().times(-1));
        Tensor r = x.bmm(y);
        assertThat(r.shape()).isEqualTo(Shape.of(2, 2, 2));
        assertThat(r.toFloatArray()).containsExactly(58, 64, 139, 154, -58, -64, -139, -154);
    }

    @Test
    void transposedOperandsAreReadInPlace() {
        Tensor x = Tensor.arange(12).reshape(4, 3).toFloat(); // x.t() is (3x4)
        Tensor y = Tensor.arange(8).reshape(4, 2).toFloat().minus(3);
        assertThat(x.t().mm(y).toFloatArray()).containsExactly(x.t().contiguous().mm(y).toFloatArray());
        Tensor z = Tensor.arange(8).reshape(2, 4).toFloat();
        // Both operands transposed, and the right one only.
        assertThat(x.t().mm(z.t()).toFloatArray()).containsExactly(x.t().contiguous().mm(z.t().contiguous()).toFloatArray());
        Tensor w = Tensor.arange(12).reshape(3, 4).toFloat();
        assertThat(w.mm(x).toFloatArray()).containsExactly(w.mm(x.contiguous()).toFloatArray());
        assertThat(w.t().t().mm(x).toFloatArray()).containsExactly(w.mm(x).toFloatArray());
        assertThat(x.mm(w.t().contiguous().t()).toFloatArray()).containsExactly(x.mm(w).toFloatArray());
        Tensor u = Tensor.arange(12).reshape(4, 3).toFloat().t(); // (3x4), transposed layout
        assertThat(x.mm(u).toFloatArray()).containsExactly(x.mm(u.contiguous()).toFloatArray());
        // Hand-checked corner: x.t() @ y, entry (0,0) = sum_i x[i][0] * y[i][0] = 0*-3 + 3*-1 + 6*1 + 9*3 = 30
        assertThat(x.t().mm(y).toFloatArray()[0]).isEqualTo(30f);
        // Sliced operands with offsets.
        Tensor big = Tensor.arange(30).reshape(5, 6).toFloat();
        Tensor s = big.slice(0, 1, 4).slice(1, 2, 6); // (3x4) with offset and row stride 6
        assertThat(s.t().mm(s).toFloatArray()).containsExactly(s.contiguous().t().contiguous().mm(s.contiguous()).toFloatArray());
    }

    @Test
    void float64Products() {
        Tensor x = Tensor.of(new double[][] {{0.1, 0.2}, {0.3, 0.4}});
        Tensor r = x.mm(x);
        assertThat(r.dtype()).isEqualTo(DType.FLOAT64);
        assertThat(r.toDoubleArray()).containsExactly(
                0.1 * 0.1 + 0.2 * 0.3, 0.1 * 0.2 + 0.2 * 0.4, 0.3 * 0.1 + 0.4 * 0.3, 0.3 * 0.2 + 0.4 * 0.4);
        assertThat(x.mv(Tensor.of(1.0, 2.0)).toDoubleArray()).containsExactly(0.1 + 0.4, 0.3 + 0.8);
    }

    @Test
    void mmShapeMismatchMessage() {
        Tensor x = Tensor.zeros(64, 1000);
        Tensor y = Tensor.zeros(100, 10);
        assertThatThrownBy(() -> x.mm(y)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("mm: shapes (64x1000) and (100x10) cannot be multiplied");
        assertThatThrownBy(() -> x.matmul(y)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("(64x1000) and (100x10) cannot be multiplied");
        assertThatThrownBy(() -> Tensor.zeros(2, 3).mv(Tensor.zeros(2))).hasMessageContaining("(2x3)")
                .hasMessageContaining("(2)");
    }

    @Test
    void mmRankAndDtypeMismatchMessages() {
        assertThatThrownBy(() -> Tensor.zeros(2, 3).mm(Tensor.zeros(3, 2).toDouble()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("torch.float32").hasMessageContaining("torch.float64");
        assertThatThrownBy(() -> Tensor.zeros(3).mm(Tensor.zeros(3, 2)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("(3)");
        assertThatThrownBy(() -> Tensor.zeros(DType.INT64, 2, 2).mm(Tensor.zeros(DType.INT64, 2, 2)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("torch.int64");
        assertThatThrownBy(() -> Tensor.scalar(1.0).matmul(Tensor.zeros(2)))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
