package dev.kiln.kernels;

import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntConsumer;

/**
 * The kernels' threads: a fixed pool of daemon threads sized to the machine (one fewer than the
 * available processors, since the calling thread works too), started on first use, and the number
 * of threads a kernel may use ({@code dev.kiln.Kiln.setNumThreads} sets it).
 *
 * <p>A kernel splits its work into parts only when it is large enough to pay for handing parts to
 * other threads (see {@link Gemm}); small operations always run on the calling thread alone. A part
 * never waits for another, so parts submitted by several callers at once cannot deadlock, and a
 * kernel called from one of the pool's own threads runs all its parts there.
 */
public final class Threads {
    /** The processors available to this JVM when the class was loaded: the pool's size, and the most threads allowed. */
    static final int PROCESSORS = Math.max(1, Runtime.getRuntime().availableProcessors());

    private static volatile int count = PROCESSORS;

    private Threads() {}

    /** How many threads a kernel may use, the calling one included: at first, every available processor. */
    public static int count() {
        return count;
    }

    /**
     * Sets how many threads a kernel may use, the calling one included.
     *
     * @throws IllegalArgumentException when {@code threads} is not between 1 and the number of
     *     available processors
     */
    public static void setCount(int threads) {
        if (threads < 1 || threads > PROCESSORS) {
            throw new IllegalArgumentException("setNumThreads: expected a number of threads from 1 to " + PROCESSORS
                    + " (the processors available to this JVM), but found " + threads);
        }
        count = threads;
    }

    /** The pool, created on first use by the holder idiom; null on a single processor. */
    private static final class Pool {
        static final ExecutorService INSTANCE = PROCESSORS < 2 ? null
                : Executors.newFixedThreadPool(PROCESSORS - 1, new Factory());
    }

    /** Named daemon threads: they never keep the JVM alive, and a thread dump says whose they are. */
    private static final class Factory implements ThreadFactory {
        private final AtomicInteger next = new AtomicInteger(1);

        @Override
        public Thread newThread(Runnable task) {
            Thread t = new Worker(task, "kiln-kernels-" + next.getAndIncrement());
            t.setDaemon(true);
            return t;
        }
    }

    /** The pool's threads, told apart so that they never wait on the pool themselves. */
    private static final class Worker extends Thread {
        Worker(Runnable task, String name) {
            super(task, name);
        }
    }

    /**
     * Runs {@code part.accept(i)} for i from 0 to {@code parts - 1}: part 0 on the calling thread, the
     * others on the pool, and returns when all are done. An exception in a part is rethrown here once
     * all parts have finished.
     */
    static void run(int parts, IntConsumer part) {
        ExecutorService pool = Pool.INSTANCE;
        if (parts <= 1 || pool == null || Thread.currentThread() instanceof Worker) {
            for (int i = 0; i < parts; i++) {
                part.accept(i);
            }
            return;
        }
        Future<?>[] futures = new Future<?>[parts - 1];
        for (int i = 1; i < parts; i++) {
            int index = i;
            futures[i - 1] = pool.submit(() -> part.accept(index));
        }
        Throwable failure = null;
        try {
            part.accept(0);
        } catch (RuntimeException | Error e) {
            failure = e;
        }
        for (Future<?> f : futures) {
            try {
                awaitUninterruptibly(f);
            } catch (ExecutionException e) {
                if (failure == null) {
                    failure = e.getCause();
                }
            }
        }
        if (failure instanceof RuntimeException r) {
            throw r;
        }
        if (failure instanceof Error e) {
            throw e;
        }
    }

    /** Waits for a part even if interrupted (its output would otherwise be half-written), then restores the flag. */
    private static void awaitUninterruptibly(Future<?> f) throws ExecutionException {
        boolean interrupted = false;
        while (true) {
            try {
                f.get();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
