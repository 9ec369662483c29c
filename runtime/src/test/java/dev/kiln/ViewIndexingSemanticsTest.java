package dev.kiln;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Views (shape, strides, shared storage), indexing, joining and selection against PyTorch. */
class ViewIndexingSemanticsTest {

    private static Tensor m23() {
        return Tensor.of(new float[][] {{1, 2, 3}, {4, 5, 6}});
    }

    // ---------------------------------------------------------------------------------------------
    // Layout views

    @Test
    void transposeIsAStridedView() {
        Tensor x = m23();
        Tensor t = x.t();
        assertThat(t.shape()).isEqualTo(Shape.of(3, 2));
        assertThat(t.stride()).containsExactly(1, 3);
        assertThat(t.isContiguous()).isFalse();
        assertThat(t.toFloatArray()).containsExactly(1, 4, 2, 5, 3, 6);
        assertThat(x.transpose(0, 1).toFloatArray()).containsExactly(1, 4, 2, 5, 3, 6);
        assertThat(x.transpose(-1, -2).shape()).isEqualTo(Shape.of(3, 2));
        assertThat(Tensor.of(1f, 2f).t().shape()).isEqualTo(Shape.of(2));
        assertThatThrownBy(() -> Tensor.zeros(2, 2, 2).t()).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void permute() {
        Tensor x = Tensor.arange(24).reshape(2, 3, 4);
        Tensor p = x.permute(2, 0, 1);
        assertThat(p.shape()).isEqualTo(Shape.of(4, 2, 3));
        assertThat(p.stride()).containsExactly(1, 12, 4);
        // p[k][i][j] == x[i][j][k] == 12 i + 4 j + k
        assertThat(p.get(3, 1, 2).item()).isEqualTo(12 + 8 + 3);
        assertThat(x.permute(-1, 0, 1).shape()).isEqualTo(Shape.of(4, 2, 3));
        assertThatThrownBy(() -> x.permute(0, 0, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> x.permute(0, 1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void viewOfContiguousSharesStorage() {
        Tensor x = Tensor.arange(6).toFloat();
        Tensor v = x.view(2, 3);
        assertThat(v.shape()).isEqualTo(Shape.of(2, 3));
        assertThat(x.view(-1, 2).shape()).isEqualTo(Shape.of(3, 2));
        v.get(1).get(2).fill(100);
        assertThat(x.toFloatArray()[5]).isEqualTo(100f);
        assertThatThrownBy(() -> x.view(4, -1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> x.view(-1, -1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void viewOfTransposedFailsSuggestingReshape() {
        Tensor t = m23().t();
        assertThatThrownBy(() -> t.view(6)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("view").hasMessageContaining("reshape");
        // A view that keeps the transposed dimensions apart is fine.
        assertThat(t.view(3, 1, 2).shape()).isEqualTo(Shape.of(3, 1, 2));
    }

    @Test
    void reshapeCopiesWhenItMustAndViewsWhenItCan() {
        Tensor x = m23();
        Tensor r = x.t().reshape(6);
        assertThat(r.toFloatArray()).containsExactly(1, 4, 2, 5, 3, 6);
        try (var g = Kiln.noGrad()) {
            r.fill(0);
        }
        assertThat(x.toFloatArray()).containsExactly(1, 2, 3, 4, 5, 6); // the copy is independent
        Tensor v = x.reshape(3, 2);
        v.fill(7);
        assertThat(x.toFloatArray()).containsOnly(7f); // a view where possible
    }

    @Test
    void flatten() {
        Tensor x = Tensor.arange(24).reshape(2, 3, 4);
        assertThat(x.flatten().shape()).isEqualTo(Shape.of(24));
        assertThat(x.flatten(1, 2).shape()).isEqualTo(Shape.of(2, 12));
        assertThat(x.flatten(0, 1).shape()).isEqualTo(Shape.of(6, 4));
        assertThat(Tensor.scalar(3.0).flatten().shape()).isEqualTo(Shape.of(1));
        assertThat(x.transpose(0, 2).flatten().toLongArray()[1]).isEqualTo(12L);
    }

    @Test
    void unsqueezeAndSqueeze() {
        Tensor x = Tensor.of(1f, 2f, 3f);
        assertThat(x.unsqueeze(0).shape()).isEqualTo(Shape.of(1, 3));
        assertThat(x.unsqueeze(1).shape()).isEqualTo(Shape.of(3, 1));
        assertThat(x.unsqueeze(-1).shape()).isEqualTo(Shape.of(3, 1));
        assertThat(x.unsqueeze(-2).shape()).isEqualTo(Shape.of(1, 3));
        Tensor y = Tensor.zeros(1, 3, 1, 2);
        assertThat(y.squeeze().shape()).isEqualTo(Shape.of(3, 2));
        assertThat(y.squeeze(0).shape()).isEqualTo(Shape.of(3, 1, 2));
        assertThat(y.squeeze(2).shape()).isEqualTo(Shape.of(1, 3, 2));
        assertThat(y.squeeze(1).shape()).isEqualTo(Shape.of(1, 3, 1, 2)); // size 3: unchanged
        assertThat(Tensor.zeros(1, 1).squeeze().dim()).isZero();
    }

    @Test
    void expand() {
        Tensor x = Tensor.of(new float[][] {{1}, {2}});
        Tensor e = x.expand(2, 3);
        assertThat(e.shape()).isEqualTo(Shape.of(2, 3));
        assertThat(e.stride()).containsExactly(1, 0);
        assertThat(e.toFloatArray()).containsExactly(1, 1, 1, 2, 2, 2);
        assertThat(x.expand(4, -1, 3).shape()).isEqualTo(Shape.of(4, 2, 3));
        assertThatThrownBy(() -> x.expand(3, 3)).isInstanceOf(IllegalArgumentException.class);
        // An expanded view is not written in place: several elements share one location.
        assertThatThrownBy(() -> e.fill(0)).isInstanceOf(IllegalArgumentException.class);
    }

    // ---------------------------------------------------------------------------------------------
    // Slicing and element access

    @Test
    void sliceWithStepAndNegativeBounds() {
        Tensor x = Tensor.arange(10);
        assertThat(x.slice(0, 2, 8, 3).toLongArray()).containsExactly(2, 5);
        assertThat(x.slice(0, 0, 10, 3).toLongArray()).containsExactly(0, 3, 6, 9);
        assertThat(x.slice(0, -3, 10).toLongArray()).containsExactly(7, 8, 9); // x[-3:]
        assertThat(x.slice(0, 1, -1).toLongArray()).containsExactly(1, 2, 3, 4, 5, 6, 7, 8); // x[1:-1]
        assertThat(x.slice(0, -4, -1, 2).toLongArray()).containsExactly(6, 8); // x[-4:-1:2]
        assertThat(x.slice(0, 5, 100).toLongArray()).containsExactly(5, 6, 7, 8, 9); // clamps
        assertThat(x.slice(0, 7, 3).numel()).isZero(); // empty, not an error
        assertThat(x.slice(0, -100, 2).toLongArray()).containsExactly(0, 1);
        Tensor m = Tensor.arange(12).reshape(3, 4);
        Tensor cols = m.slice(1, 1, 4, 2); // m[:, 1::2]
        assertThat(cols.shape()).isEqualTo(Shape.of(3, 2));
        assertThat(cols.toLongArray()).containsExactly(1, 3, 5, 7, 9, 11);
        assertThatThrownBy(() -> x.slice(0, 0, 5, 0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void getWithNegativeIndexAndBoundsMessage() {
        Tensor x = Tensor.of(10L, 20L, 30L);
        assertThat(x.get(0).item()).isEqualTo(10.0);
        assertThat(x.get(-1).item()).isEqualTo(30.0);
        assertThat(x.get(-3).item()).isEqualTo(10.0);
        assertThat(x.get(0).dim()).isZero();
        assertThatThrownBy(() -> x.get(5)).isInstanceOf(IndexOutOfBoundsException.class)
                .hasMessageStartingWith("index 5 is out of bounds for dimension 0 with size 3");
        assertThatThrownBy(() -> x.get(-4)).isInstanceOf(IndexOutOfBoundsException.class)
                .hasMessageStartingWith("index -4 is out of bounds for dimension 0 with size 3");
        Tensor m = m23();
        assertThat(m.get(1).toFloatArray()).containsExactly(4, 5, 6);
        assertThat(m.get(1, 2).item()).isEqualTo(6.0);
        assertThat(m.get(-1, -3).item()).isEqualTo(4.0);
        assertThat(m.select(1, 1).toFloatArray()).containsExactly(2, 5);
        assertThatThrownBy(() -> m.select(1, 3)).isInstanceOf(IndexOutOfBoundsException.class)
                .hasMessageStartingWith("index 3 is out of bounds for dimension 1 with size 3");
    }

    @Test
    void viewsShareStorageWithTheBase() {
        Tensor x = m23().requiresGrad(true);
        try (var g = Kiln.noGrad()) {
            x.get(0).get(1).fill(-2);
            x.t().get(2).plusAssign(10); // column 2
            x.slice(1, 0, 3, 2).get(1).timesAssign(100); // x[1, ::2]
        }
        assertThat(x.toFloatArray()).containsExactly(1, -2, 13, 400, 5, 1600);
        Tensor plain = m23();
        Tensor row = plain.get(1);
        row.set(0, 42);
        assertThat(plain.toFloatArray()).containsExactly(1, 2, 3, 42, 5, 6);
        // Writes into the base are seen by an existing view, too.
        plain.plusAssign(1);
        assertThat(row.toFloatArray()).containsExactly(43, 6, 7);
    }

    // ---------------------------------------------------------------------------------------------
    // Gathering and joining

    @Test
    void indexSelect() {
        Tensor m = Tensor.arange(12).reshape(3, 4);
        Tensor rows = m.indexSelect(0, Tensor.of(2L, 0L, 2L));
        assertThat(rows.shape()).isEqualTo(Shape.of(3, 4));
        assertThat(rows.toLongArray()).containsExactly(8, 9, 10, 11, 0, 1, 2, 3, 8, 9, 10, 11);
        Tensor cols = m.indexSelect(1, Tensor.of(3L, -4L));
        assertThat(cols.shape()).isEqualTo(Shape.of(3, 2));
        assertThat(cols.toLongArray()).containsExactly(3, 0, 7, 4, 11, 8);
        Tensor fromT = m.t().indexSelect(0, Tensor.of(1L)); // a transposed input
        assertThat(fromT.toLongArray()).containsExactly(1, 5, 9);
        assertThatThrownBy(() -> m.indexSelect(0, Tensor.of(3L))).isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> m.indexSelect(0, Tensor.of(1f))).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void cat() {
        Tensor a = Tensor.of(new float[][] {{1, 2}});
        Tensor b = Tensor.of(new float[][] {{3, 4}, {5, 6}});
        Tensor rows = Tensor.cat(a, b);
        assertThat(rows.shape()).isEqualTo(Shape.of(3, 2));
        assertThat(rows.toFloatArray()).containsExactly(1, 2, 3, 4, 5, 6);
        Tensor cols = Tensor.cat(List.of(b, b.t()), 1);
        assertThat(cols.shape()).isEqualTo(Shape.of(2, 4));
        assertThat(cols.toFloatArray()).containsExactly(3, 4, 3, 5, 5, 6, 4, 6);
        assertThat(Tensor.cat(List.of(b, b), -1).shape()).isEqualTo(Shape.of(2, 4));
        assertThatThrownBy(() -> Tensor.cat(List.of(a, b), 1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("(1x2)").hasMessageContaining("(2x2)");
        // Mixed types promote.
        assertThat(Tensor.cat(Tensor.of(1L), Tensor.of(0.5f)).dtype()).isEqualTo(DType.FLOAT32);
    }

    @Test
    void stack() {
        Tensor a = Tensor.of(1f, 2f);
        Tensor b = Tensor.of(3f, 4f);
        Tensor s0 = Tensor.stack(a, b);
        assertThat(s0.shape()).isEqualTo(Shape.of(2, 2));
        assertThat(s0.toFloatArray()).containsExactly(1, 2, 3, 4);
        Tensor s1 = Tensor.stack(List.of(a, b), 1);
        assertThat(s1.toFloatArray()).containsExactly(1, 3, 2, 4);
        assertThat(Tensor.stack(List.of(a, b), -1).toFloatArray()).containsExactly(1, 3, 2, 4);
        assertThat(Tensor.stack(Tensor.scalar(1.0), Tensor.scalar(2.0)).shape()).isEqualTo(Shape.of(2));
        assertThatThrownBy(() -> Tensor.stack(a, Tensor.of(1f))).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void where() {
        Tensor c = Tensor.of(true, false, true);
        Tensor y = Tensor.where(c, Tensor.of(1f, 2f, 3f), Tensor.of(-1f, -2f, -3f));
        assertThat(y.toFloatArray()).containsExactly(1, -2, 3);
        Tensor x = Tensor.of(new float[][] {{-1, 2}, {3, -4}});
        assertThat(Tensor.where(x.gt(0.0), x, 0.0).toFloatArray()).containsExactly(0, 2, 3, 0);
        // Broadcast condition (column) against a row.
        Tensor grid = Tensor.where(Tensor.of(new boolean[][] {{true}, {false}}), Tensor.of(1f, 2f), Tensor.scalar(9.0));
        assertThat(grid.shape()).isEqualTo(Shape.of(2, 2));
        assertThat(grid.toFloatArray()).containsExactly(1, 2, 9, 9);
        assertThatThrownBy(() -> Tensor.where(Tensor.of(1f), x, x)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void maskedFill() {
        Tensor x = Tensor.of(new float[][] {{-1, 2}, {3, -4}});
        Tensor y = x.maskedFill(x.lt(0.0), 0);
        assertThat(y.toFloatArray()).containsExactly(0, 2, 3, 0);
        assertThat(x.toFloatArray()).containsExactly(-1, 2, 3, -4); // out of place
        // A row mask broadcasts over the rows.
        assertThat(x.maskedFill(Tensor.of(true, false), 7).toFloatArray()).containsExactly(7, 2, 7, -4);
        assertThatThrownBy(() -> Tensor.of(1f, 2f).maskedFill(Tensor.of(new boolean[][] {{true, false}, {false, true}}), 0))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(Tensor.of(1L, 2L).maskedFill(Tensor.of(true, false), 5).toLongArray()).containsExactly(5, 2);
    }

    @Test
    void unique() {
        Tensor u = Tensor.of(3L, 1L, 2L, 3L, 1L).unique();
        assertThat(u.toLongArray()).containsExactly(1, 2, 3);
        assertThat(Tensor.of(2.5f, -1f, 2.5f).unique().toFloatArray()).containsExactly(-1f, 2.5f);
        assertThat(Tensor.of(new float[][] {{1, 1}, {0, 1}}).unique().shape()).isEqualTo(Shape.of(2));
        assertThat(Tensor.of(true, true).unique().toBooleanArray()).containsExactly(true);
        // -0.0 == 0.0: one distinct value, as in PyTorch.
        assertThat(Tensor.of(0f, -0f, 0f).unique().numel()).isEqualTo(1);
    }

    // ---------------------------------------------------------------------------------------------
    // Copies and detaching

    @Test
    void cloneIsIndependent() {
        Tensor x = m23();
        Tensor c = x.clone();
        c.fill(0);
        assertThat(x.toFloatArray()).containsExactly(1, 2, 3, 4, 5, 6);
        Tensor ct = x.t().clone();
        assertThat(ct.isContiguous()).isTrue();
        assertThat(ct.toFloatArray()).containsExactly(1, 4, 2, 5, 3, 6);
    }

    @Test
    void detachSharesStorage() {
        Tensor x = m23().requiresGrad(true);
        Tensor d = x.detach();
        assertThat(d.requiresGrad()).isFalse();
        assertThat(d.isLeaf()).isTrue();
        d.get(0).fill(9);
        assertThat(x.toFloatArray()).containsExactly(9, 9, 9, 4, 5, 6);
    }

    // ---------------------------------------------------------------------------------------------
    // Comparisons of whole tensors

    @Test
    void allCloseDefaults() {
        Tensor a = Tensor.of(1.0, 100.0);
        // rtol 1e-5 relative to the second argument, atol 1e-8
        assertThat(a.allClose(Tensor.of(1.0 + 5e-6, 100.0 + 5e-4))).isTrue();
        assertThat(a.allClose(Tensor.of(1.0 + 2e-5, 100.0))).isFalse();
        assertThat(Tensor.of(0.0).allClose(Tensor.of(5e-9))).isTrue();
        assertThat(Tensor.of(0.0).allClose(Tensor.of(2e-8))).isFalse();
        assertThat(Tensor.of(Double.NaN).allClose(Tensor.of(Double.NaN))).isFalse();
        assertThat(Tensor.of(Double.POSITIVE_INFINITY).allClose(Tensor.of(Double.POSITIVE_INFINITY))).isTrue();
        assertThat(Tensor.of(1f, 1f).allClose(Tensor.scalar(1.0))).isTrue(); // broadcasts
        assertThat(a.allClose(Tensor.of(1.1, 100.0), 0, 0.2)).isTrue();
    }

    @Test
    void equalNeedsSameShapeAndValues() {
        assertThat(Tensor.of(1f, 2f).equal(Tensor.of(1f, 2f))).isTrue();
        assertThat(Tensor.of(1f, 2f).equal(Tensor.of(1f, 3f))).isFalse();
        assertThat(Tensor.of(1f, 1f).equal(Tensor.of(1f))).isFalse();
    }
}
