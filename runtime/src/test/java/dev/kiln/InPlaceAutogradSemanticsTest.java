package dev.kiln;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.autograd.Autograd;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** In-place operations and PyTorch's autograd rules around them, with gradients computed by hand. */
class InPlaceAutogradSemanticsTest {

    // ---------------------------------------------------------------------------------------------
    // In-place arithmetic and fills

    @Test
    void assignOperatorsWithTensorsAndScalars() {
        Tensor x = Tensor.of(1f, 2f, 3f);
        assertThat(x.plusAssign(Tensor.of(1f, 1f, 1f))).isSameAs(x);
        assertThat(x.toFloatArray()).containsExactly(2, 3, 4);
        x.minusAssign(0.5);
        assertThat(x.toFloatArray()).containsExactly(1.5f, 2.5f, 3.5f);
        x.timesAssign(Tensor.of(2f, 2f, 2f));
        assertThat(x.toFloatArray()).containsExactly(3, 5, 7);
        x.divAssign(2);
        assertThat(x.toFloatArray()).containsExactly(1.5f, 2.5f, 3.5f);
        x.plusAssign(0.5);
        x.minusAssign(Tensor.of(1f, 1f, 1f));
        x.timesAssign(10);
        x.divAssign(Tensor.of(1f, 2f, 3f));
        assertThat(x.toFloatArray()).containsExactly(10, 10, 10);
    }

    @Test
    void assignOperatorsBroadcastTheOperand() {
        Tensor m = Tensor.zeros(2, 3);
        m.plusAssign(Tensor.of(1f, 2f, 3f));
        m.timesAssign(Tensor.of(new float[][] {{1}, {10}}));
        assertThat(m.toFloatArray()).containsExactly(1, 2, 3, 10, 20, 30);
        m.minusAssign(Tensor.scalar(1.0));
        assertThat(m.toFloatArray()).containsExactly(0, 1, 2, 9, 19, 29);
    }

    @Test
    void int64AssignOperatorsStayInteger() {
        Tensor x = Tensor.of(1L, 2L);
        x.plusAssign(3);
        x.timesAssign(Tensor.of(2L, 3L));
        assertThat(x.dtype()).isEqualTo(DType.INT64);
        assertThat(x.toLongArray()).containsExactly(8, 15);
        // A float32 tensor accepts an int64 operand (the result type float32 fits).
        Tensor f = Tensor.of(0.5f);
        f.plusAssign(Tensor.of(2L));
        assertThat(f.toFloatArray()).containsExactly(2.5f);
    }

    @Test
    void setWithMaskAsTheTutorialsReluBackward() {
        // grad_h[h < 0] = 0
        Tensor h = Tensor.of(new float[][] {{-1, 2}, {3, -4}});
        Tensor gradH = Tensor.of(new float[][] {{10, 20}, {30, 40}});
        assertThat(gradH.set(h.lt(0), 0)).isSameAs(gradH);
        assertThat(gradH.toFloatArray()).containsExactly(0, 20, 30, 0);
        Tensor x = Tensor.of(1f, 2f, 3f);
        x.set(Tensor.of(true, false, true), -1.5);
        assertThat(x.toFloatArray()).containsExactly(-1.5f, 2f, -1.5f);
    }

    @Test
    void setByIndex() {
        Tensor m = Tensor.zeros(2, 3);
        m.set(1, Tensor.of(1f, 2f, 3f));
        m.set(0, 7);
        m.set(-1, Tensor.scalar(4.0).plus(Tensor.zeros(1)));
        assertThat(m.toFloatArray()).containsExactly(7, 7, 7, 4, 4, 4);
    }

    @Test
    void zeroAndFill() {
        Tensor x = Tensor.of(new float[][] {{1, 2}, {3, 4}});
        assertThat(x.zero()).isSameAs(x);
        assertThat(x.toFloatArray()).containsOnly(0f);
        x.fill(2.5);
        assertThat(x.toFloatArray()).containsOnly(2.5f);
        Tensor l = Tensor.of(1L, 2L);
        l.fill(7);
        assertThat(l.toLongArray()).containsExactly(7, 7);
        Tensor b = Tensor.of(false, false);
        b.fill(1);
        assertThat(b.toBooleanArray()).containsExactly(true, true);
        // Through a strided view: only the view's elements change.
        Tensor m = Tensor.zeros(3, 3);
        m.t().get(1).fill(1); // column 1
        assertThat(m.toFloatArray()).containsExactly(0, 1, 0, 0, 1, 0, 0, 1, 0);
    }

