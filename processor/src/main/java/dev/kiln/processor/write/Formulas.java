package dev.kiln.processor.write;

import com.palantir.javapoet.CodeBlock;
import dev.kiln.processor.ir.Op;

/**
 * Each elementwise function's forward and derivative, side by side, as Java expressions over locals
 * of the element type. Like the eager kernels, each operation's result is rounded once to the
 * element type: transcendental functions and constants are computed in double and rounded (see
 * {@link Precision#round}), and a float product or difference is already the rounded double one, so
 * the compiled path gives the eager numbers.
 */
final class Formulas {
    private Formulas() {}

    /** The output of {@code op} applied to the local {@code a}. */
    static CodeBlock forward(Op.Pointwise op, String a, Precision t) {
        String p = literal(op.a());
        return switch (op.kind()) {
            case RELU -> CodeBlock.of("Math.max($N, $L)", a, t.zero);
            case SIGMOID -> t.round("1 / (1 + Math.exp(-$N))", a);
            case TANH -> t.round("Math.tanh($N)", a);
            case LEAKY_RELU -> CodeBlock.of("$N > $L ? $N : $L", a, t.zero, a, t.round("$N * $L", a, p));
            case CLAMP -> clamp(op, a, t);
            case EXP -> t.round("Math.exp($N)", a);
            case LOG -> t.round("Math.log($N)", a);
            case POW -> t.round("Math.pow($N, $L)", a, p);
            case SQRT -> t.round("Math.sqrt($N)", a);
            case ABS -> CodeBlock.of("Math.abs($N)", a);
            case NEG -> CodeBlock.of("-$N", a);
            case ADD -> t.round("$N + $L", a, p);
            case MUL -> t.round("$N * $L", a, p);
            case DIV -> t.round("$N / $L", a, p);
        };
    }

    /**
     * The gradient of {@code op}'s input given the gradient {@code g} of its output, its input
     * {@code a} and its output {@code y} (the one {@code op.kind().needs()} names is available).
     */
    static CodeBlock derivative(Op.Pointwise op, String g, String a, String y, Precision t) {
        String p = literal(op.a());
        return switch (op.kind()) {
            case RELU -> CodeBlock.of("$N > $L ? $N : $L", y, t.zero, g, t.zero);
            case SIGMOID -> CodeBlock.of("$N * ($N * (1 - $N))", g, y, y);
            case TANH -> CodeBlock.of("$N * (1 - $N * $N)", g, y, y);
            case LEAKY_RELU -> CodeBlock.of("$N > $L ? $N : $L", a, t.zero, g, t.round("$N * $L", g, p));
            case CLAMP -> CodeBlock.of("$L ? $N : $L", inRange(op, a), g, t.zero);
            case EXP -> CodeBlock.of("$N * $N", g, y);
            case LOG -> CodeBlock.of("$N / $N", g, a);
            case POW -> t.round("$N * $L * Math.pow($N, $L)", g, p, a, literal(op.a() - 1));
            case SQRT -> t.round("$N / (2.0 * $N)", g, y);
            case ABS -> CodeBlock.of("$N * Math.signum($N)", g, a);
            case NEG -> CodeBlock.of("-$N", g);
            case ADD -> CodeBlock.of("$N", g);
            case MUL -> t.round("$N * $L", g, p);
            case DIV -> t.round("$N / $L", g, p);
        };
    }

    /**
     * The output of {@code op} with {@code chain} the chain's value and {@code other} the earlier
     * value, as expressions of the element type.
     */
    static CodeBlock binary(Op.Binary op, String chain, String other) {
        String left = op.swapped() ? other : chain, right = op.swapped() ? chain : other;
        String operator = switch (op.kind()) {
            case PLUS -> "+";
            case MINUS -> "-";
            case TIMES -> "*";
            case DIV -> "/";
        };
        return CodeBlock.of("$L $L $L", left, operator, right);
    }

    /**
     * The gradients of {@code op}'s operands given the gradient {@code g} of its output, with
     * {@code chain} and {@code other} the operands' values (read only when the kind needs them):
     * element 0 for the chain's operand, element 1 for the earlier value.
     */
    static CodeBlock[] binaryDerivatives(Op.Binary op, String g, String chain, String other) {
        String left = op.swapped() ? other : chain, right = op.swapped() ? chain : other;
        CodeBlock dLeft, dRight;
        switch (op.kind()) {
            case PLUS -> {
                dLeft = CodeBlock.of("$N", g);
                dRight = CodeBlock.of("$N", g);
            }
            case MINUS -> {
                dLeft = CodeBlock.of("$N", g);
                dRight = CodeBlock.of("-$N", g);
            }
            case TIMES -> {
                dLeft = CodeBlock.of("$N * $L", g, right);
                dRight = CodeBlock.of("$N * $L", g, left);
            }
            case DIV -> {
                dLeft = CodeBlock.of("$N / $L", g, right);
                dRight = CodeBlock.of("-$N * $L / ($L * $L)", g, left, right, right);
            }
            default -> throw new AssertionError(op.kind());
        }
        return op.swapped() ? new CodeBlock[] {dRight, dLeft} : new CodeBlock[] {dLeft, dRight};
    }

    /**
     * Dropout, forward and derivative alike: {@code value} where the mask {@code keep} (null in
     * eval mode) keeps element {@code i}, scaled by {@code scale}; zero where it drops it.
     */
    static CodeBlock dropout(String value, String keep, String scale, Precision t) {
        return CodeBlock.of("$N == null ? $N : $N[i] ? $L : $L", keep, value, keep, t.round("$N * $N", value, scale),
                t.zero);
    }

    private static CodeBlock clamp(Op.Pointwise op, String a, Precision t) {
        boolean hasMin = !Double.isNaN(op.a()), hasMax = !Double.isNaN(op.b());
        if (hasMin && hasMax) {
            return t.round("Math.min(Math.max($N, $L), $L)", a, literal(op.a()), literal(op.b()));
        }
        return hasMin ? t.round("Math.max($N, $L)", a, literal(op.a())) : t.round("Math.min($N, $L)", a, literal(op.b()));
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
