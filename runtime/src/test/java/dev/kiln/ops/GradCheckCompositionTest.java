package dev.kiln.ops;

import static dev.kiln.ops.GradCheck.awayFrom;
import static dev.kiln.ops.GradCheck.check;
import static dev.kiln.ops.GradCheck.randn;
import static dev.kiln.ops.GradCheck.uniform;

import dev.kiln.Tensor;
import dev.kiln.ops.GradCheck.Input;
import dev.kiln.ops.GradCheck.Layout;
import java.util.List;
import java.util.Random;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Gradients of chains of operations: a two-layer MLP with log-softmax, tensors used more than once,
 * non-contiguous intermediate views, and the awkward sizes.
 */
class GradCheckCompositionTest extends GradCheckArbitraries {

    @Provide
    Arbitrary<Integer> n() {
        return size();
    }

    /**
     * Hidden pre-activations away from relu's kink: the first layer's inputs are shifted so that no
     * x.mm(w1) + b1 lands within 1e-3 of zero (checked, and the sample redrawn with a new seed if so).
     */
    private static Input[] mlpInputs(Random r, int batch, int in, int hidden, int out) {
        for (int attempt = 0; ; attempt++) {
            Input x = randn(r, batch, in), w1 = randn(r, in, hidden), b1 = randn(r, hidden);
            Input w2 = randn(r, hidden, out), b2 = randn(r, out);
            double[] pre = x.tensor().mm(w1.tensor()).plus(b1.tensor()).toDoubleArray();
            boolean safe = true;
            for (double v : pre) {
                safe &= Math.abs(v) > 1e-3;
            }
            if (safe || attempt > 100) {
                return new Input[] {x, w1, b1, w2, b2};
            }
        }
    }

    @Property(tries = 30)
    void twoLayerMlp(@ForAll("n") int batch, @ForAll("n") int in, @ForAll("n") int hidden, @ForAll("n") int out,
                     @ForAll long seed) {
        Input[] p = mlpInputs(new Random(seed), batch, in, hidden, out);
        check("mlp", xs -> xs[0].mm(xs[1]).plus(xs[2]).relu().mm(xs[3]).plus(xs[4]).logSoftmax(1), p);
    }

    @Property(tries = 30)
    void mlpWithLoss(@ForAll("n") int batch, @ForAll("n") int in, @ForAll("n") int hidden, @ForAll("n") int out,
                     @ForAll long seed) {
        Random r = new Random(seed);
        Input[] p = mlpInputs(r, batch, in, hidden, out);
        long[] labels = new long[batch];
        boolean[] oneHot = new boolean[batch * out];
        for (int i = 0; i < batch; i++) {
            labels[i] = r.nextInt(out);
            oneHot[i * out + (int) labels[i]] = true;
        }
        Tensor mask = Tensor.of(oneHot).reshape(batch, out);
        // Negative log-likelihood through where + mean, and a matmul/tanh/sigmoid variant of the network.
        check("mlp nll", xs -> Tensor.where(mask, xs[0].matmul(xs[1]).plus(xs[2]).clampMin(0).matmul(xs[3]).plus(xs[4])
                .logSoftmax(-1), 0.0).sum(1).mean().unaryMinus(), p);
        check("tanh-sigmoid net", xs -> xs[0].mm(xs[1]).plus(xs[2]).tanh().mm(xs[3]).sigmoid().softmax(0), p[0], p[1],
                p[2], p[3]);
    }

    @Property(tries = 30)
    void tensorUsedSeveralTimes(@ForAll("shapes") int[] shape, @ForAll long seed, @ForAll Layout layout) {
        Random r = new Random(seed);
        check("x * x", xs -> xs[0].times(xs[0]), randn(r, shape).in(layout));
        check("x * exp(x) - x / (|x| + 1)", xs -> xs[0].times(xs[0].exp()).minus(xs[0].div(xs[0].abs().plus(1.0))),
                awayFrom(r, 1e-3, new double[] {0}, shape).in(layout));
        check("sum(x) * x", xs -> xs[0].sum().times(xs[0]), randn(r, shape).in(layout));
        check("x * softmax(x)", xs -> xs[0].times(xs[0].softmax(-1)), randn(r, shape).in(layout));
        check("(x - mean(x))^2 / sqrt(mean((x - mean)^2) + 1)", xs -> {
            Tensor c = xs[0].minus(xs[0].mean());
            return c.times(c).div(c.pow(2).mean().plus(1.0).sqrt());
        }, randn(r, shape).in(layout));
    }