    @Test
    void copyFromBroadcastsAndConverts() {
        Tensor m = Tensor.zeros(2, 3);
        assertThat(m.copyFrom(Tensor.of(1f, 2f, 3f))).isSameAs(m);
        assertThat(m.toFloatArray()).containsExactly(1, 2, 3, 1, 2, 3);
        Tensor l = Tensor.zeros(DType.INT64, 3);
        l.copyFrom(Tensor.of(1.9, -1.9, 2.0));
        assertThat(l.toLongArray()).containsExactly(1, -1, 2);
        Tensor f = Tensor.zeros(2);
        f.copyFrom(Tensor.of(3L, 4L));
        assertThat(f.dtype()).isEqualTo(DType.FLOAT32);
        assertThat(f.toFloatArray()).containsExactly(3, 4);
        assertThatThrownBy(() -> Tensor.zeros(3).copyFrom(Tensor.zeros(2))).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void copyFromAnOverlappingTensorReadsBeforeWriting() {
        // x.t().copy_(x) with a read-before-write: x becomes its own transpose.
        Tensor x = Tensor.of(new float[][] {{1, 2, 3}, {4, 5, 6}, {7, 8, 9}});
        x.t().copyFrom(x);
        assertThat(x.toFloatArray()).containsExactly(1, 4, 7, 2, 5, 8, 3, 6, 9);
        // Shift a row to the right within the same storage.
        Tensor r = Tensor.of(1f, 2f, 3f, 4f);
        r.slice(0, 1, 4).copyFrom(r.slice(0, 0, 3));
        assertThat(r.toFloatArray()).containsExactly(1, 1, 2, 3);
    }

    @Test
    void aFailingInPlaceOperationLeavesTheTensorUnchanged() {
        Tensor x = Tensor.of(1f, 2f, 3f);
        assertThatThrownBy(() -> x.plusAssign(Tensor.zeros(2, 3))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("(2x3)").hasMessageContaining("(3)");
        assertThatThrownBy(() -> x.timesAssign(Tensor.zeros(4))).isInstanceOf(IllegalArgumentException.class);
        assertThat(x.toFloatArray()).containsExactly(1, 2, 3);
        Tensor l = Tensor.of(1L, 2L);
        assertThatThrownBy(() -> l.plusAssign(1.5)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("torch.float32").hasMessageContaining("torch.int64");
        assertThatThrownBy(() -> l.plusAssign(Tensor.of(0.5f, 0.5f))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> l.divAssign(2)).isInstanceOf(IllegalArgumentException.class); // true division
        assertThat(l.toLongArray()).containsExactly(1, 2);
        Tensor b = Tensor.of(true, false);
        assertThatThrownBy(() -> b.plusAssign(1)).isInstanceOf(IllegalArgumentException.class);
        assertThat(b.toBooleanArray()).containsExactly(true, false);
    }

    // ---------------------------------------------------------------------------------------------
    // Updating parameters

    @Test
    void tutorialUpdateThroughData() {
        Tensor w = Tensor.of(1f, 2f).requiresGrad(true);
        Tensor x = Tensor.of(3f, 4f);
        w.times(x).sum().backward();
        assertThat(w.grad().toFloatArray()).containsExactly(3, 4);
        double lr = 0.5;
        // w.data -= lr * w.grad
        w.data().minusAssign(w.grad().times(lr));
        assertThat(w.toFloatArray()).containsExactly(-0.5f, 0f);
        assertThat(w.isLeaf()).isTrue();
        assertThat(w.requiresGrad()).isTrue();
        assertThat(w.gradFn()).isNull();
    }

    @Test
    void tutorialUpdateInsideNoGrad() {
        Tensor w = Tensor.of(1f, 2f).requiresGrad(true);
        Tensor x = Tensor.of(3f, 4f);
        w.times(x).sum().backward();
        try (var g = Kiln.noGrad()) {
            w.minusAssign(w.grad().times(0.5));
            w.grad().zero();
        }
        assertThat(w.toFloatArray()).containsExactly(-0.5f, 0f);
        assertThat(w.isLeaf()).isTrue();
        assertThat(w.requiresGrad()).isTrue();
        assertThat(w.grad().toFloatArray()).containsExactly(0, 0);
        assertThat(Kiln.isGradEnabled()).isTrue();
        // The next step trains from the updated weights.
        w.times(x).sum().backward();
        assertThat(w.grad().toFloatArray()).containsExactly(3, 4);
    }

    @Test
    void inPlaceOnALeafThatRequiresGradIsAnErrorOutsideNoGrad() {
        Tensor w = Tensor.of(1f, 2f).requiresGrad(true);
        assertThatThrownBy(() -> w.minusAssign(1)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("leaf").hasMessageContaining("noGrad");
        assertThatThrownBy(w::zero).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> w.copyFrom(Tensor.zeros(2))).isInstanceOf(IllegalStateException.class);
        assertThat(w.toFloatArray()).containsExactly(1, 2);
        // Through a view it is an error too.
        assertThatThrownBy(() -> w.get(0).fill(5)).isInstanceOf(RuntimeException.class);
        assertThat(w.toFloatArray()).containsExactly(1, 2);
    }

    // ---------------------------------------------------------------------------------------------
    // Version counters

    @Test
    void modifyingASavedOutputMakesBackwardFail() {
        Tensor x = Tensor.of(1f, 2f).requiresGrad(true);
        Tensor y = x.exp(); // ExpBackward0 saves its output
        y.plusAssign(1);
        assertThatThrownBy(() -> y.sum().backward()).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("modified by an in-place operation").hasMessageContaining("version");
    }

    @Test
    void modifyingASavedInputUnderNoGradMakesBackwardFail() {
        Tensor x = Tensor.of(1f, 2f).requiresGrad(true);
        Tensor w = Tensor.of(3f, 4f).requiresGrad(true);
        Tensor a = x.times(w); // MulBackward0 saves x and w
        try (var g = Kiln.noGrad()) {
            w.minusAssign(1);
        }
        assertThatThrownBy(() -> a.sum().backward()).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("in-place").hasMessageContaining("version 1").hasMessageContaining("version 0");
    }

    @Test
    void modifyingAViewOfASavedTensorMakesBackwardFail() {
        Tensor x = Tensor.of(1f, 2f).requiresGrad(true);
        Tensor w = Tensor.of(3f, 4f);
        Tensor a = x.times(w);
        w.get(0).fill(0); // shares w's version counter
        assertThatThrownBy(() -> a.sum().backward()).hasMessageContaining("in-place");
    }

    @Test
    void modifyingThroughDataIsNotTracked() {
        Tensor x = Tensor.of(1f, 2f).requiresGrad(true);
        Tensor w = Tensor.of(3f, 4f).requiresGrad(true);
        Tensor a = x.times(w);
        w.data().minusAssign(1); // .data: not checked, the changed value is used
        a.sum().backward();
        assertThat(x.grad().toFloatArray()).containsExactly(2, 3);
    }

    @Test
    void modifyingATensorNotSavedIsFine() {
        Tensor x = Tensor.of(1f, 2f).requiresGrad(true);
        Tensor y = x.plus(1); // AddBackward0 saves nothing
        Tensor z = y.times(2); // saves y ... and the scalar
        Tensor u = x.plus(0);
        u.timesAssign(3); // u is not saved by anything
        z.sum().backward();
        assertThat(x.grad().toFloatArray()).containsExactly(2, 2);
    }

    // ---------------------------------------------------------------------------------------------
    // In-place history on non-leaf tensors

    @Test
    void inPlaceOnNonLeafRecordsHistory() {
        Tensor x = Tensor.of(1f, 2f, 3f).requiresGrad(true);
        Tensor y = x.times(2);
        y.timesAssign(3); // y = 6x
        y.plusAssign(x); // y = 7x
        assertThat(y.gradFn().name()).isEqualTo("AddBackward0");
        assertThat(y.toFloatArray()).containsExactly(7, 14, 21);
        y.sum().backward();
        assertThat(x.grad().toFloatArray()).containsExactly(7, 7, 7);
    }

    @Test
    void inPlaceProductOnNonLeaf() {
        Tensor x = Tensor.of(1f, 2f, 3f).requiresGrad(true);
        Tensor y = x.times(x);
        y.timesAssign(x); // y = x^3, dy/dx = 3 x^2
        y.sum().backward();
        assertThat(x.grad().toFloatArray()).containsExactly(3, 12, 27);
    }

    @Test
    void inPlaceDivAndMinusOnNonLeaf() {
        Tensor x = Tensor.of(2f, 4f).requiresGrad(true);
        Tensor y = x.plus(0);
        y.minusAssign(Tensor.of(1f, 1f)); // x - 1
        y.divAssign(x); // (x - 1) / x = 1 - 1/x, derivative 1/x^2
        y.sum().backward();
        assertThat(x.grad().toFloatArray()).containsExactly(0.25f, 0.0625f);
    }

    @Test
    void maskedSetOnNonLeafBlocksGradient() {
        Tensor x = Tensor.of(-1f, 2f, -3f, 4f).requiresGrad(true);
        Tensor h = x.times(1);
        h.set(h.lt(0), 0); // relu in place
        assertThat(h.toFloatArray()).containsExactly(0, 2, 0, 4);
        h.times(Tensor.of(1f, 2f, 3f, 4f)).sum().backward();
        assertThat(x.grad().toFloatArray()).containsExactly(0, 2, 0, 4);
    }

    @Test
    void copyFromARequiringGradSourceGivesTheTargetHistory() {
        Tensor w = Tensor.of(1f, 2f).requiresGrad(true);
        Tensor z = Tensor.zeros(2, 2);
        z.copyFrom(w); // broadcast over the rows
        assertThat(z.requiresGrad()).isTrue();
        assertThat(z.isLeaf()).isFalse();
        z.sum().backward();
        assertThat(w.grad().toFloatArray()).containsExactly(2, 2);
    }

    @Test
    void accumulatingIntoAPlainTensorGivesItHistory() {
        Tensor w = Tensor.of(1f, 2f).requiresGrad(true);
        Tensor z = Tensor.zeros(2);
        z.plusAssign(w.times(w)); // z = w^2
        assertThat(z.requiresGrad()).isTrue();
        z.sum().backward();
        assertThat(w.grad().toFloatArray()).containsExactly(2, 4);
    }

    @Test
    void fillOnNonLeafCutsTheGradient() {
        Tensor x = Tensor.of(1f, 2f).requiresGrad(true);
        Tensor y = x.times(3);
        y.fill(5);
        y.plus(x).sum().backward();
        assertThat(x.grad().toFloatArray()).containsExactly(1, 1);
    }

    @Test
    void inPlaceOnADetachedTensorWithARequiringGradOperandRecordsHistory() {
        // d = x.detach(); d.add_(w) works in PyTorch: detach() is not a differentiable view.
        Tensor x = Tensor.of(1f, 2f).requiresGrad(true);
        Tensor w = Tensor.of(3f, 4f).requiresGrad(true);
        Tensor d = x.detach();
        d.plusAssign(w.times(w));
        assertThat(d.gradFn().name()).isEqualTo("AddBackward0");
        assertThat(x.toFloatArray()).containsExactly(10, 18); // shared storage
        d.sum().backward();
        assertThat(w.grad().toFloatArray()).containsExactly(6, 8);
        assertThat(x.grad()).isNull();
    }

    @Test
    void stackGradientGoesToEachInput() {
        Tensor a = Tensor.of(1f, 2f).requiresGrad(true);
        Tensor b = Tensor.of(3f, 4f).requiresGrad(true);
        Tensor s = Tensor.stack(List.of(a, b), 1); // [[1, 3], [2, 4]]
        assertThat(s.toFloatArray()).containsExactly(1, 3, 2, 4);
        s.times(Tensor.of(new float[][] {{1, 2}, {3, 4}})).sum().backward();
        assertThat(a.grad().toFloatArray()).containsExactly(1, 3);
        assertThat(b.grad().toFloatArray()).containsExactly(2, 4);
    }

    // ---------------------------------------------------------------------------------------------
    // backward and Autograd.grad

    @Test
    void backwardOnANonScalarNeedsAGradient() {
        Tensor x = Tensor.of(1f, 2f, 3f).requiresGrad(true);
        Tensor y = x.times(2);
        assertThatThrownBy(y::backward).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("scalar").hasMessageContaining("(3)");
        y.backward(Tensor.of(1f, 0.5f, 2f));
        assertThat(x.grad().toFloatArray()).containsExactly(2, 1, 4);
        Tensor z = x.times(x);
        assertThatThrownBy(() -> z.backward(Tensor.ones(2))).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void backwardOnATensorWithoutHistoryIsAnError() {
        assertThatThrownBy(() -> Tensor.of(1f).sum().backward()).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("does not require grad");
        Tensor x = Tensor.of(1f).requiresGrad(true);
        try (var g = Kiln.noGrad()) {
            Tensor y = x.times(2).sum();
            assertThatThrownBy(y::backward).isInstanceOf(IllegalStateException.class);
        }
    }

    @Test
    void secondBackwardThroughAFreedGraphFails() {
        Tensor x = Tensor.of(1f, 2f).requiresGrad(true);
        Tensor y = x.exp().sum();
        y.backward();
        assertThatThrownBy(y::backward).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("second time");
        Tensor z = x.times(x).sum();
        z.backward(true);
        z.backward(); // retained once: works
        assertThatThrownBy(z::backward).hasMessageContaining("second time");
    }

    @Test
    void autogradGradWithAllowUnused() {
        Tensor x = Tensor.of(1f, 2f).requiresGrad(true);
        Tensor unused = Tensor.of(5f).requiresGrad(true);
        Tensor y = x.times(x).sum();
        assertThatThrownBy(() -> Autograd.grad(List.of(y), List.of(x, unused), null, true, false))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("allowUnused");
        Tensor[] g = Autograd.grad(List.of(y), List.of(x, unused), null, false, true);
        assertThat(g[0].toFloatArray()).containsExactly(2, 4);
        assertThat(g[1]).isNull();
        assertThat(x.grad()).isNull();
        assertThat(unused.grad()).isNull();
        assertThatThrownBy(() -> Autograd.grad(Tensor.of(1f).requiresGrad(true).sum(), Tensor.of(1f)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("does not require grad");
    }

    @Test
    void autogradGradOfAnIntermediate() {
        Tensor x = Tensor.of(3f).requiresGrad(true);
        Tensor h = x.times(2); // 6
        Tensor y = h.times(h).sum(); // dy/dh = 2h = 12
        Tensor[] g = Autograd.grad(List.of(y), List.of(h, x), null, false, false);
        assertThat(g[0].toFloatArray()).containsExactly(12);
        assertThat(g[1].toFloatArray()).containsExactly(24);
    }

    @Test
    void gradientsAccumulateUntilZeroed() {
        Tensor x = Tensor.of(1f, 2f).requiresGrad(true);
        x.times(3).sum().backward();
        assertThat(x.grad().toFloatArray()).containsExactly(3, 3);
        x.times(x).sum().backward(); // + 2x
        assertThat(x.grad().toFloatArray()).containsExactly(5, 7);
        x.grad().zero();
        assertThat(x.grad().toFloatArray()).containsExactly(0, 0);
        x.times(x).sum().backward();
        assertThat(x.grad().toFloatArray()).containsExactly(2, 4);
        x.setGrad(null);
        x.sum().backward();
        assertThat(x.grad().toFloatArray()).containsExactly(1, 1);
    }

    @Test
    void aTensorUsedTwiceGetsBothGradients() {
        Tensor x = Tensor.of(2f).requiresGrad(true);
        Tensor a = x.times(3);
        Tensor b = x.times(x);
        a.plus(b).plus(x).sum().backward(); // 3 + 2x + 1 = 8
        assertThat(x.grad().toFloatArray()).containsExactly(8);
    }

    @Test
    void gradientOfAViewChain() {
        Tensor x = Tensor.arange(6).toFloat().requiresGrad(true);
        Tensor y = x.view(2, 3).t().slice(0, 0, 3, 2).get(1); // x.view(2,3).t()[::2][1] = column 2 = [x2, x5]
        assertThat(y.toFloatArray()).containsExactly(2, 5);
        y.times(Tensor.of(10f, 20f)).sum().backward();
        assertThat(x.grad().toFloatArray()).containsExactly(0, 0, 10, 0, 0, 20);
    }

    @Test
    void gradFnNames() {
        Tensor x = Tensor.of(new float[][] {{1, 2}, {3, 4}}).requiresGrad(true);
        Tensor v = Tensor.of(1f, 2f).requiresGrad(true);
        assertThat(x.gradFn()).isNull();
        assertThat(x.plus(x).gradFn().name()).isEqualTo("AddBackward0");
        assertThat(x.plus(1).gradFn().name()).isEqualTo("AddBackward0");
        assertThat(x.minus(x).gradFn().name()).isEqualTo("SubBackward0");
        assertThat(x.times(2).gradFn().name()).isEqualTo("MulBackward0");
        assertThat(x.div(x).gradFn().name()).isEqualTo("DivBackward0");
        assertThat(x.mm(x).gradFn().name()).isEqualTo("MmBackward0");
        assertThat(x.matmul(x).gradFn().name()).isEqualTo("MmBackward0");
        assertThat(x.mv(v).gradFn().name()).isEqualTo("MvBackward0");
        assertThat(v.dot(v).gradFn().name()).isEqualTo("DotBackward0");
        assertThat(x.sum().gradFn().name()).isEqualTo("SumBackward0");
        assertThat(x.sum(0).gradFn().name()).isEqualTo("SumBackward1");
        assertThat(x.mean().gradFn().name()).isEqualTo("MeanBackward0");
        assertThat(x.mean(1).gradFn().name()).isEqualTo("MeanBackward1");
        assertThat(x.max().gradFn().name()).isEqualTo("MaxBackward1");
        assertThat(x.max(0).values().gradFn().name()).isEqualTo("MaxBackward0");
        assertThat(x.pow(2).gradFn().name()).isEqualTo("PowBackward0");
        assertThat(x.pow(x).gradFn().name()).isEqualTo("PowBackward1");
        assertThat(x.exp().gradFn().name()).isEqualTo("ExpBackward0");
        assertThat(x.log().gradFn().name()).isEqualTo("LogBackward0");
        assertThat(x.unaryMinus().gradFn().name()).isEqualTo("NegBackward0");
        assertThat(x.relu().gradFn().name()).isEqualTo("ReluBackward0");
        assertThat(x.sigmoid().gradFn().name()).isEqualTo("SigmoidBackward0");
        assertThat(x.tanh().gradFn().name()).isEqualTo("TanhBackward0");
        assertThat(x.clampMin(0).gradFn().name()).isEqualTo("ClampMinBackward0");
        assertThat(x.softmax(1).gradFn().name()).isEqualTo("SoftmaxBackward0");
        assertThat(x.logSoftmax(1).gradFn().name()).isEqualTo("LogSoftmaxBackward0");
        assertThat(x.t().gradFn().name()).isEqualTo("TBackward0");
        assertThat(x.view(4).gradFn().name()).isEqualTo("ViewBackward0");
        assertThat(x.reshape(4).gradFn().name()).isEqualTo("ViewBackward0");
        assertThat(x.get(0).gradFn().name()).isEqualTo("SelectBackward0");
        assertThat(x.slice(0, 0, 1).gradFn().name()).isEqualTo("SliceBackward0");
        assertThat(x.unsqueeze(0).gradFn().name()).isEqualTo("UnsqueezeBackward0");
        assertThat(x.permute(1, 0).gradFn().name()).isEqualTo("PermuteBackward0");
        assertThat(x.clone().gradFn().name()).isEqualTo("CloneBackward0");
        assertThat(v.expand(2, 2).gradFn().name()).isEqualTo("ExpandBackward0");
        assertThat(Tensor.cat(x, x).gradFn().name()).isEqualTo("CatBackward0");
        assertThat(Tensor.stack(v, v).gradFn().name()).isEqualTo("StackBackward0");
        assertThat(x.indexSelect(0, Tensor.of(1L)).gradFn().name()).isEqualTo("IndexSelectBackward0");
        assertThat(Tensor.where(x.gt(2.0), x, 0.0).gradFn().name()).isEqualTo("WhereBackward0");
        assertThat(x.toDouble().gradFn().name()).isEqualTo("ToCopyBackward0");
        assertThat(x.gradFn()).isNull();
        // The chain of next functions, as grad_fn.next_functions.
        Tensor y = x.times(2).sum();
        assertThat(y.gradFn().nextFunctions()).hasSize(1);
        assertThat(y.gradFn().nextFunctions().get(0).name()).isEqualTo("MulBackward0");
        assertThat(y.gradFn().nextFunctions().get(0).nextFunctions().get(0).name()).isEqualTo("AccumulateGrad");
        assertThat(Arrays.asList(x.requiresGrad(), y.requiresGrad(), y.isLeaf())).containsExactly(true, true, false);
    }

    @Test
    void requiresGradFalseOnANonLeafIsAnError() {
        Tensor x = Tensor.of(1f).requiresGrad(true);
        Tensor y = x.times(2);
        assertThatThrownBy(() -> y.requiresGrad(false)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("detach");
        assertThat(y.detach().requiresGrad()).isFalse();
    }
}
