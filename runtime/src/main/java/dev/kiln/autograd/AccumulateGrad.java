package dev.kiln.autograd;

import dev.kiln.Tensor;

/**
 * The node at a leaf that requires grad: adds the incoming gradient to the leaf's {@code grad()},
 * so gradients accumulate across backward calls until they are zeroed, as in PyTorch.
 */
public final class AccumulateGrad extends Node {
    private final Tensor variable;

    /** A node accumulating into {@code variable}'s gradient. */
    public AccumulateGrad(Tensor variable) {
        super("AccumulateGrad", new Node[0]);
        this.variable = variable;
    }

    /** The leaf whose gradient this node accumulates. */
    public Tensor variable() {
        return variable;
    }

    @Override
    protected Tensor[] apply(Tensor gradOutput) {
        accumulate(gradOutput);
        return new Tensor[0];
    }

    void accumulate(Tensor gradient) {
        Tensor existing = variable.grad();
        if (existing == null) {
            // A fresh contiguous copy: the incoming gradient may be a view or be shared with other nodes.
            variable.setGrad(gradient.clone());
        } else {
            existing.plusAssign(gradient);
        }
    }
}
