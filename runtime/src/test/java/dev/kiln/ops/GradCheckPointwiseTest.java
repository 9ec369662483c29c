package dev.kiln.ops;

import static dev.kiln.ops.GradCheck.awayFrom;
import static dev.kiln.ops.GradCheck.check;
import static dev.kiln.ops.GradCheck.nonZero;
import static dev.kiln.ops.GradCheck.randn;
import static dev.kiln.ops.GradCheck.uniform;

import dev.kiln.Tensor;
import dev.kiln.ops.GradCheck.Input;
import dev.kiln.ops.GradCheck.Layout;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/** Gradients of the elementwise operations, unary and binary (with broadcasting), against central differences. */
class GradCheckPointwiseTest extends GradCheckArbitraries {
    private static final double[] ZERO = {0.0};

    // ---------------------------------------------------------------------------------------------
    // Unary

    @Property(tries = 30)
    void unaryMinus(@ForAll("shapes") int[] shape, @ForAll long seed, @ForAll Layout layout) {
        check("unaryMinus", xs -> xs[0].unaryMinus(), randn(new Random(seed), shape).in(layout));
    }

    @Property(tries = 30)
    void exp(@ForAll("shapes") int[] shape, @ForAll long seed, @ForAll Layout layout) {
        check("exp", xs -> xs[0].exp(), randn(new Random(seed), shape).in(layout));
    }

    @Property(tries = 30)
    void log(@ForAll("shapes") int[] shape, @ForAll long seed, @ForAll Layout layout) {
        check("log", xs -> xs[0].log(), uniform(new Random(seed), 0.2, 3, shape).in(layout));
    }

    @Property(tries = 30)
    void sqrt(@ForAll("shapes") int[] shape, @ForAll long seed, @ForAll Layout layout) {
        check("sqrt", xs -> xs[0].sqrt(), uniform(new Random(seed), 0.2, 3, shape).in(layout));
    }

    @Property(tries = 30)
    void abs(@ForAll("shapes") int[] shape, @ForAll long seed, @ForAll Layout layout) {
        check("abs", xs -> xs[0].abs(), awayFrom(new Random(seed), 1e-3, ZERO, shape).in(layout));
    }

    @Property(tries = 30)
    void relu(@ForAll("shapes") int[] shape, @ForAll long seed, @ForAll Layout layout) {
        check("relu", xs -> xs[0].relu(), awayFrom(new Random(seed), 1e-3, ZERO, shape).in(layout));
    }

    @Property(tries = 30)
    void sigmoid(@ForAll("shapes") int[] shape, @ForAll long seed, @ForAll Layout layout) {
        Input x = randn(new Random(seed), shape).in(layout);
        check("sigmoid", xs -> xs[0].times(3.0).sigmoid(), x);
    }

    @Property(tries = 30)
    void tanh(@ForAll("shapes") int[] shape, @ForAll long seed, @ForAll Layout layout) {
        check("tanh", xs -> xs[0].times(2.0).tanh(), randn(new Random(seed), shape).in(layout));
    }

    @Provide
    Arbitrary<double[]> clampBounds() {
        return Arbitraries.doubles().between(-1.5, 0.5).flatMap(lo -> Arbitraries.doubles().between(0.01, 2.0)
                .map(width -> new double[] {lo, lo + width}));
    }

    @Property(tries = 30)
    void clamp(@ForAll("shapes") int[] shape, @ForAll("clampBounds") double[] b, @ForAll long seed,
               @ForAll Layout layout) {
        Input x = awayFrom(new Random(seed), 1e-3, b, shape).in(layout);
        check("clamp(" + b[0] + ", " + b[1] + ")", xs -> xs[0].clamp(b[0], b[1]), x);
    }

    @Property(tries = 30)
    void clampMin(@ForAll("shapes") int[] shape, @ForAll("clampBounds") double[] b, @ForAll long seed,
                  @ForAll Layout layout) {
        Input x = awayFrom(new Random(seed), 1e-3, b, shape).in(layout);
        check("clampMin(" + b[0] + ")", xs -> xs[0].clampMin(b[0]), x);
    }

