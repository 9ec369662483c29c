package dev.kiln.device.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.util.List;
import java.util.Optional;

/**
 * Native functions by name: a loaded library, or in tests a table of Java methods exposed as
 * function pointers. The bindings ask this interface, never the dynamic linker directly.
 */
@FunctionalInterface
public interface SymbolTable {

    /** The address of the function called {@code name}, or empty when there is none. */
    Optional<MemorySegment> find(String name);

    /**
     * The first of {@code candidates} that the dynamic linker can load (file names such as
     * {@code libcuda.so.1} are searched as {@code dlopen} searches; absolute paths are taken as they
     * are). The library stays loaded for the life of the JVM, as a driver must.
     *
     * @throws LibraryNotFoundException when none of them loads, naming them
     */
    @SuppressWarnings("restricted")  // loading a native library is the point; the JVM grants native access
    static Loaded load(List<String> candidates) {
        if (candidates.isEmpty()) {
            throw new IllegalArgumentException("load: no library names given");
        }
        for (String name : candidates) {
            try {
                SymbolLookup lookup = SymbolLookup.libraryLookup(name, Arena.global());
                return new Loaded(name, lookup::find);
            } catch (IllegalArgumentException notFound) {
                // SymbolLookup reports a library that dlopen cannot find this way; try the next name.
            }
        }
        String others = candidates.size() == 1 ? ""
                : " (nor " + String.join(", ", candidates.subList(1, candidates.size())) + ")";
        throw new LibraryNotFoundException(candidates.getFirst() + " not found" + others);
    }

    /** A library that loaded: the name it loaded under and its symbols. */
    record Loaded(String library, SymbolTable symbols) {}

    /** None of the names given to {@link #load} could be loaded. */
    final class LibraryNotFoundException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        LibraryNotFoundException(String message) {
            super(message);
        }
    }
}
