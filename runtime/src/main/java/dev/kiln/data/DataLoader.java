package dev.kiln.data;

import dev.kiln.Generator;
import dev.kiln.Kiln;
import dev.kiln.Tensor;
import java.lang.ref.Cleaner;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.IntFunction;

/**
 * Mini-batches of a {@link Dataset}, the counterpart of {@code torch.utils.data.DataLoader}. Each
 * iteration over the loader is one epoch; each batch is a {@code Tensor[]} with one tensor per position
 * of the samples, stacked along a new first dimension:
 *
 * <pre>{@code
 * DataLoader<Tensor[]> loader = DataLoader.builder(new TensorDataset(x, y))
 *         .batchSize(64).shuffle(true).generator(new Generator(42)).build();
 * for (int epoch = 0; epoch < epochs; epoch++) {
 *     for (Tensor[] batch : loader) {
 *         Tensor xb = batch[0], yb = batch[1];
 *         ...
 *     }
 * }
 * }</pre>
 *
 * <h2>Batches</h2>
 * An epoch visits every sample once: in index order, or, with {@code shuffle}, in a permutation drawn
 * at the start of the epoch ({@link #iterator()}) from the loader's {@link Generator} (or
 * {@link Kiln#defaultGenerator()} when none was given). So a loader built with {@code new
 * Generator(seed)} gives the same batches in every run, and successive epochs of one loader give
 * different orders. Consecutive runs of {@code batchSize} samples of that order form the batches; the
 * last batch holds the {@code size % batchSize} samples left over, unless {@code dropLast} drops it.
 * {@link #size()} is the number of batches, PyTorch's {@code len(loader)}. The shuffles are Kiln's own
 * and do not reproduce PyTorch's orders for the same seed.
 *
 * <h2>Collation</h2>
 * The default collation ({@link #defaultCollate(List)}) stacks samples that are {@code Tensor[]} position
 * by position, a {@code Tensor} sample into a one-element batch array, and numbers into a 1-d tensor
 * (float64 for {@code double} and {@code float}, int64 for integers), as PyTorch's
 * {@code default_collate}. For a {@link TensorDataset}, or a {@link Subset} of one, it gathers each
 * batch with one {@link Tensor#indexSelect} per tensor instead, with the same result. Other sample
 * types need a {@linkplain Builder#collate collate function}.
 *
 * <h2>Background loading</h2>
 * With {@code numWorkers > 0} batches are loaded on that many daemon threads, up to
 * {@code numWorkers * prefetchFactor} batches ahead of the consumer, and handed out in order: the
 * batches are the same as with {@code numWorkers == 0}. The workers run with the grad mode the
 * iterating thread had when the epoch started. A worker's exception is rethrown on the iterating
 * thread as a {@link DataLoaderException} whose cause it is, and ends the epoch. The threads of an
 * epoch stop when its last batch has been handed out, when it fails, when its iterator is
 * {@linkplain Batches#close() closed}, or, for an iterator abandoned midway (a {@code break} out of a
 * for-each loop), when the iterator is garbage-collected; idle workers also stop on their own after a
 * few seconds.
 *
 * <p>A loader is immutable and may be iterated by several threads, each with its own iterator; one
 * iterator belongs to one thread.
 *
 * @param <T> the sample type of the dataset
 */
public final class DataLoader<T> implements Iterable<Tensor[]> {
    private static final AtomicInteger EPOCHS_WITH_WORKERS = new AtomicInteger();
    private static final Cleaner CLEANER = Cleaner.create(runnable -> {
        Thread thread = new Thread(runnable, "kiln-data-loader-cleaner");
        thread.setDaemon(true);
        return thread;
    });
    /** How long an idle worker thread waits for work before it ends. */
    private static final long WORKER_KEEP_ALIVE_SECONDS = 5;

    private final Dataset<T> dataset;
    private final int batchSize;
    private final boolean shuffle;
    private final boolean dropLast;
    private final int numWorkers;
    private final int prefetchFactor;
    private final Generator generator;
    private final Function<? super List<T>, Tensor[]> collate;

    /**
     * A loader with the given settings, no background workers and the default collation, as
     * {@code DataLoader(dataset, batch_size, shuffle, drop_last=..., generator=...)}.
     *
     * @param generator the source of the shuffles; null for {@link Kiln#defaultGenerator()}
     * @throws IllegalArgumentException when {@code batchSize < 1}
     */
    public DataLoader(Dataset<T> dataset, int batchSize, boolean shuffle, boolean dropLast, Generator generator) {
        this(dataset, batchSize, shuffle, dropLast, 0, 2, generator, null);
    }

