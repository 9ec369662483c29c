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

    /** Elementwise operations on the input, before the first layer (value 0 to {@code to}). */
    public record Prologue(int to, List<Op.Elementwise> pointwise) implements Block {
        public Prologue {
            pointwise = List.copyOf(pointwise);
        }

        @Override
        public int from() {
            return 0;
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
    public record RowSoftmax(int from, Op.Softmax softmax) implements Block {
        @Override
        public int to() {
            return from + 1;
        }

        @Override
        public List<Op.Elementwise> pointwise() {
            return List.of();
        }
    }

    /** A sum or mean over all elements or each row (operation {@code from}). */
    public record Reduction(int from, Op.Reduce reduce) implements Block {
        @Override
        public int to() {
            return from + 1;
        }

        @Override
        public List<Op.Elementwise> pointwise() {
            return List.of();
        }
    }

    /** Fuses {@code graph}; {@code backward} says which values must be kept for the derivative. */
    public static Fusion of(ModelGraph graph, Backward backward) {
        List<Op> ops = graph.ops();
        List<Block> blocks = new ArrayList<>();
        int i = 0;
        List<Op.Elementwise> prologue = new ArrayList<>();
        while (i < ops.size() && ops.get(i) instanceof Op.Elementwise p) {
            prologue.add(p);
            i++;
        }
        if (!prologue.isEmpty()) {
            blocks.add(new Prologue(i, prologue));
        }
        while (i < ops.size()) {
            switch (ops.get(i)) {
                case Op.Linear linear -> {
                    int start = i++;
                    List<Op.Elementwise> epilogue = new ArrayList<>();
                    while (i < ops.size() && ops.get(i) instanceof Op.Elementwise p) {
                        epilogue.add(p);
                        i++;
                    }
                    blocks.add(new Dense(start, i, linear, epilogue));
                }
                case Op.Softmax softmax -> blocks.add(new RowSoftmax(i++, softmax));
                case Op.Reduce reduce -> blocks.add(new Reduction(i++, reduce));
                case Op.Elementwise e -> throw new IllegalStateException("elementwise " + e + " outside a block");
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
