package dev.kiln.processor.ir;

import java.util.List;

/**
 * A model's forward as a chain of operations.
 *
 * @param className the model's simple name
 * @param packageName the model's package
 * @param ops the operations from the input to the returned value
 * @param dropouts the dotted paths of the Dropout layers the forward passes through (identity in
 *     eval mode; the generated forward runs the eager one when any of them is training)
 */
public record ModelGraph(String className, String packageName, List<Op> ops, List<String> dropouts) {
    public ModelGraph {
        ops = List.copyOf(ops);
        dropouts = List.copyOf(dropouts);
    }

    /** The number of values: the input, then one per operation. */
    public int valueCount() {
        return ops.size() + 1;
    }
}