    /** A loader keeping the last partial batch and shuffling from {@link Kiln#defaultGenerator()}. */
    public DataLoader(Dataset<T> dataset, int batchSize, boolean shuffle) {
        this(dataset, batchSize, shuffle, false, null);
    }

    private DataLoader(Dataset<T> dataset, int batchSize, boolean shuffle, boolean dropLast, int numWorkers,
            int prefetchFactor, Generator generator, Function<? super List<T>, Tensor[]> collate) {
        this.dataset = Objects.requireNonNull(dataset, "dataset");
        if (batchSize < 1) {
            throw new IllegalArgumentException("DataLoader: batchSize must be at least 1, but got " + batchSize);
        }
        if (numWorkers < 0) {
            throw new IllegalArgumentException("DataLoader: numWorkers must be 0 or more, but got " + numWorkers);
        }
        if (prefetchFactor < 1) {
            throw new IllegalArgumentException("DataLoader: prefetchFactor must be at least 1, but got "
                    + prefetchFactor);
        }
        this.batchSize = batchSize;
        this.shuffle = shuffle;
        this.dropLast = dropLast;
        this.numWorkers = numWorkers;
        this.prefetchFactor = prefetchFactor;
        this.generator = generator;
        this.collate = collate;
    }

    /**
     * A builder with PyTorch's defaults: batch size 1, no shuffle, the last partial batch kept, no
     * background workers, prefetch factor 2, the default generator and the default collation.
     */
    public static <T> Builder<T> builder(Dataset<T> dataset) {
        return new Builder<>(dataset);
    }

    /**
     * The number of batches in an epoch, PyTorch's {@code len(loader)}: {@code ceil(n / batchSize)},
     * or {@code floor(n / batchSize)} with {@code dropLast}, for a dataset of {@code n} samples.
     */
    public int size() {
        return numBatches(dataset.size());
    }

    private int numBatches(int n) {
        return (int) (dropLast ? n / batchSize : (n + (long) batchSize - 1) / batchSize);
    }

    /** The dataset the batches come from. */
    public Dataset<T> dataset() {
        return dataset;
    }

    /** The number of samples in a full batch. */
    public int batchSize() {
        return batchSize;
    }

    /** Whether each epoch visits the samples in a new random order. */
    public boolean shuffle() {
        return shuffle;
    }

    /** Whether the last batch is dropped when it has fewer than {@link #batchSize()} samples. */
    public boolean dropLast() {
        return dropLast;
    }

    /** The number of background threads loading batches; 0 loads them on the iterating thread. */
    public int numWorkers() {
        return numWorkers;
    }

    /** The number of batches each worker loads ahead of the consumer. */
    public int prefetchFactor() {
        return prefetchFactor;
    }

    /** The generator shuffles are drawn from, or null when the loader uses {@link Kiln#defaultGenerator()}. */
    public Generator generator() {
        return generator;
    }

    /**
     * Starts an epoch: draws the order of the samples (from the generator when shuffling) and returns an
     * iterator over its batches. With {@code numWorkers > 0} the workers start loading at once.
     */
    @Override
    public Batches iterator() {
        int n = dataset.size();
        int[] order;
        if (shuffle) {
            order = Splits.permutation(n, generator != null ? generator : Kiln.defaultGenerator());
        } else {
            order = new int[n];
            Arrays.setAll(order, i -> i);
        }
        IntFunction<Tensor[]> load = batchLoader(dataset, order, batchSize, collate);
        return new Batches(load, numBatches(n), numWorkers, numWorkers * prefetchFactor, Kiln.isGradEnabled());
    }

    /** A function from a batch's position in the epoch to the batch; it holds no reference to an iterator. */
    private static <T> IntFunction<Tensor[]> batchLoader(Dataset<T> dataset, int[] order, int batchSize,
            Function<? super List<T>, Tensor[]> collate) {
        Function<int[], Tensor[]> gather = collate == null ? gatherer(dataset) : null;
        return b -> {
            int from = b * batchSize;
            int[] indices = Arrays.copyOfRange(order, from, Math.min(order.length, from + batchSize));
            if (gather != null) {
                return gather.apply(indices);
            }
            List<T> samples = new ArrayList<>(indices.length);
            for (int index : indices) {
                samples.add(dataset.get(index));
            }
            return collate == null ? defaultCollate(samples) : collate.apply(samples);
        };
    }

