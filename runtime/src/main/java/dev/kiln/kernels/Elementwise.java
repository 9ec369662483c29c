package dev.kiln.kernels;

import java.util.function.DoubleBinaryOperator;
import java.util.function.DoubleUnaryOperator;
import java.util.function.LongBinaryOperator;
import java.util.function.LongUnaryOperator;

/**
 * Elementwise loops over contiguous arrays. Binary loops take operands of length {@code n} or 1 (a
 * broadcast scalar); results are computed in double and rounded once to the output type.
 */
public final class Elementwise {
    private static final KernelProvider PROVIDER = Kernels.provider();

    private Elementwise() {}

    /** A comparison computed on the operands' common type. */
    public interface Comparison {
        boolean test(double a, double b);

        boolean test(long a, long b);
    }

    /** {@code f} on every element, by the {@linkplain Kernels#provider() provider}'s loop for it. */
    public static float[] unary(UnaryFunction f, float[] a) {
        float[] out = new float[a.length];
        PROVIDER.unary(f, a, out);
        return out;
    }

    /** {@code f} on every element, by the {@linkplain Kernels#provider() provider}'s loop for it. */
    public static double[] unary(UnaryFunction f, double[] a) {
        double[] out = new double[a.length];
        PROVIDER.unary(f, a, out);
        return out;
    }

    public static float[] map(float[] a, DoubleUnaryOperator f) {
        float[] out = new float[a.length];
        for (int i = 0; i < a.length; i++) {
            out[i] = (float) f.applyAsDouble(a[i]);
        }
        return out;
    }

    public static double[] map(double[] a, DoubleUnaryOperator f) {
        double[] out = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            out[i] = f.applyAsDouble(a[i]);
        }
        return out;
    }

    public static long[] map(long[] a, LongUnaryOperator f) {
        long[] out = new long[a.length];
        for (int i = 0; i < a.length; i++) {
            out[i] = f.applyAsLong(a[i]);
        }
        return out;
    }

    public static float[] zip(float[] a, float[] b, int n, DoubleBinaryOperator f) {
        float[] out = new float[n];
        if (a.length == n && b.length == n) {
            for (int i = 0; i < n; i++) {
                out[i] = (float) f.applyAsDouble(a[i], b[i]);
            }
        } else if (b.length == 1) {
            double y = b[0];
            for (int i = 0; i < n; i++) {
                out[i] = (float) f.applyAsDouble(a[a.length == 1 ? 0 : i], y);
            }
        } else {
            double x = a[0];
            for (int i = 0; i < n; i++) {
                out[i] = (float) f.applyAsDouble(x, b[i]);
            }
        }
        return out;
    }

    /** The four arithmetic operations, which get loops of their own for float32. */
    public enum Arithmetic {
        ADD,
        SUB,
        MUL,
        DIV
    }

    /**
     * {@code a op b} for float32 operands of length {@code n} or 1, as {@link #zip(float[], float[], int,
     * DoubleBinaryOperator)} computes it (float arithmetic is correctly rounded, so the results are the
     * same bits), but with one plain loop per operation instead of a call per element, which the JIT
     * vectorises: these four carry most of a training step's elementwise work.
     */
    public static float[] arithmetic(Arithmetic op, float[] a, float[] b, int n) {
        if (a.length != n) {
            // A broadcast left operand is rare (scalar - tensor): the general loop serves it.
            return zip(a, b, n, switch (op) {
                case ADD -> Double::sum;
                case SUB -> (p, q) -> p - q;
                case MUL -> (p, q) -> p * q;
                case DIV -> (p, q) -> p / q;
            });
        }
        float[] out = new float[n];
        if (b.length == n) {
            switch (op) {
                case ADD -> add(a, b, out);
                case SUB -> sub(a, b, out);
                case MUL -> mul(a, b, out);
                case DIV -> div(a, b, out);
            }
        } else {
            float s = b[0];
            switch (op) {
                case ADD -> addScalar(a, s, out);
                case SUB -> addScalar(a, -s, out);
                case MUL -> mulScalar(a, s, out);
                case DIV -> divScalar(a, s, out);
            }
        }
        return out;
    }

    private static void add(float[] a, float[] b, float[] out) {
        for (int i = 0; i < out.length; i++) {
            out[i] = a[i] + b[i];
        }
    }

    private static void sub(float[] a, float[] b, float[] out) {
        for (int i = 0; i < out.length; i++) {
            out[i] = a[i] - b[i];
        }
    }

    private static void mul(float[] a, float[] b, float[] out) {
        for (int i = 0; i < out.length; i++) {
            out[i] = a[i] * b[i];
        }
    }

    private static void div(float[] a, float[] b, float[] out) {
        for (int i = 0; i < out.length; i++) {
            out[i] = a[i] / b[i];
        }
    }

    private static void addScalar(float[] a, float s, float[] out) {
        for (int i = 0; i < out.length; i++) {
            out[i] = a[i] + s;
        }
    }

    private static void mulScalar(float[] a, float s, float[] out) {
        for (int i = 0; i < out.length; i++) {
            out[i] = a[i] * s;
        }
    }

    private static void divScalar(float[] a, float s, float[] out) {
        for (int i = 0; i < out.length; i++) {
            out[i] = a[i] / s;
        }
    }

    public static double[] zip(double[] a, double[] b, int n, DoubleBinaryOperator f) {
        double[] out = new double[n];
        if (a.length == n && b.length == n) {
            for (int i = 0; i < n; i++) {
                out[i] = f.applyAsDouble(a[i], b[i]);
            }
        } else if (b.length == 1) {
            double y = b[0];
            for (int i = 0; i < n; i++) {
                out[i] = f.applyAsDouble(a[a.length == 1 ? 0 : i], y);
            }
        } else {
            double x = a[0];
            for (int i = 0; i < n; i++) {
                out[i] = f.applyAsDouble(x, b[i]);
            }
        }
        return out;
    }

    public static long[] zip(long[] a, long[] b, int n, LongBinaryOperator f) {
        long[] out = new long[n];
        for (int i = 0; i < n; i++) {
            out[i] = f.applyAsLong(a[a.length == 1 ? 0 : i], b[b.length == 1 ? 0 : i]);
        }
        return out;
    }

    public static boolean[] compare(double[] a, double[] b, int n, Comparison c) {
        boolean[] out = new boolean[n];
        for (int i = 0; i < n; i++) {
            out[i] = c.test(a[a.length == 1 ? 0 : i], b[b.length == 1 ? 0 : i]);
        }
        return out;
    }

    public static boolean[] compare(long[] a, long[] b, int n, Comparison c) {
        boolean[] out = new boolean[n];
        for (int i = 0; i < n; i++) {
            out[i] = c.test(a[a.length == 1 ? 0 : i], b[b.length == 1 ? 0 : i]);
        }
        return out;
    }
}
