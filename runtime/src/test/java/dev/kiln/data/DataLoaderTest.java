package dev.kiln.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.DType;
import dev.kiln.Generator;
import dev.kiln.Kiln;
import dev.kiln.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Batches, epochs, shuffles and background workers of {@link DataLoader}, against PyTorch's behaviour. */
class DataLoaderTest {

    /** Samples 0..n-1 as a (n) int64 tensor and a (n x 2) float tensor holding {i, -i} in each row. */
    static TensorDataset indexed(int n) {
        Tensor ids = Tensor.arange(n);
        Tensor pairs = Tensor.stack(ids.toFloat(), ids.toFloat().unaryMinus()).t().contiguous();
        return new TensorDataset(ids, pairs);
    }

    static long[] ids(Tensor[] batch) {
        return batch[0].toLongArray();
    }

    static List<long[]> epoch(Iterable<Tensor[]> loader) {
        List<long[]> batches = new ArrayList<>();
        for (Tensor[] batch : loader) {
            batches.add(ids(batch));
        }
        return batches;
    }

    // ---------------------------------------------------------------------------------------------
    // Batches as PyTorch makes them

    @Test
    void tutorialLoaderOf500SamplesIn120sKeepsALastBatchOf20() {
        // DataLoader(TensorDataset(b, c), batch_size=120, shuffle=True, drop_last=False): len 5, last batch 20.
        Tensor b = Tensor.randn(new Generator(1), 500, 3, 4, 5);
        Tensor c = Tensor.randn(new Generator(2), 500, 1);
        DataLoader<Tensor[]> loader = DataLoader.builder(new TensorDataset(b, c)).batchSize(120).shuffle(true)
                .dropLast(false).generator(new Generator(3)).build();
        assertThat(loader.size()).isEqualTo(5);
        List<Tensor[]> batches = new ArrayList<>();
        loader.forEach(batches::add);
        assertThat(batches).hasSize(5);
        for (int i = 0; i < 4; i++) {
            assertThat(batches.get(i)[0].shape().toArray()).containsExactly(120, 3, 4, 5);
            assertThat(batches.get(i)[1].shape().toArray()).containsExactly(120, 1);
        }
        assertThat(batches.get(4)[0].shape().toArray()).containsExactly(20, 3, 4, 5);
        assertThat(batches.get(4)[1].shape().toArray()).containsExactly(20, 1);
    }

    @Test
    void dropLastDropsOnlyThePartialBatch() {
        DataLoader<Tensor[]> loader = DataLoader.builder(indexed(500)).batchSize(120).dropLast(true).build();
        assertThat(loader.size()).isEqualTo(4);
        List<long[]> batches = epoch(loader);
        assertThat(batches).hasSize(4).allSatisfy(batch -> assertThat(batch).hasSize(120));
        assertThat(batches.get(3)[119]).isEqualTo(479);
    }

    @Test
    void dropLastKeepsTheLastBatchWhenItIsFull() {
        DataLoader<Tensor[]> loader = DataLoader.builder(indexed(480)).batchSize(120).dropLast(true).build();
        assertThat(loader.size()).isEqualTo(4);
        assertThat(epoch(loader)).hasSize(4);
    }

    @ParameterizedTest(name = "n={0} batch={1} dropLast={2} -> len {3}")
    @CsvSource({
        "10, 3, false, 4", "10, 3, true, 3", "9, 3, false, 3", "9, 3, true, 3", "2, 5, false, 1",
        "2, 5, true, 0", "0, 4, false, 0", "0, 4, true, 0", "1, 1, false, 1", "7, 1, true, 7"})
    void sizeIsLenOfALoader(int n, int batchSize, boolean dropLast, int expected) {
        DataLoader<Tensor[]> loader = new DataLoader<>(new DataLoaderTest.Rows(n), batchSize, false, dropLast, null);
        assertThat(loader.size()).isEqualTo(expected);
        assertThat(epoch(loader)).hasSize(expected);
    }

