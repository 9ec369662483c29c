package dev.kiln.examples;

/**
 * One runnable program of the examples CLI ({@code kiln run NAME}).
 *
 * <p>To add one: implement this interface and add an instance to {@link Examples#all()}.
 * Instances are created once when the CLI starts, for every command, so constructors must be
 * cheap: load data and build models in {@link #run}, not in the constructor.
 */
public interface Example {

    /** The name users type after {@code kiln run}: lower case, words joined by '-'. */
    String name();

    /** One line, no trailing period, shown by {@code kiln list}. */
    String description();

    /**
     * Optional extra text for {@code kiln run NAME --help}: what the common options mean for
     * this example (its default number of epochs, what it writes under {@code --out}, ...).
     */
    default String notes() {
        return "";
    }

    /** Runs the example, printing through {@code options}. An exception means exit code 1. */
    void run(ExampleOptions options) throws Exception;
}
