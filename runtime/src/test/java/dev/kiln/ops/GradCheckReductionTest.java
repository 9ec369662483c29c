package dev.kiln.ops;

import static dev.kiln.ops.GradCheck.check;
import static dev.kiln.ops.GradCheck.distinct;
import static dev.kiln.ops.GradCheck.randn;

import dev.kiln.ops.GradCheck.Layout;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;

/** Gradients of the reductions and normalisations against central differences. */
class GradCheckReductionTest extends GradCheckArbitraries {

    /** A dimension of a tensor of rank {@code rank}, possibly negative; 0-d tensors take 0 and -1. */
    private static int anyDim(Random r, int rank) {
        int span = Math.max(rank, 1);
        return r.nextInt(2 * span) - span;
    }

    /** A non-empty set of distinct dimensions, some given as negative numbers. */
    private static int[] someDims(Random r, int rank) {
        List<Integer> dims = new ArrayList<>();
        for (int d = 0; d < rank; d++) {
            if (r.nextBoolean()) {
                dims.add(r.nextBoolean() ? d : d - rank);
            }
        }
        if (dims.isEmpty()) {
            dims.add(r.nextInt(rank));
        }
        java.util.Collections.shuffle(dims, r);
        return dims.stream().mapToInt(Integer::intValue).toArray();
    }

    @Property(tries = 30)
    void sumAll(@ForAll("shapes") int[] shape, @ForAll long seed, @ForAll Layout layout) {
        check("sum()", xs -> xs[0].sum(), randn(new Random(seed), shape).in(layout));
    }

    @Property(tries = 40)
    void sumDim(@ForAll("shapes") int[] shape, @ForAll boolean keepDim, @ForAll long seed, @ForAll Layout layout) {
        Random r = new Random(seed);
        int d = anyDim(r, shape.length);
        check("sum(" + d + ")", xs -> xs[0].sum(d), randn(r, shape).in(layout));
        check("sum(" + d + ", " + keepDim + ")", xs -> xs[0].sum(d, keepDim), randn(r, shape).in(layout));
    }

    @Property(tries = 40)
    void sumDims(@ForAll("nonScalarShapes") int[] shape, @ForAll boolean keepDim, @ForAll long seed,
                 @ForAll Layout layout) {
        Random r = new Random(seed);
        int[] dims = someDims(r, shape.length);
        check("sum(" + str(dims) + ", " + keepDim + ")", xs -> xs[0].sum(dims, keepDim), randn(r, shape).in(layout));
    }

    @Property(tries = 30)
    void meanAll(@ForAll("shapes") int[] shape, @ForAll long seed, @ForAll Layout layout) {
        check("mean()", xs -> xs[0].mean(), randn(new Random(seed), shape).in(layout));
    }

    @Property(tries = 40)
    void meanDim(@ForAll("shapes") int[] shape, @ForAll boolean keepDim, @ForAll long seed, @ForAll Layout layout) {
        Random r = new Random(seed);
        int d = anyDim(r, shape.length);
        check("mean(" + d + ")", xs -> xs[0].mean(d), randn(r, shape).in(layout));
        check("mean(" + d + ", " + keepDim + ")", xs -> xs[0].mean(d, keepDim), randn(r, shape).in(layout));
    }

    @Property(tries = 40)
    void meanDims(@ForAll("nonScalarShapes") int[] shape, @ForAll boolean keepDim, @ForAll long seed,
                  @ForAll Layout layout) {
        Random r = new Random(seed);
        int[] dims = someDims(r, shape.length);
        check("mean(" + str(dims) + ", " + keepDim + ")", xs -> xs[0].mean(dims, keepDim), randn(r, shape).in(layout));
    }

    @Property(tries = 30)
    void maxAndMinAll(@ForAll("shapes") int[] shape, @ForAll long seed, @ForAll Layout layout) {
        Random r = new Random(seed);
        check("max()", xs -> xs[0].max(), distinct(r, shape).in(layout));
        check("min()", xs -> xs[0].min(), distinct(r, shape).in(layout));
    }

    @Property(tries = 40)
    void maxAndMinAlongDim(@ForAll("shapes") int[] shape, @ForAll boolean keepDim, @ForAll long seed,
                           @ForAll Layout layout) {
        Random r = new Random(seed);
        int d = anyDim(r, shape.length);
        check("max(" + d + ").values()", xs -> xs[0].max(d).values(), distinct(r, shape).in(layout));
        check("min(" + d + ").values()", xs -> xs[0].min(d).values(), distinct(r, shape).in(layout));
        check("max(" + d + ", " + keepDim + ").values()", xs -> xs[0].max(d, keepDim).values(),
                distinct(r, shape).in(layout));
        check("min(" + d + ", " + keepDim + ").values()", xs -> xs[0].min(d, keepDim).values(),
                distinct(r, shape).in(layout));
    }

    @Property(tries = 40)
    void softmax(@ForAll("shapes") int[] shape, @ForAll long seed, @ForAll Layout layout) {
        Random r = new Random(seed);
        int d = anyDim(r, shape.length);
        check("softmax(" + d + ")", xs -> xs[0].times(2.0).softmax(d), randn(r, shape).in(layout));
    }

    @Property(tries = 40)
    void logSoftmax(@ForAll("shapes") int[] shape, @ForAll long seed, @ForAll Layout layout) {
        Random r = new Random(seed);
        int d = anyDim(r, shape.length);
        check("logSoftmax(" + d + ")", xs -> xs[0].times(2.0).logSoftmax(d), randn(r, shape).in(layout));
    }

    /** Sizes 1, 7, 17 and 1024 along the reduced dimension, and as the kept one. */
    @Property(tries = 4)
    void awkwardSizes(@ForAll("awkward") int n) {
        Random r = new Random(n);
        check("sum() of " + n, xs -> xs[0].sum(), randn(r, n));
        check("mean() of " + n, xs -> xs[0].mean(), randn(r, n));
        check("sum(1) of (2," + n + ")", xs -> xs[0].sum(1), randn(r, 2, n));
        check("mean(0, true) of (" + n + ",3)", xs -> xs[0].mean(0, true), randn(r, n, 3));
        check("max() of " + n, xs -> xs[0].max(), distinct(r, n));
        check("min() of " + n, xs -> xs[0].min(), distinct(r, n));
        check("max(1) of (2," + n + ")", xs -> xs[0].max(1).values(), distinct(r, 2, n));
        check("min(0) of (" + n + ",2)", xs -> xs[0].min(0).values(), distinct(r, n, 2));
        check("softmax(-1) of (2," + n + ")", xs -> xs[0].softmax(-1), randn(r, 2, n));
        check("logSoftmax(0) of (" + n + ",2)", xs -> xs[0].logSoftmax(0), randn(r, n, 2));
        check("logSoftmax(0) of " + n, xs -> xs[0].logSoftmax(0), randn(r, n).in(Layout.STRIDED));
    }
}
