package dev.kiln.optim;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.DType;
import dev.kiln.Parameter;
import dev.kiln.Tensor;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Runs an optimizer on a small parameter with fixed gradients and compares every step with a
 * reference written in plain Java doubles from PyTorch's documented pseudo-code.
 */
final class OptimTesting {
    private OptimTesting() {}

    /** The parameter's starting value (used as a 2x2 tensor). */
    static final double[] THETA0 = {1.0, -2.0, 0.5, 3.0};

    /** A gradient per step: mixed signs, a zero, a tiny and a large entry. */
    static final double[][] GRADS = {
        {0.5, -1.0, 2.0, 0.0},
        {0.1, 0.3, -0.7, 1e-3},
        {-0.4, 0.9, 0.2, -2.5},
        {1.5, -0.2, 0.0, 0.8},
        {-0.3, -0.6, 1.1, 0.4},
        {0.05, 1.2, -0.9, -0.1},
    };

    /** Gradients that shrink after two large steps, so that AMSGrad's running maximum matters. */
    static final double[][] SHRINKING_GRADS = {
        {3.0, -2.5, 2.0, -4.0},
        {2.0, -2.0, 1.5, -3.0},
        {0.1, 0.1, -0.1, 0.2},
        {0.05, -0.02, 0.01, 0.1},
        {0.2, 0.1, 0.3, -0.1},
        {0.01, 0.02, -0.03, 0.04},
    };

    /** One step of a reference algorithm: updates {@code theta} in place from {@code grad} at step {@code t} (from 1). */
    @FunctionalInterface
    interface Reference {
        void step(double[] theta, double[] grad, int t);
    }

    /** A float64 2x2 parameter holding {@code values}. */
    static Parameter param(double... values) {
        return new Parameter(Tensor.of(values).reshape(2, 2));
    }

    /** A float64 2x2 gradient. */
    static Tensor grad(double[] values) {
        return Tensor.of(values).reshape(2, 2);
    }

    /** The tolerance for float32 parameters, whose elements and state are rounded to float at each step. */
    static final double FLOAT32_TOLERANCE = 2e-6;

    /**
     * Runs the optimizer made by {@code make} for every row of {@code grads} on a float64 parameter
     * starting at {@link #THETA0}, and checks the parameter against {@code reference} after each step,
     * with relative tolerance 1e-12; runs a second optimizer made by {@code make} alongside on a
     * float32 parameter with float32 gradients, checked to {@link #FLOAT32_TOLERANCE}, whose state
     * must stay float32.
     */
    static void assertMatchesReference(Function<List<Parameter>, Optimizer> make, Reference reference, double[][] grads) {
        Parameter p = param(THETA0);
        Parameter p32 = new Parameter(Tensor.of(THETA0).toFloat().reshape(2, 2));
        Optimizer optimizer = make.apply(List.of(p));
        Optimizer optimizer32 = make.apply(List.of(p32));
        double[] theta = THETA0.clone();
        for (int t = 1; t <= grads.length; t++) {
            p.setGrad(grad(grads[t - 1]));
            p32.setGrad(grad(grads[t - 1]).toFloat());
            optimizer.step();
            optimizer32.step();
            reference.step(theta, grads[t - 1], t);
            assertClose(p.toDoubleArray(), theta, 1e-12, "step " + t);
            assertClose(p32.toDoubleArray(), theta, FLOAT32_TOLERANCE, "float32, step " + t);
        }
        assertThat(p.dtype()).isEqualTo(DType.FLOAT64);
        assertThat(p32.dtype()).isEqualTo(DType.FLOAT32);
        for (Map<String, Tensor> state : optimizer32.stateDict().state().values()) {
            state.forEach((key, tensor) -> assertThat(tensor.dtype()).as(key).isEqualTo(DType.FLOAT32));
        }
    }

    /** {@link #assertMatchesReference(Function, Reference, double[][])} with {@link #GRADS}. */
    static void assertMatchesReference(Function<List<Parameter>, Optimizer> make, Reference reference) {
        assertMatchesReference(make, reference, GRADS);
    }

    /** Checks {@code actual} against {@code expected} elementwise, to a relative tolerance (absolute near 0). */
    static void assertClose(double[] actual, double[] expected, double tolerance, String what) {
        assertThat(actual).as(what).hasSize(expected.length);
        for (int i = 0; i < expected.length; i++) {
            double scale = Math.max(1, Math.abs(expected[i]));
            assertThat(Math.abs(actual[i] - expected[i]))
                    .as("%s, element %d: expected %s but was %s", what, i, expected[i], actual[i])
                    .isLessThanOrEqualTo(tolerance * scale);
        }
    }

    static double[] zeros() {
        return new double[THETA0.length];
    }
}
