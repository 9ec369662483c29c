package dev.kiln.device.cuda;

/** A grid or block size of a kernel launch, as CUDA's {@code dim3}: every extent at least 1. */
public record Dim3(int x, int y, int z) {
    /** Checks that every extent is positive. */
    public Dim3 {
        if (x < 1 || y < 1 || z < 1) {
            throw new IllegalArgumentException(
                    "Dim3: every extent must be at least 1, but got (" + x + ", " + y + ", " + z + ")");
        }
    }

    /** A one-dimensional size {@code (x, 1, 1)}. */
    public static Dim3 of(int x) {
        return new Dim3(x, 1, 1);
    }
}
