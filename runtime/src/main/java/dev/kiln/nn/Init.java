package dev.kiln.nn;

import dev.kiln.Generator;
import dev.kiln.Kiln;
import dev.kiln.Shape;
import dev.kiln.Tensor;

/**
 * Initialisation of parameters in place, the counterpart of {@code torch.nn.init}. Each function
 * fills its tensor under {@link Kiln#noGrad()} and returns it; the random ones draw from the given
 * generator, or from {@link Kiln#defaultGenerator()}. The trailing underscore is PyTorch's mark of an
 * in-place function.
 */
public final class Init {
    private Init() {}

    /** How Kaiming initialisation picks the fan: {@code fan_in} keeps forward variance, {@code fan_out} backward. */
    public enum FanMode {
        FAN_IN,
        FAN_OUT
    }

    /** Fills {@code t} with values uniform in [a, b). */
    public static Tensor uniform_(Tensor t, double a, double b) {
        return uniform_(t, a, b, Kiln.defaultGenerator());
    }

    /** Fills {@code t} with values uniform in [a, b) from {@code generator}. */
    public static Tensor uniform_(Tensor t, double a, double b, Generator generator) {
        if (!(a <= b)) {
            throw new IllegalArgumentException("uniform_: expected a <= b, but got a=" + a + " and b=" + b);
        }
        Tensor values = Tensor.rand(generator, t.shape().toArray()).to(t.dtype());
        return fill(t, values.times(b - a).plus(a));
    }

    /** Fills {@code t} with normal values of the given mean and standard deviation. */
    public static Tensor normal_(Tensor t, double mean, double std) {
        return normal_(t, mean, std, Kiln.defaultGenerator());
    }

    /** Fills {@code t} with normal values from {@code generator}. */
    public static Tensor normal_(Tensor t, double mean, double std, Generator generator) {
        return fill(t, Tensor.normal(mean, std, generator, t.shape().toArray()).to(t.dtype()));
    }

    /** Fills {@code t} with {@code value}. */
    public static Tensor constant_(Tensor t, double value) {
        try (var noGrad = Kiln.noGrad()) {
            return t.fill(value);
        }
    }

    /** Fills {@code t} with zeros. */
    public static Tensor zeros_(Tensor t) {
        return constant_(t, 0);
    }

    /** Fills {@code t} with ones. */
    public static Tensor ones_(Tensor t) {
        return constant_(t, 1);
    }

    /**
     * The recommended gain for a nonlinearity, as {@code calculate_gain}: 1 for linear, conv and
     * sigmoid, 5/3 for tanh, sqrt(2) for relu, sqrt(2 / (1 + slope^2)) for leaky_relu (slope default
     * 0.01), 3/4 for selu.
     */
    public static double calculateGain(String nonlinearity, double param) {
        return switch (nonlinearity) {
            case "linear", "identity", "sigmoid", "conv1d", "conv2d", "conv3d" -> 1.0;
            case "tanh" -> 5.0 / 3;
            case "relu" -> Math.sqrt(2.0);
            case "leaky_relu" -> Math.sqrt(2.0 / (1 + param * param));
            case "selu" -> 3.0 / 4;
            default -> throw new IllegalArgumentException("calculateGain: unsupported nonlinearity \"" + nonlinearity
                    + "\"; expected linear, identity, sigmoid, tanh, relu, leaky_relu or selu");
        };
    }

    /** {@link #calculateGain(String, double)} with leaky_relu's default slope of 0.01. */
    public static double calculateGain(String nonlinearity) {
        return calculateGain(nonlinearity, 0.01);
    }

    /** Xavier (Glorot) uniform: bound = gain * sqrt(6 / (fan_in + fan_out)). */
    public static Tensor xavierUniform_(Tensor t, double gain) {
        int[] fans = fans(t, "xavierUniform_");
        double bound = gain * Math.sqrt(6.0 / (fans[0] + fans[1]));
        return uniform_(t, -bound, bound);
    }

    /** Xavier (Glorot) normal: std = gain * sqrt(2 / (fan_in + fan_out)). */
    public static Tensor xavierNormal_(Tensor t, double gain) {
        int[] fans = fans(t, "xavierNormal_");
        return normal_(t, 0, gain * Math.sqrt(2.0 / (fans[0] + fans[1])));
    }

    /**
     * Kaiming (He) uniform: bound = gain * sqrt(3 / fan), gain from {@code nonlinearity} with slope
     * {@code a}. {@code Linear}'s default is {@code kaimingUniform_(w, sqrt(5), FAN_IN, "leaky_relu")}.
     */
    public static Tensor kaimingUniform_(Tensor t, double a, FanMode mode, String nonlinearity) {
        return kaimingUniform_(t, a, mode, nonlinearity, Kiln.defaultGenerator());
    }

    /** Kaiming uniform drawing from {@code generator}. */
    public static Tensor kaimingUniform_(Tensor t, double a, FanMode mode, String nonlinearity, Generator generator) {
        int[] fans = fans(t, "kaimingUniform_");
        int fan = mode == FanMode.FAN_IN ? fans[0] : fans[1];
        double bound = calculateGain(nonlinearity, a) * Math.sqrt(3.0 / fan);
        return uniform_(t, -bound, bound, generator);
    }

    /** Kaiming (He) normal: std = gain / sqrt(fan). */
    public static Tensor kaimingNormal_(Tensor t, double a, FanMode mode, String nonlinearity) {
        int[] fans = fans(t, "kaimingNormal_");
        int fan = mode == FanMode.FAN_IN ? fans[0] : fans[1];
        return normal_(t, 0, calculateGain(nonlinearity, a) / Math.sqrt(fan));
    }

    /**
     * fan_in and fan_out as PyTorch computes them: for a weight of shape (out, in, k...) they are
     * in * prod(k) and out * prod(k).
     */
    static int[] fans(Tensor t, String op) {
        int[] dims = t.shape().toArray();
        if (dims.length < 2) {
            throw new IllegalArgumentException(op + ": fan in and fan out cannot be computed for a tensor with fewer"
                    + " than 2 dimensions, but got shape " + Shape.describe(dims));
        }
        int receptive = 1;
        for (int i = 2; i < dims.length; i++) {
            receptive *= dims[i];
        }
        return new int[] {dims[1] * receptive, dims[0] * receptive};
    }

    private static Tensor fill(Tensor t, Tensor values) {
        try (var noGrad = Kiln.noGrad()) {
            return t.copyFrom(values);
        }
    }
}
