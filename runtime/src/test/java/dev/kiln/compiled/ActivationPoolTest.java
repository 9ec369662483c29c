package dev.kiln.compiled;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.management.ManagementFactory;
import java.util.function.IntFunction;

import org.junit.jupiter.api.Test;

class ActivationPoolTest {
    /** acquire with n lengths through its overload of n arguments (1 to 6) or, past six, the varargs one. */
    private static ActivationPool.Lease acquire(ActivationPool pool, boolean doubles, int[] l) {
        if (doubles) {
            return switch (l.length) {
                case 1 -> pool.acquireDoubles(l[0]);
                case 2 -> pool.acquireDoubles(l[0], l[1]);
                case 3 -> pool.acquireDoubles(l[0], l[1], l[2]);
                case 4 -> pool.acquireDoubles(l[0], l[1], l[2], l[3]);
                case 5 -> pool.acquireDoubles(l[0], l[1], l[2], l[3], l[4]);
                case 6 -> pool.acquireDoubles(l[0], l[1], l[2], l[3], l[4], l[5]);
                default -> pool.acquireDoubles(l);
            };
        }
        return switch (l.length) {
            case 1 -> pool.acquire(l[0]);
            case 2 -> pool.acquire(l[0], l[1]);
            case 3 -> pool.acquire(l[0], l[1], l[2]);
            case 4 -> pool.acquire(l[0], l[1], l[2], l[3]);
            case 5 -> pool.acquire(l[0], l[1], l[2], l[3], l[4]);
            case 6 -> pool.acquire(l[0], l[1], l[2], l[3], l[4], l[5]);
            default -> pool.acquire(l);
        };
    }

    private static int[] lengths(int count) {
        int[] l = new int[count];
        for (int i = 0; i < count; i++) {
            l[i] = 3 + 2 * i;
        }
        return l;
    }

    @Test
    void aReleasedSetIsHandedOutAgainForTheSameLengthsWhateverTheOverload() {
        for (boolean doubles : new boolean[] {false, true}) {
            for (int count = 1; count <= 7; count++) {
                ActivationPool pool = new ActivationPool();
                int[] l = lengths(count);
                ActivationPool.Lease first = acquire(pool, doubles, l);
                for (int i = 0; i < count; i++) {
                    int length = doubles ? first.doubles(i).length : first.floats(i).length;
                    assertThat(length).as("array %d of %d", i, count).isEqualTo(l[i]);
                }
                int generation = first.generation();
                first.release();
                // the varargs form and the fixed one find each other's sets
                ActivationPool.Lease again = doubles ? pool.acquireDoubles(l.clone()) : pool.acquire(l.clone());
                assertThat(again).isSameAs(first);
                assertThat(again.generation()).isEqualTo(generation + 1);
                again.release();
                assertThat(acquire(pool, doubles, l)).isSameAs(first);
            }
        }
    }

    @Test
    void aSetIsNotHandedOutForOtherLengthsAnotherTypeOrWhileHeld() {
        for (int count = 1; count <= 6; count++) {
            int[] l = lengths(count);
            for (int changed = 0; changed < count; changed++) {
                ActivationPool pool = new ActivationPool();
                ActivationPool.Lease first = acquire(pool, false, l);
                first.release();
                int[] other = l.clone();
                other[changed]++;
                assertThat(acquire(pool, false, other)).as("length %d of %d changed", changed, count).isNotSameAs(first);
            }
            ActivationPool pool = new ActivationPool();
            ActivationPool.Lease first = acquire(pool, false, l);
            first.release();
            assertThat(acquire(pool, true, l)).as("doubles for floats").isNotSameAs(first);
            assertThat(acquire(pool, false, lengths(count + 1))).as("one array more").isNotSameAs(first);
            ActivationPool.Lease held = acquire(pool, false, l);
            assertThat(acquire(pool, false, l)).as("while held").isNotSameAs(held);
        }
    }

    @Test
    void aCheckAfterTheSetWasHandedOutAgainFails() {
        ActivationPool pool = new ActivationPool();
        ActivationPool.Lease lease = pool.acquire(4, 5);
        int generation = lease.generation();
        lease.release();
        pool.acquire(4, 5);
        assertThatThrownBy(() -> lease.check(generation, "NetKilnBackward"))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("NetKilnBackward").hasMessageContaining("run forward again");
    }

    @Test
    void handingOutTheSpareSetAllocatesNothing() {
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long id = Thread.currentThread().threadId();
        ActivationPool pool = new ActivationPool();
        IntFunction<ActivationPool.Lease> step = i -> pool.acquire(64, 64, 128, 128, 10);
        step.apply(0).release();
        threads.getThreadAllocatedBytes(id);
        long before = threads.getThreadAllocatedBytes(id);
        for (int i = 0; i < 10_000; i++) {
            step.apply(i).release();
        }
        long allocated = threads.getThreadAllocatedBytes(id) - before;
        // no array per call: 10,000 calls of the varargs form took 400 KB
        assertThat(allocated).isLessThan(10_000);
    }
}
