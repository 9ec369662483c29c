package dev.kiln.processor.ir;

/**
 * The elementwise operations, with what their derivative reads: the operation's input, its output
 * or nothing (a constant factor). The formulas themselves sit side by side in
 * {@code write.Formulas}.
 */
public enum PointwiseKind {
    RELU(Needs.OUTPUT),
    SIGMOID(Needs.OUTPUT),
    TANH(Needs.OUTPUT),
    /** Slope {@code a} for negative inputs. */
    LEAKY_RELU(Needs.INPUT),
    /** Bounds {@code a} (min) and {@code b} (max); an absent bound is NaN. */
    CLAMP(Needs.INPUT),
    EXP(Needs.OUTPUT),
    LOG(Needs.INPUT),
    /** Raises to the constant power {@code a}. */
    POW(Needs.INPUT),
    SQRT(Needs.OUTPUT),
    ABS(Needs.INPUT),
    NEG(Needs.NOTHING),
    /** Adds the constant {@code a}. */
    ADD(Needs.NOTHING),
    /** Multiplies by the constant {@code a}. */
    MUL(Needs.NOTHING),
    /** Divides by the constant {@code a}. */
    DIV(Needs.NOTHING);

    /** What a derivative reads. */
    public enum Needs { INPUT, OUTPUT, NOTHING }

    /**
     * Whether the runtime has a vectorised kernel for the forward: a pass of that kernel over a whole
     * (cache-resident) array beats computing it element by element in a fused loop, which the JIT
     * does not vectorise for transcendental functions or for {@code Math.max}'s NaN rules.
     */
    public boolean vectorised() {
        return unaryFunction() != null;
    }

    /** The runtime's {@code dev.kiln.kernels.UnaryFunction} constant with the kernel, or null for none. */
    public String unaryFunction() {
        return switch (this) {
            case RELU, SIGMOID, TANH, EXP, LOG -> name();
            default -> null;
        };
    }

    private final Needs needs;

    PointwiseKind(Needs needs) {
        this.needs = needs;
    }

    /** What this operation's derivative reads. */
    public Needs needs() {
        return needs;
    }
}
