package dev.kiln.processor.ir;

import dev.kiln.processor.read.SizeExpr;
import dev.kiln.processor.read.SourcePosition;

/** One operation of the chain; {@code source} is the construct as written, for comments. */
public sealed interface Op {

    /** Where the operation is written. */
    SourcePosition position();

    /** The construct as written, for the generated comments. */
    String source();

    /**
     * A matrix product with a weight: {@code y = x W^T (+ b)} through a {@code Linear} layer, or
     * {@code x.mm(p)} / {@code x.mm(p.t())} (or {@code matmul}) with a {@code Parameter} field.
     *
     * @param layer the layer's dotted path in {@code namedModules()} ({@code linear1}, {@code seq.0}),
     *     or the parameter's in {@code namedParameters()} ({@code w1}, {@code encoder.w})
     * @param in the input features, as the constructor writes them
     * @param out the output features
     * @param bias whether the layer adds a bias
     * @param weight where the weight comes from and how it is laid out
     */
    record Linear(String layer, SizeExpr in, SizeExpr out, boolean bias, Weight weight, SourcePosition position,
                  String source) implements Op {
        /** The weight of a product. */
        public enum Weight {
            /** A {@code Linear} layer's weight, {@code (out, in)}: {@code x W^T}. */
            LAYER,
            /** A parameter of shape {@code (in, out)}: {@code x.mm(p)}. */
            PARAMETER,
            /** A parameter of shape {@code (out, in)}, transposed: {@code x.mm(p.t())}. */
            PARAMETER_TRANSPOSED;

            /** Whether the weight is stored {@code (out, in)}, as a {@code Linear} layer's is. */
            public boolean outputsAreRows() {
                return this != PARAMETER;
            }
        }
    }

    /** An operation on each element on its own: fused into the loops of the blocks around it. */
    sealed interface Elementwise extends Op {}

    /** An elementwise function with up to two constant parameters. */
    record Pointwise(PointwiseKind kind, double a, double b, SourcePosition position, String source)
            implements Elementwise {}

    /**
     * A {@code Dropout} layer: in training mode each element is kept with probability {@code 1 - p}
     * and scaled by {@code 1 / (1 - p)}, with the mask drawn as the eager layer draws it; in eval
     * mode the identity.
     *
     * @param layer the layer's dotted path in {@code namedModules()}
     */
    record Dropout(String layer, SourcePosition position, String source) implements Elementwise {}

    /**
     * Elementwise arithmetic between the chain's value and an earlier value of the same chain (a
     * residual connection such as {@code h.plus(x)}, or a gate such as {@code h.times(h.sigmoid())}).
     *
     * @param kind the operation
     * @param other the index of the earlier value
     * @param swapped whether the earlier value is the left operand ({@code x.minus(h)})
     */
    record Binary(Kind kind, int other, boolean swapped, SourcePosition position, String source) implements Elementwise {
        /** The arithmetic operations, by their tensor method names. */
        public enum Kind {
            PLUS, MINUS, TIMES, DIV;

            /** Whether the derivative reads the operands' values. */
            public boolean readsOperands() {
                return this == TIMES || this == DIV;
            }
        }
    }

    /**
     * The start of a second branch: the operations after it read value {@code value} (an earlier
     * value both branches are computed from), not the value before it. The branch's result meets
     * the first branch's in a later {@link Binary}, as in {@code a.invoke(h).plus(b.invoke(h))}; its
     * gradient joins value {@code value}'s.
     *
     * @param value the index of the value the branch starts from
     */
    record Branch(int value, SourcePosition position, String source) implements Op {}

    /**
     * {@code softmax} or {@code logSoftmax} over each row; only as the last operation.
     *
     * @param lastDim whether it is written over dimension -1 (the features of an input of any rank)
     *     rather than 1 (the same only for 2-d inputs)
     */
    record Softmax(boolean log, boolean lastDim, SourcePosition position, String source) implements Op {}

    /**
     * {@code sum} or {@code mean} of all elements (a 0-d result) or of each row ({@code sum(1)},
     * {@code sum(-1)}); only as the last operation.
     *
     * @param mean whether it divides by the number of elements summed
     * @param all whether it reduces every element rather than each row
     * @param lastDim for a row reduction, whether it is written over dimension -1 rather than 1
     */
    record Reduce(boolean mean, boolean all, boolean lastDim, SourcePosition position, String source) implements Op {}
}
