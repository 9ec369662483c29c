package dev.kiln.kernels;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import dev.kiln.Kiln;
import org.junit.jupiter.api.Test;

/** Products split over threads: the same bits for any thread count, and no split where it cannot pay. */
class GemmThreadsTest {

    /** m, n, k of products cut by columns and by rows, with ragged last parts (split whatever their size). */
    static final int[][] SHAPES = {{130, 200, 97}, {300, 70, 100}, {37, 1000, 64}, {517, 13, 400}, {40, 65, 300},
            {30, 1, 200}, {301, 5, 77}, {580, 600, 40}, {64, 100, 300}};

    @Test
    void sgemmGivesTheSameBitsForEveryThreadCount() {
        SplittableRandom rnd = new SplittableRandom(3);
        for (KernelProvider provider : GemmKernelsTest.providers()) {
            for (int[] s : SHAPES) {
                int m = s[0], n = s[1], k = s[2];
                for (boolean ta : new boolean[] {false, true}) {
                    for (boolean tb : new boolean[] {false, true}) {
                        float[] a = randomFloats(rnd, m * k + 3), b = randomFloats(rnd, k * n + 5);
                        int aRs = ta ? 1 : k, aCs = ta ? m : 1, bRs = tb ? 1 : n, bCs = tb ? k : 1;
                        float[] one = new float[m * n + 2];
                        Gemm.gemm(provider, 1, 0, m, n, k, a, 3, aRs, aCs, b, 5, bRs, bCs, one, 2);
                        for (int threads : new int[] {2, 3}) {
                            float[] many = new float[m * n + 2];
                            Gemm.gemm(provider, threads, 0, m, n, k, a, 3, aRs, aCs, b, 5, bRs, bCs, many, 2);
                            assertThat(many).as("%s %dx%dx%d ta=%s tb=%s, %d threads", provider.name(), m, n, k, ta, tb,
                                    threads).isEqualTo(one);
                        }
                    }
                }
            }
        }
    }

    @Test
    void dgemmGivesTheSameBitsForEveryThreadCount() {
        SplittableRandom rnd = new SplittableRandom(4);
        for (KernelProvider provider : GemmKernelsTest.providers()) {
            for (int[] s : SHAPES) {
                int m = s[0], n = s[1], k = s[2];
                double[] a = rnd.doubles(m * k, -1, 1).toArray(), b = rnd.doubles(k * n, -1, 1).toArray();
                double[] one = new double[m * n];
                Gemm.gemm(provider, 1, 0, m, n, k, a, 0, 1, m, b, 0, n, 1, one, 0);
                for (int threads : new int[] {2, 3}) {
                    double[] many = new double[m * n];
                    Gemm.gemm(provider, threads, 0, m, n, k, a, 0, 1, m, b, 0, n, 1, many, 0);
                    assertThat(many).as("%s %dx%dx%d, %d threads", provider.name(), m, n, k, threads).isEqualTo(one);
                }
            }
        }
    }

    @Test
    void smallProductsStayOnTheCallingThread() {
        long min = Gemm.PARALLEL_MIN_WORK;
        assertThat(Gemm.Split.of(2, min, 16, 13, 128)).isNull();    // temperature's layer
        assertThat(Gemm.Split.of(2, min, 128, 100, 10)).isNull();   // fizzbuzz's
        assertThat(Gemm.Split.of(2, min, 64, 100, 1000)).isNull();  // the two-layer net's
        assertThat(Gemm.Split.of(2, min, 256, 256, 511)).isNull();  // just under the threshold
        assertThat(Gemm.Split.of(1, min, 1024, 1024, 1024)).isNull();
        assertThat(Gemm.Split.of(2, min, 256, 256, 512)).isNotNull();
        assertThat(Gemm.Split.of(2, min, 256, 512, 784)).isNotNull(); // the MLP's first layer
        assertThat(Gemm.Split.of(8, 0, 1, 1, 1 << 22)).as("nothing to split").isNull();
    }

    @Test
    void raggedColumnsOverContiguousRowsOfBSplitByRows() {
        long min = Gemm.PARALLEL_MIN_WORK;
        // the MLP's first weight gradient, dY^T x: 784 = 12 x 64 + 16 columns, x row-major
        assertThat(Gemm.Split.of(2, min, 512, 784, 256, true).byColumns()).isFalse();
        assertThat(Gemm.Split.of(2, min, 512, 784, 256, true).start(1)).isEqualTo(258);
        // B transposed (x W^T): copying all of it per part would cost more than the ragged columns
        assertThat(Gemm.Split.of(2, min, 512, 784, 256, false).byColumns()).isTrue();
        // whole granules of columns, or too few rows for each part
        assertThat(Gemm.Split.of(2, min, 256, 512, 784, true).byColumns()).isTrue();
        assertThat(Gemm.Split.of(2, min, 300, 784, 256, true).byColumns()).isTrue();
    }

