package dev.kiln.data;

import java.util.Arrays;
import java.util.Objects;

/**
 * The samples of another dataset at the given indices, in that order, as
 * {@code torch.utils.data.Subset}: sample {@code i} of the subset is sample {@code indices[i]} of the
 * underlying dataset. {@link Dataset#randomSplit} returns these.
 *
 * <p>A {@link DataLoader} over a subset of a {@link TensorDataset} (at any depth) gathers each batch
 * with one {@code indexSelect} per tensor, as it does for the tensor dataset itself.
 *
 * @param <T> the sample type of the underlying dataset
 */
public final class Subset<T> implements Dataset<T> {
    private final Dataset<T> dataset;
    private final int[] indices;

    /**
     * The samples of {@code dataset} at {@code indices}.
     *
     * @throws IndexOutOfBoundsException when an index is outside {@code [0, dataset.size())}
     */
    public Subset(Dataset<T> dataset, int... indices) {
        this.dataset = Objects.requireNonNull(dataset, "dataset");
        this.indices = indices.clone();
        int n = dataset.size();
        for (int i = 0; i < this.indices.length; i++) {
            if (this.indices[i] < 0 || this.indices[i] >= n) {
                throw new IndexOutOfBoundsException("Subset: index " + this.indices[i] + " at position " + i
                        + " is out of range for a dataset of " + n + " samples");
            }
        }
    }

    /** The underlying dataset. */
    public Dataset<T> dataset() {
        return dataset;
    }

    /** A copy of the indices into the underlying dataset. */
    public int[] indices() {
        return indices.clone();
    }

    @Override
    public int size() {
        return indices.length;
    }

    @Override
    public T get(int index) {
        return dataset.get(indices[Objects.checkIndex(index, indices.length)]);
    }

    /** The indices into the underlying dataset of the given subset indices; no copy of the whole array. */
    int[] map(int[] subsetIndices) {
        int[] out = new int[subsetIndices.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = indices[Objects.checkIndex(subsetIndices[i], indices.length)];
        }
        return out;
    }

    @Override
    public String toString() {
        return "Subset(" + indices.length + " of " + dataset.size() + " samples: "
                + Arrays.toString(indices.length <= 10 ? indices : Arrays.copyOf(indices, 10)).replace("]",
                        indices.length <= 10 ? "]" : ", ...]") + ")";
    }
}
