package dev.kiln.processor.write;

import com.palantir.javapoet.CodeBlock;
import dev.kiln.processor.ir.Op;

/**
 * Each elementwise operation's forward and derivative, side by side, as Java expressions over float
 * locals. Like the eager kernels, each operation's result is rounded once to float: transcendental
 * functions and constants are computed in double and cast, and a float product or difference is
 * already the rounded double one, so the compiled path gives the eager numbers.
 */
final class Formulas {
    private Formulas() {}

    /** The output of {@code op} applied to the float local {@code a}. */
    static CodeBlock forward(Op.Pointwise op, String a) {
        double p = op.a();
        return switch (op.kind()) {
            case RELU -> CodeBlock.of("Math.max($N, 0f)", a);
            case SIGMOID -> CodeBlock.of("(float) (1 / (1 + Math.exp(-$N)))", a);
            case TANH -> CodeBlock.of("(float) Math.tanh($N)", a);
            case LEAKY_RELU -> CodeBlock.of("$N > 0f ? $N : (float) ($N * $L)", a, a, a, literal(p));
            case CLAMP -> clamp(op, a);
            case EXP -> CodeBlock.of("(float) Math.exp($N)", a);
            case LOG -> CodeBlock.of("(float) Math.log($N)", a);
            case NEG -> CodeBlock.of("-$N", a);
            case ADD -> CodeBlock.of("(float) ($N + $L)", a, literal(p));
            case MUL -> CodeBlock.of("(float) ($N * $L)", a, literal(p));
            case DIV -> CodeBlock.of("(float) ($N / $L)", a, literal(p));
        };
    }

    /**
     * The gradient of {@code op}'s input given the gradient {@code g} of its output, its input
     * {@code a} and its output {@code y} (the one {@code op.kind().needs()} names is available).
     */
    static CodeBlock derivative(Op.Pointwise op, String g, String a, String y) {
        double p = op.a();
        return switch (op.kind()) {
            case RELU -> CodeBlock.of("$N > 0f ? $N : 0f", y, g);
            case SIGMOID -> CodeBlock.of("$N * ($N * (1 - $N))", g, y, y);
            case TANH -> CodeBlock.of("$N * (1 - $N * $N)", g, y, y);
            case LEAKY_RELU -> CodeBlock.of("$N > 0f ? $N : (float) ($N * $L)", a, g, g, literal(p));
            case CLAMP -> CodeBlock.of("$L ? $N : 0f", inRange(op, a), g);
            case EXP -> CodeBlock.of("$N * $N", g, y);
            case LOG -> CodeBlock.of("$N / $N", g, a);
            case NEG -> CodeBlock.of("-$N", g);
            case ADD -> CodeBlock.of("$N", g);
            case MUL -> CodeBlock.of("(float) ($N * $L)", g, literal(p));
            case DIV -> CodeBlock.of("(float) ($N / $L)", g, literal(p));
        };
    }

    private static CodeBlock clamp(Op.Pointwise op, String a) {
        boolean hasMin = !Double.isNaN(op.a()), hasMax = !Double.isNaN(op.b());
        if (hasMin && hasMax) {
            return CodeBlock.of("(float) Math.min(Math.max($N, $L), $L)", a, literal(op.a()), literal(op.b()));
        }
        return hasMin ? CodeBlock.of("(float) Math.max($N, $L)", a, literal(op.a()))
                : CodeBlock.of("(float) Math.min($N, $L)", a, literal(op.b()));
    }

    private static CodeBlock inRange(Op.Pointwise op, String a) {
        boolean hasMin = !Double.isNaN(op.a()), hasMax = !Double.isNaN(op.b());
        if (hasMin && hasMax) {
            return CodeBlock.of("$N >= $L && $N <= $L", a, literal(op.a()), a, literal(op.b()));
        }
        return hasMin ? CodeBlock.of("$N >= $L", a, literal(op.a())) : CodeBlock.of("$N <= $L", a, literal(op.b()));
    }

    /** A double literal, parenthesised when negative. */
    static String literal(double value) {
        String text = Double.toString(value);
        return value < 0 ? "(" + text + ")" : text;
    }
}