    @Property(tries = 30)
    void broadcastChains(@ForAll("broadcastPairs") int[][] s, @ForAll long seed) {
        Random r = new Random(seed);
        check("(a + b) * a - b.exp() / (a^2 + 1)",
                xs -> xs[0].plus(xs[1]).times(xs[0]).minus(xs[1].exp().div(xs[0].pow(2).plus(1.0))),
                randn(r, s[0]), randn(r, s[1]));
        check("log(a) * sigmoid(b) + a.pow(b)", xs -> xs[0].log().times(xs[1].sigmoid()).plus(xs[0].pow(xs[1])),
                uniform(r, 0.3, 2, s[0]), randn(r, s[1]));
    }

    @Property(tries = 30)
    void nonContiguousIntermediates(@ForAll("n") int a, @ForAll("n") int b, @ForAll("n") int c, @ForAll long seed) {
        Random r = new Random(seed);
        check("x.t() * y", xs -> xs[0].t().times(xs[1]), randn(r, a, b), randn(r, b, a));
        check("x.t().exp().sum(0)", xs -> xs[0].t().exp().sum(0), randn(r, a, b));
        check("x.permute(2,0,1).softmax(1)", xs -> xs[0].permute(2, 0, 1).softmax(1), randn(r, a, b, c));
        check("x.slice(1, 0, b, 2).tanh().mm(y)", xs -> xs[0].slice(1, 0, b, 2).tanh().mm(xs[1]),
                randn(r, a, b), randn(r, (b + 1) / 2, c));
        check("x.expand(a,b,c) * y", xs -> xs[0].expand(a, b, c).times(xs[1]), randn(r, 1, b, 1), randn(r, a, b, c));
        check("x.transpose(0,2).reshape(-1, a).mm(y)", xs -> xs[0].transpose(0, 2).reshape(-1, a).mm(xs[1]),
                randn(r, a, b, c), randn(r, a, 2));
        // max of x and 1 - x: each element's gradient comes through one branch or the other.
        check("stack(x.t(), 1 - x.t()).max(0).values", xs -> Tensor.stack(List.of(xs[0].t(), xs[0].t().unaryMinus()
                .plus(1.0)), 0).max(0).values(), awayFrom(r, 1e-3, new double[] {0.5}, a, b));
    }

    @Example
    void mlpAtAwkwardSizes() {
        Random r = new Random(11);
        for (int n : new int[] {1, 7, 17}) {
            check("mlp batch " + n, xs -> xs[0].mm(xs[1]).plus(xs[2]).relu().mm(xs[3]).plus(xs[4]).logSoftmax(1),
                    mlpInputs(r, n, 3, n, 4));
        }
        // 1024 features into a small hidden layer.
        check("mlp 1024 features", xs -> xs[0].mm(xs[1]).plus(xs[2]).relu().mm(xs[3]).plus(xs[4]).logSoftmax(1),
                mlpInputs(r, 2, 1024, 3, 2));
    }

    /** Elementwise chains over 1-d tensors of the awkward sizes, contiguous and strided. */
    @Property(tries = 8)
    void awkwardSizes(@ForAll("awkward") int n, @ForAll boolean strided) {
        Random r = new Random(n);
        Layout l = strided ? Layout.STRIDED : Layout.CONTIGUOUS;
        check("elementwise chain of " + n, xs -> xs[0].exp().plus(xs[1].tanh()).plus(1.0).times(xs[0].sigmoid()).div(
                xs[1].pow(2).plus(1.0)).sqrt(), randn(r, n).in(l), randn(r, n));
        check("relu/abs/clamp of " + n, xs -> xs[0].relu().plus(xs[0].abs()).plus(xs[0].clamp(-0.5, 0.5)),
                awayFrom(r, 1e-3, new double[] {0, -0.5, 0.5}, n).in(l));
        check("log-sum-exp of " + n, xs -> xs[0].exp().sum().log(), randn(r, n).in(l));
        int m = n <= 17 ? n : 3; // (1024,1) x (1,1024) would be a million outputs per evaluation
        check("broadcast (" + n + ",1) with (1," + m + ")", xs -> xs[0].times(xs[1]).tanh(), randn(r, n, 1),
                randn(r, 1, m));
        check("0-d with " + n, xs -> xs[0].times(xs[1]).plus(xs[0]), randn(r), randn(r, n).in(l));
        check("where of " + n, xs -> Tensor.where(xs[0].gt(0.0), xs[0], xs[1]), awayFrom(r, 1e-3, new double[] {0}, n),
                randn(r, n).in(l));
    }
}
