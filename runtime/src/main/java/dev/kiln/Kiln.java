package dev.kiln;

import dev.kiln.autograd.GradMode;

/**
 * Global switches of the runtime: the default random seed and the grad mode of the current thread.
 */
public final class Kiln {
    private static final Generator DEFAULT_GENERATOR = new Generator(0x5EED_C0FFEEL);

    private Kiln() {}

    /** Seeds the default generator, as {@code torch.manual_seed}: random results after it are reproducible. */
    public static void manualSeed(long seed) {
        DEFAULT_GENERATOR.manualSeed(seed);
    }

    /** The generator random factories use when none is given. */
    public static Generator defaultGenerator() {
        return DEFAULT_GENERATOR;
    }

    /**
     * Turns off recording on this thread until the returned scope is closed, as {@code torch.no_grad()}:
     * <pre>{@code
     * try (var noGrad = Kiln.noGrad()) {
     *     w.minusAssign(w.grad().times(lr));
     * }
     * }</pre>
     */
    public static GradMode.Scope noGrad() {
        return GradMode.set(false);
    }

    /** Turns recording back on inside a {@link #noGrad()} scope, until the returned scope is closed. */
    public static GradMode.Scope enableGrad() {
        return GradMode.set(true);
    }

    /** Whether operations on this thread currently record history. */
    public static boolean isGradEnabled() {
        return GradMode.isEnabled();
    }
}
