package dev.kiln.examples;

import java.util.Arrays;
import java.util.stream.Collectors;

import dev.kiln.Kiln;
import dev.kiln.Tensor;
import dev.kiln.autograd.Autograd;

/**
 * Autograd from the ground up: {@code requiresGrad}, {@code backward()}, {@code grad()},
 * {@code gradFn()}, {@code isLeaf()}, gradients accumulating over a retained graph,
 * {@code Autograd.grad} and {@code Kiln.noGrad()}.
 *
 * <p>Each step prints the Java expression, REPL style, then its value; {@code --quiet} drops the
 * headings and notes. {@code --seed} seeds the random tensors.
 */
public final class AutogradBasics implements Example {

    @Override
    public String name() {
        return "autograd";
    }

    @Override
    public String description() {
        return "requires_grad, backward, grad, grad_fn, is_leaf, retain_graph, Autograd.grad, no-grad";
    }

    @Override
    public String notes() {
        return "--seed seeds the random tensors; --epochs, --out and --eager do not apply.";
    }

    @Override
    public void run(ExampleOptions o) {
        Kiln.manualSeed(o.seed());

        section(o, "Gradients of a sum: y = (x + b).sum()");
        Tensor x = Tensor.randn(3, 4).requiresGrad(true);
        show(o, "x", x);
        Tensor b = Tensor.randn(3, 4).requiresGrad(true);
        Tensor t = x.plus(b);
        Tensor y = t.sum();
        show(o, "y", y);
        y.backward();
        o.info("y.backward()");
        show(o, "b.grad()", b.grad());
        note(o, "y was never marked, but it is computed from tensors that require grad, so it does too");
        show(o, "x.requiresGrad(), b.requiresGrad(), y.requiresGrad()",
                tuple(x.requiresGrad(), b.requiresGrad(), y.requiresGrad()));

        section(o, "A small graph: y = w * x, z = y + b");
        Tensor x1 = Tensor.rand(1);
        Tensor b1 = Tensor.rand(1).requiresGrad(true);
        Tensor w1 = Tensor.rand(1).requiresGrad(true);
        Tensor y1 = w1.times(x1);
        Tensor z1 = y1.plus(b1);
        show(o, "x, w, b", tuple(x1, w1, b1));
        show(o, "x.requiresGrad(), b.requiresGrad(), w.requiresGrad(), y.requiresGrad()",
                tuple(x1.requiresGrad(), b1.requiresGrad(), w1.requiresGrad(), y1.requiresGrad()));
        note(o, "leaves are the tensors created by the user; y and z are results of operations");
        show(o, "x.isLeaf(), w.isLeaf(), b.isLeaf(), y.isLeaf(), z.isLeaf()",
                tuple(x1.isLeaf(), w1.isLeaf(), b1.isLeaf(), y1.isLeaf(), z1.isLeaf()));
        show(o, "y.gradFn(), z.gradFn()", tuple(y1.gradFn().name(), z1.gradFn().name()));
        note(o, "dz/dw = x and dz/db = 1; retainGraph keeps the graph for a second backward");
        z1.backward(true);
        o.info("z.backward(true)");
        show(o, "w.grad()", w1.grad());
        show(o, "b.grad()", b1.grad());
        note(o, "a second backward adds to the gradients: they accumulate until zeroed");
        z1.backward();
        o.info("z.backward()");
        show(o, "w.grad()", w1.grad());
        show(o, "b.grad()", b1.grad());
        w1.grad().zero();
        b1.grad().zero();
        o.info("w.grad().zero(); b.grad().zero()");
        show(o, "w.grad(), b.grad()", tuple(w1.grad(), b1.grad()));

        section(o, "Autograd.grad: gradients returned, grad() left alone");
        Tensor s = Tensor.scalar(1.0).requiresGrad(true);
        Tensor sq = s.pow(2);
        show(o, "Autograd.grad(x.pow(2), x)", tuple((Object[]) Autograd.grad(sq, s)));
        Tensor z2 = s.pow(2);
        Tensor label = Tensor.scalar(2.0).requiresGrad(true);
        Tensor sigma = z2.sigmoid();
        // loss = -(y log(sigma) + (1 - y) log(1 - sigma)), the binary cross-entropy written out
        Tensor loss = label.times(sigma.log())
                .plus(label.unaryMinus().plus(1.0).times(sigma.unaryMinus().plus(1.0).log()))
                .unaryMinus();
        show(o, "loss", loss);
        note(o, "d loss / d y = log(1 - sigma) - log(sigma) = -x^2 = -1");
        show(o, "Autograd.grad(loss, y)", tuple((Object[]) Autograd.grad(loss, label)));
        show(o, "x.grad()", s.grad());

        section(o, "No grad: nothing is recorded");
        Tensor w3 = Tensor.scalar(2.0).requiresGrad(true);
        Tensor x3 = Tensor.scalar(1.0);
        Tensor recorded = w3.times(x3).plus(3.0);
        show(o, "w * x + 3", recorded);
        try (var noGrad = Kiln.noGrad()) {
            Tensor plain = w3.times(x3).plus(3.0);
            o.info("try (var noGrad = Kiln.noGrad()) { ... }");
            show(o, "w * x + 3 (inside noGrad)", plain);
            show(o, "requiresGrad(), gradFn()", tuple(plain.requiresGrad(), plain.gradFn()));
        }
        show(o, "(w * x + 3).detach()", recorded.detach());
    }

    private static String tuple(Object... values) {
        String inner = Arrays.stream(values).map(AutogradBasics::py).collect(Collectors.joining(", "));
        return "(" + inner + (values.length == 1 ? ",)" : ")");
    }

    private static String py(Object v) {
        if (v == null) {
            return "None";
        }
        if (v instanceof Boolean bool) {
            return bool ? "True" : "False";
        }
        return v.toString();
    }

    private static void section(ExampleOptions o, String title) {
        o.info("");
        o.info("== " + title + " ==");
    }

    private static void note(ExampleOptions o, String text) {
        o.info("# " + text);
    }

    private static void show(ExampleOptions o, String expression, Object value) {
        o.result(">>> " + expression);
        o.result(py(value));
    }
}
