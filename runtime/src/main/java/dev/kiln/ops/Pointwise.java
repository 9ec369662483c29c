package dev.kiln.ops;

import dev.kiln.DType;
import dev.kiln.Tensor;
import dev.kiln.autograd.Graph;
import dev.kiln.device.cuda.CudaOps;
import dev.kiln.kernels.Elementwise;
import dev.kiln.kernels.Strided;
import dev.kiln.kernels.UnaryFunction;
import java.util.function.DoubleBinaryOperator;
import java.util.function.DoubleUnaryOperator;
import java.util.function.LongBinaryOperator;
import java.util.function.LongUnaryOperator;

/**
 * Elementwise operations: each one's forward function and derivative are defined together, in the
 * {@link Unary} and {@link Binary} tables or next to the operation's method.
 */
public final class Pointwise {
    private Pointwise() {}

    // ---------------------------------------------------------------------------------------------
    // Unary operations: forward on doubles (and on longs where integers stay integers), derivative
    // from the gradient g, the input x and the output y.

    /** The derivative of a unary operation: the input's gradient from g, x and y. */
    @FunctionalInterface
    interface UnaryDerivative {
        Tensor apply(Tensor g, Tensor x, Tensor y);
    }

    enum Unary {
        NEG("NegBackward0", v -> -v, v -> -v, false, false, (g, x, y) -> g.unaryMinus()),
        EXP("ExpBackward0", UnaryFunction.EXP, null, false, true, (g, x, y) -> g.times(y)),
        LOG("LogBackward0", UnaryFunction.LOG, null, true, false, (g, x, y) -> g.div(x)),
        SQRT("SqrtBackward0", Math::sqrt, null, false, true, (g, x, y) -> g.div(y.times(2.0))),
        ABS("AbsBackward0", Math::abs, Math::abs, true, false, (g, x, y) -> g.times(x.sign())),
        SIGN("SignBackward0", Math::signum, Long::signum, false, false, (g, x, y) -> Tensor.zerosLike(g)),
        RELU("ReluBackward0", UnaryFunction.RELU, v -> Math.max(v, 0), false, true,
                (g, x, y) -> reluBackward(g, y)),
        SIGMOID("SigmoidBackward0", UnaryFunction.SIGMOID, null, false, true,
                (g, x, y) -> g.times(y.times(y.unaryMinus().plus(1.0)))),
        TANH("TanhBackward0", UnaryFunction.TANH, null, false, true,
                (g, x, y) -> g.times(y.times(y).unaryMinus().plus(1.0)));

        final String backwardName;
        final DoubleUnaryOperator f;
        /** The kernel that floating-point inputs go through, or null where they take {@code f} element by element. */
        final UnaryFunction kernel;
        /** The integer version, for operations that map int64 to int64; null where integers become float32. */
        final LongUnaryOperator integral;
        final boolean savesInput;
        final boolean savesOutput;
        final UnaryDerivative derivative;

        Unary(String backwardName, DoubleUnaryOperator f, LongUnaryOperator integral, boolean savesInput,
              boolean savesOutput, UnaryDerivative derivative) {
            this(backwardName, f, null, integral, savesInput, savesOutput, derivative);
        }

        Unary(String backwardName, UnaryFunction kernel, LongUnaryOperator integral, boolean savesInput,
              boolean savesOutput, UnaryDerivative derivative) {
            this(backwardName, kernel::apply, kernel, integral, savesInput, savesOutput, derivative);
        }

        Unary(String backwardName, DoubleUnaryOperator f, UnaryFunction kernel, LongUnaryOperator integral,
              boolean savesInput, boolean savesOutput, UnaryDerivative derivative) {
            this.backwardName = backwardName;
            this.f = f;
            this.kernel = kernel;
            this.integral = integral;
            this.savesInput = savesInput;
            this.savesOutput = savesOutput;
            this.derivative = derivative;
        }
    }

