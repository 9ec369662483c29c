package dev.kiln.kernels;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The providers' Adam, SGD, RMSprop and Adagrad steps against the scalar ones (double per element, rounded once) at
 * awkward sizes, and the same bits from one thread or several on a parameter large enough to be split.
 */
class OptimizerKernelsTest {

    @Test
    void everyProviderTakesAdamsStep() {
        for (int n : UnaryKernelsTest.SIZES) {
            for (boolean maximize : new boolean[] {false, true}) {
                for (double l2 : new double[] {0, 0.01}) {
                    SplittableRandom rnd = new SplittableRandom(n * 7L + (maximize ? 1 : 0) + (l2 > 0 ? 2 : 0));
                    float[] theta = uniform(rnd, n + 3, -2, 2), g = uniform(rnd, n + 5, -1, 1);
                    float[] m = uniform(rnd, n, -0.1, 0.1), v = uniform(rnd, n, 0, 0.01);
                    float[] expectedTheta = theta.clone(), expectedM = m.clone(), expectedV = v.clone();
                    ScalarKernels.INSTANCE.adam(expectedTheta, 3, g, 5, expectedM, expectedV, n, 0.9, 0.999, 1e-3 / 0.19,
                            Math.sqrt(1 - 0.999 * 0.999), 1e-8, l2, 0.99, maximize);
                    for (KernelProvider provider : GemmKernelsTest.providers()) {
                        float[] t = theta.clone(), mm = m.clone(), vv = v.clone();
                        provider.adam(t, 3, g, 5, mm, vv, n, 0.9, 0.999, 1e-3 / 0.19, Math.sqrt(1 - 0.999 * 0.999),
                                1e-8, l2, 0.99, maximize);
                        String what = provider.name() + " n=" + n + " maximize=" + maximize + " l2=" + l2;
                        assertClose(what + " theta", t, expectedTheta, 1e-5f, 1.3e-6f);
                        assertClose(what + " m", mm, expectedM, 1e-6f, 0);
                        assertClose(what + " v", vv, expectedV, 1e-6f, 0);
                    }
                }
            }
        }
    }

    @Test
    void everyProviderTakesSgdsStep() {
        // momentum, dampening, Nesterov, weight decay, maximize, first step
        double[][] settings = {{0, 0, 0, 0, 0, 0}, {0.9, 0, 0, 0, 0, 1}, {0.9, 0, 0, 0, 0, 0}, {0.9, 0.1, 0, 0.01, 1, 0},
                {0.9, 0, 1, 0.01, 0, 0}, {0, 0, 0, 0.05, 1, 0}};
        for (int n : UnaryKernelsTest.SIZES) {
            for (double[] o : settings) {
                SplittableRandom rnd = new SplittableRandom(n * 13L + (long) (o[0] * 10 + o[3] * 100));
                float[] theta = uniform(rnd, n + 3, -2, 2), g = uniform(rnd, n + 5, -1, 1);
                float[] buffer = uniform(rnd, n, -0.5, 0.5);
                boolean momentum = o[0] != 0;
                float[] expectedTheta = theta.clone(), expectedBuffer = buffer.clone();
                ScalarKernels.INSTANCE.sgd(expectedTheta, 3, g, 5, momentum ? expectedBuffer : null, n, 0.1, o[0], o[1],
                        o[3], o[2] != 0, o[4] != 0, o[5] != 0);
                for (KernelProvider provider : GemmKernelsTest.providers()) {
                    float[] t = theta.clone(), b = buffer.clone();
                    provider.sgd(t, 3, g, 5, momentum ? b : null, n, 0.1, o[0], o[1], o[3], o[2] != 0, o[4] != 0, o[5] != 0);
                    String what = provider.name() + " n=" + n + " settings=" + java.util.Arrays.toString(o);
                    assertClose(what + " theta", t, expectedTheta, 1e-6f, 1.3e-6f);
                    assertClose(what + " buffer", b, expectedBuffer, 1e-6f, 0);
                }
            }
        }
    }

