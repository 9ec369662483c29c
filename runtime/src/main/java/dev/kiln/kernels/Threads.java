package dev.kiln.kernels;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntConsumer;

/**
 * The kernels' threads: a fixed pool of daemon threads sized to the machine (one fewer than the
 * available processors, since the calling thread works too), started on first use, and the number
 * of threads a kernel may use ({@code dev.kiln.Kiln.setNumThreads} sets it).
 *
 * <p>A kernel splits its work into parts only when it is large enough to pay for handing parts to
 * other threads (see {@link Gemm}); small operations always run on the calling thread alone. A part
 * never waits for another, so parts submitted by several callers at once cannot deadlock, and a
 * kernel called from one of the pool's own threads, or while another call's parts are on the pool,
 * runs whole on its own thread ({@link #available}).
 *
 * <p>Each pool thread has a slot for the current call rather than a shared queue, and both sides
 * poll briefly ({@link #SPIN_NANOS}) before parking: the caller for its parts to finish, a pool
 * thread for its next call. A training step's parallel products and passes come a few tens of
 * microseconds apart, so the pool is still polling when the next one is handed out. The parts
 * after the first are claimed, one at a time, by whichever thread asks first: the caller, once its
 * own first part is done, goes on with those no pool thread has taken. So a call never waits for a
 * parked thread to wake up (at worst its parts all run on the caller, one after the other), and a
 * pool thread delayed by the machine leaves its parts to the threads that are running.
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
     * How many threads a kernel called now, on this thread, can use: {@link #count()}, or 1 on a pool
     * thread and while another call's parts are on the pool, where its parts would all run on this
     * thread anyway ({@link #run}). A kernel then runs whole rather than in parts one after the
     * other: a product cut into parts packs its shared operand once per part.
     */
    static int available() {
        int threads = count;
        if (threads < 2 || Thread.currentThread() instanceof Worker || BUSY.get()) {
            return 1;
        }
        return threads;
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

    /**
     * How long a pool thread that has finished its part keeps polling for the next one, and a caller
     * for its parts to finish, before parking: 200 us. On this project's 2-vCPU virtual machines a
     * fork and join of two 1 us parts, 50 us after the last one, took 57 to 93 us when the other
     * thread had parked (waking it is most of that) and 2 to 5 us when it was polling; a training step
     * runs its parallel products and passes a few tens of microseconds apart. OpenMP runtimes and
     * OpenBLAS poll the same way, for longer.
     */
    static final long SPIN_NANOS = 200_000;

    /**
     * Set while a caller's parts are on the pool; another caller meanwhile runs its parts itself.
     * Outside the pool's holder, so that reading it ({@link #available}) does not start the pool.
     */
    private static final AtomicBoolean BUSY = new AtomicBoolean();

    /** The pool threads, started on first use by the holder idiom; empty on a single processor. */
    private static final class Pool {
        static final Worker[] WORKERS = start(PROCESSORS - 1);

        private static Worker[] start(int n) {
            Worker[] workers = new Worker[n];
            for (int i = 0; i < n; i++) {
                workers[i] = new Worker(i);
                workers[i].start();
            }
            return workers;
        }
    }

    /** One call's parts: part 0 on the caller, the others claimed by whichever thread asks first. */
    private static final class Job {
        final int parts;
        final IntConsumer part;
        /** The next part to claim. */
        final AtomicInteger next = new AtomicInteger(1);
        /** Parts after the first that have not finished. */
        final AtomicInteger pending;
        /** The first failure of a part, rethrown by the caller. */
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        /** The caller, once it parks to wait; read by the thread that finishes the last part. */
        volatile Thread waiter;

        Job(int parts, IntConsumer part) {
            this.parts = parts;
            this.part = part;
            this.pending = new AtomicInteger(parts - 1);
        }

        void runPart(int i) {
            try {
                part.accept(i);
            } catch (RuntimeException | Error e) {
                failure.compareAndSet(null, e);
            }
        }

        /** Runs the parts after the first that no thread has claimed yet, one at a time. */
        void claimParts() {
            for (int i = next.getAndIncrement(); i < parts; i = next.getAndIncrement()) {
                runPart(i);
                if (pending.decrementAndGet() == 0) {
                    Thread w = waiter;
                    if (w != null) {
                        LockSupport.unpark(w);
                    }
                }
            }
        }

        /** Waits for the parts other threads claimed, polling for {@link #SPIN_NANOS} and then parked, even if interrupted (the output would otherwise be half-written). */
        void await() {
            long deadline = System.nanoTime() + SPIN_NANOS;
            boolean interrupted = false;
            while (pending.get() > 0) {
                if (System.nanoTime() < deadline) {
                    Thread.onSpinWait();
                    continue;
                }
                waiter = Thread.currentThread();
                if (pending.get() > 0) {
                    LockSupport.park(this);
                    interrupted |= Thread.interrupted();
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** A pool thread: named daemon threads, so they never keep the JVM alive and a thread dump says whose they are. */
    private static final class Worker extends Thread {
        private static final VarHandle JOB;

        static {
            try {
                JOB = MethodHandles.lookup().findVarHandle(Worker.class, "job", Job.class);
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }

        /** The call whose parts this thread is to claim; null while idle. */
        private volatile Job job;
        /** Set before parking; a caller that assigns a job and then sees it unparks the thread. */
        private volatile boolean parked;

        Worker(int index) {
            super("kiln-kernels-" + (index + 1));
            setDaemon(true);
        }

        void assign(Job j) {
            job = j;
            if (parked) {
                LockSupport.unpark(this);
            }
        }

        @Override
        public void run() {
            while (true) {
                Job j = next();
                j.claimParts();
                // only if it is still this job: its caller may have run the last parts itself,
                // returned and assigned the next job already
                JOB.compareAndSet(this, j, null);
            }
        }

        /** The next job: polled for {@link #SPIN_NANOS} after the last, then waited for parked. */
        private Job next() {
            long deadline = System.nanoTime() + SPIN_NANOS;
            while (true) {
                Job j = job;
                if (j != null) {
                    return j;
                }
                if (System.nanoTime() < deadline) {
                    Thread.onSpinWait();
                    continue;
                }
                parked = true;
                if (job == null) {
                    LockSupport.park(this);
                }
                parked = false;
                Thread.interrupted(); // nothing interrupts a pool thread on purpose; a stray interrupt must not make it spin
            }
        }
    }

    /**
     * Runs {@code part.accept(i)} for i from 0 to {@code parts - 1}: part 0 on the calling thread, the
     * others on the pool or, when no pool thread has taken them by the time part 0 is done, on the
     * calling thread too; returns when all are done. An exception in a part is rethrown here once
     * all parts have finished. While one caller's parts are on the pool, another caller (or a part
     * that calls a kernel) runs all its parts itself, so no call ever waits for the pool.
     */
    static void run(int parts, IntConsumer part) {
        Worker[] workers = Pool.WORKERS;
        if (parts <= 1 || workers.length == 0 || Thread.currentThread() instanceof Worker
                || !BUSY.compareAndSet(false, true)) {
            for (int i = 0; i < parts; i++) {
                part.accept(i);
            }
            return;
        }
        Throwable failure;
        try {
            Job job = new Job(parts, part);
            for (int w = 0, engaged = Math.min(workers.length, parts - 1); w < engaged; w++) {
                workers[w].assign(job);
            }
            job.runPart(0);
            job.claimParts();
            job.await();
            failure = job.failure.get();
        } finally {
            BUSY.set(false);
        }
        if (failure instanceof RuntimeException r) {
            throw r;
        }
        if (failure instanceof Error e) {
            throw e;
        }
    }
}