    static Tensor unary(Tensor x, Unary op) {
        Tensor y = Dispatch.onCuda(op.name().toLowerCase(java.util.Locale.ROOT), x) ? CudaOps.unary(op.name(), x)
                : op.kernel != null && x.dtype().isFloatingPoint() ? unaryKernel(x, op.kernel)
                : mapKernel(x, op.f, op.integral);
        Tensor[] saved = op.savesInput && op.savesOutput ? new Tensor[] {x, y}
                : op.savesInput ? new Tensor[] {x} : op.savesOutput ? new Tensor[] {y} : new Tensor[0];
        return Graph.record(op.backwardName, y, new Tensor[] {x}, saved, (g, ctx) -> {
            Tensor in = op.savesInput ? ctx.saved(0) : null;
            Tensor out = op.savesOutput ? ctx.saved(op.savesInput ? 1 : 0) : null;
            return new Tensor[] {op.derivative.apply(g, in, out)};
        });
    }

    /**
     * relu's derivative from its output: {@code g} where {@code y > 0}, else 0. On a GPU it is the
     * relu-backward kernel, recorded for {@code g} so that a second derivative passes through it.
     */
    static Tensor reluBackward(Tensor g, Tensor y) {
        if (!Dispatch.onCuda("relu backward", g, y)) {
            return Tensor.where(y.gt(0.0), g, 0.0);
        }
        Tensor r = CudaOps.activationBackward("RELU", y, g);
        return Graph.record("ThresholdBackwardBackward0", r, new Tensor[] {g}, new Tensor[] {y},
                (gg, ctx) -> new Tensor[] {reluBackward(gg, ctx.saved(0))});
    }

    /** A floating-point input through the provider's loop for {@code f}. */
    private static Tensor unaryKernel(Tensor x, UnaryFunction f) {
        DType in = x.dtype();
        int[] dims = Views.ACCESS.dims(x).clone();
        return in == DType.FLOAT64
                ? Views.wrap(in, Elementwise.unary(f, (double[]) Views.readAs(x, in)), dims)
                : Views.wrap(in, Elementwise.unary(f, (float[]) Views.readAs(x, in)), dims);
    }

    /** Applies {@code f} elementwise; integer inputs stay integer through {@code integral} when given, else become float32. */
    private static Tensor mapKernel(Tensor x, DoubleUnaryOperator f, LongUnaryOperator integral) {
        DType in = x.dtype();
        int[] dims = Views.ACCESS.dims(x).clone();
        if (in == DType.FLOAT64) {
            return Views.wrap(in, Elementwise.map((double[]) Views.readAs(x, in), f), dims);
        }
        if (in == DType.FLOAT32 || integral == null) {
            return Views.wrap(DType.FLOAT32, Elementwise.map((float[]) Views.readAs(x, DType.FLOAT32), f), dims);
        }
        return Views.wrap(DType.INT64, Elementwise.map((long[]) Views.readAs(x, DType.INT64), integral), dims);
    }

    public static Tensor neg(Tensor x) {
        if (x.dtype() == DType.BOOL) {
            throw new IllegalArgumentException("unaryMinus: negation is not defined for bool tensors; use"
                    + " eq(false) (logical not) or convert with toLong() first");
        }
        return unary(x, Unary.NEG);
    }

    public static Tensor exp(Tensor x) {
        return unary(x, Unary.EXP);
    }

    public static Tensor log(Tensor x) {
        return unary(x, Unary.LOG);
    }

    public static Tensor sqrt(Tensor x) {
        return unary(x, Unary.SQRT);
    }

    public static Tensor abs(Tensor x) {
        return unary(x, Unary.ABS);
    }

    public static Tensor sign(Tensor x) {
        return unary(x, Unary.SIGN);
    }

    public static Tensor relu(Tensor x) {
        return unary(x, Unary.RELU);
    }

    public static Tensor sigmoid(Tensor x) {
        return unary(x, Unary.SIGMOID);
    }

