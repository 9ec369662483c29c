package dev.kiln.processor.fuse;

import dev.kiln.processor.autodiff.Backward;
import dev.kiln.processor.ir.ModelGraph;
import dev.kiln.processor.ir.Op;
import java.util.ArrayList;
import java.util.List;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * The fused plan of a model: its blocks in forward order and the values that live in arrays.
 *
 * @param blocks the blocks, in forward order; block {@code k} reads value {@code blocks[k].from()}
 *     and writes value {@code blocks[k].to()}
 * @param stored the values held in arrays: block boundaries and what the backward reads
 */
public record Fusion(List<Block> blocks, SortedSet<Integer> stored) {
    public Fusion {
        blocks = List.copyOf(blocks);
        stored = java.util.Collections.unmodifiableSortedSet(new TreeSet<>(stored));
    }

    /** A loop nest the writer emits: reads value {@code from}, writes value {@code to}. */
    public sealed interface Block {
        int from();

        int to();

        /** The elementwise operations applied in the block's element pass. */
        List<Op.Elementwise> pointwise();
    }

    /** A block of one operation ({@code from}) with no element pass of its own: it writes value {@code from + 1}. */
    public sealed interface SingleOp extends Block {
        @Override
        default int to() {
            return from() + 1;
        }

        @Override
        default List<Op.Elementwise> pointwise() {
            return List.of();
        }
    }

    /** Elementwise operations in one loop over value {@code from}'s elements (values from+1 ... to). */
    public record Elementwise(int from, int to, List<Op.Elementwise> pointwise) implements Block {
        public Elementwise {
            pointwise = List.copyOf(pointwise);
        }
    }

    /**
     * A transcendental function (operation {@code from}) applied by the runtime's vectorised kernel to
     * the whole array; its derivative is arithmetic on the output and folds in a loop as usual.
     */
    public record Vectorised(int from, Op.Pointwise function) implements Block {
        @Override
        public int to() {
            return from + 1;
        }

        @Override
        public List<Op.Elementwise> pointwise() {
            return List.of(function);
        }
    }

    /**
     * A GEMM through {@code linear} (operation {@code from}), then bias and {@code pointwise} in one
     * pass over the GEMM's output.
     */
    public record Dense(int from, int to, Op.Linear linear, List<Op.Elementwise> pointwise) implements Block {
        public Dense {
            pointwise = List.copyOf(pointwise);
        }
    }

    /** Softmax or log-softmax over each row (operation {@code from}). */
    public record RowSoftmax(int from, Op.Softmax softmax) implements SingleOp {}

    /** A sum or mean over all elements or each row (operation {@code from}). */
    public record Reduction(int from, Op.Reduce reduce) implements SingleOp {}

    /**
     * The start of a second branch (operation {@code from}): value {@code to} is a copy of the earlier
     * value {@code branch.value()}, so the blocks after it read that one.
     */
    public record Restart(int from, Op.Branch branch) implements SingleOp {}

    /** Whether {@code op} runs as a {@link Vectorised} pass rather than inside a fused loop. */
    private static boolean vectorised(Op op) {
        return op instanceof Op.Pointwise p && p.kind().vectorised();
    }

    /** Whether {@code op} joins the fused loop of the block being built. */
    private static boolean fusable(Op op) {
        return op instanceof Op.Elementwise && !vectorised(op);
    }

    /** Fuses {@code graph}; {@code backward} says which values must be kept for the derivative. */
    public static Fusion of(ModelGraph graph, Backward backward) {
        List<Op> ops = graph.ops();
        List<Block> blocks = new ArrayList<>();
        int i = 0;
        while (i < ops.size()) {
            int start = i;
            switch (ops.get(i)) {
                case Op.Linear linear -> {
                    i++;
                    List<Op.Elementwise> epilogue = new ArrayList<>();
                    while (i < ops.size() && fusable(ops.get(i))) {
                        epilogue.add((Op.Elementwise) ops.get(i++));
                    }
                    blocks.add(new Dense(start, i, linear, epilogue));
                }
                case Op.Pointwise p when p.kind().vectorised() -> blocks.add(new Vectorised(i++, p));
                case Op.Elementwise e -> {
                    List<Op.Elementwise> loop = new ArrayList<>();
                    while (i < ops.size() && fusable(ops.get(i))) {
                        loop.add((Op.Elementwise) ops.get(i++));
                    }
                    blocks.add(new Elementwise(start, i, loop));
                }
                case Op.Softmax softmax -> blocks.add(new RowSoftmax(i++, softmax));
                case Op.Reduce reduce -> blocks.add(new Reduction(i++, reduce));
                case Op.Branch branch -> blocks.add(new Restart(i++, branch));
            }
        }
        SortedSet<Integer> stored = new TreeSet<>(backward.saved());
        for (Block block : blocks) {
            stored.add(block.to());
        }
        stored.add(ops.size());
        return new Fusion(blocks, stored);
    }
}
