package dev.kiln.loss;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.Tensor;
import org.junit.jupiter.api.Test;

/** What the losses refuse, and that each message names what was expected, what was found and the fix. */
class LossErrorsTest {

    @Test
    void thePredictionOfTheTutorialAgainstAFlatTarget() {
        // PyTorch broadcasts (16, 1) against (16,) to a (16, 16) loss; Kiln refuses.
        Tensor pred = Tensor.zeros(16, 1), y = Tensor.zeros(16);
        assertThatThrownBy(() -> new MSELoss().invoke(pred, y))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("MSELoss: input (16x1) and target (16) have different shapes; PyTorch would broadcast them"
                        + " to (16x16) \u2014 reshape the target with target.reshape(16, 1) or the input with"
                        + " input.squeeze(1)");
        assertThatThrownBy(() -> Losses.l1(y, pred))
                .hasMessage("L1Loss: input (16) and target (16x1) have different shapes; PyTorch would broadcast them"
                        + " to (16x16) \u2014 reshape the target with target.reshape(16) or the input with"
                        + " input.unsqueeze(1)");
        assertThatThrownBy(() -> Losses.bce(pred.sigmoid(), y)).hasMessageStartingWith(
                "BCELoss: input (16x1) and target (16) have different shapes; PyTorch would broadcast them to (16x16)");
        assertThatThrownBy(() -> new BCEWithLogitsLoss().invoke(pred, y)).hasMessageStartingWith(
                "BCEWithLogitsLoss: input (16x1) and target (16) have different shapes");
    }

    @Test
    void otherShapeMismatches() {
        assertThatThrownBy(() -> Losses.mse(Tensor.zeros(4, 3), Tensor.zeros(3)))
                .hasMessage("MSELoss: input (4x3) and target (3) have different shapes; PyTorch would broadcast them to"
                        + " (4x3) \u2014 give the target the input's shape (target.expand(4, 3) if the broadcast is"
                        + " intended)");
        assertThatThrownBy(() -> Losses.mse(Tensor.zeros(3, 4), Tensor.zeros(5)))
                .hasMessage("MSELoss: input (3x4) and target (5) have different shapes; they must be equal (one target"
                        + " element per input element)");
        assertThatThrownBy(() -> Losses.mse(Tensor.zeros(3, 4), Tensor.zeros(4, 3)))
                .hasMessage("MSELoss: input (3x4) and target (4x3) have different shapes; they must be equal (one"
                        + " target element per input element) \u2014 reshape the target with target.reshape(3, 4)");
        assertThatThrownBy(() -> Losses.mse(Tensor.zeros(4, 1), Tensor.zeros(1, 3)))
                .hasMessageContaining("PyTorch would broadcast them to (4x3) \u2014 give both the same shape");
    }

