package dev.kiln.autograd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.Kiln;
import dev.kiln.Tensor;
import org.junit.jupiter.api.Test;

/** The autograd snippets of the tutorials Kiln grew from give the tutorials' numbers. */
class TutorialSnippetsTest {

    @Test
    void linearFunctionOfScalars() {
        Tensor x = Tensor.scalar(1.0).requiresGrad(true);
        Tensor w = Tensor.scalar(2.0).requiresGrad(true);
        Tensor b = Tensor.scalar(3.0).requiresGrad(true);
        Tensor y = w.times(x).plus(b);
        y.backward();
        assertThat(y.item()).isEqualTo(5.0);
        assertThat(x.grad().item()).isEqualTo(2.0);
        assertThat(w.grad().item()).isEqualTo(1.0);
        assertThat(b.grad().item()).isEqualTo(1.0);
        assertThat(y.gradFn().name()).isEqualTo("AddBackward0");
        assertThat(x.isLeaf()).isTrue();
        assertThat(y.isLeaf()).isFalse();
    }

    @Test
    void squareAtOne() {
        Tensor x = Tensor.scalar(1.0).requiresGrad(true);
        x.pow(2).backward();
        assertThat(x.grad().item()).isEqualTo(2.0);
    }

    @Test
    void sumOfBroadcastAddGivesOnes() {
        Tensor x = Tensor.randn(2, 3);
        Tensor b = Tensor.zeros(3).requiresGrad(true);
        x.plus(b).sum().backward();
        assertThat(b.grad().toFloatArray()).containsExactly(2f, 2f, 2f);
        Tensor c = Tensor.zeros(2, 3).requiresGrad(true);
        x.plus(c).sum().backward();
        assertThat(c.grad().toFloatArray()).containsOnly(1f);
    }

    @Test
    void chainRule() {
        Tensor x = Tensor.of(1f, 2f, 3f);
        Tensor w = Tensor.ones(3).requiresGrad(true);
        Tensor b = Tensor.scalar(0.5).requiresGrad(true);
        Tensor z = w.times(x).plus(b);
        z.sum().backward();
        assertThat(w.grad().toFloatArray()).containsExactly(1f, 2f, 3f);
        assertThat(b.grad().item()).isEqualTo(3.0);
    }

    @Test
    void gradientsAccumulateWithRetainedGraph() {
        Tensor x = Tensor.of(2f).requiresGrad(true);
        Tensor y = x.times(x).sum();
        y.backward(true);
        assertThat(x.grad().toFloatArray()).containsExactly(4f);
        y.backward();
        assertThat(x.grad().toFloatArray()).containsExactly(8f);
        assertThatThrownBy(y::backward).hasMessageContaining("second time");
    }

    @Test
    void autogradGradLeavesGradUntouched() {
        Tensor x = Tensor.of(3f).requiresGrad(true);
        Tensor y = x.pow(3).sum();
        Tensor[] g = Autograd.grad(y, x);
        assertThat(g[0].toFloatArray()).containsExactly(27f);
        assertThat(x.grad()).isNull();
    }

    @Test
    void noGradRecordsNothing() {
        Tensor x = Tensor.of(3f).requiresGrad(true);
        try (var scope = Kiln.noGrad()) {
            Tensor y = x.times(2);
            assertThat(y.requiresGrad()).isFalse();
            assertThat(y.gradFn()).isNull();
        }
        assertThat(x.times(2).requiresGrad()).isTrue();
    }
}
