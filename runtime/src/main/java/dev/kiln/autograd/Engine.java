package dev.kiln.autograd;

import dev.kiln.Shape;
import dev.kiln.Tensor;
import java.util.ArrayDeque;
import java.util.IdentityHashMap;
import java.util.Map;

/**
 * Runs a backward pass: walks the recorded nodes from the outputs in reverse topological order, sums
 * the gradients arriving at each node, and either accumulates into leaves' {@code grad()} (backward)
 * or captures the gradients of chosen tensors ({@link Autograd#grad}).
 */
final class Engine {
    private Engine() {}

    /**
     * @param captures nodes whose incoming gradient is returned; when non-null, leaves' {@code grad()}
     *     is left alone (the {@link Autograd#grad} contract)
     */
    static Map<Node, Tensor> run(Tensor[] outputs, Tensor[] gradOutputs, boolean retainGraph, Node[] captures) {
        IdentityHashMap<Node, Tensor> buffer = new IdentityHashMap<>();
        Node[] roots = new Node[outputs.length];
        for (int i = 0; i < outputs.length; i++) {
            Tensor out = outputs[i];
            roots[i] = Graph.edgeTo(out);
            if (roots[i] == null) {
                throw new IllegalStateException("backward: output " + i + " " + Shape.describe(out.shape().toArray())
                        + " does not require grad and has no grad_fn; call requiresGrad(true) on the leaves it is"
                        + " computed from, outside Kiln.noGrad()");
            }
            Tensor g = gradOutputs[i] != null ? gradOutputs[i] : implicitGradient(out);
            if (!g.shape().equals(out.shape())) {
                throw new IllegalArgumentException("backward: gradient of shape " + Shape.describe(g.shape().toArray())
                        + " given for output " + i + " of shape " + Shape.describe(out.shape().toArray())
                        + "; they must match");
            }
            buffer.merge(roots[i], g, Tensor::plus);
        }
        Map<Node, Integer> dependencies = countDependencies(roots);
        Map<Node, Tensor> captured = new IdentityHashMap<>();
        IdentityHashMap<Node, Boolean> isCapture = new IdentityHashMap<>();
        if (captures != null) {
            for (Node c : captures) {
                isCapture.put(c, Boolean.TRUE);
            }
        }
        ArrayDeque<Node> ready = new ArrayDeque<>();
        for (Node root : roots) {
            if (dependencies.get(root) == 0 && !ready.contains(root)) {
                ready.add(root);
            }
        }
        try (var noGrad = GradMode.set(false)) {
            while (!ready.isEmpty()) {
                Node node = ready.poll();
                Tensor grad = buffer.remove(node);
                if (grad != null && isCapture.containsKey(node)) {
                    captured.put(node, grad);
                }
                Tensor[] inputGrads = null;
                if (grad != null && !(captures != null && node instanceof AccumulateGrad)) {
                    inputGrads = node.apply(grad);
                }
                if (!retainGraph) {
                    node.release();
                }
                Node[] next = node.next();
                for (int i = 0; i < next.length; i++) {
                    Node child = next[i];
                    if (child == null) {
                        continue;
                    }
                    if (inputGrads != null && inputGrads[i] != null) {
                        buffer.merge(child, inputGrads[i], Tensor::plus);
                    }
                    int left = dependencies.merge(child, -1, Integer::sum);
                    if (left == 0) {
                        ready.add(child);
                    }
                }
            }
        }
        return captured;
    }

    private static Tensor implicitGradient(Tensor out) {
        if (out.numel() != 1) {
            throw new IllegalArgumentException("backward: a gradient can be created implicitly only for a scalar output,"
                    + " but the output has shape " + Shape.describe(out.shape().toArray())
                    + "; call backward(gradient) with a gradient of that shape, or reduce the output first (sum(), mean())");
        }
        return Tensor.onesLike(out);
    }

    /** For each node reachable from the roots, how many edges of reachable nodes point at it. */
    private static Map<Node, Integer> countDependencies(Node[] roots) {
        IdentityHashMap<Node, Integer> deps = new IdentityHashMap<>();
        ArrayDeque<Node> stack = new ArrayDeque<>();
        for (Node root : roots) {
            if (deps.putIfAbsent(root, 0) == null) {
                stack.push(root);
            }
        }
        while (!stack.isEmpty()) {
            for (Node child : stack.pop().next()) {
                if (child == null) {
                    continue;
                }
                if (deps.containsKey(child)) {
                    deps.merge(child, 1, Integer::sum);
                } else {
                    deps.put(child, 1);
                    stack.push(child);
                }
            }
        }
        return deps;
    }
}
