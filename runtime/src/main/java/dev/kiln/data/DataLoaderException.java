package dev.kiln.data;

/**
 * Thrown on the thread iterating a {@link DataLoader} when a background worker failed to load a
 * batch; the worker's exception is the {@linkplain #getCause() cause}, with its own stack trace. With
 * {@code numWorkers == 0} batches are loaded on the iterating thread and exceptions propagate as
 * they are, without this wrapper.
 */
public final class DataLoaderException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final int batchIndex;

    DataLoaderException(String message, int batchIndex, Throwable cause) {
        super(message, cause);
        this.batchIndex = batchIndex;
    }

    /** The position in the epoch (0 for the first batch) of the batch that failed, or -1 when none is to blame. */
    public int batchIndex() {
        return batchIndex;
    }
}
