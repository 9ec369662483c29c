package dev.kiln;

import dev.kiln.autograd.GradMode;
import dev.kiln.kernels.Threads;

/**
 * Global switches of the runtime: the default random seed, the default floating type, the number of
 * threads kernels use and the grad mode of the current thread.
 */
public final class Kiln {
    private static final Generator DEFAULT_GENERATOR = new Generator(0x5EED_C0FFEEL);
    private static volatile DType defaultDtype = DType.FLOAT32;

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
     * Sets the floating type of tensors made without one ({@code zeros}, {@code rand}, {@code scalar},
     * ...) and so of new layers' parameters, as {@code torch.set_default_dtype}: float32 at start-up;
     * {@code Kiln.setDefaultDtype(DType.FLOAT64)} before building a model makes it a float64 model.
     *
     * @throws IllegalArgumentException for a type that is not floating point
     */
    public static void setDefaultDtype(DType dtype) {
        if (dtype != DType.FLOAT32 && dtype != DType.FLOAT64) {
            throw new IllegalArgumentException("setDefaultDtype: only floating-point types (float32, float64) can be"
                    + " the default type, but got " + dtype);
        }
        defaultDtype = dtype;
    }

    /** The floating type of tensors made without one: float32 unless {@link #setDefaultDtype} changed it. */
    public static DType defaultDtype() {
        return defaultDtype;
    }

    /**
     * Sets how many threads a large kernel (a matrix product of at least about 320 x 320 x 320) may
     * use, the calling thread included, as {@code torch.set_num_threads}. Smaller operations always run
     * on the calling thread alone. Results do not depend on it: each element of a product is computed
     * by one thread, in the same order whatever the count. The threads are a fixed pool of daemon
     * threads ({@code kiln-kernels-N}) sized to the machine, started on first use.
     *
     * @param threads from 1 to {@link Runtime#availableProcessors()}
     * @throws IllegalArgumentException when {@code threads} is outside that range, naming it
     */
    public static void setNumThreads(int threads) {
        Threads.setCount(threads);
    }

    /** How many threads a large kernel may use: at first, every processor available to the JVM. */
    public static int numThreads() {
        return Threads.count();
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
