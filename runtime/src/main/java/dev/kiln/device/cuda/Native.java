package dev.kiln.device.cuda;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

/** Downcall handles from a {@link SymbolTable}, shared by the driver and cuBLAS bindings. */
final class Native {
    private static final Linker LINKER = Linker.nativeLinker();

    private Native() {}

    /**
     * A downcall handle for {@code name}.
     *
     * @throws IllegalStateException when {@code library} has no such function (a driver or toolkit too old)
     */
    @SuppressWarnings("restricted")  // binding native functions is what this class is for; the JVM grants native access
    static MethodHandle bind(SymbolTable symbols, String library, String name, FunctionDescriptor descriptor) {
        MemorySegment address = symbols.find(name).orElseThrow(() -> new IllegalStateException(
                library + " has no function " + name + "; it is older than this Kiln runtime needs"));
        return LINKER.downcallHandle(address, descriptor);
    }

    /** Reads the NUL-terminated string at {@code address}, or returns null for a null pointer. */
    @SuppressWarnings("restricted")  // the driver's strings are NUL-terminated and static: reading to the NUL is safe
    static String string(MemorySegment address) {
        return address.equals(MemorySegment.NULL) ? null : address.reinterpret(Long.MAX_VALUE).getString(0);
    }

    /** Rethrows what a downcall handle threw: only errors and runtime exceptions can come out of one. */
    static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException e) {
            return e;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return new IllegalStateException("native call failed", t);
    }
}
