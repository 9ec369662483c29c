package dev.kiln;

import java.util.Arrays;

/**
 * The sizes of a tensor's dimensions, outermost first; immutable. The counterpart of
 * {@code torch.Size}: {@code x.shape().get(0)} (Kotlin: {@code x.shape()[0]}).
 */
public final class Shape {
    private final int[] dims;

    private Shape(int[] dims) {
        this.dims = dims;
    }

    /** A shape with the given sizes; every size must be non-negative. */
    public static Shape of(int... dims) {
        for (int i = 0; i < dims.length; i++) {
            if (dims[i] < 0) {
                throw new IllegalArgumentException(
                        "shape " + Arrays.toString(dims) + ": size " + dims[i] + " at dimension " + i + " is negative");
            }
        }
        return new Shape(dims.clone());
    }

    /** Wraps an array this class will own; the caller must not change it afterwards. */
    static Shape wrap(int[] dims) {
        return new Shape(dims);
    }

    /** The number of dimensions. */
    public int size() {
        return dims.length;
    }

    /** The size of dimension {@code dim}; negative values count from the end. */
    public int get(int dim) {
        return dims[dev.kiln.internal.Dims.wrap(dim, dims.length, "shape")];
    }

    /** The product of the sizes (1 for a 0-d shape). */
    public int numel() {
        return numel(dims);
    }

    /** A copy of the sizes. */
    public int[] toArray() {
        return dims.clone();
    }

    static int numel(int[] dims) {
        long n = 1;
        for (int d : dims) {
            n *= d;
            if (n > Integer.MAX_VALUE) {
                throw new IllegalArgumentException(
                        "shape " + Arrays.toString(dims) + " has more than " + Integer.MAX_VALUE + " elements");
            }
        }
        return (int) n;
    }

    /** Writes sizes as in Kiln's error messages: {@code (64x1000)}, {@code ()} for a scalar. */
    public static String describe(int[] dims) {
        StringBuilder sb = new StringBuilder("(");
        for (int i = 0; i < dims.length; i++) {
            if (i > 0) {
                sb.append('x');
            }
            sb.append(dims[i]);
        }
        return sb.append(')').toString();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Shape s && Arrays.equals(dims, s.dims);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(dims);
    }

    /** As PyTorch prints {@code torch.Size}: {@code [2, 3]}. */
    @Override
    public String toString() {
        return Arrays.toString(dims);
    }
}
