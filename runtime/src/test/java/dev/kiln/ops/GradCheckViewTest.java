package dev.kiln.ops;

import static dev.kiln.ops.GradCheck.check;
import static dev.kiln.ops.GradCheck.randn;

import dev.kiln.Tensor;
import dev.kiln.ops.GradCheck.Input;
import dev.kiln.ops.GradCheck.Layout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;

/**
 * Gradients of the shape and indexing operations (views, joins, slices, selections, copies) against
 * central differences, with contiguous and non-contiguous inputs.
 */
class GradCheckViewTest extends GradCheckArbitraries {

    @Property(tries = 30)
    void t(@ForAll("shapes") int[] shape, @ForAll long seed, @ForAll Layout layout) {
        int[] s = shape.length > 2 ? Arrays.copyOf(shape, 2) : shape;
        check("t", xs -> xs[0].t(), randn(new Random(seed), s).in(layout));
    }

    @Property(tries = 30)
    void transpose(@ForAll("shapes") int[] shape, @ForAll long seed, @ForAll Layout layout) {
        Random r = new Random(seed);
        int span = Math.max(shape.length, 1);
        int d0 = r.nextInt(2 * span) - span, d1 = r.nextInt(2 * span) - span;
        check("transpose(" + d0 + ", " + d1 + ")", xs -> xs[0].transpose(d0, d1), randn(r, shape).in(layout));
    }

