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
        int[] out = Dims.broadcastOrNull(a, b);
        if (out == null) {
            int rank = Math.max(a.length, b.length);
            for (int i = 0; i < rank; i++) {
                int da = i < rank - a.length ? 1 : a[i - (rank - a.length)];
                int db = i < rank - b.length ? 1 : b[i - (rank - b.length)];
                if (da != db && da != 1 && db != 1) {
                    throw new IllegalArgumentException(op + ": shapes " + Shape.describe(a) + " and "
                            + Shape.describe(b) + " cannot be broadcast: size " + da + " does not match size " + db
                            + " at dimension " + i + " of the result (sizes must be equal or 1)");
                }
            }
        }
        return out;
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
