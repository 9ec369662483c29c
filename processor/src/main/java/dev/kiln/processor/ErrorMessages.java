package dev.kiln.processor;

import java.util.List;

/**
 * Every text the processor reports, in one place. Each starts with a stable tag in brackets, so
 * that users can search for it and tests can rely on it while the wording improves.
 */
public final class ErrorMessages {
    private ErrorMessages() {}

    /** What a {@code forward} body may contain, for the messages that reject something else. */
    static final String SUPPORTED = "a @Model forward method may contain local Tensor variables, calls of layer"
            + " fields (invoke, forward), Tensor method chains, F functions and return";

    private static String keepEager(String model) {
        return "to keep " + model + " eager, remove @Model or write @Model(compile = false)";
    }

    public static String notAModule(String model) {
        return "[KilnNotAModule] @Model class " + model + " must extend dev.kiln.nn.Module";
    }

    public static String noForward(String model) {
        return "[KilnNoForward] @Model class " + model + " must declare public Tensor forward(Tensor input)";
    }

    public static String noConstructor(String model) {
        return "[KilnNoConstructor] @Model class " + model + " must declare a constructor that builds its layers";
    }

    public static String sizeMismatch(String consumer, String expected, String received, String producer, long line) {
        return "[KilnSizeMismatch] " + consumer + " expects " + expected + " input features but receives " + received
                + " from " + producer + (line > 0 ? " (line " + line + ")" : "");
    }

    public static String operandMismatch(String method, String left, String leftProducer, long leftLine, String right,
                                         String rightProducer, long rightLine) {
        return "[KilnSizeMismatch] " + method + " combines " + left + " features from " + leftProducer
                + (leftLine > 0 ? " (line " + leftLine + ")" : "") + " with " + right + " features from " + rightProducer
                + (rightLine > 0 ? " (line " + rightLine + ")" : "");
    }

    public static String broadcastNotCompiled(String method, String left, String right, String model) {
        return "[KilnNotCompiled] " + method + " of " + left + " and " + right + " features broadcasts, which the"
                + " compiled loops do not: they combine tensors of the same shape; " + keepEager(model);
    }

    public static String unsupportedStatement(String what, String model) {
        return "[KilnUnsupported] " + what + " is not supported: " + SUPPORTED + "; " + keepEager(model);
    }

    public static String unsupportedExpression(String what, String model) {
        return "[KilnUnsupported] " + what + " is not supported: " + SUPPORTED + "; " + keepEager(model);
    }

    public static String unknownMethod(String method, List<String> known, String model) {
        return "[KilnUnknownMethod] Tensor." + method + " is not supported in a @Model forward method; the supported"
                + " methods are " + String.join(", ", known) + "; " + keepEager(model);
    }

    public static String unknownFunction(String owner, String method, List<String> known, String model) {
        return "[KilnUnknownMethod] " + owner + "." + method + " is not supported in a @Model forward method; the"
                + " supported functions are F." + String.join(", F.", known) + "; " + keepEager(model);
    }

    public static String unknownLayer(String name, String model) {
        return "[KilnUnknownLayer] " + name + " is not a layer field of " + model
                + " built in its constructor (field = new Layer(...))";
    }

    public static String unsupportedLayer(String name, String type, List<String> known, String model) {
        return "[KilnUnsupportedLayer] " + name + " is a " + type + ", which the processor cannot compile; the"
                + " supported layers are " + String.join(", ", known) + " and @Model classes; " + keepEager(model);
    }

    public static String unknownVariable(String name) {
        return "[KilnUnknownVariable] " + name + " is not the forward parameter or a local Tensor variable";
    }

    public static String noReturn(String model) {
        return "[KilnNoReturn] the forward method of " + model + " must end with a return statement";
    }

    public static String notCompiled(String what, String model) {
        return "[KilnNotCompiled] " + what + " is checked but not yet compiled; " + keepEager(model);
    }

    public static String internalError(String model, Throwable e) {
        return "[KilnInternal] internal error in the Kiln processor while compiling " + model + ": " + e
                + "; please report it. Meanwhile, " + keepEager(model);
    }
}