    /** indexSelect-based gathering for tensor datasets and subsets of them; null for other datasets. */
    private static Function<int[], Tensor[]> gatherer(Dataset<?> dataset) {
        if (dataset instanceof TensorDataset tensors) {
            return tensors::batch;
        }
        if (dataset instanceof Subset<?> subset) {
            Function<int[], Tensor[]> inner = gatherer(subset.dataset());
            return inner == null ? null : indices -> inner.apply(subset.map(indices));
        }
        return null;
    }

    /**
     * PyTorch's {@code default_collate} for the sample types Kiln knows: {@code Tensor[]} samples give
     * one tensor per position, the samples' tensors at that position stacked along a new first
     * dimension; {@code Tensor} samples give a one-element array holding their stack; numbers give a
     * one-element array holding a 1-d tensor (float64 for {@code Double} and {@code Float}, int64 for
     * other numbers).
     *
     * @throws IllegalArgumentException for an empty list, samples of another type, {@code Tensor[]}
     *     samples of different lengths, or tensors at one position with different shapes
     */
    public static Tensor[] defaultCollate(List<?> samples) {
        if (samples.isEmpty()) {
            throw new IllegalArgumentException("DataLoader.defaultCollate: no samples to collate");
        }
        Object first = samples.get(0);
        if (first instanceof Tensor[] firstArray) {
            int width = firstArray.length;
            List<List<Tensor>> columns = new ArrayList<>(width);
            for (int p = 0; p < width; p++) {
                columns.add(new ArrayList<>(samples.size()));
            }
            for (int s = 0; s < samples.size(); s++) {
                if (!(samples.get(s) instanceof Tensor[] sample)) {
                    throw unsupported(samples.get(s), s);
                }
                if (sample.length != width) {
                    throw new IllegalArgumentException("DataLoader.defaultCollate: sample 0 has " + width
                            + " tensors but sample " + s + " has " + sample.length);
                }
                for (int p = 0; p < width; p++) {
                    columns.get(p).add(sample[p]);
                }
            }
            Tensor[] batch = new Tensor[width];
            for (int p = 0; p < width; p++) {
                batch[p] = stack(columns.get(p), "position " + p + " of the samples");
            }
            return batch;
        }
        if (first instanceof Tensor) {
            List<Tensor> tensors = new ArrayList<>(samples.size());
            for (int s = 0; s < samples.size(); s++) {
                if (!(samples.get(s) instanceof Tensor t)) {
                    throw unsupported(samples.get(s), s);
                }
                tensors.add(t);
            }
            return new Tensor[] {stack(tensors, "the samples")};
        }
        if (first instanceof Number) {
            boolean floating = first instanceof Double || first instanceof Float;
            double[] doubles = new double[samples.size()];
            long[] longs = new long[samples.size()];
            for (int s = 0; s < samples.size(); s++) {
                if (!(samples.get(s) instanceof Number number)) {
                    throw unsupported(samples.get(s), s);
                }
                doubles[s] = number.doubleValue();
                longs[s] = number.longValue();
            }
            return new Tensor[] {floating ? Tensor.of(doubles) : Tensor.of(longs)};
        }
        throw unsupported(first, 0);
    }

    private static Tensor stack(List<Tensor> tensors, String what) {
        for (int s = 1; s < tensors.size(); s++) {
            if (!tensors.get(s).shape().equals(tensors.get(0).shape())) {
                throw new IllegalArgumentException("DataLoader.defaultCollate: the tensors at " + what
                        + " must have one shape to be stacked, but sample 0 has " + describe(tensors.get(0))
                        + " and sample " + s + " has " + describe(tensors.get(s))
                        + "; pass a collate function to batch them another way");
            }
        }
        return Tensor.stack(tensors, 0);
    }

    private static String describe(Tensor t) {
        return dev.kiln.Shape.describe(t.shape().toArray());
    }

    private static IllegalArgumentException unsupported(Object sample, int index) {
        return new IllegalArgumentException("DataLoader.defaultCollate: sample " + index + " is "
                + (sample == null ? "null" : "a " + sample.getClass().getName())
                + "; the default collation batches Tensor[], Tensor and Number samples, so give the loader a"
                + " collate function (DataLoader.builder(dataset).collate(...)) for other types");
    }

