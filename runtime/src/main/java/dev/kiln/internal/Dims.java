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

    /** The size of {@code dims} at dimension {@code i} of a rank-{@code rank} result, aligned at the right. */
    public static int alignedSize(int[] dims, int i, int rank) {
        int lead = rank - dims.length;
        return i < lead ? 1 : dims[i - lead];
    }

    /** The first dimension of the result at which two shapes do not broadcast, or -1 when they do. */
    public static int broadcastMismatch(int[] a, int[] b) {
        int rank = Math.max(a.length, b.length);
        for (int i = 0; i < rank; i++) {
            int da = alignedSize(a, i, rank), db = alignedSize(b, i, rank);
            if (da != db && da != 1 && db != 1) {
                return i;
            }
        }
        return -1;
    }

    /**
     * The NumPy/PyTorch broadcast of two shapes (aligned at the right, each pair of sizes equal or one
     * of them 1), or null when they do not broadcast.
     */
    public static int[] broadcastOrNull(int[] a, int[] b) {
        if (broadcastMismatch(a, b) >= 0) {
            return null;
        }
        int rank = Math.max(a.length, b.length);
        int[] out = new int[rank];
        for (int i = 0; i < rank; i++) {
            int da = alignedSize(a, i, rank);
            out[i] = da == 1 ? alignedSize(b, i, rank) : da;
        }
        return out;
    }
}