    @Property(tries = 30)
    void clampMax(@ForAll("shapes") int[] shape, @ForAll("clampBounds") double[] b, @ForAll long seed,
                  @ForAll Layout layout) {
        Input x = awayFrom(new Random(seed), 1e-3, b, shape).in(layout);
        check("clampMax(" + b[1] + ")", xs -> xs[0].clampMax(b[1]), x);
    }

    @Provide
    Arbitrary<Double> exponents() {
        return Arbitraries.oneOf(Arbitraries.of(0.0, 0.5, 1.0, 2.0, 3.0, -1.0, -0.5, -2.0),
                Arbitraries.doubles().between(-3, 3).ofScale(3));
    }

    @Property(tries = 40)
    void powScalar(@ForAll("shapes") int[] shape, @ForAll("exponents") double e, @ForAll long seed,
                   @ForAll Layout layout) {
        check("pow(" + e + ")", xs -> xs[0].pow(e), uniform(new Random(seed), 0.3, 2.5, shape).in(layout));
    }

    @Property(tries = 20)
    void powIntegralExponentOfNegativeBase(@ForAll("shapes") int[] shape, @ForAll long seed) {
        check("pow(2) of signed", xs -> xs[0].pow(2), randn(new Random(seed), shape));
        check("pow(3) of signed", xs -> xs[0].pow(3), randn(new Random(seed), shape));
    }

    // ---------------------------------------------------------------------------------------------
    // Binary, broadcasting

    @Property(tries = 40)
    void plus(@ForAll("broadcastPairs") int[][] s, @ForAll long seed, @ForAll Layout layout) {
        Random r = new Random(seed);
        check("plus", xs -> xs[0].plus(xs[1]), randn(r, s[0]).in(layout), randn(r, s[1]));
    }

    @Property(tries = 40)
    void minus(@ForAll("broadcastPairs") int[][] s, @ForAll long seed, @ForAll Layout layout) {
        Random r = new Random(seed);
        check("minus", xs -> xs[0].minus(xs[1]), randn(r, s[0]), randn(r, s[1]).in(layout));
    }

    @Property(tries = 40)
    void times(@ForAll("broadcastPairs") int[][] s, @ForAll long seed, @ForAll Layout layout) {
        Random r = new Random(seed);
        check("times", xs -> xs[0].times(xs[1]), randn(r, s[0]).in(layout), randn(r, s[1]).in(layout));
    }

    @Property(tries = 40)
    void div(@ForAll("broadcastPairs") int[][] s, @ForAll long seed, @ForAll Layout layout) {
        Random r = new Random(seed);
        check("div", xs -> xs[0].div(xs[1]), randn(r, s[0]), nonZero(r, 0.5, 2, s[1]).in(layout));
    }

    @Property(tries = 40)
    void powTensor(@ForAll("broadcastPairs") int[][] s, @ForAll long seed, @ForAll Layout layout) {
        Random r = new Random(seed);
        check("pow(Tensor)", xs -> xs[0].pow(xs[1]), uniform(r, 0.3, 2.5, s[0]).in(layout), randn(r, s[1]));
    }

    @Property(tries = 30)
    void scalarOverloads(@ForAll("shapes") int[] shape, @ForAll long seed, @ForAll Layout layout) {
        Random r = new Random(seed);
        double c = 0.5 + r.nextDouble();
        check("plus(double)", xs -> xs[0].plus(c), randn(r, shape).in(layout));
        check("minus(double)", xs -> xs[0].minus(c), randn(r, shape).in(layout));
        check("times(double)", xs -> xs[0].times(c), randn(r, shape).in(layout));
        check("div(double)", xs -> xs[0].div(c), randn(r, shape).in(layout));
        check("plus(long)", xs -> xs[0].plus(3L), randn(r, shape).in(layout));
        check("minus(long)", xs -> xs[0].minus(3L), randn(r, shape).in(layout));
        check("times(long)", xs -> xs[0].times(-2L), randn(r, shape).in(layout));
        check("div(long)", xs -> xs[0].div(4L), randn(r, shape).in(layout));
    }

