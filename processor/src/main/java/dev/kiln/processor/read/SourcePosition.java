package dev.kiln.processor.read;

/**
 * Where a construct sits in the model's source: its line for messages, and an opaque handle the
 * front end that read it turns back into a diagnostic position (a javac tree, or nothing in tests).
 *
 * @param line the 1-based line, or 0 when unknown
 * @param handle the front end's own reference, never inspected by the later stages
 */
public record SourcePosition(long line, Object handle) {
    /** A position with no handle, for models built by hand in tests. */
    public static SourcePosition line(long line) {
        return new SourcePosition(line, null);
    }
}
