package dev.kiln.ops;

import static dev.kiln.ops.GradCheck.awayFrom;
import static dev.kiln.ops.GradCheck.check;
import static dev.kiln.ops.GradCheck.distinct;
import static dev.kiln.ops.GradCheck.nonZero;
import static dev.kiln.ops.GradCheck.randn;
import static dev.kiln.ops.GradCheck.uniform;

import dev.kiln.Tensor;
import dev.kiln.ops.GradCheck.Fn;
import dev.kiln.ops.GradCheck.Input;
import java.util.List;
import java.util.Random;
import java.util.function.Function;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;

/**
 * Each operation's derivative receiving gradients in unusual layouts: the operation is followed by
 * another that hands back an expanded (stride 0), transposed, permuted or strided gradient, so the
 * derivatives and the kernels they call must read their incoming gradient through its strides.
 */
class GradCheckUpstreamLayoutTest extends GradCheckArbitraries {

    /** What follows the operation under test, and so what layout its incoming gradient has. */
    enum Post {
        NONE(y -> y),
        /** Gradient is a transposed view. */
        TRANSPOSE(y -> y.dim() >= 2 ? y.transpose(0, y.dim() - 1) : y),
        /** Gradient is expanded along the last dimension (stride 0). */
        SUM_LAST_KEEPDIM(y -> y.dim() >= 1 ? y.sum(-1, true) : y),
        /** Gradient is a 0-d value expanded to the whole shape. */
        SUM(Tensor::sum),
        /** Gradient is a scaled, expanded 0-d value. */
        MEAN(Tensor::mean),
        /** Gradient is permuted (reversed dimensions). */
        PERMUTE(y -> {
            int[] order = new int[y.dim()];
            for (int i = 0; i < order.length; i++) {
                order[i] = order.length - 1 - i;
            }
            return y.permute(order);
        }),
        /** Gradient has zeros at every other position of the first dimension. */
        SLICE(y -> y.dim() >= 1 ? y.slice(0, 0, y.size(0), 2) : y),
        /** Gradient is summed over a broadcast leading dimension. */
        BROADCAST(y -> y.unsqueeze(0).times(Tensor.of(1.0, -2.0, 0.5).reshape(concat(3, y.dim()))));

        final Function<Tensor, Tensor> f;

        Post(Function<Tensor, Tensor> f) {
            this.f = f;
        }

        private static int[] concat(int first, int ones) {
            int[] s = new int[ones + 1];
            java.util.Arrays.fill(s, 1);
            s[0] = first;
            return s;
        }
    }

    /** An operation under test with inputs for it. */
    record Case(String name, Fn f, Input... inputs) {}

    private static int n(Random r) {
        return 1 + r.nextInt(4);
    }