    @Test
    void partsCoverTheProductInWholeTiles() {
        for (int[] s : new int[][] {{256, 512, 784}, {512, 784, 256}, {1000, 70, 600}, {64, 100, 1000}}) {
            for (int threads = 2; threads <= 7; threads++) {
                Gemm.Split split = Gemm.Split.of(threads, 0, s[0], s[1], s[2]);
                assertThat(split).isNotNull();
                assertThat(split.start(0)).isZero();
                assertThat(split.start(split.parts())).isEqualTo(split.byColumns() ? s[1] : s[0]);
                for (int t = 0; t < split.parts(); t++) {
                    assertThat(split.start(t) % split.granule()).isZero();
                    assertThat(split.start(t + 1)).isGreaterThan(split.start(t));
                }
            }
        }
    }

    @Test
    void gemmBiasActivationGivesTheNumbersOfTheProductAndThePass() {
        SplittableRandom rnd = new SplittableRandom(5);
        // split by columns with whole vectors, by columns with ragged rows (the pass after the
        // product), by rows, and not at all
        int[][] shapes = {{130, 256, 97}, {64, 640, 20}, {130, 200, 97}, {300, 70, 100}, {5, 32, 3}};
        for (KernelProvider provider : GemmKernelsTest.providers()) {
            for (int[] s : shapes) {
                int m = s[0], n = s[1], k = s[2];
                float[] a = randomFloats(rnd, m * k), b = randomFloats(rnd, n * k), bias = randomFloats(rnd, n);
                for (UnaryFunction f : new UnaryFunction[] {UnaryFunction.RELU, UnaryFunction.TANH}) {
                    // B = W^T, W n x k, as a Linear layer's weight
                    float[] product = new float[m * n], expected = new float[m * n];
                    Gemm.gemm(provider, 1, 0, m, n, k, a, 0, k, 1, b, 0, 1, k, product, 0);
                    provider.addRowVectorUnary(f, product, bias, expected, m, n);
                    for (int threads : new int[] {1, 2, 3}) {
                        float[] out = new float[m * n];
                        Gemm.gemmBiasActivation(provider, threads, 0, f, m, n, k, a, 0, k, 1, b, 0, 1, k, bias,
                                new float[m * n], out);
                        String what = provider.name() + " " + f + " " + m + "x" + n + "x" + k + ", " + threads
                                + " threads";
                        if (f == UnaryFunction.RELU) {
                            assertThat(out).as(what).isEqualTo(expected);
                        } else {
                            // the Vector API's TANH may round differently before C2 compiles a loop
                            for (int i = 0; i < out.length; i++) {
                                assertThat(out[i]).as(what + " at " + i)
                                        .isCloseTo(expected[i], within(1e-5f + 1.3e-6f * Math.abs(expected[i])));
                            }
                        }
                    }
                }
            }
        }
    }

    @Test
    void blocksOfColumnsButTheLastAreComputedApartWhileTheyFitTheirBuffer() {
        List<String> blocks = new ArrayList<>();
        Gemm.Block record = (i0, rows, j0, cols, apart) -> {
            synchronized (blocks) {
                blocks.add(i0 + "+" + rows + " x " + j0 + "+" + cols + (apart ? " apart" : ""));
            }
        };
        Gemm.Split.of(2, 0, 256, 512, 784).run(256, 512, record); // the MLP's first layer
        assertThat(blocks).containsExactlyInAnyOrder("0+256 x 0+256 apart", "0+256 x 256+256");
        blocks.clear();
        Gemm.Split.of(3, 0, 100, 640, 50).run(100, 640, record);
        assertThat(blocks).containsExactlyInAnyOrder("0+100 x 0+192 apart", "0+100 x 192+192 apart",
                "0+100 x 384+256");
        blocks.clear();
        Gemm.Split.of(2, 0, 1024, 1024, 1024).run(1024, 1024, record);
        assertThat(blocks).as("512 x 1024 blocks do not fit").containsExactlyInAnyOrder("0+1024 x 0+512",
                "0+1024 x 512+512");
        blocks.clear();
        Gemm.Split.of(2, 0, 512, 256, 100).run(512, 256, record);
        assertThat(blocks).as("blocks of rows").containsExactlyInAnyOrder("0+258 x 0+256", "258+254 x 0+256");
    }