    @Test
    void withoutShuffleBatchesFollowTheIndexOrderAndTheLastIsPartial() {
        DataLoader<Tensor[]> loader = new DataLoader<>(indexed(10), 4, false);
        List<long[]> batches = epoch(loader);
        assertThat(batches).hasSize(3);
        assertThat(batches.get(0)).containsExactly(0, 1, 2, 3);
        assertThat(batches.get(1)).containsExactly(4, 5, 6, 7);
        assertThat(batches.get(2)).containsExactly(8, 9);
    }

    @Test
    void tutorialLoaderOfTenPointsInFives() {
        // x = linspace(1, 10, 10), y = linspace(10, 1, 10), batch 5, shuffled: two batches of 5 per epoch,
        // each x paired with its own y (x + y = 11).
        Tensor x = Tensor.linspace(1, 10, 10), y = Tensor.linspace(10, 1, 10);
        DataLoader<Tensor[]> loader = DataLoader.builder(new TensorDataset(x, y)).batchSize(5).shuffle(true)
                .numWorkers(2).generator(new Generator(1)).build();
        for (int epoch = 0; epoch < 3; epoch++) {
            List<Float> seen = new ArrayList<>();
            int step = 0;
            for (Tensor[] batch : loader) {
                assertThat(batch[0].plus(batch[1]).toFloatArray()).containsOnly(11f);
                for (float v : batch[0].toFloatArray()) {
                    seen.add(v);
                }
                step++;
            }
            assertThat(step).isEqualTo(2);
            assertThat(seen).containsExactlyInAnyOrder(1f, 2f, 3f, 4f, 5f, 6f, 7f, 8f, 9f, 10f);
        }
    }

    @Test
    void builderHasPyTorchDefaults() {
        DataLoader<Tensor[]> loader = DataLoader.builder(indexed(3)).build();
        assertThat(loader.batchSize()).isEqualTo(1);
        assertThat(loader.shuffle()).isFalse();
        assertThat(loader.dropLast()).isFalse();
        assertThat(loader.numWorkers()).isZero();
        assertThat(loader.prefetchFactor()).isEqualTo(2);
        assertThat(loader.generator()).isNull();
        assertThat(loader.size()).isEqualTo(3);
        // Batch size 1 still adds the batch dimension: DataLoader(data) yields [tensor([[..]]), tensor([..])].
        Tensor[] first = loader.iterator().next();
        assertThat(first[0].shape().toArray()).containsExactly(1);
        assertThat(first[1].shape().toArray()).containsExactly(1, 2);
    }