    public static Tensor tanh(Tensor x) {
        return unary(x, Unary.TANH);
    }

    /** {@code x ^ e} for a scalar exponent; integer tensors with an integral exponent stay int64. */
    public static Tensor pow(Tensor x, double e) {
        boolean integralExponent = e == Math.rint(e) && e >= 0;
        DoubleUnaryOperator f = e == 2 ? v -> v * v : e == 1 ? v -> v : e == 0.5 ? Math::sqrt : v -> Math.pow(v, e);
        LongUnaryOperator fi = integralExponent ? v -> powLong(v, (long) e) : null;
        Tensor y = Dispatch.onCuda("pow", x) ? CudaOps.pow(x, e) : mapKernel(x.dtype() == DType.BOOL ? x.toLong() : x, f, fi);
        return Graph.record("PowBackward0", y, new Tensor[] {x}, new Tensor[] {x}, (g, ctx) -> {
            if (e == 0) {
                return new Tensor[] {Tensor.zerosLike(g)};
            }
            Tensor in = ctx.saved(0);
            return new Tensor[] {g.times(in.pow(e - 1).times(e))};
        });
    }

    /**
     * Integer power by repeated squaring (wrapping on overflow). A negative exponent gives what
     * PyTorch's integer kernel gives: 1 for base 1, ±1 for base -1, and 0 otherwise.
     */
    private static long powLong(long base, long exponent) {
        if (exponent < 0) {
            return base == 1 ? 1 : base == -1 ? ((exponent & 1) == 0 ? 1 : -1) : 0;
        }
        long result = 1;
        for (long b = base, e = exponent; e > 0; e >>= 1, b *= b) {
            if ((e & 1) != 0) {
                result *= b;
            }
        }
        return result;
    }

    /** Elementwise min(max(x, min), max); a NaN bound is absent. NaN elements stay NaN. */
    public static Tensor clamp(Tensor x, double min, double max) {
        boolean hasMin = !Double.isNaN(min), hasMax = !Double.isNaN(max);
        if (!hasMin && !hasMax) {
            throw new IllegalArgumentException("clamp: at least one of min and max must be given (not NaN)");
        }
        DoubleUnaryOperator f = v -> {
            if (Double.isNaN(v)) {
                return v;
            }
            double r = hasMin && v < min ? min : v;
            return hasMax && r > max ? max : r;
        };
        LongUnaryOperator fi = x.dtype().isFloatingPoint() || (hasMin && min != Math.rint(min))
                || (hasMax && max != Math.rint(max)) ? null : v -> {
                    long r = hasMin && v < (long) min ? (long) min : v;
                    return hasMax && r > (long) max ? (long) max : r;
                };
        Tensor y = Dispatch.onCuda("clamp", x) ? CudaOps.clamp(x, min, max) : mapKernel(x, f, fi);
        String name = hasMin && hasMax ? "ClampBackward1" : hasMin ? "ClampMinBackward0" : "ClampMaxBackward0";
        return Graph.record(name, y, new Tensor[] {x}, new Tensor[] {x},
                (g, ctx) -> new Tensor[] {clampBackward(g, ctx.saved(0), min, max)});
    }

    /**
     * clamp's derivative: {@code g} where {@code x} lies within the bounds (a NaN bound is absent),
     * else 0. On a GPU it is one kernel, recorded for {@code g} so that a second derivative passes through it.
     */
    static Tensor clampBackward(Tensor g, Tensor x, double min, double max) {
        boolean hasMin = !Double.isNaN(min), hasMax = !Double.isNaN(max);
        if (!Dispatch.onCuda("clamp backward", g, x)) {
            Tensor pass = hasMin && hasMax ? x.ge(min).logicalAnd(x.le(max)) : hasMin ? x.ge(min) : x.le(max);
            return Tensor.where(pass, g, 0.0);
        }
        Tensor r = CudaOps.clampBackward(g, x, min, max);
        return Graph.record("ClampBackwardBackward0", r, new Tensor[] {g}, new Tensor[] {x},
                (gg, ctx) -> new Tensor[] {clampBackward(gg, ctx.saved(0), min, max)});
    }

