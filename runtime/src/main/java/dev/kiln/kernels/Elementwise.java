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
    private Elementwise() {}

    /** A comparison computed on the operands' common type. */
    public interface Comparison {
        boolean test(double a, double b);

        boolean test(long a, long b);
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
