package dev.kiln.processor.autodiff;

import dev.kiln.processor.ir.ModelGraph;
import dev.kiln.processor.ir.Op;
import dev.kiln.processor.ir.PointwiseKind;
import java.util.ArrayList;
import java.util.List;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * The backward of a {@link ModelGraph}: one {@link Step} per operation, in reverse order. Step for
 * operation {@code i} turns the gradient of value {@code i + 1} into the gradient of value
 * {@code i} (and, for a Linear layer, of its parameters).
 *
 * @param steps the steps, last operation first
 * @param saved the forward values the steps read (value 0 is the input)
 */
public record Backward(List<Step> steps, SortedSet<Integer> saved) {
    public Backward {
        steps = List.copyOf(steps);
        saved = java.util.Collections.unmodifiableSortedSet(new TreeSet<>(saved));
    }

    /** One step of the backward. */
    public sealed interface Step {
        /** The index of the operation it differentiates. */
        int op();
    }

    /**
     * {@code dW = g^T x}, {@code db = column sums of g}, and {@code dx = g W} when
     * {@code inputGrad}: only the first layer of a chain with nothing before it may skip it, when
     * the input does not require grad.
     */
    public record LinearGrad(int op, Op.Linear linear, boolean first) implements Step {}

    /** {@code g *= f'(...)} from the saved input or output of the operation, or from its dropout mask. */
    public record ElementwiseGrad(int op, Op.Elementwise elementwise) implements Step {}

    /** The softmax derivative over each row, from the saved output. */
    public record SoftmaxGrad(int op, Op.Softmax softmax) implements Step {}

    /** The reduction's gradient spread back over the elements it reduced (over their count for a mean). */
    public record ReduceGrad(int op, Op.Reduce reduce) implements Step {}

    /** The gradient of a second branch's first value, added to that of the value it starts from. */
    public record BranchGrad(int op, Op.Branch branch) implements Step {}

    /** Differentiates {@code graph}. */
    public static Backward of(ModelGraph graph) {
        List<Step> steps = new ArrayList<>();
        SortedSet<Integer> saved = new TreeSet<>();
        List<Op> ops = graph.ops();
        for (int i = ops.size() - 1; i >= 0; i--) {
            switch (ops.get(i)) {
                case Op.Linear linear -> {
                    steps.add(new LinearGrad(i, linear, i == 0));
                    saved.add(i); // dW reads the layer's input
                }
                case Op.Dropout d -> steps.add(new ElementwiseGrad(i, d)); // reads its mask, kept apart
                case Op.Binary b -> {
                    steps.add(new ElementwiseGrad(i, b));
                    saved.add(b.other()); // the forward reads it too
                    if (b.kind().readsOperands()) {
                        saved.add(i);
                    }
                }
                case Op.Pointwise p -> {
                    steps.add(new ElementwiseGrad(i, p));
                    if (p.kind().needs() == PointwiseKind.Needs.INPUT) {
                        saved.add(i);
                    } else if (p.kind().needs() == PointwiseKind.Needs.OUTPUT) {
                        saved.add(i + 1);
                    }
                }
                case Op.Reduce r -> steps.add(new ReduceGrad(i, r));
                case Op.Branch b -> {
                    steps.add(new BranchGrad(i, b));
                    saved.add(b.value()); // the forward copies it as the branch's first value
                }
                case Op.Softmax s -> {
                    steps.add(new SoftmaxGrad(i, s));
                    saved.add(i + 1);
                }
            }
        }
        return new Backward(steps, saved);
    }
}
