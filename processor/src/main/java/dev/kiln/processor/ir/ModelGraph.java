package dev.kiln.processor.ir;

import java.util.List;

/**
 * A model's forward as a chain of operations.
 *
 * @param className the model's simple name
 * @param packageName the model's package
 * @param ops the operations from the input to the returned value
 */
public record ModelGraph(String className, String packageName, List<Op> ops) {
    public ModelGraph {
        ops = List.copyOf(ops);
    }

    /** The number of values: the input, then one per operation. */
    public int valueCount() {
        return ops.size() + 1;
    }
}
