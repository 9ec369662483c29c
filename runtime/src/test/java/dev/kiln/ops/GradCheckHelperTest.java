package dev.kiln.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.Tensor;
import dev.kiln.autograd.Graph;
import dev.kiln.ops.GradCheck.Input;
import dev.kiln.ops.GradCheck.Layout;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The gradient checker itself: it passes right derivatives, catches wrong ones, and builds the layouts it claims. */
class GradCheckHelperTest {

    /** x^2 computed without recording, with a derivative of g * x * factor recorded by hand. */
    private static Tensor square(Tensor x, double factor) {
        Tensor y;
        try (var noGrad = dev.kiln.Kiln.noGrad()) {
            y = x.times(x);
        }
        return Graph.record("SquareTest", y, new Tensor[] {x}, new Tensor[] {x},
                (g, ctx) -> new Tensor[] {g.times(ctx.saved(0)).times(factor)});
    }

    @Test
    void acceptsTheRightDerivative() {
        GradCheck.check("square", xs -> square(xs[0], 2.0), GradCheck.randn(new Random(1), 3, 4));
    }

    @Test
    void rejectsAWrongDerivative() {
        assertThatThrownBy(() -> GradCheck.check("square", xs -> square(xs[0], 2.001),
                GradCheck.randn(new Random(1), 3, 4)))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("differ from central differences");
    }

    @Test
    void rejectsAGradientMissingFromOneElement() {
        Tensor keep = Tensor.of(1.0, 1.0, 0.0, 1.0);
        assertThatThrownBy(() -> GradCheck.check("partly", xs -> {
            Tensor y;
            try (var noGrad = dev.kiln.Kiln.noGrad()) {
                y = xs[0].exp();
            }
            return Graph.record("PartlyTest", y, new Tensor[] {xs[0]}, new Tensor[] {y},
                    (g, ctx) -> new Tensor[] {g.times(ctx.saved(0)).times(keep)});
        }, GradCheck.randn(new Random(2), 4)))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("1 of 4 gradient element(s)")
                .hasMessageContaining("index [2]");
    }

    @Test
    void layoutsHoldTheSameValuesInOtherStrides() {
        Input x = GradCheck.randn(new Random(3), 3, 5);
        Tensor c = x.in(Layout.CONTIGUOUS).tensor();
        Tensor t = x.in(Layout.TRANSPOSED).tensor();
        Tensor s = x.in(Layout.STRIDED).tensor();
        assertThat(c.isContiguous()).isTrue();
        assertThat(t.isContiguous()).isFalse();
        assertThat(s.isContiguous()).isFalse();
        assertThat(t.stride()).containsExactly(1, 3);
        assertThat(s.stride()).containsExactly(10, 2);
        assertThat(t.toDoubleArray()).containsExactly(x.data());
        assertThat(s.toDoubleArray()).containsExactly(x.data());
        assertThat(t.isLeaf()).isTrue();
        assertThat(s.isLeaf()).isTrue();
    }
}
