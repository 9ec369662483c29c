package dev.kiln.nn;

import dev.kiln.Generator;
import dev.kiln.Kiln;
import dev.kiln.Tensor;
import dev.kiln.loss.Losses;
import dev.kiln.loss.Reduction;

/**
 * The functional namespace, the counterpart of {@code torch.nn.functional}: the computations of the
 * layers as plain functions ({@code F.relu(x)}, {@code F.linear(x, w, b)}) and the losses
 * ({@code F.mseLoss(input, target)}).
 */
public final class F {
    private F() {}

    /** Elementwise max(x, 0). */
    public static Tensor relu(Tensor x) {
        return x.relu();
    }

    /** Elementwise x for x &gt; 0, else {@code negativeSlope * x}. */
    public static Tensor leakyRelu(Tensor x, double negativeSlope) {
        return Tensor.where(x.gt(0.0), x, x.times(negativeSlope));
    }

    /** Elementwise 1 / (1 + e^-x). */
    public static Tensor sigmoid(Tensor x) {
        return x.sigmoid();
    }

    /** Elementwise hyperbolic tangent. */
    public static Tensor tanh(Tensor x) {
        return x.tanh();
    }

    /** Softmax along {@code dim}. */
    public static Tensor softmax(Tensor x, int dim) {
        return x.softmax(dim);
    }

    /** Log-softmax along {@code dim}. */
    public static Tensor logSoftmax(Tensor x, int dim) {
        return x.logSoftmax(dim);
    }

    /** {@code x W^T + b}; {@code bias} may be null. */
    public static Tensor linear(Tensor x, Tensor weight, Tensor bias) {
        Tensor y = x.dim() == 2 ? x.mm(weight.t()) : x.matmul(weight.t());
        return bias == null ? y : y.plus(bias);
    }

    /**
     * In training, zeroes each element with probability {@code p} (drawn from the default generator)
     * and scales the others by 1 / (1 - p); otherwise returns {@code x}.
     */
    public static Tensor dropout(Tensor x, double p, boolean training) {
        return dropout(x, p, training, Kiln.defaultGenerator());
    }

    /** {@link #dropout(Tensor, double, boolean)} drawing from {@code generator}. */
    public static Tensor dropout(Tensor x, double p, boolean training, Generator generator) {
        if (!(p >= 0 && p <= 1)) {
            throw new IllegalArgumentException("dropout: probability has to be between 0 and 1, but got " + p);
        }
        if (!training || p == 0) {
            return x;
        }
        if (p == 1) {
            return x.times(0.0);
        }
        Tensor keep = Tensor.rand(generator, x.shape().toArray()).ge(p);
        return Tensor.where(keep, x.times(1 / (1 - p)), 0.0);
    }

    /** Mean squared error, as {@code F.mse_loss}; see {@link Losses#mse(Tensor, Tensor, Reduction)}. */
    public static Tensor mseLoss(Tensor input, Tensor target) {
        return Losses.mse(input, target);
    }

    /** Squared error with the given reduction. */
    public static Tensor mseLoss(Tensor input, Tensor target, Reduction reduction) {
        return Losses.mse(input, target, reduction);
    }

    /** Mean absolute error, as {@code F.l1_loss}. */
    public static Tensor l1Loss(Tensor input, Tensor target) {
        return Losses.l1(input, target);
    }

    /** Absolute error with the given reduction. */
    public static Tensor l1Loss(Tensor input, Tensor target, Reduction reduction) {
        return Losses.l1(input, target, reduction);
    }

    /** Cross-entropy of logits against int64 class indices or class probabilities, as {@code F.cross_entropy}. */
    public static Tensor crossEntropy(Tensor input, Tensor target) {
        return Losses.crossEntropy(input, target);
    }

    /** Cross-entropy with the given reduction. */
    public static Tensor crossEntropy(Tensor input, Tensor target, Reduction reduction) {
        return Losses.crossEntropy(input, target, reduction);
    }

    /** Negative log-likelihood of log-probabilities against int64 class indices, as {@code F.nll_loss}. */
    public static Tensor nllLoss(Tensor input, Tensor target) {
        return Losses.nll(input, target);
    }

    /** Negative log-likelihood with the given reduction. */
    public static Tensor nllLoss(Tensor input, Tensor target, Reduction reduction) {
        return Losses.nll(input, target, reduction);
    }

    /** Binary cross-entropy of probabilities, as {@code F.binary_cross_entropy}. */
    public static Tensor binaryCrossEntropy(Tensor input, Tensor target) {
        return Losses.bce(input, target);
    }

    /** Binary cross-entropy of logits, computed stably, as {@code F.binary_cross_entropy_with_logits}. */
    public static Tensor binaryCrossEntropyWithLogits(Tensor input, Tensor target) {
        return Losses.bceWithLogits(input, target);
    }

    /** A double as Python's {@code repr} writes it ({@code 0.5}, {@code 1e-05}), for PyTorch-style printing. */
    static String pythonFloat(double v) {
        String s = Double.toString(v);
        int e = s.indexOf('E');
        if (e < 0) {
            return s;
        }
        String mantissa = s.substring(0, e).replaceAll("\\.0$", "");
        int exponent = Integer.parseInt(s.substring(e + 1));
        return mantissa + "e" + (exponent < 0 ? "-" : "+") + String.format("%02d", Math.abs(exponent));
    }
}
