package dev.kiln.ops;

import dev.kiln.DType;
import dev.kiln.Generator;
import dev.kiln.Kiln;
import dev.kiln.Shape;
import dev.kiln.Tensor;
import dev.kiln.kernels.Strided;
import java.lang.reflect.Array;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Tensor creation: from Java arrays, constant fills, ranges and random draws. */
public final class Factories {
    private Factories() {}

    /** A contiguous tensor owning {@code array} (float[], double[], long[] or boolean[]). */
    public static Tensor fromArray(Object array, int[] dims) {
        DType type = typeOf(array.getClass().getComponentType(), "Tensor.of");
        Object owned = type == DType.INT64 && array instanceof int[] ints ? widen(ints) : array;
        int n = Array.getLength(owned);
        if (n != Shape.of(dims).numel()) {
            throw new IllegalArgumentException("Tensor.of: " + n + " values do not fill shape " + Shape.describe(dims));
        }
        return Views.wrap(type, owned, dims.clone());
    }

    private static long[] widen(int[] ints) {
        long[] longs = new long[ints.length];
        for (int i = 0; i < ints.length; i++) {
            longs[i] = ints[i];
        }
        return longs;
    }

    private static DType typeOf(Class<?> component, String op) {
        if (component == float.class) {
            return DType.FLOAT32;
        } else if (component == double.class) {
            return DType.FLOAT64;
        } else if (component == long.class || component == int.class) {
            return DType.INT64;
        } else if (component == boolean.class) {
            return DType.BOOL;
        }
        throw new IllegalArgumentException(op + ": expected an array of float, double, long, int or boolean, but got "
                + component.getName() + "[]");
    }

    /** A tensor from a primitive array or a rectangular nested array of any depth. */
    public static Tensor fromAny(Object values) {
        if (values instanceof Object[] nested) {
            return fromNested(nested);
        }
        if (values != null && values.getClass().isArray()) {
            Object copy = Array.newInstance(values.getClass().getComponentType(), Array.getLength(values));
            System.arraycopy(values, 0, copy, 0, Array.getLength(values));
            return fromArray(copy, new int[] {Array.getLength(values)});
        }
        throw new IllegalArgumentException("Tensor.of: expected a Java array, but got "
                + (values == null ? "null" : values.getClass().getName()));
    }

    public static Tensor fromNested(Object[] nested) {
        List<Integer> dims = new ArrayList<>();
        Object level = nested;
        while (level != null && level.getClass().isArray()) {
            int length = Array.getLength(level);
            dims.add(length);
            if (length == 0) {
                break;
            }
            level = Array.get(level, 0);
        }
        Class<?> leaf = nested.getClass();
        while (leaf.isArray()) {
            leaf = leaf.getComponentType();
        }
        DType type = typeOf(leaf, "Tensor.of");
        int[] shape = dims.stream().mapToInt(Integer::intValue).toArray();
        int n = Shape.of(shape).numel();
        int innerLength = shape[shape.length - 1];
        Object flat = Strided.allocate(type, n);
        int[] cursor = {0};
        copyRows(nested, shape, 0, "", flat, cursor, innerLength);
        return Views.wrap(type, flat, shape);
    }

    private static void copyRows(Object level, int[] shape, int depth, String path, Object flat, int[] cursor, int inner) {
        int length = level == null ? -1 : Array.getLength(level);
        if (length != shape[depth]) {
            throw new IllegalArgumentException("Tensor.of: the array is not rectangular: element " + (path.isEmpty() ? "[]" : path)
                    + " has length " + length + " where " + shape[depth] + " was expected");
        }
        if (depth == shape.length - 1) {
            if (level instanceof int[] ints) {
                long[] longs = (long[]) flat;
                for (int i = 0; i < ints.length; i++) {
                    longs[cursor[0] + i] = ints[i];
                }
            } else if (length > 0) {
                // (An empty outer array such as new float[0][] reaches here as an Object[]: nothing to copy.)
                System.arraycopy(level, 0, flat, cursor[0], length);
            }
            cursor[0] += length;
            return;
        }
        for (int i = 0; i < length; i++) {
            copyRows(Array.get(level, i), shape, depth + 1, path + "[" + i + "]", flat, cursor, inner);
        }
    }

    /** {@code value} with {@code like}'s shape and type, on {@code like}'s device. */
    public static Tensor fullLike(Tensor like, double value) {
        int[] dims = like.shape().toArray();
        return like.device().isCuda() ? dev.kiln.device.cuda.CudaOps.full(like.device(), value, like.dtype(), dims)
                : full(value, like.dtype(), dims);
    }