    /** {@code x}'s shape and type filled with {@code value}, on its device: what {@code fill} writes on a GPU. */
    public static Tensor filled(Tensor x, double value) {
        Tensor y = Factories.fullLike(x, value);
        return Graph.record("FillBackward0", y, new Tensor[] {x}, (g, ctx) -> new Tensor[] {Tensor.zerosLike(g)});
    }

    // ---------------------------------------------------------------------------------------------
    // Binary operations

    /** The derivative of a binary operation: both inputs' gradients (before undoing broadcasting). */
    @FunctionalInterface
    interface BinaryDerivative {
        Tensor[] apply(Tensor g, Tensor a, Tensor b, Tensor y);
    }

    enum Binary {
        ADD("plus", "AddBackward0", Double::sum, Elementwise.Arithmetic.ADD, Long::sum, false,
                (g, a, b, y) -> new Tensor[] {g, g}),
        SUB("minus", "SubBackward0", (p, q) -> p - q, Elementwise.Arithmetic.SUB, (p, q) -> p - q, false,
                (g, a, b, y) -> new Tensor[] {g, g.unaryMinus()}),
        MUL("times", "MulBackward0", (p, q) -> p * q, Elementwise.Arithmetic.MUL, (p, q) -> p * q, true,
                (g, a, b, y) -> new Tensor[] {g.times(b), g.times(a)}),
        DIV("div", "DivBackward0", (p, q) -> p / q, Elementwise.Arithmetic.DIV, null, true,
                (g, a, b, y) -> new Tensor[] {g.div(b), g.times(a).div(b.times(b)).unaryMinus()}),
        POW("pow", "PowBackward1", Math::pow, null, Pointwise::powLong, true, (g, a, b, y) -> new Tensor[] {
                g.times(b).times(a.pow(b.minus(1.0))),
                // d/db a^b = a^b log a, taken as 0 where a == 0 and b >= 0 (PyTorch's convention).
                Tensor.where(a.eq(0.0).logicalAnd(b.ge(0.0)), Tensor.zerosLike(y), g.times(y).times(a.log()))});

        final String method;
        final String backwardName;
        final DoubleBinaryOperator f;
        /** The float32 loop of its own, for the four arithmetic operations; null for the others. */
        final Elementwise.Arithmetic arithmetic;
        /** The integer version; null where integers give float32 (true division). */
        final LongBinaryOperator integral;
        final boolean savesInputs;
        final BinaryDerivative derivative;

        Binary(String method, String backwardName, DoubleBinaryOperator f, Elementwise.Arithmetic arithmetic,
               LongBinaryOperator integral, boolean savesInputs, BinaryDerivative derivative) {
            this.method = method;
            this.backwardName = backwardName;
            this.f = f;
            this.arithmetic = arithmetic;
            this.integral = integral;
            this.savesInputs = savesInputs;
            this.derivative = derivative;
        }
    }