    @Property(tries = 30)
    void sameTensorOnBothSides(@ForAll("shapes") int[] shape, @ForAll long seed, @ForAll Layout layout) {
        Random r = new Random(seed);
        check("x * x", xs -> xs[0].times(xs[0]), randn(r, shape).in(layout));
        check("x + x", xs -> xs[0].plus(xs[0]), randn(r, shape).in(layout));
        check("x - x * 2", xs -> xs[0].minus(xs[0].times(2.0)), randn(r, shape).in(layout));
        check("x / x^2", xs -> xs[0].div(xs[0].times(xs[0])), nonZero(r, 0.5, 2, shape).in(layout));
        check("x ^ x", xs -> xs[0].pow(xs[0]), uniform(r, 0.3, 2, shape).in(layout));
    }

    // ---------------------------------------------------------------------------------------------
    // Selection

    private static Tensor mask(Random r, int[] shape) {
        boolean[] m = new boolean[dev.kiln.Shape.of(shape).numel()];
        for (int i = 0; i < m.length; i++) {
            m[i] = r.nextBoolean();
        }
        return Tensor.of(m).reshape(shape);
    }

    @Property(tries = 40)
    void where(@ForAll("broadcastPairs") int[][] s, @ForAll long seed) {
        Random r = new Random(seed);
        // The condition broadcasts too: take the joint shape of x and y with some dimensions set to 1.
        int[] joint = Broadcast.shapes(s[0], s[1], "test");
        int[] cShape = joint.clone();
        for (int i = 0; i < cShape.length; i++) {
            if (r.nextInt(3) == 0) {
                cShape[i] = 1;
            }
        }
        Tensor cond = mask(r, cShape);
        check("where(cond " + str(cShape) + ")", xs -> Tensor.where(cond, xs[0], xs[1]), randn(r, s[0]), randn(r, s[1]));
        check("where(cond, x, double)", xs -> Tensor.where(cond, xs[0], 0.25), randn(r, s[0]));
        // Gradient checks cannot see a forward that is wrong the same way as its derivative (where's
        // derivative is itself a where), so check the values too.
        Tensor x = randn(r, s[0]).tensor(), y = randn(r, s[1]).tensor();
        boolean[] c = cond.expand(joint).toBooleanArray();
        double[] xv = x.expand(joint).toDoubleArray(), yv = y.expand(joint).toDoubleArray();
        double[] expected = new double[c.length];
        for (int i = 0; i < c.length; i++) {
            expected[i] = c[i] ? xv[i] : yv[i];
        }
        org.assertj.core.api.Assertions.assertThat(Tensor.where(cond, x, y).toDoubleArray()).containsExactly(expected);
    }

    @Property(tries = 40)
    void maskedFill(@ForAll("shapes") int[] shape, @ForAll long seed, @ForAll Layout layout) {
        Random r = new Random(seed);
        int[] mShape = shape.clone();
        for (int i = 0; i < mShape.length; i++) {
            if (r.nextInt(3) == 0) {
                mShape[i] = 1;
            }
        }
        int drop = r.nextInt(mShape.length + 1);
        mShape = java.util.Arrays.copyOfRange(mShape, drop, mShape.length);
        Tensor m = mask(r, mShape);
        check("maskedFill(mask " + str(mShape) + ")", xs -> xs[0].maskedFill(m, -1.5), randn(r, shape).in(layout));
        // And the values: -1.5 where the mask is true, x elsewhere.
        Tensor x = randn(r, shape).in(layout).tensor();
        boolean[] c = m.expand(shape).toBooleanArray();
        double[] xv = x.toDoubleArray(), expected = new double[xv.length];
        for (int i = 0; i < xv.length; i++) {
            expected[i] = c[i] ? -1.5 : xv[i];
        }
        org.assertj.core.api.Assertions.assertThat(x.maskedFill(m, -1.5).toDoubleArray()).containsExactly(expected);
    }

    // ---------------------------------------------------------------------------------------------
    // The named cases

