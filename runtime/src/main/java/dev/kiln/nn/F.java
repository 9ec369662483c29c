package dev.kiln.nn;

import dev.kiln.Generator;
import dev.kiln.Kiln;
import dev.kiln.Tensor;

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