    static Tensor binary(Tensor a, Tensor b, Binary op) {
        int[] aDims = Views.ACCESS.dims(a).clone(), bDims = Views.ACCESS.dims(b).clone();
        int[] dims = Broadcast.shapes(aDims, bDims, op.method);
        DType type = DType.resultType(a, b);
        if (!type.isFloatingPoint() && op.integral == null) {
            type = DType.FLOAT32;
        }
        if (type == DType.BOOL && op == Binary.SUB) {
            throw new IllegalArgumentException("minus: subtraction is not defined for two bool tensors; use ne() for"
                    + " exclusive or, or convert with toLong() first");
        }
        int n = numel(dims);
        Tensor y = Dispatch.onCuda(op.method, a, b) ? CudaOps.binary(op.name(), op.method, a, b, dims, type)
                : Views.wrap(type, binaryKernel(a, b, op, dims, type, n), dims);
        DType aType = a.dtype(), bType = b.dtype();
        Tensor[] saved = op.savesInputs ? (op == Binary.POW ? new Tensor[] {a, b, y} : new Tensor[] {a, b}) : new Tensor[0];
        return Graph.record(op.backwardName, y, new Tensor[] {a, b}, saved, (g, ctx) -> {
            Tensor sa = op.savesInputs ? ctx.saved(0) : null;
            Tensor sb = op.savesInputs ? ctx.saved(1) : null;
            Tensor sy = op == Binary.POW ? ctx.saved(2) : null;
            Tensor[] grads = op.derivative.apply(g, sa, sb, sy);
            return new Tensor[] {
                ctx.needsGrad(0) ? reduceGrad(grads[0], aDims, aType) : null,
                ctx.needsGrad(1) ? reduceGrad(grads[1], bDims, bType) : null};
        });
    }

    /** The elements of {@code a op b} broadcast to {@code dims}, computed on the CPU. */
    private static Object binaryKernel(Tensor a, Tensor b, Binary op, int[] dims, DType type, int n) {
        Object out = switch (type) {
            case FLOAT32 -> op.arithmetic != null
                    ? Elementwise.arithmetic(op.arithmetic, (float[]) Views.readBroadcast(a, dims, type),
                            (float[]) Views.readBroadcast(b, dims, type), n)
                    : Elementwise.zip((float[]) Views.readBroadcast(a, dims, type),
                            (float[]) Views.readBroadcast(b, dims, type), n, op.f);
            case FLOAT64 -> Elementwise.zip((double[]) Views.readBroadcast(a, dims, type),
                    (double[]) Views.readBroadcast(b, dims, type), n, op.f);
            case INT64, BOOL -> Elementwise.zip((long[]) Views.readBroadcast(a, dims, DType.INT64),
                    (long[]) Views.readBroadcast(b, dims, DType.INT64), n, op.integral);
        };
        return type == DType.BOOL ? Strided.convert(out, DType.INT64, DType.BOOL) : out;
    }

    private static int numel(int[] dims) {
        int n = 1;
        for (int d : dims) {
            n *= d;
        }
        return n;
    }

    /** A gradient of the broadcast result brought back to an input's shape and type. */
    static Tensor reduceGrad(Tensor g, int[] dims, DType dtype) {
        Tensor r = Views.sumToShape(g, dims);
        return r.dtype() == dtype ? r : r.to(dtype);
    }

    public static Tensor add(Tensor a, Tensor b) {
        return binary(a, b, Binary.ADD);
    }

    public static Tensor sub(Tensor a, Tensor b) {
        return binary(a, b, Binary.SUB);
    }

    public static Tensor mul(Tensor a, Tensor b) {
        return binary(a, b, Binary.MUL);
    }

    public static Tensor div(Tensor a, Tensor b) {
        return binary(a, b, Binary.DIV);
    }

    public static Tensor pow(Tensor a, Tensor b) {
        return binary(a, b, Binary.POW);
    }

    /**
     * A 0-d tensor holding {@code value} in the type an operation between {@code t} and a Java
     * {@code double} produces: {@code t}'s type if floating, else float32.
     */
    public static Tensor scalarFor(Tensor t, double value) {
        return Factories.full(value, DType.resultType(t.dtype(), true), new int[0]);
    }

    /** A 0-d tensor holding {@code value} in the type an operation between {@code t} and a Java {@code long} produces. */
    public static Tensor scalarFor(Tensor t, long value) {
        DType type = DType.resultType(t.dtype(), false);
        return type == DType.INT64 ? Tensor.scalar(value) : Factories.full(value, type, new int[0]);
    }

    // ---------------------------------------------------------------------------------------------
    // Comparisons and selection (not differentiable, except where and maskedFill)

