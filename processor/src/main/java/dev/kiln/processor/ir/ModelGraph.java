package dev.kiln.processor.ir;

import java.util.List;

/**
 * A model's forward as a chain of operations.
 *
 * @param className the model's simple name
 * @param packageName the model's package
 * @param ops the operations from the input to the returned value
 * @param flattensInput whether forward first flattens its input to (batch, features) with
 *     {@code Flatten} or {@code flatten(1)}: then the first dimension holds the rows and the others
 *     the features; otherwise the last dimension holds the features and the ones before it the rows
 * @param matrixInput whether forward multiplies with {@code mm}, which takes 2-d tensors only: the
 *     generated forward runs the eager one (and its message) for inputs of another rank
 */
public record ModelGraph(String className, String packageName, List<Op> ops, boolean flattensInput,
                         boolean matrixInput) {
    public ModelGraph {
        ops = List.copyOf(ops);
    }

    /** The number of values: the input, then one per operation. */
    public int valueCount() {
        return ops.size() + 1;
    }
}