    @Test
    void noColumnBlockIsNarrowerThanTheNarrowKernelsWidth() {
        // A product at least NARROW_COLUMNS wide must never reach a provider as a narrower block, which
        // it could compute by another method (other bits).
        for (int n = Gemm.NARROW_COLUMNS; n <= 300; n++) {
            for (int threads = 2; threads <= 5; threads++) {
                Gemm.Split split = Gemm.Split.of(threads, 0, 1, n, 1000);
                if (split == null) {
                    continue;
                }
                assertThat(split.byColumns()).isTrue();
                assertThat(split.start(split.parts())).isEqualTo(n);
                for (int t = 0; t < split.parts(); t++) {
                    assertThat(split.start(t + 1) - split.start(t)).as("n=%d threads=%d part %d", n, threads, t)
                            .isGreaterThanOrEqualTo(Gemm.NARROW_COLUMNS);
                }
            }
        }
        assertThat(Gemm.Split.of(2, 0, 1, 65, 1000)).as("64 + 1 columns stay whole").isNull();
        assertThat(Gemm.Split.of(2, 0, 1, 80, 1000).start(1)).isEqualTo(64);
    }

    @Test
    void largeProductsUseThePool() {
        if (Threads.PROCESSORS < 2) {
            return; // one processor: no pool to use
        }
        Seen threads = new Seen();
        // part 0 waits for part 1 to start, so that the pool thread (just started) takes it rather
        // than the caller once part 0 is done
        CountDownLatch second = new CountDownLatch(1);
        Threads.run(2, t -> {
            if (t == 1) {
                second.countDown();
            } else {
                awaitQuietly(second);
            }
            threads.add(Thread.currentThread());
        });
        assertThat(threads.names()).hasSize(2).anySatisfy(name -> assertThat(name).startsWith("kiln-kernels-"));
        assertThat(threads.all()).filteredOn(t -> t != Thread.currentThread()).allMatch(Thread::isDaemon);
    }

    /**
     * Two products' worth of work side by side: on two threads with enough work, here on the caller
     * and there on a pool thread, where a kernel runs whole (one thread available); with too little
     * work, one thread or three, there and then here, in order, on the caller.
     */
    @Test
    void sideBySideRunsTwoPiecesOnTheirOwnThreadsOnlyOnTwoThreadsAndForEnoughWork() {
        long minWork = 1L << 20;
        int m = 64, n = 64, k = 128; // m n k = minWork / 2
        if (Threads.PROCESSORS >= 2) {
            List<String> ran = java.util.Collections.synchronizedList(new ArrayList<>());
            Thread caller = Thread.currentThread();
            // here waits for there to start, so that a pool thread (woken from parked, perhaps)
            // takes it rather than the caller once here is done
            CountDownLatch thereStarted = new CountDownLatch(1);
            Gemm.sideBySide(2, minWork, m, n, k, () -> {
                thereStarted.countDown();
                ran.add("there " + (Thread.currentThread() != caller) + " " + Threads.available());
            }, () -> {
                awaitQuietly(thereStarted);
                ran.add("here " + (Thread.currentThread() == caller) + " " + Threads.available());
            });
            assertThat(ran).containsExactlyInAnyOrder("there true 1", "here true 1");
            assertThat(Threads.available()).isEqualTo(Threads.count());
        }
        for (int[] threadsAndK : new int[][] {{2, k - 1}, {1, k}, {3, k}}) {
            List<String> ran = new ArrayList<>();
            Thread caller = Thread.currentThread();
            Gemm.sideBySide(threadsAndK[0], minWork, m, n, threadsAndK[1],
                    () -> ran.add("there " + (Thread.currentThread() == caller)),
                    () -> ran.add("here " + (Thread.currentThread() == caller)));
            assertThat(ran).as("%d threads, k = %d", threadsAndK[0], threadsAndK[1])
                    .containsExactly("there true", "here true");
        }
        assertThatThrownBy(() -> Gemm.sideBySide(2, minWork, m, n, k, () -> {
            throw new IllegalStateException("there failed");
        }, () -> {})).isInstanceOf(IllegalStateException.class).hasMessage("there failed");
    }

