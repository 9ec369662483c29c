package dev.kiln.data;

import static dev.kiln.data.DataLoaderTest.epoch;
import static dev.kiln.data.DataLoaderTest.flatten;
import static dev.kiln.data.DataLoaderTest.indexed;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.Generator;
import dev.kiln.Tensor;
import java.util.Arrays;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/** Properties of an epoch for any dataset size, batch size, shuffle and dropLast. */
class DataLoaderPropertiesTest {

    @Property(tries = 300)
    void everySampleIsVisitedExactlyOncePerEpoch(@ForAll @IntRange(min = 0, max = 200) int n,
            @ForAll @IntRange(min = 1, max = 64) int batchSize, @ForAll boolean shuffle, @ForAll boolean dropLast,
            @ForAll long seed) {
        DataLoader<Tensor[]> loader = DataLoader.builder(indexed(n)).batchSize(batchSize).shuffle(shuffle)
                .dropLast(dropLast).generator(new Generator(seed)).build();
        for (int e = 0; e < 2; e++) {
            List<long[]> batches = epoch(loader);
            int full = n / batchSize, rest = n % batchSize;
            // len(loader) and the number of batches an epoch yields
            int expectedBatches = full + (rest > 0 && !dropLast ? 1 : 0);
            assertThat(loader.size()).isEqualTo(expectedBatches);
            assertThat(batches).hasSize(expectedBatches);
            // every batch is full except the last, which holds n % batchSize samples unless dropped
            for (int b = 0; b < batches.size(); b++) {
                int expectedSize = b < full ? batchSize : rest;
                assertThat(batches.get(b)).hasSize(expectedSize);
            }
            long[] visited = flatten(batches);
            long[] sorted = visited.clone();
            Arrays.sort(sorted);
            for (int i = 1; i < sorted.length; i++) {
                assertThat(sorted[i]).as("a sample visited twice").isNotEqualTo(sorted[i - 1]);
            }
            if (!dropLast || rest == 0) {
                assertThat(sorted).containsExactly(DataLoaderTest.range(n));
            } else {
                // only the samples of the dropped partial batch are missing
                assertThat(visited).hasSize(n - rest);
                for (long i : sorted) {
                    assertThat(i).isBetween(0L, n - 1L);
                }
            }
            if (!shuffle) {
                assertThat(visited).containsExactly(Arrays.copyOf(DataLoaderTest.range(n), visited.length));
            }
        }
    }

    @Property(tries = 60)
    void rowsStayPairedWithTheirLabels(@ForAll @IntRange(min = 1, max = 60) int n,
            @ForAll @IntRange(min = 1, max = 16) int batchSize, @ForAll @IntRange(min = 0, max = 3) int numWorkers,
            @ForAll long seed) {
        DataLoader<Tensor[]> loader = DataLoader.builder(indexed(n)).batchSize(batchSize).shuffle(true)
                .numWorkers(numWorkers).generator(new Generator(seed)).build();
        int count = 0;
        for (Tensor[] batch : loader) {
            long[] ids = batch[0].toLongArray();
            float[] pairs = batch[1].toFloatArray();
            assertThat(batch[1].shape().toArray()).containsExactly(ids.length, 2);
            for (int i = 0; i < ids.length; i++) {
                assertThat(pairs[2 * i]).isEqualTo((float) ids[i]);
                assertThat(pairs[2 * i + 1]).isEqualTo((float) -ids[i]);
            }
            count += ids.length;
        }
        assertThat(count).isEqualTo(n);
    }

    @Property(tries = 40)
    void workersChangeNothingButTheThreads(@ForAll @IntRange(min = 0, max = 80) int n,
            @ForAll @IntRange(min = 1, max = 12) int batchSize, @ForAll @IntRange(min = 1, max = 4) int numWorkers,
            @ForAll @IntRange(min = 1, max = 3) int prefetchFactor, @ForAll boolean dropLast, @ForAll long seed) {
        DataLoader<Tensor[]> serial = DataLoader.builder(indexed(n)).batchSize(batchSize).shuffle(true)
                .dropLast(dropLast).generator(new Generator(seed)).build();
        DataLoader<Tensor[]> parallel = DataLoader.builder(indexed(n)).batchSize(batchSize).shuffle(true)
                .dropLast(dropLast).numWorkers(numWorkers).prefetchFactor(prefetchFactor)
                .generator(new Generator(seed)).build();
        assertThat(epoch(parallel)).usingRecursiveComparison().isEqualTo(epoch(serial));
    }
}