    /** Elementwise comparisons; each computes on the operands' common type and gives bool. */
    public enum Comparison implements Elementwise.Comparison {
        LT("lt") {
            public boolean test(double a, double b) { return a < b; }
            public boolean test(long a, long b) { return a < b; }
        },
        LE("le") {
            public boolean test(double a, double b) { return a <= b; }
            public boolean test(long a, long b) { return a <= b; }
        },
        GT("gt") {
            public boolean test(double a, double b) { return a > b; }
            public boolean test(long a, long b) { return a > b; }
        },
        GE("ge") {
            public boolean test(double a, double b) { return a >= b; }
            public boolean test(long a, long b) { return a >= b; }
        },
        EQ("eq") {
            public boolean test(double a, double b) { return a == b; }
            public boolean test(long a, long b) { return a == b; }
        },
        NE("ne") {
            public boolean test(double a, double b) { return a != b; }
            public boolean test(long a, long b) { return a != b; }
        },
        AND("logicalAnd") {
            public boolean test(double a, double b) { return a != 0 && b != 0; }
            public boolean test(long a, long b) { return a != 0 && b != 0; }
        };

        final String method;

        Comparison(String method) {
            this.method = method;
        }
    }

    public static Tensor compare(Tensor a, Tensor b, Comparison c) {
        int[] dims = Broadcast.shapes(Views.ACCESS.dims(a), Views.ACCESS.dims(b), c.method);
        DType type = DType.resultType(a, b);
        int n = numel(dims);
        boolean[] out = type.isFloatingPoint()
                ? Elementwise.compare((double[]) Views.readBroadcast(a, dims, DType.FLOAT64),
                        (double[]) Views.readBroadcast(b, dims, DType.FLOAT64), n, c)
                : Elementwise.compare((long[]) Views.readBroadcast(a, dims, DType.INT64),
                        (long[]) Views.readBroadcast(b, dims, DType.INT64), n, c);
        return Views.wrap(DType.BOOL, out, dims);
    }

    /** True when every element of a bool tensor is true. */
    public static boolean allTrue(Tensor mask) {
        for (boolean b : (boolean[]) Views.readAs(mask, DType.BOOL)) {
            if (!b) {
                return false;
            }
        }
        return true;
    }

    private static void requireBool(Tensor t, String op, String what) {
        if (t.dtype() != DType.BOOL) {
            throw new IllegalArgumentException(op + ": " + what + " must be a bool tensor, but it is "
                    + t.dtype().pytorchName() + "; build it with a comparison such as x.gt(0)");
        }
    }

    public static Tensor where(Tensor condition, Tensor x, Tensor y) {
        requireBool(condition, "where", "the condition");
        int[] cDims = Views.ACCESS.dims(condition), xDims = Views.ACCESS.dims(x).clone(), yDims = Views.ACCESS.dims(y).clone();
        int[] dims = Broadcast.shapes(Broadcast.shapes(cDims, xDims, "where"), yDims, "where");
        DType type = DType.resultType(x, y);
        boolean[] c = (boolean[]) Views.readBroadcast(condition, dims, DType.BOOL);
        Object xs = Views.readBroadcast(x, dims, type), ys = Views.readBroadcast(y, dims, type);
        int n = numel(dims);
        Object out = Strided.allocate(type, n);
        int xStep = java.lang.reflect.Array.getLength(xs) == 1 ? 0 : 1;
        int yStep = java.lang.reflect.Array.getLength(ys) == 1 ? 0 : 1;
        int cStep = c.length == 1 ? 0 : 1;
        switch (type) {
            case FLOAT32 -> {
                float[] o = (float[]) out, p = (float[]) xs, q = (float[]) ys;
                for (int i = 0; i < n; i++) {
                    o[i] = c[i * cStep] ? p[i * xStep] : q[i * yStep];
                }
            }
            case FLOAT64 -> {
                double[] o = (double[]) out, p = (double[]) xs, q = (double[]) ys;
                for (int i = 0; i < n; i++) {
                    o[i] = c[i * cStep] ? p[i * xStep] : q[i * yStep];
                }
            }
            case INT64 -> {
                long[] o = (long[]) out, p = (long[]) xs, q = (long[]) ys;
                for (int i = 0; i < n; i++) {
                    o[i] = c[i * cStep] ? p[i * xStep] : q[i * yStep];
                }
            }
            case BOOL -> {
                boolean[] o = (boolean[]) out, p = (boolean[]) xs, q = (boolean[]) ys;
                for (int i = 0; i < n; i++) {
                    o[i] = c[i * cStep] ? p[i * xStep] : q[i * yStep];
                }
            }
        }
        Tensor result = Views.wrap(type, out, dims);
        DType xType = x.dtype(), yType = y.dtype();
        return Graph.record("WhereBackward0", result, new Tensor[] {x, y}, new Tensor[] {condition}, (g, ctx) -> {
            Tensor cond = ctx.saved(0);
            Tensor zero = Tensor.zerosLike(g);
            return new Tensor[] {
                ctx.needsGrad(0) ? reduceGrad(Tensor.where(cond, g, zero), xDims, xType) : null,
                ctx.needsGrad(1) ? reduceGrad(Tensor.where(cond, zero, g), yDims, yType) : null};
        });
    }