    /**
     * Callers on several threads at once, back to back (so the pool is polling, not parked), each
     * with more parts than the pool has threads: every call runs each of its parts exactly once and
     * returns only after all of them.
     */
    @Test
    void concurrentCallersEachRunAllTheirParts() throws InterruptedException {
        int callers = 4, calls = 3000, parts = Threads.PROCESSORS + 2;
        AtomicInteger wrong = new AtomicInteger();
        List<Thread> threads = new ArrayList<>();
        for (int c = 0; c < callers; c++) {
            Thread t = new Thread(() -> {
                for (int call = 0; call < calls; call++) {
                    AtomicInteger[] ran = new AtomicInteger[parts];
                    for (int i = 0; i < parts; i++) {
                        ran[i] = new AtomicInteger();
                    }
                    Threads.run(parts, i -> ran[i].incrementAndGet());
                    for (AtomicInteger r : ran) {
                        if (r.get() != 1) {
                            wrong.incrementAndGet();
                        }
                    }
                }
            });
            threads.add(t);
            t.start();
        }
        for (Thread t : threads) {
            t.join();
        }
        assertThat(wrong).as("parts not run exactly once before their call returned").hasValue(0);
    }

    /**
     * Parts are claimed by whichever thread is free: part 1 waits for part 2, which with parts
     * dealt out in turn would be queued behind it on the same pool thread (with one pool thread),
     * and is taken by the caller (or another pool thread) instead.
     */
    @Test
    void aPartWaitingForAnotherDoesNotHoldItUp() {
        assumeTrue(Threads.PROCESSORS > 1, "one processor: parts run one after the other on the caller");
        CountDownLatch secondRan = new CountDownLatch(1);
        AtomicInteger waitedInVain = new AtomicInteger();
        Threads.run(3, t -> {
            if (t == 1) {
                try {
                    if (!secondRan.await(10, TimeUnit.SECONDS)) {
                        waitedInVain.incrementAndGet();
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            } else if (t == 2) {
                secondRan.countDown();
            }
        });
        assertThat(waitedInVain).as("part 1 waited 10 s for part 2").hasValue(0);
    }

    /** Waits up to 10 s for a latch, the most a pool thread can take to wake. */
    private static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** An interrupted caller still waits for its parts (their output would be half-written), and keeps its interrupt. */
    @Test
    void anInterruptedCallerWaitsForItsPartsAndKeepsTheInterrupt() {
        AtomicInteger finished = new AtomicInteger();
        Thread.currentThread().interrupt();
        try {
            Threads.run(2, i -> {
                if (i == 1) {
                    // longer than the caller polls before parking
                    java.util.concurrent.locks.LockSupport.parkNanos(20 * Threads.SPIN_NANOS);
                }
                finished.incrementAndGet();
            });
            assertThat(finished).hasValue(2);
        } finally {
            assertThat(Thread.interrupted()).as("the caller's interrupt flag").isTrue();
        }
    }

    @Test
    void aFailingPartFailsTheCallAfterAllPartsRan() {
        AtomicInteger ran = new AtomicInteger();
        assertThatThrownBy(() -> Threads.run(3, t -> {
            ran.incrementAndGet();
            if (t == 1) {
                throw new IllegalStateException("part 1 failed");
            }
        })).isInstanceOf(IllegalStateException.class).hasMessage("part 1 failed");
        assertThat(ran).hasValue(3);
    }

    @Test
    void setNumThreadsValidatesAndRoundTrips() {
        int before = Kiln.numThreads();
        try {
            Kiln.setNumThreads(1);
            assertThat(Kiln.numThreads()).isEqualTo(1);
            assertThatThrownBy(() -> Kiln.setNumThreads(0)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("setNumThreads: expected a number of threads from 1 to " + Threads.PROCESSORS
                            + " (the processors available to this JVM), but found 0");
            assertThatThrownBy(() -> Kiln.setNumThreads(Threads.PROCESSORS + 1))
                    .hasMessageContaining("but found " + (Threads.PROCESSORS + 1));
            assertThat(Kiln.numThreads()).isEqualTo(1);
        } finally {
            Kiln.setNumThreads(before);
        }
    }

    private static float[] randomFloats(SplittableRandom rnd, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (rnd.nextDouble() * 2 - 1);
        }
        return x;
    }

    /** The threads that ran the parts. */
    private static final class Seen {
        private final java.util.Set<Thread> seen = ConcurrentHashMap.newKeySet();

        void add(Thread t) {
            seen.add(t);
        }

        List<Thread> all() {
            return new ArrayList<>(seen);
        }

        List<String> names() {
            return all().stream().map(Thread::getName).toList();
        }
    }
}
