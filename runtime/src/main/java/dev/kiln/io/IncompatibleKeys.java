package dev.kiln.io;

import java.util.List;

/**
 * The keys that did not match when a file was loaded into a state dict without strictness, as
 * PyTorch's {@code load_state_dict} reports them.
 *
 * @param missingKeys keys of the state dict that the file does not have (their tensors were left as they were)
 * @param unexpectedKeys keys of the file that the state dict does not have (their tensors were ignored)
 */
public record IncompatibleKeys(List<String> missingKeys, List<String> unexpectedKeys) {
    /** Copies both lists. */
    public IncompatibleKeys {
        missingKeys = List.copyOf(missingKeys);
        unexpectedKeys = List.copyOf(unexpectedKeys);
    }

    /** Whether every key matched. */
    public boolean isEmpty() {
        return missingKeys.isEmpty() && unexpectedKeys.isEmpty();
    }
}
