package dev.kiln.processor.read;

import java.util.List;

/** An expression of a model's {@code forward} body, as the processor reads it. */
public sealed interface Expr {

    /** Where the expression is. */
    SourcePosition position();

    /** A local variable or the forward parameter. */
    record Variable(String name, SourcePosition position) implements Expr {}

    /** A numeric literal. */
    record Number(double value, SourcePosition position) implements Expr {}

    /** {@code layer.invoke(argument)} or {@code layer.forward(argument)} on a layer field. */
    record LayerCall(String layer, Expr argument, SourcePosition position) implements Expr {}

    /** A method called on a tensor: {@code receiver.name(arguments)}. */
    record TensorMethod(Expr receiver, String name, List<Expr> arguments, SourcePosition position) implements Expr {
        public TensorMethod {
            arguments = List.copyOf(arguments);
        }

        /**
         * {@code k} when this is {@code reshape(-1, k)} or {@code view(-1, k)} with a positive integer
         * literal {@code k}: rows of k features; 0 otherwise.
         */
        public long reshapedFeatures() {
            return (name.equals("reshape") || name.equals("view")) && arguments.size() == 2
                    && arguments.get(0) instanceof Number rows && rows.value() == -1
                    && arguments.get(1) instanceof Number k && k.value() >= 1 && k.value() == Math.rint(k.value())
                    ? (long) k.value() : 0;
        }
    }

    /** A static call such as {@code F.relu(x)}: the owner's simple name, the method and its arguments. */
    record StaticCall(String owner, String name, List<Expr> arguments, SourcePosition position) implements Expr {
        public StaticCall {
            arguments = List.copyOf(arguments);
        }
    }

    /** A construct the processor does not support, described for the error message. */
    record Unsupported(String description, SourcePosition position) implements Expr {}
}
