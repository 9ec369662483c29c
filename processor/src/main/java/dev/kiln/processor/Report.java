package dev.kiln.processor;

import dev.kiln.processor.read.SourcePosition;
import java.util.ArrayList;
import java.util.List;

/**
 * The errors one model's stages found, as data: every stage adds to it and keeps going, so one
 * compilation shows every error; the pipeline stops before generating anything when it is not clean.
 */
public final class Report {
    /** One error and where it is. */
    public record Item(String message, SourcePosition position) {}

    private final List<Item> items = new ArrayList<>();

    /** Records an error at {@code position}. */
    public void error(String message, SourcePosition position) {
        items.add(new Item(message, position));
    }

    /** The errors, in the order they were found. */
    public List<Item> items() {
        return List.copyOf(items);
    }

    /** True when no error was found. */
    public boolean isClean() {
        return items.isEmpty();
    }
}