    /** The operations, each with random sizes drawn from {@code r}. */
    private static List<Case> cases(Random r) {
        int a = n(r), b = n(r), c = n(r), k = n(r);
        double[] zero = {0};
        return List.of(
                new Case("mm", xs -> xs[0].mm(xs[1]), randn(r, a, k), randn(r, k, b)),
                new Case("mv", xs -> xs[0].mv(xs[1]), randn(r, a, k), randn(r, k)),
                new Case("bmm", xs -> xs[0].bmm(xs[1]), randn(r, c, a, k), randn(r, c, k, b)),
                new Case("matmul 3-2", xs -> xs[0].matmul(xs[1]), randn(r, c, a, k), randn(r, k, b)),
                new Case("matmul 1-3", xs -> xs[0].matmul(xs[1]), randn(r, k), randn(r, c, k, b)),
                new Case("matmul batch", xs -> xs[0].matmul(xs[1]), randn(r, 2, 1, a, k), randn(r, c, k, b)),
                new Case("times", xs -> xs[0].times(xs[1]), randn(r, a, 1, c), randn(r, b, 1)),
                new Case("div", xs -> xs[0].div(xs[1]), randn(r, a, b), nonZero(r, 0.5, 2, b)),
                new Case("pow", xs -> xs[0].pow(xs[1]), uniform(r, 0.3, 2, a, b), randn(r, a, 1)),
                new Case("pow(2.5)", xs -> xs[0].pow(2.5), uniform(r, 0.3, 2, a, b)),
                new Case("exp", xs -> xs[0].exp(), randn(r, a, b)),
                new Case("log", xs -> xs[0].log(), uniform(r, 0.3, 2, a, b)),
                new Case("sqrt", xs -> xs[0].sqrt(), uniform(r, 0.3, 2, a, b)),
                new Case("abs", xs -> xs[0].abs(), awayFrom(r, 1e-3, zero, a, b)),
                new Case("relu", xs -> xs[0].relu(), awayFrom(r, 1e-3, zero, a, b)),
                new Case("sigmoid", xs -> xs[0].sigmoid(), randn(r, a, b)),
                new Case("tanh", xs -> xs[0].tanh(), randn(r, a, b)),
                new Case("clamp", xs -> xs[0].clamp(-0.5, 0.5), awayFrom(r, 1e-3, new double[] {-0.5, 0.5}, a, b)),
                new Case("softmax", xs -> xs[0].softmax(1), randn(r, a, b, c)),
                new Case("logSoftmax", xs -> xs[0].logSoftmax(0), randn(r, a, b)),
                new Case("sum(dim)", xs -> xs[0].sum(1), randn(r, a, b, c)),
                new Case("mean(dims)", xs -> xs[0].mean(new int[] {0, 2}, true), randn(r, a, b, c)),
                new Case("max(dim)", xs -> xs[0].max(1).values(), distinct(r, a, b, c)),
                new Case("min(dim)", xs -> xs[0].min(0, true).values(), distinct(r, a, b)),
                new Case("max()", xs -> xs[0].max(), distinct(r, a, b)),
                new Case("indexSelect", xs -> xs[0].indexSelect(1, Tensor.of(0L, (long) b - 1, 0L)), randn(r, a, b, c)),
                new Case("cat", xs -> Tensor.cat(List.of(xs[0], xs[1]), 1), randn(r, a, b), randn(r, a, c)),
                new Case("stack", xs -> Tensor.stack(List.of(xs[0], xs[1]), 1), randn(r, a, b), randn(r, a, b)),
                new Case("slice", xs -> xs[0].slice(1, 0, b, 2), randn(r, a, b, c)),
                new Case("select", xs -> xs[0].select(1, b - 1), randn(r, a, b, c)),
                new Case("where", xs -> Tensor.where(Tensor.of(true, false, true).reshape(3, 1), xs[0], xs[1]),
                        randn(r, 3, b), randn(r, b)),
                new Case("maskedFill", xs -> xs[0].maskedFill(Tensor.of(false, true).reshape(2, 1, 1), 3.0),
                        randn(r, 2, a, b)),
                new Case("expand", xs -> xs[0].expand(a, b, c), randn(r, 1, b, 1)),
                new Case("reshape", xs -> xs[0].reshape(b, -1), randn(r, a, b)),
                new Case("transpose", xs -> xs[0].transpose(0, 2), randn(r, a, b, c)),
                new Case("unsqueeze", xs -> xs[0].unsqueeze(1), randn(r, a, b)),
                new Case("squeeze", xs -> xs[0].squeeze(1), randn(r, a, 1, b)),
                new Case("clone", xs -> xs[0].clone(), randn(r, a, b)),
                new Case("contiguous", xs -> xs[0].t().contiguous(), randn(r, a, b)));
    }

    @Property(tries = 50)
    void everyOperationUnderEveryUpstreamLayout(@ForAll Post post, @ForAll long seed) {
        for (Case c : cases(new Random(seed))) {
            check(c.name() + " then " + post, xs -> post.f.apply(c.f().apply(xs)), c.inputs());
        }
    }
}
