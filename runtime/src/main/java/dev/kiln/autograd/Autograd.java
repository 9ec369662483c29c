package dev.kiln.autograd;

import dev.kiln.Shape;
import dev.kiln.Tensor;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Reverse-mode differentiation of recorded computations: the counterpart of {@code torch.autograd}.
 * {@link Tensor#backward()} accumulates into leaves' {@code grad()}; {@link #grad} returns gradients
 * without touching them.
 */
public final class Autograd {
    private Autograd() {}

    /**
     * Accumulates the gradient of {@code output} into the {@code grad()} of every leaf it depends on
     * that requires grad. {@code gradient} may be null for a one-element output (it is then 1).
     * Unless {@code retainGraph}, the graph's saved tensors are freed, and a second backward through
     * it fails.
     */
    public static void backward(Tensor output, Tensor gradient, boolean retainGraph) {
        Engine.run(new Tensor[] {output}, new Tensor[] {gradient}, retainGraph, null);
    }

    /**
     * The gradients of scalar {@code output} with respect to {@code inputs}, as
     * {@code torch.autograd.grad(output, inputs)}: leaves' {@code grad()} are not changed and the graph
     * is freed afterwards.
     */
    public static Tensor[] grad(Tensor output, Tensor... inputs) {
        return grad(List.of(output), Arrays.asList(inputs), null, false, false);
    }

    /**
     * The gradients of {@code outputs} (weighted by {@code gradOutputs}, which may be null or hold
     * nulls for one-element outputs) with respect to {@code inputs}.
     *
     * @param retainGraph keep the graph's saved tensors for another backward
     * @param allowUnused return null for inputs the outputs do not depend on, instead of failing
     */
    public static Tensor[] grad(List<Tensor> outputs, List<Tensor> inputs, List<Tensor> gradOutputs,
                                boolean retainGraph, boolean allowUnused) {
        if (gradOutputs != null && gradOutputs.size() != outputs.size()) {
            throw new IllegalArgumentException("grad: " + outputs.size() + " outputs but " + gradOutputs.size()
                    + " gradOutputs; give one gradient per output");
        }
        Node[] captures = new Node[inputs.size()];
        for (int i = 0; i < captures.length; i++) {
            Tensor in = inputs.get(i);
            captures[i] = Graph.edgeTo(in);
            if (captures[i] == null) {
                throw new IllegalArgumentException("grad: input " + i + " " + Shape.describe(in.shape().toArray())
                        + " does not require grad; call requiresGrad(true) on it before computing the outputs");
            }
        }
        Tensor[] grads = new Tensor[outputs.size()];
        for (int i = 0; i < grads.length; i++) {
            grads[i] = gradOutputs == null ? null : gradOutputs.get(i);
        }
        Map<Node, Tensor> captured = Engine.run(outputs.toArray(new Tensor[0]), grads, retainGraph, captures);
        Tensor[] result = new Tensor[captures.length];
        for (int i = 0; i < captures.length; i++) {
            result[i] = captured.get(captures[i]);
            if (result[i] == null && !allowUnused) {
                throw new IllegalArgumentException("grad: input " + i + " " + Shape.describe(inputs.get(i).shape().toArray())
                        + " was not used to compute the outputs; pass allowUnused = true to get null for it");
            }
        }
        return result;
    }
}
