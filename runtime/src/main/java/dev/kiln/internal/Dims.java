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
}
