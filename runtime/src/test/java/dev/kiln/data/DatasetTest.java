package dev.kiln.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.Generator;
import dev.kiln.Kiln;
import dev.kiln.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/** {@link TensorDataset}, {@link Subset} and {@link Dataset#randomSplit}. */
class DatasetTest {

    // ---------------------------------------------------------------------------------------------
    // TensorDataset

    @Test
    void tutorialTensorDatasetOfThreeTensors() {
        Tensor a = Tensor.randn(new Generator(0), 500, 2, 3);
        Tensor b = Tensor.randn(new Generator(1), 500, 3, 4, 5);
        Tensor c = Tensor.randn(new Generator(2), 500, 1);
        TensorDataset data = new TensorDataset(a, b, c);
        assertThat(data.size()).isEqualTo(500);
        assertThat(data.numTensors()).isEqualTo(3);
        Tensor[] sample = data.get(7);
        assertThat(sample).hasSize(3);
        assertThat(sample[0].shape().toArray()).containsExactly(2, 3);
        assertThat(sample[1].shape().toArray()).containsExactly(3, 4, 5);
        assertThat(sample[2].shape().toArray()).containsExactly(1);
        assertThat(sample[1].equal(b.get(7))).isTrue();
        assertThat(data.toString()).isEqualTo(
                "TensorDataset(500 samples of (500x2x3) torch.float32, (500x3x4x5) torch.float32, (500x1) torch.float32)");
    }

    @Test
    void samplesAreViewsOfTheRows() {
        Tensor x = Tensor.zeros(3, 2);
        TensorDataset data = new TensorDataset(x);
        data.get(1)[0].fill(5);
        assertThat(x.toFloatArray()).containsExactly(0f, 0f, 5f, 5f, 0f, 0f);
    }

    @Test
    void batchGathersRowsLikeStacking() {
        Tensor x = Tensor.arange(12).reshape(4, 3);
        Tensor y = Tensor.of(10.0, 11.0, 12.0, 13.0);
        TensorDataset data = new TensorDataset(x, y);
        Tensor[] batch = data.batch(3, 0, 3);
        assertThat(batch[0].equal(Tensor.stack(x.get(3), x.get(0), x.get(3)))).isTrue();
        assertThat(batch[1].toDoubleArray()).containsExactly(13.0, 10.0, 13.0);
    }