    @Test
    void elementwiseLossesNeedFloatingOperands() {
        assertThatThrownBy(() -> Losses.mse(Tensor.zeros(3), Tensor.of(1L, 2L, 3L)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("MSELoss: the target must be floating point, but it is torch.int64; convert it with"
                        + " target.toFloat()");
        assertThatThrownBy(() -> Losses.l1(Tensor.of(1L, 2L), Tensor.zeros(2)))
                .hasMessage("L1Loss: the input must be floating point, but it is torch.int64; convert it with"
                        + " input.toFloat()");
    }

    @Test
    void bceNeedsProbabilities() {
        assertThatThrownBy(() -> Losses.bce(Tensor.of(new float[][] {{0.5f, 1.5f}}), Tensor.zeros(1, 2)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("BCELoss: every input element must be a probability in [0, 1], but input[0, 1] is 1.5;"
                        + " apply sigmoid() to the logits first, or use BCEWithLogitsLoss on the logits (it is also more"
                        + " stable)");
        assertThatThrownBy(() -> Losses.bce(Tensor.of(Double.NaN), Tensor.of(0.0)))
                .hasMessageContaining("input[0] is NaN");
    }

    @Test
    void weightsThatDoNotBroadcastToTheInput() {
        assertThatThrownBy(() -> Losses.bce(Tensor.full(0.5, 4, 3), Tensor.zeros(4, 3), Tensor.ones(4), Reduction.MEAN))
                .hasMessage("BCELoss: the weight of shape (4) does not broadcast to the input's shape (4x3); it must be"
                        + " of that shape or broadcastable to it (sizes aligned at the right, each equal or 1)");
        assertThatThrownBy(() -> BCEWithLogitsLoss.builder().posWeight(Tensor.ones(5)).build()
                .invoke(Tensor.zeros(4, 3), Tensor.zeros(4, 3)))
                .hasMessageStartingWith("BCEWithLogitsLoss: the posWeight of shape (5) does not broadcast to the input's"
                        + " shape (4x3)");
        // A weight may not grow the result either.
        assertThatThrownBy(() -> Losses.bceWithLogits(Tensor.zeros(3), Tensor.zeros(3), Tensor.ones(2, 3), null,
                Reduction.MEAN)).hasMessageStartingWith("BCEWithLogitsLoss: the weight of shape (2x3) does not broadcast");
    }

    @Test
    void classTargetsMustBeInt64() {
        assertThatThrownBy(() -> Losses.nll(Tensor.zeros(4, 3), Tensor.zeros(4)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("NLLLoss: class-index targets must be int64, but the target is torch.float32; convert it"
                        + " with target.toLong()");
        assertThatThrownBy(() -> Losses.crossEntropy(Tensor.zeros(4, 3), Tensor.zeros(4)))
                .hasMessage("CrossEntropyLoss: the target (4) holds one torch.float32 value per sample: class-index"
                        + " targets must be int64 \u2014 convert it with target.toLong(); probability targets must have the"
                        + " input's shape (4x3)");
        assertThatThrownBy(() -> Losses.crossEntropy(Tensor.zeros(4, 3), Tensor.zeros(4, 5)))
                .hasMessage("CrossEntropyLoss: probability targets (torch.float32) must have the input's shape (4x3), but"
                        + " the target has shape (4x5); class-index targets are int64 of shape (4)");
        assertThatThrownBy(() -> Losses.crossEntropy(Tensor.zeros(4, 3), Tensor.of(true, false, true, true)))
                .hasMessage("CrossEntropyLoss: the target must be int64 class indices or floating-point class"
                        + " probabilities, but it is torch.bool; convert it with target.toLong()");
    }

    @Test
    void classTargetShapes() {
        assertThatThrownBy(() -> new CrossEntropyLoss().invoke(Tensor.zeros(16, 10), Tensor.zeros(16, 1).toLong()))
                .hasMessage("CrossEntropyLoss: expected a target of shape (16) (one class index per sample) for an input"
                        + " of shape (16x10), but got (16x1) \u2014 use target.squeeze(1)");
        assertThatThrownBy(() -> new CrossEntropyLoss().invoke(Tensor.zeros(16, 10), Tensor.zeros(16, 10).toLong()))
                .hasMessage("CrossEntropyLoss: expected a target of shape (16) (one class index per sample) for an input"
                        + " of shape (16x10), but got (16x10) \u2014 for one-hot targets use target.argmax(1), or pass"
                        + " them as probabilities with target.toFloat()");
        assertThatThrownBy(() -> new NLLLoss().invoke(Tensor.zeros(16, 10), Tensor.zeros(8).toLong()))
                .hasMessage("NLLLoss: expected a target of shape (16) (one class index per sample) for an input of"
                        + " shape (16x10), but got (8): the batch sizes differ (16 and 8)");
        assertThatThrownBy(() -> new NLLLoss().invoke(Tensor.zeros(2, 3, 4), Tensor.zeros(4, 2).toLong()))
                .hasMessage("NLLLoss: expected a target of shape (2x4) (one class index per sample) for an input of"
                        + " shape (2x3x4), but got (4x2) \u2014 use target.reshape(2, 4)");
        assertThatThrownBy(() -> Losses.nll(Tensor.scalar(1.0), Tensor.scalar(0L)))
                .hasMessage("NLLLoss: the input must have shape (C), (N x C) or (N x C x d1 ...), with the classes along"
                        + " dimension 1 (0 for one sample), but it is 0-d ()");
        assertThatThrownBy(() -> Losses.crossEntropy(Tensor.zeros(2, 3).toLong(), Tensor.of(0L, 1L)))
                .hasMessage("CrossEntropyLoss: the input must be floating point, but it is torch.int64; convert it with"
                        + " input.toFloat()");
    }

    @Test
    void classIndicesOutOfRange() {
        assertThatThrownBy(() -> Losses.crossEntropy(Tensor.zeros(2, 3), Tensor.of(0L, 3L)))
                .isInstanceOf(IndexOutOfBoundsException.class)
                .hasMessage("CrossEntropyLoss: target 3 at position [1] is out of range for 3 classes (expected 0 <="
                        + " target < 3, or the ignore index -100)");
        assertThatThrownBy(() -> Losses.nll(Tensor.zeros(2, 3), Tensor.of(-1L, 0L)))
                .isInstanceOf(IndexOutOfBoundsException.class)
                .hasMessageStartingWith("NLLLoss: target -1 at position [0] is out of range for 3 classes");
        // The ignore index itself is allowed anywhere.
        assertThat(Losses.nll(Tensor.zeros(2, 3), Tensor.of(7L, 0L), null, 7, Reduction.SUM).item()).isZero();
    }

    @Test
    void classWeightsAndSmoothing() {
        assertThatThrownBy(() -> new CrossEntropyLoss(Tensor.ones(2)).invoke(Tensor.zeros(4, 3), Tensor.of(0L, 1L, 2L, 0L)))
                .hasMessage("CrossEntropyLoss: the weight must be a 1-d tensor with one entry per class (3 for an input"
                        + " of shape (4x3)), but it has shape (2)");
        assertThatThrownBy(() -> new NLLLoss(Tensor.of(1L, 2L)))
                .hasMessage("NLLLoss: the weight must be a 1-d floating-point tensor with one entry per class, but it is"
                        + " torch.int64 of shape (2)");
        assertThatThrownBy(() -> new CrossEntropyLoss(Tensor.ones(2, 3)))
                .hasMessageContaining("1-d floating-point tensor");
        assertThatThrownBy(() -> CrossEntropyLoss.builder().labelSmoothing(1.5).build())
                .hasMessage("CrossEntropyLoss: labelSmoothing must be between 0.0 and 1.0, but got 1.5");
        assertThatThrownBy(() -> Losses.crossEntropy(Tensor.zeros(2, 3), Tensor.of(0L, 1L), null, -100, -0.1,
                Reduction.MEAN)).hasMessageContaining("between 0.0 and 1.0");
        assertThatThrownBy(() -> Losses.crossEntropy(Tensor.zeros(2, 3), Tensor.zeros(2, 3), null, 0, 0, Reduction.MEAN))
                .hasMessage("CrossEntropyLoss: ignoreIndex (0) is not supported for probability targets (torch.float32);"
                        + " it applies to int64 class-index targets only");
    }

    @Test
    void nullsAreNamed() {
        assertThatThrownBy(() -> new MSELoss().invoke(null, Tensor.zeros(1)))
                .isInstanceOf(NullPointerException.class).hasMessage("MSELoss: the input is null");
        assertThatThrownBy(() -> new MSELoss(null)).isInstanceOf(NullPointerException.class);
    }
}
