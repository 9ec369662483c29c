package dev.kiln.processor.ir;

import java.util.List;

/**
 * A model's forward as a chain of operations, each reading the value before it; a second branch
 * starts at an {@link Op.Branch}, which reads an earlier value, and ends in an {@link Op.Binary}.
 *
 * @param className the model's simple name
 * @param packageName the model's package
 * @param ops the operations from the input to the returned value
 * @param flattensInput whether forward first flattens its input to (batch, features) with
 *     {@code Flatten} or {@code flatten(1)}: then the first dimension holds the rows and the others
 *     the features; otherwise the last dimension holds the features and the ones before it the rows
 * @param matrixInput whether forward multiplies with {@code mm}, which takes 2-d tensors only: the
 *     generated forward runs the eager one (and its message) for inputs of another rank
 * @param reshapedFeatures when forward starts with {@code x.reshape(-1, k)} or {@code x.view(-1, k)}:
 *     {@code k}, which flattens like {@code flatten(1)} when the sizes after the first make k (the
 *     generated forward runs the eager one otherwise); 0 when it does not
 */
public record ModelGraph(String className, String packageName, List<Op> ops, boolean flattensInput,
                         boolean matrixInput, long reshapedFeatures) {
    public ModelGraph {
        ops = List.copyOf(ops);
    }

    /** The number of values: the input, then one per operation. */
    public int valueCount() {
        return ops.size() + 1;
    }
}
