package dev.kiln.data;

import dev.kiln.Tensor;
import java.util.Objects;

/**
 * Samples made of rows of tensors that share their first dimension, as
 * {@code torch.utils.data.TensorDataset}: sample {@code i} is {@code {t0[i], t1[i], ...}}, typically
 * features and labels. The rows are views ({@link Tensor#get(int)}), not copies.
 *
 * <pre>{@code
 * var data = new TensorDataset(x, y);   // x: (500x20), y: (500)
 * Tensor[] sample = data.get(0);        // {x[0] of shape (20), y[0] of shape ()}
 * }</pre>
 *
 * <p>A {@link DataLoader} with its default collation gathers a batch of a tensor dataset with one
 * {@link Tensor#indexSelect} per tensor ({@link #batch(int...)}) instead of stacking rows one by one.
 */
public final class TensorDataset implements Dataset<Tensor[]> {
    private final Tensor[] tensors;
    private final int size;

    /**
     * A dataset over the rows of {@code tensors}.
     *
     * @throws IllegalArgumentException when no tensor is given, one is 0-d, or their first dimensions
     *     differ
     */
    public TensorDataset(Tensor... tensors) {
        Objects.requireNonNull(tensors, "tensors");
        if (tensors.length == 0) {
            throw new IllegalArgumentException("TensorDataset: expected at least one tensor");
        }
        this.tensors = tensors.clone();
        for (int i = 0; i < this.tensors.length; i++) {
            Tensor t = Objects.requireNonNull(this.tensors[i], "tensor " + i);
            if (t.dim() == 0) {
                throw new IllegalArgumentException("TensorDataset: tensor " + i
                        + " is 0-d and has no first dimension to index samples by");
            }
        }
        this.size = this.tensors[0].size(0);
        for (int i = 1; i < this.tensors.length; i++) {
            if (this.tensors[i].size(0) != size) {
                throw new IllegalArgumentException("TensorDataset: all tensors must have the same size in the first"
                        + " dimension, but tensor 0 has shape " + describe(this.tensors[0]) + " and tensor " + i
                        + " has shape " + describe(this.tensors[i]));
            }
        }
    }

    /** The number of samples: the common first dimension. */
    @Override
    public int size() {
        return size;
    }

    /**
     * Row {@code index} of every tensor (views), in the order the tensors were given.
     *
     * @throws IndexOutOfBoundsException unless {@code 0 <= index < size()}
     */
    @Override
    public Tensor[] get(int index) {
        checkIndex(index);
        Tensor[] sample = new Tensor[tensors.length];
        for (int i = 0; i < tensors.length; i++) {
            sample[i] = tensors[i].get(index);
        }
        return sample;
    }

    /**
     * The rows at {@code indices} of every tensor, gathered with {@link Tensor#indexSelect} along the
     * first dimension: what stacking {@code get(i)} for each index gives, in one copy per tensor.
     *
     * @throws IndexOutOfBoundsException when an index is outside {@code [0, size())}
     */
    public Tensor[] batch(int... indices) {
        for (int index : indices) {
            checkIndex(index);
        }
        Tensor index = Tensor.of(indices);
        Tensor[] batch = new Tensor[tensors.length];
        for (int i = 0; i < tensors.length; i++) {
            batch[i] = tensors[i].indexSelect(0, index);
        }
        return batch;
    }

    /** The number of tensors in each sample. */
    public int numTensors() {
        return tensors.length;
    }

    /** The tensor at {@code position}, whole. */
    public Tensor tensor(int position) {
        return tensors[Objects.checkIndex(position, tensors.length)];
    }

    /** The tensors, whole, in the order they were given. */
    public Tensor[] tensors() {
        return tensors.clone();
    }

    private void checkIndex(int index) {
        if (index < 0 || index >= size) {
            throw new IndexOutOfBoundsException(
                    "TensorDataset: index " + index + " is out of range for a dataset of " + size + " samples");
        }
    }

    private static String describe(Tensor t) {
        return dev.kiln.Shape.describe(t.shape().toArray());
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("TensorDataset(").append(size).append(" samples of");
        for (int i = 0; i < tensors.length; i++) {
            sb.append(i == 0 ? " " : ", ").append(describe(tensors[i])).append(' ')
                    .append(tensors[i].dtype().pytorchName());
        }
        return sb.append(')').toString();
    }
}
