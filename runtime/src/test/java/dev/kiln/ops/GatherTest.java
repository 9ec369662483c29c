package dev.kiln.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.DType;
import dev.kiln.Shape;
import dev.kiln.Tensor;
import dev.kiln.ops.GradCheck.Layout;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;

/** {@code Tensor.gather} against torch.gather's definition, and its gradient against central differences. */
class GatherTest extends GradCheckArbitraries {

    @Test
    void picksAlongEachDimension() {
        Tensor x = Tensor.of(new float[][] {{1, 2, 3}, {4, 5, 6}});
        // dim 1: out[i][j] = x[i][index[i][j]]
        Tensor rows = x.gather(1, Tensor.of(new long[][] {{2, 0}, {1, 1}}));
        assertThat(rows.shape()).isEqualTo(Shape.of(2, 2));
        assertThat(rows.toFloatArray()).containsExactly(3, 1, 5, 5);
        // dim 0: out[i][j] = x[index[i][j]][j]
        Tensor cols = x.gather(0, Tensor.of(new long[][] {{1, 0, 1}}));
        assertThat(cols.toFloatArray()).containsExactly(4, 2, 6);
        assertThat(x.gather(-1, Tensor.of(new long[][] {{0}, {2}})).toFloatArray()).containsExactly(1, 6);
        assertThat(rows.dtype()).isEqualTo(DType.FLOAT32);
        // The usual "entry of each row's label".
        Tensor labels = Tensor.of(2L, 0L);
        assertThat(x.gather(1, labels.unsqueeze(1)).squeeze(1).toFloatArray()).containsExactly(3, 4);
    }

    @Test
    void threeDimensionsAndNonContiguousInputs() {
        Tensor x = Tensor.arange(24).reshape(2, 3, 4);
        // out[i][j][k] = x[i][j][index[i][j][k]] = 12 i + 4 j + index
        Tensor idx = Tensor.of(new long[][][] {{{3, 0}, {1, 1}}, {{2, 2}, {0, 3}}});
        assertThat(x.gather(2, idx).toLongArray()).containsExactly(3, 0, 5, 5, 14, 14, 16, 19);
        // out[i][j][k] = x[i][index][k]
        Tensor idx1 = Tensor.of(new long[][][] {{{2, 0, 1, 0}}});
        assertThat(x.gather(1, idx1).toLongArray()).containsExactly(8, 1, 6, 3);
        Tensor t = Tensor.of(new double[][] {{1, 2}, {3, 4}}).t(); // [[1, 3], [2, 4]]
        assertThat(t.gather(1, Tensor.of(new long[][] {{1}, {0}})).toDoubleArray()).containsExactly(3, 2);
        assertThat(Tensor.of(true, false).gather(0, Tensor.of(1L, 1L, 0L)).toBooleanArray())
                .containsExactly(false, false, true);
        assertThat(Tensor.scalar(5.0, DType.FLOAT64).gather(0, Tensor.scalar(0L)).item()).isEqualTo(5.0);
    }

    @Test
    void gradientScatterAddsRepeatedPicks() {
        Tensor x = Tensor.of(new double[][] {{1, 2, 3}, {4, 5, 6}}).requiresGrad(true);
        Tensor y = x.gather(1, Tensor.of(new long[][] {{0, 0, 2}, {1, 1, 1}}));
        assertThat(y.gradFn().name()).isEqualTo("GatherBackward0");
        y.backward(Tensor.of(new double[][] {{1, 10, 100}, {1, 2, 3}}));
        assertThat(x.grad().toDoubleArray()).containsExactly(11, 0, 100, 0, 6, 0);
    }

    @Test
    void errors() {
        Tensor x = Tensor.zeros(2, 3);
        assertThatThrownBy(() -> x.gather(1, Tensor.of(new float[][] {{0}, {1}})))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("gather: the index must be an int64 tensor, but it is torch.float32; convert it with toLong()");
        assertThatThrownBy(() -> x.gather(1, Tensor.of(0L, 1L)))
                .hasMessage("gather: the index must have as many dimensions as the input, but the input has shape (2x3)"
                        + " and the index (2)");
        assertThatThrownBy(() -> x.gather(1, Tensor.zeros(3, 1).toLong()))
                .hasMessage("gather: the index of shape (3x1) is larger than the input of shape (2x3) at dimension 0"
                        + " (sizes outside dimension 1 must not exceed the input's)");
        assertThatThrownBy(() -> x.gather(1, Tensor.of(new long[][] {{0}, {3}})))
                .isInstanceOf(IndexOutOfBoundsException.class)
                .hasMessage("gather: index 3 is out of bounds for dimension 1 with size 3 (input of shape (2x3), found at"
                        + " position [1, 0] of the index)");
        assertThatThrownBy(() -> x.gather(1, Tensor.of(new long[][] {{-1}, {0}})))
                .isInstanceOf(IndexOutOfBoundsException.class).hasMessageContaining("index -1 is out of bounds");
        assertThatThrownBy(() -> x.gather(2, Tensor.zeros(2, 3).toLong())).isInstanceOf(IndexOutOfBoundsException.class);
    }

    @Property(tries = 40)
    void gradientMatchesCentralDifferences(@ForAll("nonScalarShapes") int[] shape, @ForAll long seed,
                                           @ForAll Layout layout) {
        Random r = new Random(seed);
        int d = r.nextInt(shape.length);
        int[] indexShape = shape.clone();
        for (int i = 0; i < shape.length; i++) {
            indexShape[i] = i == d ? 1 + r.nextInt(4) : 1 + r.nextInt(shape[i]);
        }
        long[] idx = new long[Shape.of(indexShape).numel()];
        for (int i = 0; i < idx.length; i++) {
            idx[i] = r.nextInt(shape[d]);
        }
        Tensor index = Tensor.of(idx).reshape(indexShape);
        GradCheck.check("gather(" + d + ", " + str(indexShape) + ")", xs -> xs[0].gather(d, index),
                GradCheck.randn(r, shape).in(layout));
    }
}
