package dev.kiln.data;

import dev.kiln.Generator;
import dev.kiln.Kiln;
import java.util.List;

/**
 * A collection of samples addressed by index, the counterpart of a map-style
 * {@code torch.utils.data.Dataset}: {@link #size()} is {@code len(dataset)} and {@link #get(int)} is
 * {@code dataset[i]}. A {@link DataLoader} draws mini-batches from it.
 *
 * <p>Implementations must answer {@code get} for every index in {@code [0, size())}; a dataset given to
 * a {@link DataLoader} with {@code numWorkers > 0} is read from several threads at once, so its
 * {@code get} must be safe to call concurrently (reading tensors is).
 *
 * @param <T> the type of one sample, for example {@code Tensor[]} for a {@link TensorDataset}
 */
public interface Dataset<T> {

    /** The number of samples. */
    int size();

    /**
     * The sample at {@code index}.
     *
     * @throws IndexOutOfBoundsException unless {@code 0 <= index < size()}
     */
    T get(int index);

    /**
     * Splits {@code dataset} at random into non-overlapping subsets of the given lengths, as
     * {@code torch.utils.data.random_split}: the indices are shuffled with {@code generator} and cut in
     * order, so the same seed gives the same split.
     *
     * @param lengths the size of each part; they must add up to {@code dataset.size()}
     * @throws IllegalArgumentException when a length is negative or the lengths do not add up
     */
    static <T> List<Subset<T>> randomSplit(Dataset<T> dataset, int[] lengths, Generator generator) {
        return Splits.randomSplit(dataset, lengths, generator);
    }

    /** {@link #randomSplit(Dataset, int[], Generator)} drawing from {@link Kiln#defaultGenerator()}. */
    static <T> List<Subset<T>> randomSplit(Dataset<T> dataset, int... lengths) {
        return Splits.randomSplit(dataset, lengths, Kiln.defaultGenerator());
    }

    /**
     * Splits {@code dataset} at random into parts holding the given fractions of it, as
     * {@code random_split(dataset, [0.8, 0.2])}: each part gets {@code floor(size * fraction)}
     * samples, then the samples left over go one each to the parts in turn, starting with the first.
     *
     * @param fractions values in [0, 1] that add up to 1 (within 1e-9)
     * @throws IllegalArgumentException when a fraction is outside [0, 1] or they do not add up to 1
     */
    static <T> List<Subset<T>> randomSplit(Dataset<T> dataset, double[] fractions, Generator generator) {
        return Splits.randomSplit(dataset, Splits.lengthsOf(dataset.size(), fractions), generator);
    }

    /** {@link #randomSplit(Dataset, double[], Generator)} drawing from {@link Kiln#defaultGenerator()}. */
    static <T> List<Subset<T>> randomSplit(Dataset<T> dataset, double... fractions) {
        return randomSplit(dataset, fractions, Kiln.defaultGenerator());
    }
}
