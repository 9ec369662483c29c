package dev.kiln.ops;

import static dev.kiln.ops.GradCheck.check;
import static dev.kiln.ops.GradCheck.randn;

import dev.kiln.ops.GradCheck.Layout;
import java.util.Random;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/** Gradients of the matrix products (mm, mv, dot, bmm and matmul over every rank combination) against central differences. */
class GradCheckLinearAlgebraTest extends GradCheckArbitraries {

    @Provide
    Arbitrary<Integer> n() {
        return size();
    }

    @Property(tries = 30)
    void mm(@ForAll("n") int m, @ForAll("n") int k, @ForAll("n") int n, @ForAll long seed,
            @ForAll Layout la, @ForAll Layout lb) {
        Random r = new Random(seed);
        check("mm", xs -> xs[0].mm(xs[1]), randn(r, m, k).in(la), randn(r, k, n).in(lb));
    }

    @Property(tries = 30)
    void mv(@ForAll("n") int m, @ForAll("n") int k, @ForAll long seed, @ForAll Layout la, @ForAll Layout lb) {
        Random r = new Random(seed);
        check("mv", xs -> xs[0].mv(xs[1]), randn(r, m, k).in(la), randn(r, k).in(lb));
    }

    @Property(tries = 30)
    void dot(@ForAll("n") int k, @ForAll long seed, @ForAll Layout la, @ForAll Layout lb) {
        Random r = new Random(seed);
        check("dot", xs -> xs[0].dot(xs[1]), randn(r, k).in(la), randn(r, k).in(lb));
    }

    @Property(tries = 30)
    void bmm(@ForAll("n") int b, @ForAll("n") int m, @ForAll("n") int k, @ForAll("n") int n, @ForAll long seed,
             @ForAll Layout la, @ForAll Layout lb) {
        Random r = new Random(seed);
        check("bmm", xs -> xs[0].bmm(xs[1]), randn(r, b, m, k).in(la), randn(r, b, k, n).in(lb));
    }

    @Property(tries = 30)
    void bmmOfPermutedBatch(@ForAll("n") int b, @ForAll("n") int m, @ForAll("n") int k, @ForAll long seed) {
        Random r = new Random(seed);
        // The batch dimension is not the outermost in storage.
        check("bmm of permuted", xs -> xs[0].permute(1, 0, 2).bmm(xs[1].permute(2, 0, 1)),
                randn(r, m, b, k), randn(r, k, 3, b));
    }

    /** matmul with operands of ranks {@code ra} and {@code rb}: 1-1, 2-1, 1-2, 2-2, 3-2, 2-3, 3-3, 1-3, 3-1, 4-2. */
    @Property(tries = 60)
    void matmulRanks(@ForAll("n") int m, @ForAll("n") int k, @ForAll("n") int n, @ForAll("n") int batch,
                     @ForAll("rankPairs") int[] ranks, @ForAll long seed, @ForAll Layout la, @ForAll Layout lb) {
        Random r = new Random(seed);
        int[] a = switch (ranks[0]) {
            case 1 -> new int[] {k};
            case 2 -> new int[] {m, k};
            case 3 -> new int[] {batch, m, k};
            default -> new int[] {2, batch, m, k};
        };
        int[] b = switch (ranks[1]) {
            case 1 -> new int[] {k};
            case 2 -> new int[] {k, n};
            case 3 -> new int[] {batch, k, n};
            default -> new int[] {2, batch, k, n};
        };
        check("matmul " + ranks[0] + "-" + ranks[1], xs -> xs[0].matmul(xs[1]), randn(r, a).in(la), randn(r, b).in(lb));
    }

    @Provide
    Arbitrary<int[]> rankPairs() {
        return net.jqwik.api.Arbitraries.of(new int[] {1, 1}, new int[] {2, 1}, new int[] {1, 2}, new int[] {2, 2},
                new int[] {3, 2}, new int[] {2, 3}, new int[] {3, 3}, new int[] {1, 3}, new int[] {3, 1},
                new int[] {4, 2}, new int[] {4, 3}, new int[] {4, 4});
    }

