package dev.kiln.autograd;

import dev.kiln.Tensor;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/**
 * One step of a recorded computation, the counterpart of PyTorch's {@code grad_fn}: given the
 * gradient of the loss with respect to the step's output, it computes the gradients with respect
 * to the step's inputs and hands them to the nodes that produced those inputs.
 */
public abstract class Node {
    private final String name;
    private final Node[] next;

    /**
     * @param name PyTorch-like name, for example {@code MulBackward0}
     * @param next for each input, the node its gradient flows to, or null where the input needs none
     */
    protected Node(String name, Node[] next) {
        this.name = name;
        this.next = next;
    }

    /** The name PyTorch gives this kind of step, for example {@code MulBackward0} or {@code AccumulateGrad}. */
    public String name() {
        return name;
    }

    /** For each input, the node its gradient flows to; null entries for inputs that need no gradient. */
    public List<Node> nextFunctions() {
        return Collections.unmodifiableList(Arrays.asList(next));
    }

    final Node[] next() {
        return next;
    }

    /**
     * Computes the gradients with respect to this step's inputs from the gradient with respect to its
     * output; entries may be null where {@link #nextFunctions()} is null. Runs with grad mode off.
     */
    protected abstract Tensor[] apply(Tensor gradOutput);

    /** Drops what the step saved for backward; called after a backward that does not retain the graph. */
    protected void release() {}

    /** As PyTorch prints it inside a tensor: {@code <MulBackward0>}. */
    @Override
    public String toString() {
        return "<" + name + ">";
    }
}
