package dev.kiln.autograd;

import dev.kiln.Shape;
import dev.kiln.Tensor;
import dev.kiln.internal.TensorAccess;

/**
 * A tensor an operation keeps for its backward, together with the tensor's version at the time it
 * was saved: unpacking a tensor that was changed in place since then fails with PyTorch's message
 * instead of computing a wrong gradient.
 */
final class SavedTensor {
    private static final TensorAccess ACCESS = TensorAccess.get();

    private final Tensor tensor;
    private final int version;

    SavedTensor(Tensor tensor) {
        this.tensor = tensor;
        this.version = ACCESS.version(tensor).get();
    }

    Tensor unpack(String nodeName) {
        int now = ACCESS.version(tensor).get();
        if (now != version) {
            throw new IllegalStateException("one of the tensors needed for gradient computation has been modified by an"
                    + " in-place operation: " + tensor.dtype().scalarName() + "Tensor " + Shape.describe(tensor.shape().toArray())
                    + " saved by " + nodeName + " is at version " + now + "; expected version " + version
                    + " instead. Compute the in-place change on a clone(), or after backward().");
        }
        return tensor;
    }
}