    /** Batch dimensions that broadcast: (2,1,3,4) x (5,4,2) and friends. */
    @Property(tries = 30)
    void matmulBroadcastBatch(@ForAll("broadcastPairs") int[][] batches, @ForAll("n") int m, @ForAll("n") int k,
                              @ForAll("n") int n, @ForAll long seed, @ForAll Layout layout) {
        Random r = new Random(seed);
        int[] a = concat(batches[0], m, k), b = concat(batches[1], k, n);
        check("matmul batch " + str(batches[0]) + " x " + str(batches[1]), xs -> xs[0].matmul(xs[1]),
                randn(r, a).in(layout), randn(r, b));
    }

    @Example
    void matmulIssueExample() {
        Random r = new Random(42);
        check("matmul (2,1,3,4) x (5,4,2)", xs -> xs[0].matmul(xs[1]), randn(r, 2, 1, 3, 4), randn(r, 5, 4, 2));
        check("matmul (5,4,2)^T-ish x (2,1,2,3)", xs -> xs[0].matmul(xs[1]), randn(r, 5, 4, 2).in(Layout.TRANSPOSED),
                randn(r, 2, 1, 2, 3));
        check("matmul (3) x (2,1,3,4)", xs -> xs[0].matmul(xs[1]), randn(r, 3), randn(r, 2, 1, 3, 4));
        check("matmul (2,1,3,4) x (4)", xs -> xs[0].matmul(xs[1]), randn(r, 2, 1, 3, 4), randn(r, 4));
    }

    @Example
    void transposedOperandsViaViews() {
        Random r = new Random(7);
        check("a.t().mm(b)", xs -> xs[0].t().mm(xs[1]), randn(r, 4, 3), randn(r, 4, 5));
        check("a.mm(b.t())", xs -> xs[0].mm(xs[1].t()), randn(r, 3, 4), randn(r, 5, 4));
        check("a.t().mv(v)", xs -> xs[0].t().mv(xs[1]), randn(r, 4, 3), randn(r, 4));
        check("sliced mm", xs -> xs[0].slice(1, 1, 7, 2).mm(xs[1].slice(0, 0, 6, 2)), randn(r, 3, 7), randn(r, 6, 2));
        check("x.mm(x)", xs -> xs[0].mm(xs[0]), randn(r, 4, 4));
        check("x.mm(x.t())", xs -> xs[0].mm(xs[0].t()), randn(r, 3, 5));
        check("v.dot(v)", xs -> xs[0].dot(xs[0]), randn(r, 6));
    }

    /** Sizes 1, 7, 17 and 1024 as each of m, k and n in turn. */
    @Property(tries = 4)
    void awkwardSizes(@ForAll("awkward") int s) {
        Random r = new Random(s);
        check("mm (" + s + ",3)x(3,2)", xs -> xs[0].mm(xs[1]), randn(r, s, 3), randn(r, 3, 2));
        check("mm (2," + s + ")x(" + s + ",3)", xs -> xs[0].mm(xs[1]), randn(r, 2, s), randn(r, s, 3));
        check("mm (2,3)x(3," + s + ")", xs -> xs[0].mm(xs[1]), randn(r, 2, 3), randn(r, 3, s).in(Layout.TRANSPOSED));
        check("mv (2," + s + ")", xs -> xs[0].mv(xs[1]), randn(r, 2, s).in(Layout.TRANSPOSED), randn(r, s));
        check("dot " + s, xs -> xs[0].dot(xs[1]), randn(r, s), randn(r, s).in(Layout.STRIDED));
        check("bmm (2,1," + s + ")x(2," + s + ",1)", xs -> xs[0].bmm(xs[1]), randn(r, 2, 1, s), randn(r, 2, s, 1));
        check("matmul (" + s + ",1,2)x(2,3)", xs -> xs[0].matmul(xs[1]), randn(r, s, 1, 2), randn(r, 2, 3));
    }

    private static int[] concat(int[] batch, int rows, int cols) {
        int[] out = java.util.Arrays.copyOf(batch, batch.length + 2);
        out[batch.length] = rows;
        out[batch.length + 1] = cols;
        return out;
    }
}
