package dev.kiln.loss;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.DType;
import dev.kiln.Kiln;
import dev.kiln.Tensor;
import java.util.Arrays;
import java.util.Random;
import java.util.function.Function;

/**
 * Checks a loss's autograd gradients against central finite differences in float64. The output is
 * weighted by random numbers (so {@link Reduction#NONE} outputs are checked in every element) through
 * {@code backward(gradient)}; the numeric side evaluates the loss under {@code noGrad} and weights the
 * output's elements in plain Java.
 */
final class FiniteDifferences {
    static final double EPS = 1e-6;
    static final double ATOL = 1e-6;
    static final double RTOL = 1e-5;

    private FiniteDifferences() {}

    /**
     * Differentiates {@code f} with respect to each of {@code inputs} (float64 tensors; each becomes a
     * fresh leaf requiring grad) and compares with central differences.
     */
    static void check(String what, Function<Tensor[], Tensor> f, Tensor... inputs) {
        for (Tensor t : inputs) {
            assertThat(t.dtype()).as("%s: inputs must be float64", what).isEqualTo(DType.FLOAT64);
        }
        Tensor[] leaves = new Tensor[inputs.length];
        for (int i = 0; i < inputs.length; i++) {
            leaves[i] = inputs[i].detach().clone().requiresGrad(true);
        }
        Tensor y = f.apply(leaves);
        assertThat(y.requiresGrad()).as("%s: output records a gradient", what).isTrue();
        Random r = new Random(what.hashCode());
        double[] w = new double[y.numel()];
        for (int i = 0; i < w.length; i++) {
            w[i] = r.nextGaussian();
        }
        y.backward(Tensor.of(w).reshape(y.shape().toArray()));
        for (int i = 0; i < inputs.length; i++) {
            Tensor g = leaves[i].grad();
            assertThat(g).as("%s: gradient of input %d", what, i).isNotNull();
            assertThat(g.shape()).as("%s: gradient shape of input %d", what, i).isEqualTo(inputs[i].shape());
            double[] analytic = g.toDoubleArray();
            double[] numeric = numeric(f, inputs, i, w);
            for (int j = 0; j < numeric.length; j++) {
                double a = analytic[j], n = numeric[j];
                assertThat(Math.abs(a - n) <= ATOL + RTOL * Math.abs(n))
                        .as("%s: input %d element %d: analytic %s, numeric %s (analytic %s, numeric %s)", what, i, j,
                                a, n, Arrays.toString(analytic), Arrays.toString(numeric))
                        .isTrue();
            }
        }
    }

    private static double[] numeric(Function<Tensor[], Tensor> f, Tensor[] inputs, int which, double[] w) {
        double[] base = inputs[which].toDoubleArray();
        int[] shape = inputs[which].shape().toArray();
        double[] out = new double[base.length];
        try (var noGrad = Kiln.noGrad()) {
            Tensor[] xs = inputs.clone();
            for (int j = 0; j < base.length; j++) {
                double[] plus = base.clone(), minus = base.clone();
                plus[j] += EPS;
                minus[j] -= EPS;
                xs[which] = Tensor.of(plus).reshape(shape);
                double fp = weighted(f.apply(xs), w);
                xs[which] = Tensor.of(minus).reshape(shape);
                double fm = weighted(f.apply(xs), w);
                out[j] = (fp - fm) / (2 * EPS);
            }
        }
        return out;
    }

    private static double weighted(Tensor y, double[] w) {
        double[] v = y.toDoubleArray();
        double s = 0;
        for (int i = 0; i < v.length; i++) {
            s += v[i] * w[i];
        }
        return s;
    }
}
