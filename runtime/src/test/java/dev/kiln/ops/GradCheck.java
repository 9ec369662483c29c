package dev.kiln.ops;

import dev.kiln.DType;
import dev.kiln.Kiln;
import dev.kiln.Shape;
import dev.kiln.Tensor;
import dev.kiln.autograd.Autograd;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * Checks analytic gradients against central finite differences in float64.
 *
 * <p>For a function {@code f} of some float64 inputs, {@link #check} draws a random upstream weighting
 * {@code w} of {@code f}'s output shape and compares the gradient {@link Autograd#grad} gives for
 * {@code L = sum(f(x) * w)} with {@code (L(x + eps e_i) - L(x - eps e_i)) / (2 eps)} for every element
 * {@code i} of every input (a sample of them for inputs of more than {@link #MAX_COORDINATES}
 * elements). The finite-difference side is computed in plain Java from the outputs' elements, so it
 * does not rely on the runtime's own {@code times} and {@code sum}. It also checks that the gradient
 * has its input's shape and type, and that the recorded forward gives what the forward under
 * {@code Kiln.noGrad()} gives.
 *
 * <p>A gradient check cannot see a forward that is wrong in the same way as its derivative (an
 * operation whose derivative is written with the operation itself, such as {@code where} or
 * {@code slice}); the forward values are the semantics tests' business.
 *
 * <p>Inputs are described by {@link Input}: their elements (row-major), shape and {@link Layout}, so
 * the function under test can be handed non-contiguous leaves (transposed or strided storage) as
 * well as contiguous ones. The same layout is used for the analytic and the finite-difference
 * evaluations.
 */
final class GradCheck {
    static final double EPS = 1e-6;
    static final double ATOL = 1e-5;
    static final double RTOL = 1e-4;
    /**
     * Inputs with more elements than this have only a sample of their elements differentiated
     * numerically (the first 16, the last 48, where kernels' vector tails are, and random others up to
     * this many): central differences cost two evaluations of the whole function per element, which is
     * quadratic in the size. The analytic gradient is still computed in full.
     */
    static final int MAX_COORDINATES = 256;

    private GradCheck() {}

    /** The function under test: float64 inputs to a float64 output of any shape. */
    @FunctionalInterface
    interface Fn {
        Tensor apply(Tensor... xs);
    }

    /** How an input's elements lie in storage when handed to the function under test. */
    enum Layout {
        /** Row-major, offset 0. */
        CONTIGUOUS,
        /** The last two dimensions swapped in storage (a transposed view); rank < 2 stays contiguous. */
        TRANSPOSED,
        /** Every other element of a larger storage, starting at offset 1 (a strided view); 0-d stays contiguous. */
        STRIDED
    }

    /** One input: its elements in row-major order, its shape and its storage layout. */
    record Input(double[] data, int[] shape, Layout layout) {
        Input {
            if (data.length != Shape.of(shape).numel()) {
                throw new IllegalArgumentException(data.length + " values for shape " + Arrays.toString(shape));
            }
        }

        Input(double[] data, int[] shape) {
            this(data, shape, Layout.CONTIGUOUS);
        }

        Input in(Layout l) {
            return new Input(data, shape, l);
        }

        /** A fresh leaf with these elements in this layout (no history, not requiring grad). */
        Tensor tensor() {
            return build(data, shape, layout);
        }

        @Override
        public String toString() {
            return Shape.describe(shape) + (layout == Layout.CONTIGUOUS ? "" : " " + layout.name().toLowerCase());
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Inputs

    static Input randn(Random r, int... shape) {
        double[] d = new double[Shape.of(shape).numel()];
        for (int i = 0; i < d.length; i++) {
            d[i] = r.nextGaussian();
        }
        return new Input(d, shape.clone());
    }

    static Input uniform(Random r, double lo, double hi, int... shape) {
        double[] d = new double[Shape.of(shape).numel()];
        for (int i = 0; i < d.length; i++) {
            d[i] = lo + (hi - lo) * r.nextDouble();
        }
        return new Input(d, shape.clone());
    }

    /** Standard normal values, each redrawn until it lies more than {@code margin} from every kink. */
    static Input awayFrom(Random r, double margin, double[] kinks, int... shape) {
        double[] d = new double[Shape.of(shape).numel()];
        for (int i = 0; i < d.length; i++) {
            double v;
            do {
                v = r.nextGaussian();
            } while (near(v, kinks, margin));
            d[i] = v;
        }
        return new Input(d, shape.clone());
    }

    private static boolean near(double v, double[] kinks, double margin) {
        for (double k : kinks) {
            if (Math.abs(v - k) <= margin) {
                return true;
            }
        }
        return false;
    }

    /** Values of magnitude in [lo, hi] with a random sign: safe denominators. */
    static Input nonZero(Random r, double lo, double hi, int... shape) {
        Input u = uniform(r, lo, hi, shape);
        for (int i = 0; i < u.data.length; i++) {
            if (r.nextBoolean()) {
                u.data[i] = -u.data[i];
            }
        }
        return u;
    }

    /** Pairwise distinct values, at least 0.05 apart, in random order: no ties for max and min. */
    static Input distinct(Random r, int... shape) {
        int n = Shape.of(shape).numel();
        int[] perm = new int[n];
        for (int i = 0; i < n; i++) {
            perm[i] = i;
        }
        for (int i = n - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            int t = perm[i];
            perm[i] = perm[j];
            perm[j] = t;
        }
        double[] d = new double[n];
        double shift = r.nextGaussian();
        for (int i = 0; i < n; i++) {
            d[i] = shift + 0.1 * (perm[i] - n / 2.0) + 0.03 * r.nextDouble();
        }
        return new Input(d, shape.clone());
    }

    /** A float64 tensor with {@code data} (row-major) of {@code shape}, stored as {@code layout} says. */
    static Tensor build(double[] data, int[] shape, Layout layout) {
        try (var noGrad = Kiln.noGrad()) {
            Tensor t = Tensor.of(data.clone()).reshape(shape);
            int rank = shape.length;
            return switch (layout) {
                case CONTIGUOUS -> t;
                case TRANSPOSED -> rank < 2 ? t : t.transpose(-1, -2).contiguous().transpose(-1, -2);
                case STRIDED -> rank == 0 ? t : Tensor.stack(List.of(Tensor.zerosLike(t), t), -1).select(-1, 1);
            };
        }
    }

    // ---------------------------------------------------------------------------------------------
    // The check

    /** {@link #check(String, Fn, Input...)} for contiguous float64 tensors given directly. */
    static void check(String name, Fn f, Tensor... inputs) {
        Input[] in = new Input[inputs.length];
        for (int i = 0; i < inputs.length; i++) {
            if (inputs[i].dtype() != DType.FLOAT64) {
                throw new IllegalArgumentException("gradcheck inputs must be float64, got " + inputs[i].dtype());
            }
            in[i] = new Input(inputs[i].toDoubleArray(), inputs[i].shape().toArray());
        }
        check(name, f, in);
    }

    /**
     * Fails with a description of the worst elements unless the gradient of {@code sum(f(x) * w)}
     * (random {@code w}) by autograd matches central finite differences for every input.
     */
    static void check(String name, Fn f, Input... inputs) {
        // Analytic side.
        Tensor[] leaves = new Tensor[inputs.length];
        for (int i = 0; i < inputs.length; i++) {
            leaves[i] = inputs[i].tensor().requiresGrad(true);
        }
        Tensor y = f.apply(leaves);
        String what = name + " on " + Arrays.toString(inputs);
        if (y.dtype() != DType.FLOAT64) {
            throw new AssertionError(what + ": output is " + y.dtype() + ", expected float64");
        }
        if (!y.requiresGrad()) {
            throw new AssertionError(what + ": output does not require grad (nothing was recorded)");
        }
        int[] outShape = y.shape().toArray();
        // The recorded forward must give what the unrecorded one gives.
        double[] recorded = y.toDoubleArray();
        double[] plain;
        try (var noGrad = Kiln.noGrad()) {
            Tensor[] fresh = new Tensor[inputs.length];
            for (int i = 0; i < inputs.length; i++) {
                fresh[i] = inputs[i].tensor();
            }
            Tensor y0 = f.apply(fresh);
            if (!Arrays.equals(y0.shape().toArray(), outShape)) {
                throw new AssertionError(what + ": output shape " + Shape.describe(outShape) + " with grad but "
                        + y0.shape() + " under noGrad");
            }
            plain = y0.toDoubleArray();
        }
        for (int j = 0; j < plain.length; j++) {
            if (!(Math.abs(plain[j] - recorded[j]) <= 1e-12 * (1 + Math.abs(plain[j])))) {
                throw new AssertionError(what + ": output element " + j + " is " + recorded[j] + " with grad but "
                        + plain[j] + " under noGrad");
            }
        }
        Random r = new Random(seedOf(inputs));
        double[] w = new double[y.numel()];
        for (int i = 0; i < w.length; i++) {
            w[i] = r.nextGaussian();
        }
        Tensor wt = Tensor.of(w).reshape(outShape);
        Tensor loss = y.times(wt).sum();
        Tensor[] grads = Autograd.grad(loss, leaves);

        // Numeric side, and the comparison.
        List<String> failures = new ArrayList<>();
        int mismatches = 0, compared = 0;
        for (int i = 0; i < inputs.length; i++) {
            Tensor g = grads[i];
            if (g == null) {
                throw new AssertionError(what + ": no gradient for input " + i);
            }
            if (!Arrays.equals(g.shape().toArray(), inputs[i].shape())) {
                throw new AssertionError(what + ": gradient of input " + i + " has shape " + g.shape()
                        + ", expected " + Shape.describe(inputs[i].shape()));
            }
            if (g.dtype() != DType.FLOAT64) {
                throw new AssertionError(what + ": gradient of input " + i + " is " + g.dtype() + ", expected float64");
            }
            double[] analytic = g.toDoubleArray();
            int[] coords = coordinates(analytic.length, r);
            double[] numeric = numericGradient(f, inputs, i, coords, w, outShape);
            compared += coords.length;
            for (int c = 0; c < coords.length; c++) {
                int j = coords[c];
                double a = analytic[j], n = numeric[c];
                if (!Double.isFinite(a)) {
                    throw new AssertionError(what + ": gradient of input " + i + " element " + j + " is " + a);
                }
                if (!(Math.abs(a - n) <= ATOL + RTOL * Math.abs(n))) {
                    mismatches++;
                    if (failures.size() < 8) {
                        failures.add(String.format("input %d element %d (index %s): analytic %.10g, numeric %.10g",
                                i, j, Arrays.toString(unravel(j, inputs[i].shape())), a, n));
                    }
                }
            }
        }
        if (mismatches > 0) {
            throw new AssertionError(what + " -> " + Shape.describe(outShape) + ": " + mismatches + " of " + compared
                    + " gradient element(s) differ from central differences (eps " + EPS + ", atol " + ATOL
                    + ", rtol " + RTOL + "):\n  " + String.join("\n  ", failures));
        }
    }

    /** The elements to differentiate numerically: all of them, or a sample for large inputs. */
    private static int[] coordinates(int n, Random r) {
        if (n <= MAX_COORDINATES) {
            int[] all = new int[n];
            for (int j = 0; j < n; j++) {
                all[j] = j;
            }
            return all;
        }
        java.util.TreeSet<Integer> picked = new java.util.TreeSet<>();
        for (int j = 0; j < 16; j++) {
            picked.add(j);
        }
        for (int j = n - 48; j < n; j++) {
            picked.add(j);
        }
        while (picked.size() < MAX_COORDINATES) {
            picked.add(r.nextInt(n));
        }
        return picked.stream().mapToInt(Integer::intValue).toArray();
    }

    /** d/dx_j of sum(f(x) * w) by central differences, for elements {@code coords} of input {@code which}. */
    private static double[] numericGradient(Fn f, Input[] inputs, int which, int[] coords, double[] w, int[] outShape) {
        double[] base = inputs[which].data();
        double[] work = base.clone();
        double[] out = new double[coords.length];
        Tensor[] xs = new Tensor[inputs.length];
        try (var noGrad = Kiln.noGrad()) {
            for (int k = 0; k < inputs.length; k++) {
                xs[k] = inputs[k].tensor();
            }
            for (int c = 0; c < coords.length; c++) {
                int j = coords[c];
                work[j] = base[j] + EPS;
                xs[which] = build(work, inputs[which].shape(), inputs[which].layout());
                double plus = weighted(f.apply(xs), w, outShape);
                work[j] = base[j] - EPS;
                xs[which] = build(work, inputs[which].shape(), inputs[which].layout());
                double minus = weighted(f.apply(xs), w, outShape);
                work[j] = base[j];
                out[c] = (plus - minus) / (2 * EPS);
            }
        }
        return out;
    }

    private static double weighted(Tensor y, double[] w, int[] outShape) {
        if (!Arrays.equals(y.shape().toArray(), outShape)) {
            throw new AssertionError("output shape changed between evaluations: " + y.shape() + " vs "
                    + Shape.describe(outShape));
        }
        double[] v = y.toDoubleArray();
        double s = 0;
        for (int i = 0; i < v.length; i++) {
            s += v[i] * w[i];
        }
        return s;
    }

    private static long seedOf(Input[] inputs) {
        long h = 17;
        for (Input in : inputs) {
            h = h * 31 + Arrays.hashCode(in.data());
            h = h * 31 + Arrays.hashCode(in.shape());
        }
        return h;
    }

    private static int[] unravel(int flat, int[] shape) {
        int[] idx = new int[shape.length];
        for (int d = shape.length - 1; d >= 0; d--) {
            idx[d] = flat % shape[d];
            flat /= shape[d];
        }
        return idx;
    }
}
