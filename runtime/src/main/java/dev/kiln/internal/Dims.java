package dev.kiln.internal;

/** Dimension-index rules shared by {@code Tensor}, {@code Shape} and the operations. Not API. */
public final class Dims {
    private Dims() {}

    /** Wraps a negative dimension and checks the range; 0-d tensors accept 0 and -1 as PyTorch does. */
    public static int wrap(int dim, int rank, String op) {
        int span = Math.max(rank, 1);
        if (dim < -span || dim >= span) {
            throw new IndexOutOfBoundsException(op + ": dimension " + dim + " is out of range for a tensor of "
                    + rank + " dimensions (expected " + (-span) + " to " + (span - 1) + ")");
        }
        return dim < 0 ? dim + span : dim;
    }

    /**
     * The NumPy/PyTorch broadcast of two shapes (aligned at the right, each pair of sizes equal or one
     * of them 1), or null when they do not broadcast.
     */
    public static int[] broadcastOrNull(int[] a, int[] b) {
        int rank = Math.max(a.length, b.length);
        int[] out = new int[rank];
        for (int i = 0; i < rank; i++) {
            int da = i < rank - a.length ? 1 : a[i - (rank - a.length)];
            int db = i < rank - b.length ? 1 : b[i - (rank - b.length)];
            if (da != db && da != 1 && db != 1) {
                return null;
            }
            out[i] = da == 1 ? db : da;
        }
        return out;
    }
}
