package dev.kiln.processor.read;

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
}
