package dev.kiln.ops;

import dev.kiln.Shape;
import dev.kiln.internal.Dims;

/** Shape rules shared by the operations: dimension wrapping and NumPy/PyTorch broadcasting. */
final class Broadcast {
    private Broadcast() {}

    /** Wraps a negative dimension and checks the range. */
    static int dim(int dim, int rank, String op) {
        return Dims.wrap(dim, rank, op);
    }

    /**
     * The broadcast of two shapes: aligned at the right, each pair of sizes must be equal or one of
     * them 1.
     */
    static int[] shapes(int[] a, int[] b, String op) {
        int bad = Dims.broadcastMismatch(a, b);
        if (bad >= 0) {
            int rank = Math.max(a.length, b.length);
            throw new IllegalArgumentException(op + ": shapes " + Shape.describe(a) + " and " + Shape.describe(b)
                    + " cannot be broadcast: size " + Dims.alignedSize(a, bad, rank) + " does not match size "
                    + Dims.alignedSize(b, bad, rank) + " at dimension " + bad + " of the result (sizes must be equal"
                    + " or 1)");
        }
        return Dims.broadcastOrNull(a, b);
    }

    /** Strides that read a tensor of {@code dims}/{@code strides} as if expanded to {@code target}. */
    static int[] stridesFor(int[] dims, int[] strides, int[] target) {
        int lead = target.length - dims.length;
        int[] out = new int[target.length];
        for (int i = lead; i < target.length; i++) {
            out[i] = dims[i - lead] == 1 && target[i] != 1 ? 0 : strides[i - lead];
        }
        return out;
    }
}
