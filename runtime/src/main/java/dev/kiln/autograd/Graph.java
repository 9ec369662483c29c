package dev.kiln.autograd;

import dev.kiln.Tensor;
import dev.kiln.internal.TensorAccess;

/**
 * Records operations on the tape. Every differentiable operation in {@code dev.kiln.ops} computes
 * its output and then calls {@link #record} with its derivative, so forward and derivative stay side
 * by side; when grad mode is off or no input requires grad, nothing is recorded.
 */
public final class Graph {
    private static final TensorAccess ACCESS = TensorAccess.get();

    private Graph() {}

    /** The derivative of one operation: gradients for its inputs from the gradient of its output. */
    @FunctionalInterface
    public interface Derivative {
        /**
         * Returns one entry per input, in the order the inputs were recorded; an entry may be null
         * where {@link Saved#needsGrad} is false. Each gradient has its input's shape.
         */
        Tensor[] apply(Tensor gradOutput, Saved ctx);
    }

    /** The tensors an operation saved for its derivative, checked against in-place changes on access. */
    public interface Saved {
        /** The {@code i}-th saved tensor. */
        Tensor saved(int i);

        /** Whether input {@code input} needs a gradient. */
        boolean needsGrad(int input);
    }

    /** True when an operation with these inputs must be recorded. */
    public static boolean isRecording(Tensor... inputs) {
        if (!GradMode.isEnabled()) {
            return false;
        }
        for (Tensor t : inputs) {
            if (t.requiresGrad()) {
                return true;
            }
        }
        return false;
    }

    /**
     * Records {@code output} as the result of operation {@code name} on {@code inputs} when
     * {@link #isRecording} says so, saving {@code saved} for {@code derivative}; returns {@code output}.
     */
    public static Tensor record(String name, Tensor output, Tensor[] inputs, Tensor[] saved, Derivative derivative) {
        return record(name, output, inputs, saved, derivative, null);
    }

    /**
     * {@link #record} for a derivative that holds memory of its own (a compiled model's device
     * activations): {@code release} runs once, when the node drops its saved tensors after a backward
     * that does not retain the graph. A node that never runs backward leaves that memory to whatever
     * frees it when unreachable.
     */
    public static Tensor record(String name, Tensor output, Tensor[] inputs, Tensor[] saved, Derivative derivative,
                                Runnable release) {
        if (!isRecording(inputs)) {
            return output;
        }
        Node[] next = new Node[inputs.length];
        for (int i = 0; i < inputs.length; i++) {
            next[i] = edgeTo(inputs[i]);
        }
        SavedTensor[] kept = new SavedTensor[saved.length];
        for (int i = 0; i < saved.length; i++) {
            kept[i] = new SavedTensor(saved[i]);
        }
        ACCESS.setHistory(output, new FunctionNode(name, next, kept, derivative, release));
        return output;
    }

    /** Shorthand for {@link #record} with nothing saved. */
    public static Tensor record(String name, Tensor output, Tensor[] inputs, Derivative derivative) {
        return record(name, output, inputs, new Tensor[0], derivative);
    }

    /** The node a gradient for {@code t} flows to: its grad_fn, its accumulator if it is a leaf, or null. */
    static Node edgeTo(Tensor t) {
        if (!t.requiresGrad()) {
            return null;
        }
        return t.isLeaf() ? ACCESS.gradAccumulator(t) : t.gradFn();
    }
}
