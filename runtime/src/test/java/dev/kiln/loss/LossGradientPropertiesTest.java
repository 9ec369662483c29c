package dev.kiln.loss;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.kiln.DType;
import dev.kiln.Tensor;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/**
 * Random sizes, settings and layouts: every loss's gradients against central differences in
 * float64, through a small model in front of the loss, and the forward against the documented formula.
 */
class LossGradientPropertiesTest {

    private static Tensor randn(Random r, int... shape) {
        int n = 1;
        for (int s : shape) {
            n *= s;
        }
        double[] d = new double[n];
        for (int i = 0; i < n; i++) {
            d[i] = r.nextGaussian();
        }
        return Tensor.of(d).reshape(shape);
    }

    private static Tensor uniform(Random r, double lo, double hi, int... shape) {
        int n = 1;
        for (int s : shape) {
            n *= s;
        }
        double[] d = new double[n];
        for (int i = 0; i < n; i++) {
            d[i] = lo + (hi - lo) * r.nextDouble();
        }
        return Tensor.of(d).reshape(shape);
    }

    private static Reduction reduction(Random r) {
        return Reduction.values()[r.nextInt(3)];
    }

    @Property(tries = 25)
    void classificationLosses(@ForAll @IntRange(min = 1, max = 5) int n, @ForAll @IntRange(min = 1, max = 5) int c,
                              @ForAll long seed) {
        Random r = new Random(seed);
        Reduction red = reduction(r);
        long[] y = new long[n];
        long ignore = r.nextBoolean() ? -100 : r.nextInt(c);
        for (int i = 0; i < n; i++) {
            y[i] = r.nextInt(c);
        }
        Tensor target = Tensor.of(y);
        Tensor weight = r.nextBoolean() ? uniform(r, 0.2, 2, c) : null;
        double eps = r.nextBoolean() ? 0 : r.nextDouble() * 0.5;
        boolean anyKept = false;
        for (long v : y) {
            anyKept |= v != ignore;
        }
        String what = "n " + n + " c " + c + " " + red + " ignore " + ignore + " eps " + eps + " w " + (weight != null);
        if (anyKept || red != Reduction.MEAN) { // (a mean over no samples is NaN)
            FiniteDifferences.check("ce " + what, xs -> Losses.crossEntropy(xs[0], target, weight, ignore, eps, red),
                    randn(r, n, c));
            FiniteDifferences.check("nll " + what, xs -> Losses.nll(xs[0].logSoftmax(1), target, weight, ignore, red),
                    randn(r, n, c));
            // Transposed logits (a non-contiguous view) through a product, as a linear layer's output.
            FiniteDifferences.check("ce after mm " + what,
                    xs -> Losses.crossEntropy(xs[0].mm(xs[1].t()), target, weight, ignore, eps, red),
                    randn(r, n, 3), randn(r, c, 3));
        }
        FiniteDifferences.check("ce probabilities " + what,
                xs -> Losses.crossEntropy(xs[0], xs[1].softmax(1), weight, -100, eps, red), randn(r, n, c), randn(r, n, c));
    }

    @Property(tries = 25)
    void spatialClassificationMatchesTheFormula(@ForAll @IntRange(min = 1, max = 3) int n,
                                                @ForAll @IntRange(min = 2, max = 4) int c,
                                                @ForAll @IntRange(min = 1, max = 3) int d, @ForAll long seed) {
        Random r = new Random(seed);
        Reduction red = reduction(r);
        Tensor x = randn(r, n, c, d);
        long[] y = new long[n * d];
        for (int i = 0; i < y.length; i++) {
            y[i] = r.nextInt(4) == 0 ? -100 : r.nextInt(c);
        }
        y[0] = r.nextInt(c);
        Tensor target = Tensor.of(y).reshape(n, d);
        Tensor weight = uniform(r, 0.2, 2, c);
        double[] w = weight.toDoubleArray(), xs = x.toDoubleArray();
        double[] l = new double[n * d];
        double sum = 0, total = 0;
        for (int b = 0; b < n; b++) {
            for (int k = 0; k < d; k++) {
                int s = b * d + k;
                if (y[s] == -100) {
                    continue;
                }
                double[] row = new double[c];
                for (int j = 0; j < c; j++) {
                    row[j] = xs[(b * c + j) * d + k];
                }
                l[s] = -w[(int) y[s]] * Reference.logSoftmax(row)[(int) y[s]];
                sum += l[s];
                total += w[(int) y[s]];
            }
        }
        Tensor out = Losses.crossEntropy(x, target, weight, -100, 0, red);
        switch (red) {
            case MEAN -> assertThat(out.item()).isCloseTo(sum / total, within(1e-12));
            case SUM -> assertThat(out.item()).isCloseTo(sum, within(1e-12));
            case NONE -> assertThat(out.toDoubleArray()).containsExactly(l, within(1e-12));
        }
        FiniteDifferences.check("ce spatial " + red, xt -> Losses.crossEntropy(xt[0], target, weight, -100, 0.1, red), x);
    }

    @Property(tries = 25)
    void elementwiseLosses(@ForAll @IntRange(min = 1, max = 4) int a, @ForAll @IntRange(min = 1, max = 4) int b,
                           @ForAll long seed) {
        Random r = new Random(seed);
        Reduction red = reduction(r);
        Tensor x = randn(r, a, b), t = randn(r, a, b);
        FiniteDifferences.check("mse " + red, xs -> Losses.mse(xs[0], xs[1], red), x, t);
        FiniteDifferences.check("l1 " + red, xs -> Losses.l1(xs[0], xs[1], red), x, t);
        Tensor p = uniform(r, 0.05, 0.95, a, b), y = uniform(r, 0, 1, a, b);
        Tensor w = uniform(r, 0.5, 2, b);
        FiniteDifferences.check("bce " + red, xs -> Losses.bce(xs[0], xs[1], w, red), p, y);
        Tensor pw = uniform(r, 0.5, 3, b);
        FiniteDifferences.check("bceWithLogits " + red, xs -> Losses.bceWithLogits(xs[0], xs[1], w, pw, red),
                x.times(3.0), y);
        // Through a sigmoid in front of the BCE, as a binary classifier's output.
        FiniteDifferences.check("bce of sigmoid " + red, xs -> Losses.bce(xs[0].sigmoid(), y, red), x);
    }

    @Property(tries = 10)
    void float32MatchesFloat64WithinRounding(@ForAll @IntRange(min = 1, max = 6) int n, @ForAll long seed) {
        Random r = new Random(seed);
        Tensor x = randn(r, n, 4).times(5.0);
        long[] y = new long[n];
        for (int i = 0; i < n; i++) {
            y[i] = r.nextInt(4);
        }
        Tensor target = Tensor.of(y);
        double d64 = Losses.crossEntropy(x, target).item();
        Tensor l32 = Losses.crossEntropy(x.to(DType.FLOAT32), target);
        assertThat(l32.dtype()).isEqualTo(DType.FLOAT32);
        assertThat(l32.item()).isCloseTo(d64, within(1e-5 * (1 + Math.abs(d64))));
    }
}