    @net.jqwik.api.Example
    void namedBroadcastingPairs() {
        Random r = new Random(5);
        int[][][] pairs = {
            {{3, 4}, {4}}, {{3, 1}, {1, 4}}, {{}, {2, 3}}, {{2, 3}, {}}, {{2, 1, 4}, {3, 1}}, {{7, 1}, {1, 17}},
            {{1}, {5}}, {{2, 3, 4}, {2, 3, 4}}, {{4, 1, 1}, {1, 3, 2}}};
        for (int[][] p : pairs) {
            String on = " " + str(p[0]) + " with " + str(p[1]);
            check("plus" + on, xs -> xs[0].plus(xs[1]), randn(r, p[0]), randn(r, p[1]));
            check("minus" + on, xs -> xs[0].minus(xs[1]), randn(r, p[0]), randn(r, p[1]));
            check("times" + on, xs -> xs[0].times(xs[1]), randn(r, p[0]), randn(r, p[1]));
            check("div" + on, xs -> xs[0].div(xs[1]), randn(r, p[0]), nonZero(r, 0.5, 2, p[1]));
            check("pow" + on, xs -> xs[0].pow(xs[1]), uniform(r, 0.3, 2.5, p[0]), randn(r, p[1]));
            Tensor m = mask(r, p[1]); // made once: the function under test must be deterministic
            check("where" + on, xs -> Tensor.where(m, xs[0], xs[1]), randn(r, p[0]), randn(r, p[1]));
        }
    }

    /** Every elementwise operation on 1-d tensors of sizes 1, 7, 17 and 1024, contiguous and strided. */
    @Property(tries = 8)
    void awkwardSizes(@ForAll("awkward") int n, @ForAll boolean strided) {
        Random r = new Random(n);
        Layout l = strided ? Layout.STRIDED : Layout.CONTIGUOUS;
        double[] kinks = {0, -0.5, 0.5};
        check("unaryMinus " + n, xs -> xs[0].unaryMinus(), randn(r, n).in(l));
        check("exp " + n, xs -> xs[0].exp(), randn(r, n).in(l));
        check("log " + n, xs -> xs[0].log(), uniform(r, 0.2, 3, n).in(l));
        check("sqrt " + n, xs -> xs[0].sqrt(), uniform(r, 0.2, 3, n).in(l));
        check("abs " + n, xs -> xs[0].abs(), awayFrom(r, 1e-3, kinks, n).in(l));
        check("relu " + n, xs -> xs[0].relu(), awayFrom(r, 1e-3, kinks, n).in(l));
        check("sigmoid " + n, xs -> xs[0].sigmoid(), randn(r, n).in(l));
        check("tanh " + n, xs -> xs[0].tanh(), randn(r, n).in(l));
        check("clamp " + n, xs -> xs[0].clamp(-0.5, 0.5), awayFrom(r, 1e-3, kinks, n).in(l));
        check("clampMin " + n, xs -> xs[0].clampMin(-0.5), awayFrom(r, 1e-3, kinks, n).in(l));
        check("clampMax " + n, xs -> xs[0].clampMax(0.5), awayFrom(r, 1e-3, kinks, n).in(l));
        check("pow(1.5) " + n, xs -> xs[0].pow(1.5), uniform(r, 0.2, 3, n).in(l));
        check("plus " + n, xs -> xs[0].plus(xs[1]), randn(r, n).in(l), randn(r, n));
        check("minus " + n, xs -> xs[0].minus(xs[1]), randn(r, n), randn(r, n).in(l));
        check("times " + n, xs -> xs[0].times(xs[1]), randn(r, n).in(l), randn(r, n).in(l));
        check("div " + n, xs -> xs[0].div(xs[1]), randn(r, n).in(l), nonZero(r, 0.5, 2, n));
        check("pow(Tensor) " + n, xs -> xs[0].pow(xs[1]), uniform(r, 0.3, 2, n).in(l), randn(r, n));
        check("times 0-d " + n, xs -> xs[0].times(xs[1]), randn(r, n).in(l), randn(r));
        check("div by (1) " + n, xs -> xs[0].div(xs[1]), randn(r, n).in(l), nonZero(r, 0.5, 2, 1));
        Tensor m = mask(r, new int[] {n});
        check("where " + n, xs -> Tensor.where(m, xs[0], xs[1]), randn(r, n).in(l), randn(r, 1));
        check("maskedFill " + n, xs -> xs[0].maskedFill(m, 2.0), randn(r, n).in(l));
    }
}