    @Override
    public String toString() {
        return "DataLoader(" + dataset + ", batchSize=" + batchSize + ", shuffle=" + shuffle + ", dropLast="
                + dropLast + ", numWorkers=" + numWorkers + ", batches=" + size() + ")";
    }

    // ---------------------------------------------------------------------------------------------

    /**
     * The batches of one epoch. It is {@link AutoCloseable} so that an epoch left early can stop its
     * background workers at once:
     * <pre>{@code
     * try (var batches = loader.iterator()) {
     *     Tensor[] first = batches.next();
     * }
     * }</pre>
     * Closing is optional (an abandoned iterator's workers stop when it is garbage-collected) and
     * idempotent; after it, {@link #hasNext()} is false.
     */
    public static final class Batches implements Iterator<Tensor[]>, AutoCloseable {
        private final IntFunction<Tensor[]> load;
        private final int numBatches;
        private final Prefetcher prefetcher;
        private int next;
        private boolean closed;

        private Batches(IntFunction<Tensor[]> load, int numBatches, int numWorkers, int window, boolean gradEnabled) {
            this.load = load;
            this.numBatches = numBatches;
            this.prefetcher = numWorkers > 0 && numBatches > 0
                    ? new Prefetcher(this, load, numBatches, numWorkers, window, gradEnabled)
                    : null;
        }

        /** The number of batches of this epoch. */
        public int size() {
            return numBatches;
        }

        @Override
        public boolean hasNext() {
            return !closed && next < numBatches;
        }

        /**
         * The next batch.
         *
         * @throws NoSuchElementException when the epoch is over or the iterator closed
         * @throws DataLoaderException when a background worker failed to load the batch
         */
        @Override
        public Tensor[] next() {
            if (!hasNext()) {
                throw new NoSuchElementException(closed && next < numBatches
                        ? "DataLoader: this epoch's iterator is closed" : "DataLoader: the epoch is over");
            }
            int b = next++;
            if (prefetcher == null) {
                return load.apply(b);
            }
            try {
                return prefetcher.take(b);
            } catch (RuntimeException | Error e) {
                close();
                throw e;
            } finally {
                if (next == numBatches) {
                    close();
                }
            }
        }

        /** Stops the background workers, if any, and ends the epoch. */
        @Override
        public void close() {
            closed = true;
            if (prefetcher != null) {
                prefetcher.shutdown();
            }
        }
    }

    /** Loads batches on a pool of daemon threads, at most {@code window} ahead, and hands them out in order. */
    private static final class Prefetcher {
        private final IntFunction<Tensor[]> load;
        private final int numBatches;
        private final int window;
        private final boolean gradEnabled;
        private final ThreadPoolExecutor executor;
        private final Cleaner.Cleanable cleanable;
        private final ArrayDeque<Future<Tensor[]>> pending = new ArrayDeque<>();
        private int submitted;

        Prefetcher(Batches owner, IntFunction<Tensor[]> load, int numBatches, int numWorkers, int window,
                boolean gradEnabled) {
            this.load = load;
            this.numBatches = numBatches;
            this.window = window;
            this.gradEnabled = gradEnabled;
            this.executor = new ThreadPoolExecutor(numWorkers, numWorkers, WORKER_KEEP_ALIVE_SECONDS, TimeUnit.SECONDS,
                    new LinkedBlockingQueue<>(), workerThreads(EPOCHS_WITH_WORKERS.incrementAndGet()));
            executor.allowCoreThreadTimeOut(true);
            // The action holds the executor only, never the iterator, so an abandoned iterator can be collected.
            ThreadPoolExecutor pool = executor;
            this.cleanable = CLEANER.register(owner, pool::shutdownNow);
            fill();
        }

        private static ThreadFactory workerThreads(int epoch) {
            AtomicInteger count = new AtomicInteger();
            return runnable -> {
                Thread thread = new Thread(runnable, "kiln-data-loader-" + epoch + "-worker-" + count.getAndIncrement());
                thread.setDaemon(true);
                return thread;
            };
        }

        private void fill() {
            while (pending.size() < window && submitted < numBatches) {
                pending.add(executor.submit(task(load, submitted++, gradEnabled)));
            }
        }