    @Test
    void invalidSettingsAreRejected() {
        assertThatThrownBy(() -> DataLoader.builder(indexed(3)).batchSize(0).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("batchSize must be at least 1, but got 0");
        assertThatThrownBy(() -> DataLoader.builder(indexed(3)).numWorkers(-1).build())
                .hasMessageContaining("numWorkers must be 0 or more, but got -1");
        assertThatThrownBy(() -> DataLoader.builder(indexed(3)).prefetchFactor(0).build())
                .hasMessageContaining("prefetchFactor must be at least 1");
    }

    @Test
    void iteratorEndsWithNoSuchElement() {
        var batches = new DataLoader<>(indexed(2), 2, false).iterator();
        assertThat(batches.size()).isEqualTo(1);
        batches.next();
        assertThat(batches.hasNext()).isFalse();
        assertThatThrownBy(batches::next).isInstanceOf(NoSuchElementException.class)
                .hasMessageContaining("the epoch is over");
    }

    // ---------------------------------------------------------------------------------------------
    // Collation

    @Test
    void tensorDatasetBatchesAreTheStackedRows() {
        TensorDataset data = indexed(7);
        DataLoader<Tensor[]> fast = DataLoader.builder(data).batchSize(3).shuffle(true).generator(new Generator(5)).build();
        // The same samples through the generic path: get(i) per sample, stacked by the default collation.
        DataLoader<Tensor[]> generic = DataLoader.builder(asPlainDataset(data)).batchSize(3).shuffle(true)
                .generator(new Generator(5)).build();
        var a = fast.iterator();
        var b = generic.iterator();
        while (a.hasNext()) {
            Tensor[] x = a.next(), y = b.next();
            for (int p = 0; p < 2; p++) {
                assertThat(x[p].dtype()).isEqualTo(y[p].dtype());
                assertThat(x[p].equal(y[p])).isTrue();
            }
            assertThat(x[1].toFloatArray()[1]).isEqualTo(-x[0].toLongArray()[0]);
        }
        assertThat(b.hasNext()).isFalse();
    }

    @Test
    void subsetOfATensorDatasetGathersThroughItsIndices() {
        Subset<Tensor[]> inner = new Subset<>(indexed(10), 9, 7, 5, 3, 1);
        Subset<Tensor[]> outer = new Subset<>(inner, 4, 0, 2);
        assertThat(epoch(new DataLoader<>(outer, 2, false))).containsExactly(new long[] {1, 9}, new long[] {5});
    }

    @Test
    void rowsOfA1dTensorBatchAsA1dTensor() {
        DataLoader<Tensor[]> loader = new DataLoader<>(new TensorDataset(Tensor.of(1.5, 2.5, 3.5)), 2, false);
        Tensor[] first = loader.iterator().next();
        assertThat(first).hasSize(1);
        assertThat(first[0].dtype()).isEqualTo(DType.FLOAT64);
        assertThat(first[0].toDoubleArray()).containsExactly(1.5, 2.5);
    }

    @Test
    void defaultCollateStacksTensorsAndNumbers() {
        Tensor[] stacked = DataLoader.defaultCollate(List.of(Tensor.of(1f, 2f), Tensor.of(3f, 4f)));
        assertThat(stacked).hasSize(1);
        assertThat(stacked[0].shape().toArray()).containsExactly(2, 2);
        assertThat(stacked[0].toFloatArray()).containsExactly(1f, 2f, 3f, 4f);

        Tensor[] doubles = DataLoader.defaultCollate(List.of(0.5, 1.5));
        assertThat(doubles[0].dtype()).isEqualTo(DType.FLOAT64);
        assertThat(doubles[0].toDoubleArray()).containsExactly(0.5, 1.5);
        Tensor[] longs = DataLoader.defaultCollate(List.of(3, 4L));
        assertThat(longs[0].dtype()).isEqualTo(DType.INT64);
        assertThat(longs[0].toLongArray()).containsExactly(3, 4);
    }

    @Test
    void defaultCollateExplainsWhatItCannotBatch() {
        assertThatThrownBy(() -> DataLoader.defaultCollate(List.of("a", "b")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("sample 0 is a java.lang.String")
                .hasMessageContaining("collate function");
        assertThatThrownBy(() -> DataLoader.defaultCollate(List.of(Tensor.zeros(3), Tensor.zeros(4))))
                .hasMessageContaining("sample 0 has (3) and sample 1 has (4)");
        assertThatThrownBy(() -> DataLoader.defaultCollate(
                        List.of(new Tensor[] {Tensor.zeros(1)}, new Tensor[] {Tensor.zeros(1), Tensor.zeros(1)})))
                .hasMessageContaining("sample 0 has 1 tensors but sample 1 has 2");
        assertThatThrownBy(() -> DataLoader.defaultCollate(List.of()))
                .hasMessageContaining("no samples");
    }

    @Test
    void customCollateReceivesTheSamplesOfEachBatch() {
        Dataset<String> words = new Dataset<>() {
            final List<String> list = List.of("a", "bb", "ccc", "dddd", "eeeee");

            @Override
            public int size() {
                return list.size();
            }

            @Override
            public String get(int index) {
                return list.get(index);
            }
        };
        DataLoader<String> loader = DataLoader.builder(words).batchSize(2)
                .collate(batch -> new Tensor[] {Tensor.of(batch.stream().mapToInt(String::length).toArray())})
                .build();
        assertThat(epoch(loader)).containsExactly(new long[] {1, 2}, new long[] {3, 4}, new long[] {5});
    }

    // ---------------------------------------------------------------------------------------------
    // Shuffles

    @Test
    void sameSeedGivesTheSameOrderAndEpochsDiffer() {
        DataLoader<Tensor[]> a = DataLoader.builder(indexed(50)).batchSize(8).shuffle(true).generator(new Generator(42)).build();
        DataLoader<Tensor[]> b = DataLoader.builder(indexed(50)).batchSize(8).shuffle(true).generator(new Generator(42)).build();
        List<long[]> a1 = epoch(a), a2 = epoch(a);
        List<long[]> b1 = epoch(b), b2 = epoch(b);
        assertThat(a1).usingRecursiveComparison().isEqualTo(b1);
        assertThat(a2).usingRecursiveComparison().isEqualTo(b2);
        assertThat(flatten(a1)).isNotEqualTo(flatten(a2));
        assertThat(flatten(a1)).isNotEqualTo(range(50));
        DataLoader<Tensor[]> other = DataLoader.builder(indexed(50)).batchSize(8).shuffle(true).generator(new Generator(43)).build();
        assertThat(flatten(epoch(other))).isNotEqualTo(flatten(a1));
    }

    @Test
    void withoutAGeneratorShufflesFollowKilnManualSeed() {
        DataLoader<Tensor[]> loader = new DataLoader<>(indexed(30), 4, true);
        Kiln.manualSeed(7);
        long[] first = flatten(epoch(loader));
        Kiln.manualSeed(7);
        long[] again = flatten(epoch(loader));
        assertThat(again).containsExactly(first);
        assertThat(first).isNotEqualTo(range(30));
    }

    @Test
    void theOrderIsDrawnWhenTheEpochStarts() {
        Generator generator = new Generator(11);
        DataLoader<Tensor[]> loader = DataLoader.builder(indexed(20)).batchSize(3).shuffle(true).generator(generator).build();
        var epoch = loader.iterator();
        generator.manualSeed(999); // later draws from the generator do not change the epoch already started
        generator.nextDouble();
        List<long[]> batches = new ArrayList<>();
        epoch.forEachRemaining(batch -> batches.add(ids(batch)));
        DataLoader<Tensor[]> fresh = DataLoader.builder(indexed(20)).batchSize(3).shuffle(true)
                .generator(new Generator(11)).build();
        assertThat(flatten(batches)).containsExactly(flatten(epoch(fresh)));
    }

    // ---------------------------------------------------------------------------------------------
    // Background workers

    @Test
    void twoWorkersGiveTheSameBatchesInTheSameOrder() {
        for (boolean dropLast : new boolean[] {false, true}) {
            DataLoader<Tensor[]> serial = DataLoader.builder(indexed(103)).batchSize(10).shuffle(true)
                    .dropLast(dropLast).generator(new Generator(9)).build();
            DataLoader<Tensor[]> parallel = DataLoader.builder(indexed(103)).batchSize(10).shuffle(true)
                    .dropLast(dropLast).numWorkers(2).generator(new Generator(9)).build();
            for (int epoch = 0; epoch < 3; epoch++) {
                var s = serial.iterator();
                var p = parallel.iterator();
                while (s.hasNext()) {
                    Tensor[] x = s.next(), y = p.next();
                    assertThat(x[0].equal(y[0])).isTrue();
                    assertThat(x[1].equal(y[1])).isTrue();
                }
                assertThat(p.hasNext()).isFalse();
            }
        }
    }

    @Test
    void workersLoadInOrderEvenWhenLaterBatchesFinishFirst() {
        // Batch b sleeps (5 - b) ms per sample: later batches are ready first, yet come out in order.
        Dataset<Integer> slowEarly = new Dataset<>() {
            @Override
            public int size() {
                return 12;
            }

            @Override
            public Integer get(int index) {
                sleep(Math.max(0, 5 - index / 2));
                return index;
            }
        };
        DataLoader<Integer> loader = DataLoader.builder(slowEarly).batchSize(2).numWorkers(4).build();
        assertThat(flatten(epoch(loader))).containsExactly(range(12));
    }

    @Test
    void workersPrefetchAtMostNumWorkersTimesPrefetchFactorBatches() throws InterruptedException {
        Set<Integer> loaded = ConcurrentHashMap.newKeySet();
        Dataset<Integer> recording = new Dataset<>() {
            @Override
            public int size() {
                return 40;
            }

            @Override
            public Integer get(int index) {
                loaded.add(index);
                return index;
            }
        };
        DataLoader<Integer> loader = DataLoader.builder(recording).batchSize(1).numWorkers(2).prefetchFactor(3).build();
        try (var batches = loader.iterator()) {
            Thread.sleep(200);
            assertThat(loaded).hasSizeLessThanOrEqualTo(6);
            batches.next();
            Thread.sleep(200);
            assertThat(loaded).hasSizeLessThanOrEqualTo(7).contains(0, 1, 2, 3, 4, 5);
        }
    }

    @Test
    void aWorkersExceptionIsRethrownOnTheConsumerWithItAsCause() {
        Dataset<Integer> failing = new Dataset<>() {
            @Override
            public int size() {
                return 10;
            }

            @Override
            public Integer get(int index) {
                if (index == 7) {
                    throw new IllegalStateException("corrupt sample 7");
                }
                return index;
            }
        };
        DataLoader<Integer> loader = DataLoader.builder(failing).batchSize(3).numWorkers(2).build();
        var batches = loader.iterator();
        assertThat(batches.next()[0].toLongArray()).containsExactly(0, 1, 2);
        assertThat(batches.next()[0].toLongArray()).containsExactly(3, 4, 5);
        assertThatThrownBy(batches::next)
                .isInstanceOf(DataLoaderException.class)
                .hasMessageContaining("worker thread kiln-data-loader-")
                .hasMessageContaining("failed while loading batch 2 of 4")
                .hasMessageContaining("corrupt sample 7")
                .hasCauseInstanceOf(IllegalStateException.class)
                .satisfies(e -> assertThat(((DataLoaderException) e).batchIndex()).isEqualTo(2))
                .satisfies(e -> assertThat(e.getCause().getStackTrace()[0].getMethodName()).isEqualTo("get"));
        assertThat(batches.hasNext()).isFalse();
    }

    @Test
    void withoutWorkersExceptionsPropagateAsTheyAre() {
        Dataset<Integer> failing = new Dataset<>() {
            @Override
            public int size() {
                return 4;
            }

            @Override
            public Integer get(int index) {
                throw new IllegalStateException("no data");
            }
        };
        assertThatThrownBy(() -> new DataLoader<>(failing, 2, false).iterator().next())
                .isExactlyInstanceOf(IllegalStateException.class).hasMessage("no data");
    }

    @Test
    void workerThreadsAreDaemonsAndStopWhenTheEpochEnds() throws InterruptedException {
        Set<Thread> workers = ConcurrentHashMap.newKeySet();
        DataLoader<Integer> loader = DataLoader.builder(recordingThreads(20, workers)).batchSize(2).numWorkers(3).build();
        assertThat(flatten(epoch(loader))).containsExactly(range(20));
        assertThat(workers).isNotEmpty().allSatisfy(t -> {
            assertThat(t.isDaemon()).isTrue();
            assertThat(t.getName()).startsWith("kiln-data-loader-");
        });
        awaitDead(workers);
    }

    @Test
    void closingAnAbandonedEpochStopsItsWorkers() throws InterruptedException {
        Set<Thread> workers = ConcurrentHashMap.newKeySet();
        DataLoader<Integer> loader = DataLoader.builder(recordingThreads(100, workers)).batchSize(2).numWorkers(2).build();
        try (var batches = loader.iterator()) {
            batches.next();
        }
        awaitDead(workers);
    }

    @Test
    void anEpochLeftWithBreakStopsItsWorkersOnceCollected() throws InterruptedException {
        Set<Thread> workers = ConcurrentHashMap.newKeySet();
        DataLoader<Integer> loader = DataLoader.builder(recordingThreads(100, workers)).batchSize(2).numWorkers(2).build();
        breakOutEarly(loader);
        // Well under the workers' 5 s idle keep-alive, so this checks that collecting the iterator stops them.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
        while (workers.stream().anyMatch(Thread::isAlive) && System.nanoTime() < deadline) {
            System.gc();
            Thread.sleep(50);
        }
        assertThat(workers).isNotEmpty().noneMatch(Thread::isAlive);
    }

    private static void breakOutEarly(DataLoader<Integer> loader) {
        for (Tensor[] batch : loader) {
            assertThat(batch[0].toLongArray()).containsExactly(0, 1);
            break;
        }
    }

    @Test
    void workersCollateWithTheConsumersGradMode() {
        Tensor x = Tensor.randn(new Generator(0), 6, 2).requiresGrad(true);
        DataLoader<Tensor[]> loader = DataLoader.builder(new TensorDataset(x)).batchSize(3).numWorkers(2).build();
        for (Tensor[] batch : loader) {
            assertThat(batch[0].requiresGrad()).isTrue();
        }
        try (var noGrad = Kiln.noGrad()) {
            for (Tensor[] batch : loader) {
                assertThat(batch[0].requiresGrad()).isFalse();
            }
        }
    }

    @Test
    void slowConsumerStillGetsEveryBatch() throws InterruptedException {
        CountDownLatch consumed = new CountDownLatch(5);
        DataLoader<Tensor[]> loader = DataLoader.builder(indexed(10)).batchSize(2).numWorkers(2).prefetchFactor(1).build();
        List<Long> seen = new ArrayList<>();
        for (Tensor[] batch : loader) {
            Thread.sleep(20);
            for (long id : ids(batch)) {
                seen.add(id);
            }
            consumed.countDown();
        }
        assertThat(consumed.await(1, TimeUnit.SECONDS)).isTrue();
        assertThat(seen).containsExactly(0L, 1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L);
    }

    // ---------------------------------------------------------------------------------------------
    // Helpers

    /** A dataset of 0..n-1 that records the threads reading it. */
    private static Dataset<Integer> recordingThreads(int n, Set<Thread> threads) {
        return new Dataset<>() {
            @Override
            public int size() {
                return n;
            }

            @Override
            public Integer get(int index) {
                threads.add(Thread.currentThread());
                return index;
            }
        };
    }

    private static void awaitDead(Set<Thread> threads) throws InterruptedException {
        for (Thread t : threads) {
            t.join(TimeUnit.SECONDS.toMillis(10));
            assertThat(t.isAlive()).as("worker %s still alive", t.getName()).isFalse();
        }
    }

    /** A Dataset<Tensor[]> that is not a TensorDataset, so the loader takes the generic path. */
    static Dataset<Tensor[]> asPlainDataset(TensorDataset data) {
        return new Dataset<>() {
            @Override
            public int size() {
                return data.size();
            }

            @Override
            public Tensor[] get(int index) {
                return data.get(index);
            }
        };
    }

    /** n rows of a (n x 1) float tensor, as a plain dataset. */
    record Rows(int n) implements Dataset<Tensor[]> {
        @Override
        public int size() {
            return n;
        }

        @Override
        public Tensor[] get(int index) {
            return new Tensor[] {Tensor.of((long) index), Tensor.full(index, 1)};
        }
    }

    static long[] flatten(List<long[]> batches) {
        return batches.stream().flatMapToLong(Arrays::stream).toArray();
    }

    static long[] range(int n) {
        long[] r = new long[n];
        Arrays.setAll(r, i -> i);
        return r;
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
