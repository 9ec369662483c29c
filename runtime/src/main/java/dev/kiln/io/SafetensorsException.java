package dev.kiln.io;

import java.io.IOException;
import java.util.Objects;

/**
 * A safetensors file (or a checkpoint stored in one) that cannot be read as it is, or a state dict
 * it does not fit: the message names the file, the tensor where there is one, and what was expected
 * against what was found, for example
 * {@code model.safetensors: tensor 'fc.weight': dtype F32 and shape [2, 3] need 24 bytes, but its
 * data_offsets [0, 20] span 20 bytes}.
 *
 * <p>It is a checked {@link IOException}, as {@link java.util.zip.ZipException} is: reading a file can
 * fail for reasons outside the program, and callers handle a malformed file where they handle a
 * missing one. Failures of the file system itself (no such file, no permission, disk full) are the
 * plain {@code IOException}s the JDK throws; this type is only for contents that are wrong.
 *
 * <p>Every load validates the whole header before it allocates tensor storage or changes anything,
 * so when this is thrown nothing was changed: no tensor of a state dict passed to
 * {@link Safetensors#loadInto} was written.
 */
public final class SafetensorsException extends IOException {
    private static final long serialVersionUID = 1L;

    /** What is wrong, for callers that handle some problems differently from others. */
    public enum Problem {
        /** The file is shorter than the 8 bytes holding the header length. */
        FILE_TOO_SHORT,
        /** The header length is above {@link Safetensors#MAX_HEADER_LENGTH} (or is not a plausible number). */
        HEADER_TOO_LARGE,
        /** The header length runs past the end of the file. */
        HEADER_PAST_END,
        /**
         * The header is not valid: not UTF-8, not JSON, not a JSON object starting with an opening brace, a
         * duplicate key, a tensor entry with a field missing or of the wrong JSON type, or a
         * {@code __metadata__} entry that is not a map of strings to strings.
         */
        INVALID_HEADER,
        /** A dtype that the safetensors format does not define. */
        UNKNOWN_DTYPE,
        /** A dtype the format defines but Kiln cannot hold (for example F8_E4M3, C64 or U64). */
        UNSUPPORTED_DTYPE,
        /** A shape with a dimension or element count too large for a Kiln tensor. */
        INVALID_SHAPE,
        /** {@code data_offsets} whose end is before their beginning. */
        INVALID_OFFSETS,
        /** The byte count of {@code data_offsets} is not the shape's element count times the dtype's size. */
        SIZE_MISMATCH,
        /** A tensor's bytes end past the end of the file's data section (a truncated file, typically). */
        OFFSETS_OUT_OF_RANGE,
        /** Two tensors' bytes overlap. */
        OVERLAP,
        /** Bytes of the data section that belong to no tensor: a gap between tensors, or bytes after the last. */
        HOLE,
        /** The file ended while its data was being read: it was changed during the load. */
        TRUNCATED,
        /** A state dict's keys or shapes do not match the file's tensors ({@link Safetensors#loadInto}). */
        STATE_DICT_MISMATCH,
        /** A valid safetensors file that is not a valid {@link Checkpoint}. */
        INVALID_CHECKPOINT
    }

    private final Problem problem;
    private final String source;
    private final String tensor;

    /**
     * An exception about {@code source} (a file name, or a description of an in-memory buffer) and,
     * where {@code tensor} is not null, one tensor key in it.
     */
    public SafetensorsException(Problem problem, String source, String tensor, String detail) {
        super(message(source, tensor, detail));
        this.problem = Objects.requireNonNull(problem, "problem");
        this.source = source;
        this.tensor = tensor;
    }

    /** As {@link #SafetensorsException(Problem, String, String, String)}, with the exception that caused it. */
    public SafetensorsException(Problem problem, String source, String tensor, String detail, Throwable cause) {
        this(problem, source, tensor, detail);
        initCause(cause);
    }

    private static String message(String source, String tensor, String detail) {
        StringBuilder sb = new StringBuilder();
        if (source != null) {
            sb.append(source).append(": ");
        }
        if (tensor != null) {
            sb.append("tensor ").append(Safetensors.quote(tensor)).append(": ");
        }
        return sb.append(detail).toString();
    }

    /** What is wrong. */
    public Problem problem() {
        return problem;
    }

    /** The file (or in-memory buffer) the problem is in, as named in the message; null if none was named. */
    public String source() {
        return source;
    }

    /** The tensor key the problem is about, or null when it is not about one tensor. */
    public String tensor() {
        return tensor;
    }
}
