package dev.kiln.kernels;

import java.lang.System.Logger.Level;
import java.util.Locale;

/**
 * Chooses the {@link KernelProvider} once per JVM, the first time a kernel runs (Lucene's
 * {@code VectorizationProvider} is the model).
 *
 * <p>The Vector API implementation is used when the module {@code jdk.incubator.vector} is in the
 * boot layer (the JVM was started with {@code --add-modules jdk.incubator.vector}) and its preferred
 * float species is at least 128 bits wide. Its class is loaded reflectively only then, so a JVM
 * without the module never links it. Otherwise the scalar kernels run, and the reason is logged once
 * through {@link System.Logger} ({@code dev.kiln.kernels.Kernels}, level INFO), never printed.
 *
 * <p>The system property {@code kiln.kernels} overrides the choice: {@code scalar} forces the scalar
 * kernels (to compare, or to rule the vector kernels out when chasing a numeric difference);
 * {@code auto} (the default) chooses as above. It is read once, when the provider is chosen.
 */
public final class Kernels {
    /** The system property that forces a provider. */
    public static final String PROPERTY = "kiln.kernels";

    private static final String VECTOR_MODULE = "jdk.incubator.vector";
    private static final String VECTOR_CLASS = "dev.kiln.kernels.VectorKernels";
    private static final System.Logger LOG = System.getLogger(Kernels.class.getName());

    private Kernels() {}

    /** The provider chosen for this JVM. */
    public static KernelProvider provider() {
        return Holder.INSTANCE;
    }

    /** The plain-Java provider, which always works: the reference in tests, the baseline in benchmarks. */
    public static KernelProvider scalar() {
        return ScalarKernels.INSTANCE;
    }

    /** Holder idiom: the lookup runs once, on first use, and later calls read a final field. */
    private static final class Holder {
        static final KernelProvider INSTANCE = lookup(System.getProperty(PROPERTY));
    }

    /** The choice and why, so that tests can check the rules without restarting the JVM. */
    record Choice(KernelProvider provider, Level level, String reason) {}

    static KernelProvider lookup(String property) {
        Choice choice = choose(property);
        LOG.log(choice.level(), choice.reason());
        return choice.provider();
    }

    static Choice choose(String property) {
        String wanted = property == null ? "auto" : property.trim().toLowerCase(Locale.ROOT);
        if (wanted.equals("scalar")) {
            return new Choice(ScalarKernels.INSTANCE, Level.DEBUG,
                    "Kiln kernels: scalar (forced by -D" + PROPERTY + "=scalar)");
        }
        Level fallbackLevel = Level.INFO;
        String prefix = "";
        if (!wanted.equals("auto") && !wanted.isEmpty()) {
            fallbackLevel = Level.WARNING;
            prefix = "unknown value -D" + PROPERTY + "=" + property + " (expected auto or scalar), choosing automatically; ";
        }
        if (ModuleLayer.boot().findModule(VECTOR_MODULE).isEmpty()) {
            return new Choice(ScalarKernels.INSTANCE, fallbackLevel, "Kiln kernels: scalar: " + prefix
                    + "the Java Vector API is not enabled; pass --add-modules " + VECTOR_MODULE
                    + " to the java command to use the faster vector kernels");
        }
        try {
            Class<?> type = Class.forName(VECTOR_CLASS);
            String unsupported = (String) type.getDeclaredMethod("unsupportedReason").invoke(null);
            if (unsupported != null) {
                return new Choice(ScalarKernels.INSTANCE, fallbackLevel, "Kiln kernels: scalar: " + prefix + unsupported);
            }
            KernelProvider vector = (KernelProvider) type.getDeclaredMethod("create").invoke(null);
            return new Choice(vector, prefix.isEmpty() ? Level.DEBUG : Level.WARNING,
                    "Kiln kernels: " + prefix + vector);
        } catch (ReflectiveOperationException | LinkageError | RuntimeException e) {
            return new Choice(ScalarKernels.INSTANCE, Level.WARNING, "Kiln kernels: scalar: " + prefix
                    + "the vector kernels failed to load (" + e + ")");
        }
    }
}