    public static Tensor full(double value, DType dtype, int[] shape) {
        int n = Shape.of(shape).numel();
        Object array = switch (dtype) {
            case FLOAT32 -> {
                float[] a = new float[n];
                Arrays.fill(a, (float) value);
                yield a;
            }
            case FLOAT64 -> {
                double[] a = new double[n];
                Arrays.fill(a, value);
                yield a;
            }
            case INT64 -> {
                long[] a = new long[n];
                Arrays.fill(a, (long) value);
                yield a;
            }
            case BOOL -> {
                boolean[] a = new boolean[n];
                Arrays.fill(a, value != 0);
                yield a;
            }
        };
        return Views.wrap(dtype, array, shape.clone());
    }

    public static Tensor eye(int n, int m, DType dtype) {
        Shape.of(n, m);
        double[] values = new double[n * m];
        for (int i = 0; i < Math.min(n, m); i++) {
            values[i * m + i] = 1;
        }
        return Views.wrap(dtype, Strided.convert(values, DType.FLOAT64, dtype), new int[] {n, m});
    }

    public static Tensor arange(long start, long end, long step) {
        if (step == 0) {
            throw new IllegalArgumentException("arange: step must be non-zero");
        }
        long count = Math.max(0, (end - start + step + (step > 0 ? -1 : 1)) / step);
        long[] values = new long[Math.toIntExact(count)];
        for (int i = 0; i < values.length; i++) {
            values[i] = start + i * step;
        }
        return Views.wrap(DType.INT64, values, new int[] {values.length});
    }

    public static Tensor arange(double start, double end, double step) {
        if (step == 0 || Double.isNaN(step)) {
            throw new IllegalArgumentException("arange: step must be non-zero, but got " + step);
        }
        int count = (int) Math.max(0, Math.ceil((end - start) / step));
        double[] values = new double[count];
        for (int i = 0; i < count; i++) {
            values[i] = start + i * step;
        }
        return ofDefaultType(values);
    }

    public static Tensor linspace(double start, double end, int steps) {
        if (steps < 0) {
            throw new IllegalArgumentException("linspace: number of steps must be non-negative, but got " + steps);
        }
        double[] values = new double[steps];
        double step = steps > 1 ? (end - start) / (steps - 1) : 0;
        // Fill from both ends, as PyTorch does, so that the last value is exactly end.
        int half = steps / 2;
        for (int i = 0; i < steps; i++) {
            // One step gives start, as torch.linspace(start, end, 1) does.
            values[i] = i < half || steps == 1 ? start + step * i : end - step * (steps - 1 - i);
        }
        return ofDefaultType(values);
    }

    /** A 1-d tensor of the default floating type with {@code values}, each rounded once to it. */
    private static Tensor ofDefaultType(double[] values) {
        Tensor exact = Views.wrap(DType.FLOAT64, values, new int[] {values.length});
        return Kiln.defaultDtype() == DType.FLOAT64 ? exact : exact.to(Kiln.defaultDtype());
    }

    private static void requireFloating(DType dtype, String op) {
        if (!dtype.isFloatingPoint()) {
            throw new IllegalArgumentException(op + ": random values of type " + dtype.pytorchName()
                    + " are not supported; use float32 or float64 (randint for integers)");
        }
    }

    public static Tensor rand(Generator generator, DType dtype, int[] shape) {
        requireFloating(dtype, "rand");
        int n = Shape.of(shape).numel();
        Object values;
        if (dtype == DType.FLOAT32) {
            float[] a = new float[n];
            generator.fillUniform(a);
            values = a;
        } else {
            double[] a = new double[n];
            generator.fillUniform(a);
            values = a;
        }
        return Views.wrap(dtype, values, shape.clone());
    }

    public static Tensor normal(double mean, double std, Generator generator, DType dtype, int[] shape) {
        requireFloating(dtype, "normal");
        if (!(std >= 0)) {
            throw new IllegalArgumentException("normal: std must be non-negative, but got " + std);
        }
        double[] values = new double[Shape.of(shape).numel()];
        generator.fillNormal(values, mean, std);
        return Views.wrap(dtype, Strided.convert(values, DType.FLOAT64, dtype), shape.clone());
    }

    public static Tensor randint(long low, long high, Generator generator, int[] shape) {
        if (low >= high) {
            throw new IllegalArgumentException("randint: expected low < high, but got low=" + low + " and high=" + high);
        }
        long[] values = new long[Shape.of(shape).numel()];
        for (int i = 0; i < values.length; i++) {
            values[i] = generator.nextLong(low, high);
        }
        return Views.wrap(DType.INT64, values, shape.clone());
    }
}