        /** The task for batch {@code b}; static so that it holds no reference to the iterator. */
        private static java.util.concurrent.Callable<Tensor[]> task(IntFunction<Tensor[]> load, int b,
                boolean gradEnabled) {
            return () -> {
                try (var mode = gradEnabled ? Kiln.enableGrad() : Kiln.noGrad()) {
                    return load.apply(b);
                } catch (Throwable t) {
                    throw new WorkerFailure(Thread.currentThread().getName(), t);
                }
            };
        }

        Tensor[] take(int b) {
            Future<Tensor[]> future = pending.poll();
            fill();
            try {
                return future.get();
            } catch (ExecutionException e) {
                Throwable cause = e.getCause();
                if (cause instanceof WorkerFailure failure) {
                    Throwable original = failure.getCause();
                    throw new DataLoaderException("DataLoader: worker thread " + failure.thread
                            + " failed while loading batch " + b + " of " + numBatches + ": " + original, b,
                            original);
                }
                throw new DataLoaderException("DataLoader: loading batch " + b + " of " + numBatches
                        + " failed: " + cause, b, cause);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new DataLoaderException("DataLoader: interrupted while waiting for batch " + b + " of "
                        + numBatches, b, e);
            } catch (java.util.concurrent.CancellationException e) {
                throw new DataLoaderException("DataLoader: batch " + b + " of " + numBatches
                        + " was cancelled because the epoch's workers were shut down", b, e);
            }
        }

        void shutdown() {
            pending.clear();
            cleanable.clean();
        }
    }

    /** Carries a worker's exception and the worker's name to the consumer; never seen outside this class. */
    private static final class WorkerFailure extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final String thread;

        WorkerFailure(String thread, Throwable cause) {
            super(cause.toString(), cause, false, false);
            this.thread = thread;
        }
    }

    // ---------------------------------------------------------------------------------------------

    /**
     * Settings of a {@link DataLoader}, starting from PyTorch's defaults.
     *
     * @param <T> the sample type of the dataset
     */
    public static final class Builder<T> {
        private final Dataset<T> dataset;
        private int batchSize = 1;
        private boolean shuffle;
        private boolean dropLast;
        private int numWorkers;
        private int prefetchFactor = 2;
        private Generator generator;
        private Function<? super List<T>, Tensor[]> collate;

        private Builder(Dataset<T> dataset) {
            this.dataset = Objects.requireNonNull(dataset, "dataset");
        }

        /** Samples per batch; default 1. */
        public Builder<T> batchSize(int batchSize) {
            this.batchSize = batchSize;
            return this;
        }

        /** Whether each epoch visits the samples in a new random order; default false. */
        public Builder<T> shuffle(boolean shuffle) {
            this.shuffle = shuffle;
            return this;
        }

        /** Whether to drop the last batch when it is smaller than the batch size; default false. */
        public Builder<T> dropLast(boolean dropLast) {
            this.dropLast = dropLast;
            return this;
        }

        /** Background threads loading batches; default 0, loading on the iterating thread. */
        public Builder<T> numWorkers(int numWorkers) {
            this.numWorkers = numWorkers;
            return this;
        }

        /** Batches each worker loads ahead of the consumer; default 2; ignored without workers. */
        public Builder<T> prefetchFactor(int prefetchFactor) {
            this.prefetchFactor = prefetchFactor;
            return this;
        }

        /** The generator to shuffle with; default null, for {@link Kiln#defaultGenerator()}. */
        public Builder<T> generator(Generator generator) {
            this.generator = generator;
            return this;
        }

        /**
         * Turns the list of a batch's samples into the batch; default null, for
         * {@link DataLoader#defaultCollate(List)} (and {@code indexSelect} gathering for tensor datasets).
         * With {@code numWorkers > 0} it is called on the worker threads.
         */
        public Builder<T> collate(Function<? super List<T>, Tensor[]> collate) {
            this.collate = collate;
            return this;
        }

        /**
         * The loader.
         *
         * @throws IllegalArgumentException when {@code batchSize < 1}, {@code numWorkers < 0} or
         *     {@code prefetchFactor < 1}
         */
        public DataLoader<T> build() {
            return new DataLoader<>(dataset, batchSize, shuffle, dropLast, numWorkers, prefetchFactor, generator,
                    collate);
        }
    }
}
