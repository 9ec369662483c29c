package dev.kiln.kernels;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The providers' Adam step against the scalar one (double per element, rounded once) at awkward
 * sizes, and the same bits from one thread or several on a parameter large enough to be split.
 */
class OptimizerKernelsTest {

    @Test
    void everyProviderTakesAdamsStep() {
        for (int n : UnaryKernelsTest.SIZES) {
            for (boolean maximize : new boolean[] {false, true}) {
                for (double l2 : new double[] {0, 0.01}) {
                    SplittableRandom rnd = new SplittableRandom(n * 7L + (maximize ? 1 : 0) + (l2 > 0 ? 2 : 0));
                    float[] theta = new float[n + 3], g = new float[n + 5], m = new float[n], v = new float[n];
                    for (int i = 0; i < theta.length; i++) {
                        theta[i] = (float) rnd.nextDouble(-2, 2);
                    }
                    for (int i = 0; i < g.length; i++) {
                        g[i] = (float) rnd.nextDouble(-1, 1);
                    }
                    for (int i = 0; i < n; i++) {
                        m[i] = (float) rnd.nextDouble(-0.1, 0.1);
                        v[i] = (float) rnd.nextDouble(0, 0.01);
                    }
                    float[] expectedTheta = theta.clone(), expectedM = m.clone(), expectedV = v.clone();
                    ScalarKernels.INSTANCE.adam(expectedTheta, 3, g, 5, expectedM, expectedV, n, 0.9, 0.999, 1e-3 / 0.19,
                            Math.sqrt(1 - 0.999 * 0.999), 1e-8, l2, 0.99, maximize);
                    for (KernelProvider provider : GemmKernelsTest.providers()) {
                        float[] t = theta.clone(), mm = m.clone(), vv = v.clone();
                        provider.adam(t, 3, g, 5, mm, vv, n, 0.9, 0.999, 1e-3 / 0.19, Math.sqrt(1 - 0.999 * 0.999),
                                1e-8, l2, 0.99, maximize);
                        for (int i = 0; i < theta.length; i++) {
                            String what = provider.name() + " n=" + n + " maximize=" + maximize + " l2=" + l2 + " i=" + i;
                            assertThat(t[i]).as(what).isCloseTo(expectedTheta[i], within(1e-5f + 1.3e-6f * Math.abs(expectedTheta[i])));
                        }
                        for (int i = 0; i < n; i++) {
                            assertThat(mm[i]).isCloseTo(expectedM[i], within(1e-6f));
                            assertThat(vv[i]).isCloseTo(expectedV[i], within(1e-6f));
                        }
                    }
                }
            }
        }
    }

    @Test
    void aLargeParameterGetsTheSameBitsFromEveryThreadCount() {
        int n = 3 * VectorKernels.PARALLEL_MIN_ELEMENTS + 37;
        SplittableRandom rnd = new SplittableRandom(11);
        float[] theta = new float[n + 3], g = new float[n + 5], m = new float[n], v = new float[n];
        for (int i = 0; i < theta.length; i++) {
            theta[i] = (float) rnd.nextDouble(-2, 2);
        }
        for (int i = 0; i < g.length; i++) {
            g[i] = (float) rnd.nextDouble(-1, 1);
        }
        assumeTrue(Threads.PROCESSORS > 1, "one processor: a step is never split");
        int before = Threads.count();
        try {
            for (KernelProvider provider : GemmKernelsTest.providers()) {
                float[][] results = new float[Threads.PROCESSORS][];
                for (int threads = 1; threads <= Threads.PROCESSORS; threads++) {
                    Threads.setCount(threads);
                    float[] t = theta.clone(), mm = m.clone(), vv = v.clone();
                    for (int step = 0; step < 2; step++) {
                        provider.adam(t, 3, g, 5, mm, vv, n, 0.9, 0.999, 1e-3, 0.5, 1e-8, 0.01, 0.99, false);
                    }
                    results[threads - 1] = t;
                }
                for (int threads = 2; threads <= Threads.PROCESSORS; threads++) {
                    assertThat(results[threads - 1]).as("%s, %d threads", provider.name(), threads).isEqualTo(results[0]);
                }
            }
        } finally {
            Threads.setCount(before);
        }
    }
}