    @Test
    void tensorsMustShareTheFirstDimension() {
        assertThatThrownBy(() -> new TensorDataset(Tensor.zeros(500, 3), Tensor.zeros(499, 1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("TensorDataset: all tensors must have the same size in the first dimension, but tensor 0"
                        + " has shape (500x3) and tensor 1 has shape (499x1)");
        assertThatThrownBy(() -> new TensorDataset(Tensor.zeros(2), Tensor.scalar(1.0)))
                .hasMessageContaining("tensor 1 is 0-d");
        assertThatThrownBy(TensorDataset::new).hasMessageContaining("at least one tensor");
    }

    @Test
    void indicesOutOfRangeAreRejected() {
        TensorDataset data = new TensorDataset(Tensor.zeros(3));
        assertThatThrownBy(() -> data.get(3)).isInstanceOf(IndexOutOfBoundsException.class)
                .hasMessage("TensorDataset: index 3 is out of range for a dataset of 3 samples");
        assertThatThrownBy(() -> data.get(-1)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> data.batch(0, 5)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> new Subset<>(data, 0, 3)).isInstanceOf(IndexOutOfBoundsException.class)
                .hasMessageContaining("index 3 at position 1");
    }

    @Test
    void subsetMapsItsIndices() {
        TensorDataset data = new TensorDataset(Tensor.arange(10));
        Subset<Tensor[]> subset = new Subset<>(data, 8, 2, 5);
        assertThat(subset.size()).isEqualTo(3);
        assertThat(subset.get(0)[0].item()).isEqualTo(8.0);
        assertThat(subset.get(2)[0].item()).isEqualTo(5.0);
        assertThat(subset.indices()).containsExactly(8, 2, 5);
        assertThat(subset.dataset()).isSameAs(data);
        assertThatThrownBy(() -> subset.get(3)).isInstanceOf(IndexOutOfBoundsException.class);
    }

    // ---------------------------------------------------------------------------------------------
    // randomSplit

    @Test
    void splitByLengthsIsADisjointCover() {
        TensorDataset data = new TensorDataset(Tensor.arange(100));
        List<Subset<Tensor[]>> parts = Dataset.randomSplit(data, new int[] {70, 20, 10}, new Generator(0));
        assertThat(parts).extracting(Subset::size).containsExactly(70, 20, 10);
        assertDisjointCover(parts, 100);
    }

    @Test
    void splitByFractionsFollowsPyTorchsRounding() {
        // random_split(range(10), [0.5, 0.3, 0.2]) -> 5, 3, 2; of 11: floors 5, 3, 2, then the 1 left over goes to the first.
        assertThat(sizes(Dataset.randomSplit(new TensorDataset(Tensor.arange(10)), new double[] {0.5, 0.3, 0.2},
                new Generator(1)))).containsExactly(5, 3, 2);
        assertThat(sizes(Dataset.randomSplit(new TensorDataset(Tensor.arange(11)), new double[] {0.5, 0.3, 0.2},
                new Generator(1)))).containsExactly(6, 3, 2);
        // of 7 in thirds: floors 2, 2, 2, one left over for the first part
        assertThat(sizes(Dataset.randomSplit(new TensorDataset(Tensor.arange(7)),
                new double[] {1 / 3.0, 1 / 3.0, 1 / 3.0}, new Generator(1)))).containsExactly(3, 2, 2);
        // 0.1 + 0.2 + 0.7 is not exactly 1 in floating point, and is accepted
        assertThat(sizes(Dataset.randomSplit(new TensorDataset(Tensor.arange(10)), new double[] {0.1, 0.2, 0.7},
                new Generator(1)))).containsExactly(1, 2, 7);
    }

    @Property(tries = 100)
    void splitsAreDisjointCoversOfTheRightSizes(@ForAll @IntRange(min = 0, max = 300) int n,
            @ForAll @IntRange(min = 1, max = 5) int parts, @ForAll long seed) {
        double[] fractions = new double[parts];
        Arrays.fill(fractions, 1.0 / parts);
        List<Subset<Tensor[]>> split = Dataset.randomSplit(new TensorDataset(Tensor.arange(n)), fractions,
                new Generator(seed));
        assertThat(split).hasSize(parts);
        for (int i = 0; i < parts; i++) {
            // floor(n / parts), plus one for the first n % parts parts
            assertThat(split.get(i).size()).isEqualTo(n / parts + (i < n % parts ? 1 : 0));
        }
        assertDisjointCover(split, n);
    }

    @Test
    void sameSeedSameSplit() {
        TensorDataset data = new TensorDataset(Tensor.arange(50));
        var a = Dataset.randomSplit(data, new double[] {0.8, 0.2}, new Generator(3));
        var b = Dataset.randomSplit(data, new double[] {0.8, 0.2}, new Generator(3));
        var c = Dataset.randomSplit(data, new double[] {0.8, 0.2}, new Generator(4));
        assertThat(a.get(0).indices()).containsExactly(b.get(0).indices());
        assertThat(a.get(0).indices()).isNotEqualTo(c.get(0).indices());
        Kiln.manualSeed(5);
        var d = Dataset.randomSplit(data, 40, 10);
        Kiln.manualSeed(5);
        var e = Dataset.randomSplit(data, 40, 10);
        assertThat(d.get(1).indices()).containsExactly(e.get(1).indices());
    }

    @Test
    void badLengthsAndFractionsAreRejected() {
        TensorDataset data = new TensorDataset(Tensor.arange(10));
        assertThatThrownBy(() -> Dataset.randomSplit(data, new int[] {6, 3}, new Generator(0)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("randomSplit: the lengths [6, 3] add up to 9, but the dataset has 10 samples");
        assertThatThrownBy(() -> Dataset.randomSplit(data, new int[] {11, -1}, new Generator(0)))
                .hasMessageContaining("length -1 at index 1 is negative");
        assertThatThrownBy(() -> Dataset.randomSplit(data, new double[] {0.5, 0.4}, new Generator(0)))
                .hasMessageContaining("the fractions [0.5, 0.4] add up to 0.9, not 1");
        assertThatThrownBy(() -> Dataset.randomSplit(data, new double[] {1.5, -0.5}, new Generator(0)))
                .hasMessageContaining("fraction 1.5 at index 0 is not between 0 and 1");
    }

    @Test
    void aSplitFeedsADataLoader() {
        TensorDataset data = new TensorDataset(Tensor.arange(20), Tensor.arange(20).toFloat().times(2.0));
        var parts = Dataset.randomSplit(data, new double[] {0.75, 0.25}, new Generator(8));
        List<Long> seen = new ArrayList<>();
        for (Tensor[] batch : new DataLoader<>(parts.get(1), 2, false)) {
            long[] ids = batch[0].toLongArray();
            float[] doubled = batch[1].toFloatArray();
            for (int i = 0; i < ids.length; i++) {
                assertThat(doubled[i]).isEqualTo(2f * ids[i]);
                seen.add(ids[i]);
            }
        }
        assertThat(seen).containsExactly(Arrays.stream(parts.get(1).indices()).mapToObj(i -> (long) i)
                .toArray(Long[]::new));
    }

    private static List<Integer> sizes(List<? extends Dataset<?>> parts) {
        return parts.stream().map(Dataset::size).toList();
    }

    private static void assertDisjointCover(List<Subset<Tensor[]>> parts, int n) {
        Set<Long> seen = new HashSet<>();
        for (Subset<Tensor[]> part : parts) {
            for (int i = 0; i < part.size(); i++) {
                assertThat(seen.add((long) part.get(i)[0].item())).as("sample in two parts").isTrue();
            }
        }
        assertThat(seen).hasSize(n);
    }
}