    @Property(tries = 30)
    void permute(@ForAll("shapes") int[] shape, @ForAll long seed, @ForAll Layout layout) {
        Random r = new Random(seed);
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < shape.length; i++) {
            order.add(r.nextBoolean() ? i : i - shape.length);
        }
        java.util.Collections.shuffle(order, r);
        int[] o = order.stream().mapToInt(Integer::intValue).toArray();
        check("permute(" + str(o) + ")", xs -> xs[0].permute(o), randn(r, shape).in(layout));
        // A copy after the permutation: the gradient must come back in the original order.
        check("permute(" + str(o) + ").reshape(-1)", xs -> xs[0].permute(o).reshape(-1), randn(r, shape).in(layout));
    }

    /** A random shape with the same number of elements, with one size possibly given as -1. */
    private static int[] regroup(Random r, int[] shape) {
        List<Integer> factors = new ArrayList<>();
        for (int s : shape) {
            int v = s;
            for (int p = 2; v > 1; p++) {
                while (v % p == 0) {
                    factors.add(p);
                    v /= p;
                }
            }
        }
        java.util.Collections.shuffle(factors, r);
        List<Integer> out = new ArrayList<>();
        for (int f : factors) {
            if (out.isEmpty() || r.nextBoolean()) {
                out.add(f);
            } else {
                out.set(out.size() - 1, out.get(out.size() - 1) * f);
            }
        }
        int ones = r.nextInt(2);
        for (int i = 0; i < ones; i++) {
            out.add(r.nextInt(out.size() + 1), 1);
        }
        int[] dims = out.stream().mapToInt(Integer::intValue).toArray();
        if (dims.length > 0 && r.nextBoolean()) {
            dims[r.nextInt(dims.length)] = -1;
        }
        return dims;
    }

    @Property(tries = 40)
    void reshape(@ForAll("shapes") int[] shape, @ForAll long seed, @ForAll Layout layout) {
        Random r = new Random(seed);
        int[] to = regroup(r, shape);
        check("reshape(" + str(to) + ")", xs -> xs[0].reshape(to), randn(r, shape).in(layout));
    }

    @Property(tries = 30)
    void view(@ForAll("shapes") int[] shape, @ForAll long seed) {
        Random r = new Random(seed);
        int[] to = regroup(r, shape);
        check("view(" + str(to) + ")", xs -> xs[0].view(to), randn(r, shape));
    }

    @Property(tries = 30)
    void flatten(@ForAll("shapes") int[] shape, @ForAll long seed, @ForAll Layout layout) {
        Random r = new Random(seed);
        check("flatten()", xs -> xs[0].flatten(), randn(r, shape).in(layout));
        if (shape.length > 0) {
            int a = r.nextInt(shape.length), b = a + r.nextInt(shape.length - a);
            int s = r.nextBoolean() ? a : a - shape.length;
            check("flatten(" + s + ", " + b + ")", xs -> xs[0].flatten(s, b), randn(r, shape).in(layout));
        }
    }

    @Property(tries = 30)
    void unsqueezeAndSqueeze(@ForAll("shapes") int[] shape, @ForAll long seed, @ForAll Layout layout) {
        Random r = new Random(seed);
        int d = r.nextInt(2 * (shape.length + 1)) - (shape.length + 1);
        check("unsqueeze(" + d + ")", xs -> xs[0].unsqueeze(d), randn(r, shape).in(layout));
        check("squeeze()", xs -> xs[0].squeeze(), randn(r, shape).in(layout));
        check("unsqueeze(" + d + ").squeeze(" + d + ")", xs -> xs[0].unsqueeze(d).squeeze(d), randn(r, shape).in(layout));
        if (shape.length > 0) {
            int e = r.nextInt(shape.length);
            check("squeeze(" + e + ")", xs -> xs[0].squeeze(e), randn(r, shape).in(layout));
        }
    }

    @Property(tries = 40)
    void expand(@ForAll("broadcastPairs") int[][] s, @ForAll long seed, @ForAll Layout layout) {
        Random r = new Random(seed);
        int[] target = Broadcast.shapes(s[0], s[1], "test");
        int[] request = target.clone();
        int lead = target.length - s[0].length;
        for (int i = lead; i < target.length; i++) {
            if (s[0][i - lead] == target[i] && r.nextBoolean()) {
                request[i] = -1;
            }
        }
        check("expand(" + str(request) + ")", xs -> xs[0].expand(request), randn(r, s[0]).in(layout));
    }

    @Property(tries = 40)
    void stack(@ForAll("shapes") int[] shape, @ForAll long seed, @ForAll Layout layout) {
        Random r = new Random(seed);
        int d = r.nextInt(2 * (shape.length + 1)) - (shape.length + 1);
        int count = 1 + r.nextInt(3);
        Input[] in = new Input[count];
        for (int i = 0; i < count; i++) {
            in[i] = randn(r, shape).in(i == 0 ? layout : Layout.CONTIGUOUS);
        }
        check("stack(" + count + " tensors, " + d + ")", xs -> Tensor.stack(Arrays.asList(xs), d), in);
        check("stack(x, x, " + d + ")", xs -> Tensor.stack(List.of(xs[0], xs[0].times(2.0)), d), randn(r, shape));
    }

    @Property(tries = 40)
    void cat(@ForAll("nonScalarShapes") int[] shape, @ForAll long seed, @ForAll Layout layout) {
        Random r = new Random(seed);
        int d = r.nextInt(2 * shape.length) - shape.length;
        int axis = d < 0 ? d + shape.length : d;
        int count = 1 + r.nextInt(3);
        Input[] in = new Input[count];
        for (int i = 0; i < count; i++) {
            int[] s = shape.clone();
            s[axis] = 1 + r.nextInt(4);
            in[i] = randn(r, s).in(i == count - 1 ? layout : Layout.CONTIGUOUS);
        }
        check("cat(" + count + " tensors, " + d + ")", xs -> Tensor.cat(Arrays.asList(xs), d), in);
        check("cat(x, x.exp(), " + d + ")", xs -> Tensor.cat(List.of(xs[0], xs[0].exp()), d), randn(r, shape));
    }

    @Property(tries = 40)
    void slice(@ForAll("nonScalarShapes") int[] shape, @ForAll long seed, @ForAll Layout layout) {
        Random r = new Random(seed);
        int d = r.nextInt(2 * shape.length) - shape.length;
        int size = shape[d < 0 ? d + shape.length : d];
        // Bounds may be negative or past the end (they clamp); the slice may be empty.
        int start = r.nextInt(2 * size + 2) - size - 1, end = r.nextInt(2 * size + 3) - size;
        int step = 1 + r.nextInt(3);
        check("slice(" + d + ", " + start + ", " + end + ", " + step + ")",
                xs -> xs[0].slice(d, start, end, step).times(2.0).plus(1.0), randn(r, shape).in(layout));
        check("slice(" + d + ", " + start + ", " + end + ")", xs -> xs[0].slice(d, start, end), randn(r, shape).in(layout));
    }

    @Property(tries = 40)
    void getAndSelect(@ForAll("nonScalarShapes") int[] shape, @ForAll long seed, @ForAll Layout layout) {
        Random r = new Random(seed);
        int i = r.nextInt(2 * shape[0]) - shape[0];
        check("get(" + i + ")", xs -> xs[0].get(i), randn(r, shape).in(layout));
        int d = r.nextInt(2 * shape.length) - shape.length;
        int size = shape[d < 0 ? d + shape.length : d];
        int j = r.nextInt(2 * size) - size;
        check("select(" + d + ", " + j + ")", xs -> xs[0].select(d, j), randn(r, shape).in(layout));
        if (shape.length >= 2) {
            int a = r.nextInt(shape[0]), b = r.nextInt(shape[1]);
            check("get(" + a + ", " + b + ")", xs -> xs[0].get(a, b), randn(r, shape).in(layout));
        }
        check("x.get(0) + x.get(last)", xs -> xs[0].get(0).plus(xs[0].get(-1)), randn(r, shape).in(layout));
    }

    @Property(tries = 40)
    void indexSelect(@ForAll("nonScalarShapes") int[] shape, @ForAll long seed, @ForAll Layout layout) {
        Random r = new Random(seed);
        int d = r.nextInt(2 * shape.length) - shape.length;
        int size = shape[d < 0 ? d + shape.length : d];
        int count = 1 + r.nextInt(2 * size + 1);
        long[] idx = new long[count];
        for (int k = 0; k < count; k++) {
            idx[k] = r.nextInt(size);
        }
        idx[count - 1] = idx[0]; // at least one repeat when count > 1
        Tensor index = Tensor.of(idx);
        check("indexSelect(" + d + ", " + Arrays.toString(idx) + ")", xs -> xs[0].indexSelect(d, index),
                randn(r, shape).in(layout));
    }

    @Property(tries = 30)
    void cloneAndContiguous(@ForAll("shapes") int[] shape, @ForAll long seed, @ForAll Layout layout) {
        Random r = new Random(seed);
        check("clone", xs -> xs[0].clone(), randn(r, shape).in(layout));
        check("contiguous", xs -> xs[0].contiguous(), randn(r, shape).in(layout));
        if (shape.length >= 2) {
            check("transpose(0, -1).contiguous()", xs -> xs[0].transpose(0, -1).contiguous().times(xs[0].transpose(0, -1)),
                    randn(r, shape).in(layout));
            check("t-contiguous-view", xs -> xs[0].transpose(0, 1).contiguous().view(-1), randn(r, shape));
        }
    }

    /** Sizes 1, 7, 17 and 1024 through the views and joins. */
    @Property(tries = 4)
    void awkwardSizes(@ForAll("awkward") int n) {
        Random r = new Random(n);
        check("t of (2," + n + ")", xs -> xs[0].t(), randn(r, 2, n));
        check("reshape(" + n + ",1) of (1," + n + ")", xs -> xs[0].reshape(n, 1), randn(r, 1, n));
        check("reshape(-1) of transposed (" + n + ",2)", xs -> xs[0].reshape(-1), randn(r, n, 2).in(Layout.TRANSPOSED));
        check("expand(3," + n + ")", xs -> xs[0].expand(3, n), randn(r, 1, n));
        check("cat of " + n + " and 7", xs -> Tensor.cat(List.of(xs[0], xs[1]), 0), randn(r, n), randn(r, 7));
        check("stack of two " + n, xs -> Tensor.stack(List.of(xs[0], xs[1]), 1), randn(r, n), randn(r, n));
        check("slice step 3 of " + n, xs -> xs[0].slice(0, 1, n, 3), randn(r, n).in(Layout.STRIDED));
        check("select of (" + n + ",2)", xs -> xs[0].select(0, n - 1), randn(r, n, 2));
        check("indexSelect of " + n, xs -> xs[0].indexSelect(0, Tensor.of(0L, (long) n - 1, 0L, (long) n / 2)),
                randn(r, n));
        check("permute of (2," + n + ",1)", xs -> xs[0].permute(2, 0, 1), randn(r, 2, n, 1));
    }
}
