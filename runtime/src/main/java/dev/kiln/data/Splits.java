package dev.kiln.data;

import dev.kiln.Generator;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/** Random permutations and {@link Dataset#randomSplit}; not API. */
final class Splits {
    private Splits() {}

    /** A uniformly random permutation of 0..n-1 drawn from {@code generator} (Fisher-Yates). */
    static int[] permutation(int n, Generator generator) {
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        for (int i = n - 1; i > 0; i--) {
            int j = (int) generator.nextLong(0, i + 1L);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        return order;
    }

    static <T> List<Subset<T>> randomSplit(Dataset<T> dataset, int[] lengths, Generator generator) {
        Objects.requireNonNull(dataset, "dataset");
        Objects.requireNonNull(lengths, "lengths");
        Objects.requireNonNull(generator, "generator");
        long total = 0;
        for (int i = 0; i < lengths.length; i++) {
            if (lengths[i] < 0) {
                throw new IllegalArgumentException("randomSplit: length " + lengths[i] + " at index " + i
                        + " is negative (lengths " + Arrays.toString(lengths) + ")");
            }
            total += lengths[i];
        }
        int n = dataset.size();
        if (total != n) {
            throw new IllegalArgumentException("randomSplit: the lengths " + Arrays.toString(lengths) + " add up to "
                    + total + ", but the dataset has " + n + " samples");
        }
        int[] order = permutation(n, generator);
        List<Subset<T>> parts = new ArrayList<>(lengths.length);
        int offset = 0;
        for (int length : lengths) {
            parts.add(new Subset<>(dataset, Arrays.copyOfRange(order, offset, offset + length)));
            offset += length;
        }
        return List.copyOf(parts);
    }

    /** PyTorch's conversion of fractions to lengths in {@code random_split}. */
    static int[] lengthsOf(int n, double[] fractions) {
        Objects.requireNonNull(fractions, "fractions");
        double sum = 0;
        for (int i = 0; i < fractions.length; i++) {
            double f = fractions[i];
            if (!(f >= 0 && f <= 1)) {
                throw new IllegalArgumentException("randomSplit: fraction " + f + " at index " + i
                        + " is not between 0 and 1 (fractions " + Arrays.toString(fractions) + ")");
            }
            sum += f;
        }
        if (Math.abs(sum - 1) > 1e-9 * Math.max(1, Math.abs(sum)) || sum > 1 + 1e-9) {
            throw new IllegalArgumentException("randomSplit: the fractions " + Arrays.toString(fractions)
                    + " add up to " + sum + ", not 1");
        }
        int[] lengths = new int[fractions.length];
        int assigned = 0;
        for (int i = 0; i < fractions.length; i++) {
            lengths[i] = (int) Math.floor(n * fractions[i]);
            assigned += lengths[i];
        }
        for (int i = 0; i < n - assigned; i++) {
            lengths[i % lengths.length]++;
        }
        return lengths;
    }
}
