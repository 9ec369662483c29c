package dev.kiln.examples;

import java.util.List;
import java.util.Optional;

/**
 * The registry of examples: the one place a new example is added.
 *
 * <p>A plain list rather than {@link java.util.ServiceLoader}: the examples live in this module,
 * the order here is the order of {@code kiln list}, and a missing entry is visible in review.
 */
public final class Examples {

    private static final List<Example> ALL = List.of(
            new Tour(),
            new AutogradBasics(),
            new LinearRegression(),
            new LinearFit(),
            new NumpyStyleNet(),
            new AutogradNet(),
            new SequentialNet(),
            new OptimNet(),
            new CustomModule(),
            new SaveRestore(),
            new DataLoaderDemo(),
            new FizzBuzz(),
            new Temperature(),
            new ThreeClass(),
            new Regression(),
            new Classification(),
            new Optimizers(),
            new Devices(),
            new Gpu()
    );

    private Examples() {
    }

    /** Every example, in {@code kiln list} order. */
    public static List<Example> all() {
        return ALL;
    }

    /** The example called {@code name}, if there is one. */
    public static Optional<Example> find(String name) {
        return ALL.stream().filter(e -> e.name().equals(name)).findFirst();
    }

    /** The names of all examples, in order. */
    public static List<String> names() {
        return ALL.stream().map(Example::name).toList();
    }
}
