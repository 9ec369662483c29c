package dev.kiln.compiled;

import java.util.Arrays;

/**
 * The float32 or float64 buffers of one compiled model instance, reused across calls. A {@link Lease} holds one
 * set of arrays; {@link Lease#release} hands it back for the next call of the same sizes. A forward
 * that records a tape node keeps its lease until the node's backward ran, so a later forward never
 * overwrites activations a pending backward still needs: it allocates a fresh set instead. A lease
 * taken again after release is marked, and a backward that runs on it afterwards (a retained graph)
 * fails with a clear message instead of reading overwritten values.
 *
 * <p>Not thread-safe: a compiled model is used by one thread at a time.
 */
public final class ActivationPool {
    private Lease spare;

    /** A set of float arrays of the given lengths: the spare set when it matches, else a new one. */
    public Lease acquire(int... lengths) {
        return acquire(false, lengths);
    }

    /** A set of double arrays of the given lengths: the spare set when it matches, else a new one. */
    public Lease acquireDoubles(int... lengths) {
        return acquire(true, lengths);
    }

    private Lease acquire(boolean doubles, int[] lengths) {
        Lease lease = spare;
        if (lease != null && lease.doubles == doubles && Arrays.equals(lease.lengths, lengths)) {
            spare = null;
            lease.generation++;
            return lease;
        }
        return new Lease(this, doubles, lengths.clone());
    }

    /** One set of arrays. */
    public static final class Lease {
        private final ActivationPool pool;
        private final boolean doubles;
        private final int[] lengths;
        private final Object[] arrays;
        private int generation;

        private Lease(ActivationPool pool, boolean doubles, int[] lengths) {
            this.pool = pool;
            this.doubles = doubles;
            this.lengths = lengths;
            this.arrays = new Object[lengths.length];
            for (int i = 0; i < lengths.length; i++) {
                arrays[i] = doubles ? new double[lengths[i]] : new float[lengths[i]];
            }
        }

        /** The {@code i}-th array of a set from {@link #acquire}. */
        public float[] floats(int i) {
            return (float[]) arrays[i];
        }

        /** The {@code i}-th array of a set from {@link #acquireDoubles}. */
        public double[] doubles(int i) {
            return (double[]) arrays[i];
        }

        /** A token for {@link #check}: changes each time the set is handed out again. */
        public int generation() {
            return generation;
        }

        /** Fails when the set was handed out again since {@code generation} was read. */
        public void check(int generation, String node) {
            if (this.generation != generation) {
                throw new IllegalStateException(node + ": the activations saved by this forward were reused by a"
                        + " later forward of the same compiled model; run forward again before calling backward");
            }
        }

        /** Returns the set to its pool for reuse. */
        public void release() {
            pool.spare = this;
        }
    }
}