    @Test
    void everyProviderTakesRmspropsStep() {
        // centered, momentum, weight decay, maximize
        double[][] settings = {{0, 0, 0, 0}, {1, 0, 0, 0}, {0, 0.9, 0, 0}, {1, 0.9, 0.01, 1}, {0, 0, 0.05, 1}};
        for (int n : UnaryKernelsTest.SIZES) {
            for (double[] o : settings) {
                SplittableRandom rnd = new SplittableRandom(n * 17L + (long) (o[0] + o[1] * 10 + o[2] * 100));
                float[] theta = uniform(rnd, n + 3, -2, 2), g = uniform(rnd, n + 5, -1, 1);
                float[] square = uniform(rnd, n, 0.01, 0.1), mean = uniform(rnd, n, -0.05, 0.05);
                float[] buffer = uniform(rnd, n, -0.5, 0.5);
                boolean centered = o[0] != 0, momentum = o[1] != 0;
                float[] expectedTheta = theta.clone(), expectedSquare = square.clone(), expectedMean = mean.clone();
                float[] expectedBuffer = buffer.clone();
                ScalarKernels.INSTANCE.rmsprop(expectedTheta, 3, g, 5, expectedSquare, centered ? expectedMean : null,
                        momentum ? expectedBuffer : null, n, 0.01, 0.9, 1e-8, o[2], o[1], o[3] != 0);
                for (KernelProvider provider : GemmKernelsTest.providers()) {
                    float[] t = theta.clone(), sq = square.clone(), me = mean.clone(), b = buffer.clone();
                    provider.rmsprop(t, 3, g, 5, sq, centered ? me : null, momentum ? b : null, n, 0.01, 0.9, 1e-8, o[2],
                            o[1], o[3] != 0);
                    String what = provider.name() + " n=" + n + " settings=" + java.util.Arrays.toString(o);
                    assertClose(what + " theta", t, expectedTheta, 1e-5f, 1.3e-6f);
                    assertClose(what + " square", sq, expectedSquare, 1e-6f, 0);
                    assertClose(what + " mean", me, expectedMean, 1e-6f, 0);
                    assertClose(what + " buffer", b, expectedBuffer, 1e-5f, 1e-6f);
                }
            }
        }
    }

    @Test
    void everyProviderTakesAdagradsStep() {
        for (int n : UnaryKernelsTest.SIZES) {
            for (boolean maximize : new boolean[] {false, true}) {
                for (double weightDecay : new double[] {0, 0.01}) {
                    SplittableRandom rnd = new SplittableRandom(n * 19L + (maximize ? 1 : 0) + (weightDecay > 0 ? 2 : 0));
                    float[] theta = uniform(rnd, n + 3, -2, 2), g = uniform(rnd, n + 5, -1, 1);
                    float[] sum = uniform(rnd, n, 0, 0.5);
                    float[] expectedTheta = theta.clone(), expectedSum = sum.clone();
                    ScalarKernels.INSTANCE.adagrad(expectedTheta, 3, g, 5, expectedSum, n, 0.01, 1e-10, weightDecay, maximize);
                    for (KernelProvider provider : GemmKernelsTest.providers()) {
                        float[] t = theta.clone(), s = sum.clone();
                        provider.adagrad(t, 3, g, 5, s, n, 0.01, 1e-10, weightDecay, maximize);
                        String what = provider.name() + " n=" + n + " maximize=" + maximize + " weightDecay=" + weightDecay;
                        assertClose(what + " theta", t, expectedTheta, 1e-5f, 1.3e-6f);
                        assertClose(what + " sum", s, expectedSum, 1e-6f, 1e-6f);
                    }
                }
            }
        }
    }

    @Test
    void aLargeParameterGetsTheSameBitsFromEveryThreadCount() {
        int n = 3 * VectorKernels.PARALLEL_MIN_ELEMENTS + 37;
        SplittableRandom rnd = new SplittableRandom(11);
        float[] theta = uniform(rnd, n + 3, -2, 2), g = uniform(rnd, n + 5, -1, 1), m = new float[n], v = new float[n];
        assumeTrue(Threads.PROCESSORS > 1, "one processor: a step is never split");
        int before = Threads.count();
        try {
            for (KernelProvider provider : GemmKernelsTest.providers()) {
                float[][] results = new float[Threads.PROCESSORS][];
                for (int threads = 1; threads <= Threads.PROCESSORS; threads++) {
                    Threads.setCount(threads);
                    float[] t = theta.clone(), mm = m.clone(), vv = v.clone(), b = new float[n];
                    float[] sq = new float[n], me = new float[n];
                    for (int step = 0; step < 2; step++) {
                        provider.adam(t, 3, g, 5, mm, vv, n, 0.9, 0.999, 1e-3, 0.5, 1e-8, 0.01, 0.99, false);
                        provider.sgd(t, 3, g, 5, b, n, 0.1, 0.9, 0, 0.01, true, false, step == 0);
                        provider.rmsprop(t, 3, g, 5, sq, me, b, n, 0.01, 0.9, 1e-8, 0.01, 0.5, false);
                        provider.adagrad(t, 3, g, 5, sq, n, 0.01, 1e-10, 0.01, true);
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

    /**
     * Every element of {@code got} within {@code atol + rtol |expected|} of {@code expected}; the
     * arrays are the same length (a parameter's padding around its n elements included, which must
     * come back unchanged).
     */
    private static void assertClose(String what, float[] got, float[] expected, float atol, float rtol) {
        assertThat(got).as(what + " length").hasSameSizeAs(expected);
        for (int i = 0; i < got.length; i++) {
            assertThat(got[i]).as(what + " i=" + i).isCloseTo(expected[i], within(atol + rtol * Math.abs(expected[i])));
        }
    }

    /** n floats drawn uniformly from [lo, hi). */
    private static float[] uniform(SplittableRandom rnd, int n, double lo, double hi) {
        float[] values = new float[n];
        for (int i = 0; i < n; i++) {
            values[i] = (float) rnd.nextDouble(lo, hi);
        }
        return values;
    }
}