    public static Tensor maskedFill(Tensor x, Tensor mask, double value) {
        requireBool(mask, "maskedFill", "the mask");
        int[] dims = Views.ACCESS.dims(x).clone();
        int[] joint = Broadcast.shapes(dims, Views.ACCESS.dims(mask), "maskedFill");
        if (!java.util.Arrays.equals(joint, dims)) {
            throw new IllegalArgumentException("maskedFill: a mask of shape " + dev.kiln.Shape.describe(Views.ACCESS.dims(mask))
                    + " does not broadcast to the tensor's shape " + dev.kiln.Shape.describe(dims));
        }
        Tensor fill = Factories.full(value, x.dtype(), new int[0]);
        Tensor result;
        try (var noGrad = dev.kiln.Kiln.noGrad()) {
            result = where(mask, fill, x);
        }
        return Graph.record("MaskedFillBackward0", result, new Tensor[] {x}, new Tensor[] {mask},
                (g, ctx) -> new Tensor[] {g.maskedFill(ctx.saved(0), 0.0)});
    }

    /** The value {@code copyFrom} writes: {@code source} converted to {@code target}'s type and broadcast to its shape. */
    public static Tensor copyOf(Tensor target, Tensor source) {
        return source.to(target.dtype()).expand(Views.ACCESS.dims(target));
    }

    public static Tensor toType(Tensor x, DType type) {
        if (x.dtype() == type) {
            return x;
        }
        Tensor y = Views.wrap(type, Views.readAs(x, type), Views.ACCESS.dims(x).clone());
        if (!type.isFloatingPoint()) {
            return y;
        }
        DType from = x.dtype();
        return Graph.record("ToCopyBackward0", y, new Tensor[] {x}, (g, ctx) -> new Tensor[] {g.to(from)});
    }

    public static boolean allClose(Tensor a, Tensor b, double rtol, double atol) {
        int[] dims = Broadcast.shapes(Views.ACCESS.dims(a), Views.ACCESS.dims(b), "allClose");
        double[] x = (double[]) Views.readBroadcast(a, dims, DType.FLOAT64);
        double[] y = (double[]) Views.readBroadcast(b, dims, DType.FLOAT64);
        int n = numel(dims);
        for (int i = 0; i < n; i++) {
            double p = x[x.length == 1 ? 0 : i], q = y[y.length == 1 ? 0 : i];
            if (p == q) {
                continue; // also equal infinities
            }
            if (!(Math.abs(p - q) <= atol + rtol * Math.abs(q))) {
                return false;
            }
        }
        return true;
    }
}
