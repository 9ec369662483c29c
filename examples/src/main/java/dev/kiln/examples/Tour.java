package dev.kiln.examples;

import dev.kiln.Kiln;
import dev.kiln.Tensor;
import dev.kiln.autograd.Autograd;
import dev.kiln.autograd.Node;

/**
 * A short tour of tensors and autograd, after PyTorch's "Tensors" and "Autograd" tutorials:
 * creating tensors, broadcasting, matmul, reductions, {@code backward()}, {@code Autograd.grad}
 * and {@code Kiln.noGrad()}.
 *
 * <p>Each step prints the Java expression, REPL style, and its value. With {@code --quiet} the
 * section headings and notes are left out. {@code --seed} seeds {@code randn}; {@code --epochs},
 * {@code --out} and {@code --eager} do not apply (nothing is trained, written or compiled).
 */
public final class Tour implements Example {

    @Override
    public String name() {
        return "tour";
    }

    @Override
    public String description() {
        return "a short tour of tensors and autograd";
    }

    @Override
    public String notes() {
        return "--seed seeds Tensor.randn; --epochs, --out and --eager do not apply (nothing is trained, written or compiled).";
    }

    @Override
    public void run(ExampleOptions o) {
        Kiln.manualSeed(o.seed());

        section(o, "Creating tensors");
        show(o, "Tensor.of(1f, 2f, 3f)", Tensor.of(1f, 2f, 3f));
        show(o, "Tensor.of(new float[][] {{1, 2}, {3, 4}})", Tensor.of(new float[][] {{1, 2}, {3, 4}}));
        show(o, "Tensor.of(0.5, 1.5)", Tensor.of(0.5, 1.5));
        show(o, "Tensor.zeros(2, 3)", Tensor.zeros(2, 3));
        show(o, "Tensor.ones(2, 3)", Tensor.ones(2, 3));
        show(o, "Tensor.arange(5)", Tensor.arange(5));
        show(o, "Tensor.arange(0, 1, 0.25)", Tensor.arange(0, 1, 0.25));
        note(o, "randn draws from the generator seeded by Kiln.manualSeed(" + o.seed() + ")");
        show(o, "Tensor.randn(2, 3)", Tensor.randn(2, 3));

        section(o, "Broadcasting arithmetic");
        Tensor a = Tensor.of(new float[][] {{1, 2, 3}, {4, 5, 6}});
        show(o, "a", a);
        note(o, "a (2x3) with a row (3): the row is repeated down the rows of a");
        show(o, "a.plus(Tensor.of(10f, 20f, 30f))", a.plus(Tensor.of(10f, 20f, 30f)));
        note(o, "a (2x3) with a column (2x1): the column is repeated across the columns of a");
        show(o, "a.times(Tensor.of(new float[][] {{1}, {-1}}))", a.times(Tensor.of(new float[][] {{1}, {-1}})));
        note(o, "and with plain numbers");
        show(o, "a.minus(1.0).div(2.0)", a.minus(1.0).div(2.0));

        section(o, "Matrix multiply");
        Tensor m = Tensor.of(new float[][] {{1, 0}, {0, 1}, {1, 1}});
        show(o, "m", m);
        show(o, "a.matmul(m)", a.matmul(m));
        show(o, "a.mm(m)", a.mm(m));

        section(o, "Reductions");
        show(o, "a.sum()", a.sum());
        show(o, "a.mean()", a.mean());
        show(o, "a.sum(0, false)", a.sum(0, false));
        show(o, "a.sum(1, true)", a.sum(1, true));
        o.result(">>> a.sum().item()");
        o.result(String.valueOf(a.sum().item()));

        section(o, "Autograd: y = w * x + b");
        Tensor x = Tensor.scalar(1.0).requiresGrad(true);
        Tensor w = Tensor.scalar(2.0).requiresGrad(true);
        Tensor b = Tensor.scalar(3.0).requiresGrad(true);
        Tensor y = w.times(x).plus(b);
        show(o, "y", y);
        Node fn = y.gradFn();
        o.result(">>> y.gradFn().name()");
        o.result(fn == null ? "null" : fn.name());
        note(o, "backward() fills .grad of every leaf that requires grad: dy/dx = w, dy/dw = x, dy/db = 1");
        y.backward();
        show(o, "x.grad()", x.grad());
        show(o, "w.grad()", w.grad());
        show(o, "b.grad()", b.grad());

        section(o, "Autograd.grad: a gradient without touching .grad");
        Tensor u = Tensor.scalar(3.0).requiresGrad(true);
        Tensor f = u.times(u).times(u);
        show(o, "f = u.times(u).times(u)   // u = 3", f);
        note(o, "df/du = 3 u^2 = 27");
        Tensor[] grads = Autograd.grad(f, u);
        show(o, "Autograd.grad(f, u)[0]", grads[0]);

        section(o, "Kiln.noGrad(): nothing is recorded");
        try (var _ = Kiln.noGrad()) {
            Tensor z = w.times(x);
            o.result(">>> w.times(x).gradFn()   // inside noGrad()");
            o.result(z.gradFn() == null ? "null" : z.gradFn().name());
        }
        Tensor z = w.times(x);
        o.result(">>> w.times(x).gradFn()   // outside");
        o.result(z.gradFn() == null ? "null" : z.gradFn().name());
    }

    private static void section(ExampleOptions o, String title) {
        o.info("");
        o.info("== " + title + " ==");
    }

    private static void note(ExampleOptions o, String text) {
        o.info("# " + text);
    }

    private static void show(ExampleOptions o, String code, Tensor value) {
        o.result(">>> " + code);
        o.result(String.valueOf(value));
    }
}
