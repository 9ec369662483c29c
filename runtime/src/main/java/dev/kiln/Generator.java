package dev.kiln;

import java.util.SplittableRandom;

/**
 * A seeded source of random numbers, the counterpart of {@code torch.Generator}. Every random
 * factory takes an optional generator; without one it uses {@link Kiln#defaultGenerator()}, seeded by
 * {@link Kiln#manualSeed(long)}. The same seed gives the same numbers on every machine and run.
 *
 * <p>Thread-safe: draws are serialised, so results are reproducible only when one thread draws.
 */
public final class Generator {
    private SplittableRandom random;
    private long seed;

    /** A generator seeded with {@code seed}. */
    public Generator(long seed) {
        manualSeed(seed);
    }

    /** Restarts the sequence from {@code seed}; returns this generator. */
    public synchronized Generator manualSeed(long seed) {
        this.seed = seed;
        this.random = new SplittableRandom(seed);
        return this;
    }

    /** The seed the current sequence started from. */
    public synchronized long initialSeed() {
        return seed;
    }

    /** Uniform in [0, 1). */
    public synchronized double nextDouble() {
        return random.nextDouble();
    }

    /** Uniform in [0, 1), drawn at float precision so that it never rounds up to 1. */
    public synchronized float nextFloat() {
        return random.nextFloat();
    }

    /** Standard normal. */
    public synchronized double nextGaussian() {
        return random.nextGaussian();
    }

    /** Uniform in [low, high). */
    public synchronized long nextLong(long low, long high) {
        return random.nextLong(low, high);
    }

    /** Fills {@code out} with uniform [0, 1) floats. */
    public synchronized void fillUniform(float[] out) {
        for (int i = 0; i < out.length; i++) {
            out[i] = random.nextFloat();
        }
    }

    /** Fills {@code out} with uniform [0, 1) doubles. */
    public synchronized void fillUniform(double[] out) {
        for (int i = 0; i < out.length; i++) {
            out[i] = random.nextDouble();
        }
    }

    /** Fills {@code out} with normal samples of the given mean and standard deviation. */
    public synchronized void fillNormal(double[] out, double mean, double std) {
        for (int i = 0; i < out.length; i++) {
            out[i] = mean + std * random.nextGaussian();
        }
    }
}
