package dev.kiln.loss;

import dev.kiln.DType;
import dev.kiln.Shape;
import dev.kiln.Tensor;
import java.util.Arrays;
import java.util.Objects;
import java.util.StringJoiner;

/** The argument checks the losses share, with messages naming what was expected, what was found and the fix. */
final class LossChecks {
    private LossChecks() {}

    static String describe(int[] dims) {
        return Shape.describe(dims);
    }

    static String describe(Tensor t) {
        return Shape.describe(t.shape().toArray());
    }

    /** {@code a, b, c}: sizes as arguments of {@code reshape} or {@code expand}. */
    static String args(int[] dims) {
        StringJoiner j = new StringJoiner(", ");
        for (int d : dims) {
            j.add(Integer.toString(d));
        }
        return j.toString();
    }

    static Tensor nonNull(Tensor t, String loss, String what) {
        return Objects.requireNonNull(t, () -> loss + ": the " + what + " is null");
    }

    static void requireFloating(String loss, String what, Tensor t) {
        if (!t.dtype().isFloatingPoint()) {
            throw new IllegalArgumentException(loss + ": the " + what + " must be floating point, but it is "
                    + t.dtype().pytorchName() + "; convert it with " + what + ".toFloat()");
        }
    }

    /**
     * Requires {@code target} to have exactly {@code input}'s shape. PyTorch broadcasts the two (with a
     * warning at most), which turns a {@code (16x1)} prediction against a {@code (16)} target into a
     * {@code (16x16)} loss; Kiln refuses and says how to line them up.
     */
    static void requireSameShape(String loss, Tensor input, Tensor target) {
        int[] in = input.shape().toArray(), tg = target.shape().toArray();
        if (Arrays.equals(in, tg)) {
            return;
        }
        StringBuilder sb = new StringBuilder(loss).append(": input ").append(describe(in)).append(" and target ")
                .append(describe(tg)).append(" have different shapes; ");
        int[] broadcast = broadcast(in, tg);
        boolean sameCount = Shape.of(in).numel() == Shape.of(tg).numel();
        if (broadcast != null) {
            sb.append("PyTorch would broadcast them to ").append(describe(broadcast));
        } else {
            sb.append("they must be equal (one target element per input element)");
        }
        if (sameCount) {
            sb.append(" \u2014 reshape the target with target.reshape(").append(args(in)).append(')');
            String inputFix = inputFix(in, tg);
            if (inputFix != null) {
                sb.append(" or the input with ").append(inputFix);
            }
        } else if (broadcast != null && Arrays.equals(broadcast, in)) {
            sb.append(" \u2014 give the target the input's shape (target.expand(").append(args(in))
                    .append(") if the broadcast is intended)");
        } else if (broadcast != null) {
            sb.append(" \u2014 give both the same shape; each input element needs its own target element");
        }
        throw new IllegalArgumentException(sb.toString());
    }

    /** {@code input.squeeze(d)} or {@code input.unsqueeze(d)} when one of them gives {@code target}'s shape, else null. */
    static String inputFix(int[] in, int[] tg) {
        if (in.length == tg.length + 1) {
            for (int d = 0; d < in.length; d++) {
                if (in[d] == 1 && Arrays.equals(remove(in, d), tg)) {
                    return "input.squeeze(" + d + ")";
                }
            }
        }
        if (tg.length == in.length + 1) {
            for (int d = 0; d < tg.length; d++) {
                if (tg[d] == 1 && Arrays.equals(remove(tg, d), in)) {
                    return "input.unsqueeze(" + d + ")";
                }
            }
        }
        return null;
    }

    static int[] remove(int[] dims, int d) {
        int[] out = new int[dims.length - 1];
        for (int i = 0, j = 0; i < dims.length; i++) {
            if (i != d) {
                out[j++] = dims[i];
            }
        }
        return out;
    }

    /** The broadcast of two shapes, or null when they do not broadcast. */
    static int[] broadcast(int[] a, int[] b) {
        return dev.kiln.internal.Dims.broadcastOrNull(a, b);
    }

    /**
     * Requires an optional per-element weight to broadcast to the input's shape (the result must have
     * the input's shape: the weight rescales each element's loss, it does not add elements).
     */
    static void requireBroadcastsTo(String loss, String what, Tensor weight, Tensor input) {
        requireFloating(loss, what, weight);
        int[] w = weight.shape().toArray(), in = input.shape().toArray();
        int[] b = broadcast(w, in);
        if (b == null || !Arrays.equals(b, in)) {
            throw new IllegalArgumentException(loss + ": the " + what + " of shape " + describe(w)
                    + " does not broadcast to the input's shape " + describe(in) + "; it must be of that shape or"
                    + " broadcastable to it (sizes aligned at the right, each equal or 1)");
        }
    }

    /** The element type of a loss between two floating-point operands. */
    static DType resultType(Tensor input, Tensor target) {
        return DType.promote(input.dtype(), target.dtype());
    }

    /** A 1-d floating-point weight or null; the size is checked against the input's classes in forward. */
    static Tensor classWeight(String loss, Tensor weight) {
        if (weight != null && (!weight.dtype().isFloatingPoint() || weight.dim() != 1)) {
            throw new IllegalArgumentException(loss + ": the weight must be a 1-d floating-point tensor with one"
                    + " entry per class, but it is " + weight.dtype().pytorchName() + " of shape "
                    + describe(weight));
        }
        return weight;
    }
}
