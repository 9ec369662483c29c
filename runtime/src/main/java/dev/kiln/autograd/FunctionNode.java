package dev.kiln.autograd;

import dev.kiln.Tensor;

/**
 * The node an operation records: its saved tensors and its derivative, written next to the
 * operation's forward in {@code dev.kiln.ops}. Created through {@link Graph#record}.
 */
final class FunctionNode extends Node {
    private final Graph.Derivative derivative;
    private final boolean[] needsGrad;
    private SavedTensor[] saved;
    /** Run once when the saved tensors are dropped; null for none. */
    private Runnable release;

    FunctionNode(String name, Node[] next, SavedTensor[] saved, Graph.Derivative derivative, Runnable release) {
        super(name, next);
        this.saved = saved;
        this.release = release;
        this.derivative = derivative;
        this.needsGrad = new boolean[next.length];
        for (int i = 0; i < next.length; i++) {
            needsGrad[i] = next[i] != null;
        }
    }

    @Override
    protected Tensor[] apply(Tensor gradOutput) {
        return derivative.apply(gradOutput, new Context());
    }

    @Override
    protected void release() {
        saved = null;
        Runnable action = release;
        release = null;
        if (action != null) {
            action.run();
        }
    }

    /** What a derivative sees: the saved tensors and which inputs need a gradient. */
    final class Context implements Graph.Saved {
        @Override
        public Tensor saved(int i) {
            SavedTensor[] s = saved;
            if (s == null) {
                throw new IllegalStateException("Trying to backward through the graph a second time (or to read saved"
                        + " tensors after they were freed): " + name() + " released them after the first backward."
                        + " Pass retainGraph = true to the first backward() or Autograd.grad() call to keep them.");
            }
            return s[i].unpack(name());
        }

        @Override
        public boolean needsGrad(int input) {
            return needsGrad[input];
        }
    }
}
