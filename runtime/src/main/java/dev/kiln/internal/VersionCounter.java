package dev.kiln.internal;

/**
 * Counts in-place changes to a storage. A tensor saved for backward remembers the count at save
 * time; backward compares, so a saved value that was overwritten is caught instead of silently
 * giving a wrong gradient. Views share their base's counter (as PyTorch's do).
 */
public final class VersionCounter {
    private int value;

    /** The number of in-place changes so far. */
    public int get() {
        return value;
    }

    /** Records one in-place change. */
    public void bump() {
        value++;
    }
}
