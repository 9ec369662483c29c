package dev.kiln.processor.read;

import java.util.Map;

/**
 * A layer size as written in the model's constructor: an integer constant, a constructor parameter,
 * simple arithmetic on those, or something the processor cannot read (a method call, a field).
 */
public sealed interface SizeExpr {

    /** An integer literal or constant. */
    record Constant(long value) implements SizeExpr {}

    /** A parameter of the model's constructor, such as {@code dIn}. */
    record Parameter(String name) implements SizeExpr {}

    /** {@code left op right} with op one of {@code + - * /}. */
    record Binary(char op, SizeExpr left, SizeExpr right) implements SizeExpr {}

    /** An expression the processor does not evaluate, kept as written for messages. */
    record Opaque(String source) implements SizeExpr {}

    /**
     * This size with each parameter replaced by its binding: how a composed model's sizes, written in
     * terms of its own constructor's parameters, read at the place that constructs it. Parameters
     * without a binding stay as they are.
     */
    default SizeExpr substitute(Map<String, SizeExpr> bindings) {
        return switch (this) {
            case Parameter p -> bindings.getOrDefault(p.name(), p);
            case Binary b -> new Binary(b.op(), b.left().substitute(bindings), b.right().substitute(bindings));
            case Constant c -> c;
            case Opaque o -> o;
        };
    }
}
