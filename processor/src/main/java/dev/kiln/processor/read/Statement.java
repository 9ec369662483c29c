package dev.kiln.processor.read;

/** A statement of a model's {@code forward} body. */
public sealed interface Statement {

    /** Where the statement is. */
    SourcePosition position();

    /** {@code Tensor name = value;} */
    record Local(String name, Expr value, SourcePosition position) implements Statement {}

    /** {@code return value;} */
    record Return(Expr value, SourcePosition position) implements Statement {}

    /** A statement the processor does not support (a loop, a branch, ...), described for the message. */
    record Unsupported(String description, SourcePosition position) implements Statement {}
}
