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

    /**
     * A set of float arrays of the given lengths: the spare set when it matches, else a new one. The
     * overloads of one to six lengths take no array, so that a call that reuses the spare set
     * allocates nothing (generated code calls this in every training step); this one copies
     * {@code lengths} only for a new set.
     */
    public Lease acquire(int... lengths) {
        return acquire(false, lengths);
    }

    /** {@link #acquire(int...)} of one array. */
    public Lease acquire(int a) {
        return acquire(false, 1, a, 0, 0, 0, 0, 0);
    }

    /** {@link #acquire(int...)} of two arrays. */
    public Lease acquire(int a, int b) {
        return acquire(false, 2, a, b, 0, 0, 0, 0);
    }

    /** {@link #acquire(int...)} of three arrays. */
    public Lease acquire(int a, int b, int c) {
        return acquire(false, 3, a, b, c, 0, 0, 0);
    }

    /** {@link #acquire(int...)} of four arrays. */
    public Lease acquire(int a, int b, int c, int d) {
        return acquire(false, 4, a, b, c, d, 0, 0);
    }

    /** {@link #acquire(int...)} of five arrays. */
    public Lease acquire(int a, int b, int c, int d, int e) {
        return acquire(false, 5, a, b, c, d, e, 0);
    }

    /** {@link #acquire(int...)} of six arrays. */
    public Lease acquire(int a, int b, int c, int d, int e, int f) {
        return acquire(false, 6, a, b, c, d, e, f);
    }

    /** A set of double arrays of the given lengths: the spare set when it matches, else a new one; see {@link #acquire(int...)}. */
    public Lease acquireDoubles(int... lengths) {
        return acquire(true, lengths);
    }

    /** {@link #acquireDoubles(int...)} of one array. */
    public Lease acquireDoubles(int a) {
        return acquire(true, 1, a, 0, 0, 0, 0, 0);
    }

    /** {@link #acquireDoubles(int...)} of two arrays. */
    public Lease acquireDoubles(int a, int b) {
        return acquire(true, 2, a, b, 0, 0, 0, 0);
    }

    /** {@link #acquireDoubles(int...)} of three arrays. */
    public Lease acquireDoubles(int a, int b, int c) {
        return acquire(true, 3, a, b, c, 0, 0, 0);
    }

    /** {@link #acquireDoubles(int...)} of four arrays. */
    public Lease acquireDoubles(int a, int b, int c, int d) {
        return acquire(true, 4, a, b, c, d, 0, 0);
    }

    /** {@link #acquireDoubles(int...)} of five arrays. */
    public Lease acquireDoubles(int a, int b, int c, int d, int e) {
        return acquire(true, 5, a, b, c, d, e, 0);
    }

    /** {@link #acquireDoubles(int...)} of six arrays. */
    public Lease acquireDoubles(int a, int b, int c, int d, int e, int f) {
        return acquire(true, 6, a, b, c, d, e, f);
    }

    private Lease acquire(boolean doubles, int[] lengths) {
        Lease lease = spare;
        if (lease != null && lease.doubles == doubles && Arrays.equals(lease.lengths, lengths)) {
            return reuse(lease);
        }
        return new Lease(this, doubles, lengths.clone());
    }

    /** The first {@code count} of a to f, compared with the spare set's lengths before any array is made. */
    private Lease acquire(boolean doubles, int count, int a, int b, int c, int d, int e, int f) {
        Lease lease = spare;
        if (lease != null && lease.doubles == doubles && lease.lengths.length == count) {
            int[] have = lease.lengths;
            boolean same = have[0] == a && (count < 2 || have[1] == b) && (count < 3 || have[2] == c)
                    && (count < 4 || have[3] == d) && (count < 5 || have[4] == e) && (count < 6 || have[5] == f);
            if (same) {
                return reuse(lease);
            }
        }
        return new Lease(this, doubles, Arrays.copyOf(new int[] {a, b, c, d, e, f}, count));
    }

    private Lease reuse(Lease lease) {
        spare = null;
        lease.generation++;
        return lease;
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
