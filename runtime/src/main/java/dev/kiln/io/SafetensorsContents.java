package dev.kiln.io;

import dev.kiln.Tensor;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The contents of a safetensors file: its tensors and its free-form {@code __metadata__}.
 *
 * @param tensors the tensors by key, in the order of their data in the file (ascending offsets)
 * @param metadata the header's {@code __metadata__} string map in file order, unmodifiable; empty
 *     when the file has none
 */
public record SafetensorsContents(LinkedHashMap<String, Tensor> tensors, Map<String, String> metadata) {
    /** Checks that neither component is null. */
    public SafetensorsContents {
        Objects.requireNonNull(tensors, "tensors");
        Objects.requireNonNull(metadata, "metadata");
    }
}
