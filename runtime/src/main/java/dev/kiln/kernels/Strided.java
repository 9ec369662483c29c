package dev.kiln.kernels;

import dev.kiln.DType;

/**
 * Moves elements between strided layouts and contiguous arrays, and between element types. Arrays
 * are {@code float[]}, {@code double[]}, {@code long[]} or {@code boolean[]}; a layout is sizes,
 * strides (in elements, 0 for a broadcast dimension) and the offset of the first element.
 */
public final class Strided {
    private Strided() {}

    /** Called once per innermost row of a layout: its index in row-major order and its first element. */
    @FunctionalInterface
    private interface RowVisitor {
        void visit(int row, int start);
    }

    /** True when the layout is row-major without gaps, so element {@code i} sits at {@code offset + i}. */
    public static boolean isContiguous(int[] dims, int[] strides) {
        int expected = 1;
        for (int d = dims.length - 1; d >= 0; d--) {
            if (dims[d] != 1 && strides[d] != expected) {
                return false;
            }
            expected *= dims[d];
        }
        return true;
    }

    /** Row-major strides for {@code dims}. */
    public static int[] contiguousStrides(int[] dims) {
        int[] strides = new int[dims.length];
        int s = 1;
        for (int d = dims.length - 1; d >= 0; d--) {
            strides[d] = s;
            s *= Math.max(dims[d], 1);
        }
        return strides;
    }

    private static int numel(int[] dims) {
        int n = 1;
        for (int d : dims) {
            n *= d;
        }
        return n;
    }

    private static void forEachRow(int[] dims, int[] strides, int offset, RowVisitor visitor) {
        int rank = dims.length;
        int n = numel(dims);
        if (n == 0) {
            return;
        }
        if (rank <= 1) {
            visitor.visit(0, offset);
            return;
        }
        int rows = n / dims[rank - 1];
        int[] index = new int[rank - 1];
        int start = offset;
        for (int row = 0; row < rows; row++) {
            visitor.visit(row, start);
            // Odometer over the outer dimensions.
            for (int d = rank - 2; d >= 0; d--) {
                if (++index[d] < dims[d]) {
                    start += strides[d];
                    break;
                }
                start -= strides[d] * (dims[d] - 1);
                index[d] = 0;
            }
        }
    }

    /** A new contiguous array holding the layout's elements in row-major order. */
    public static Object gather(DType dtype, Object src, int[] dims, int[] strides, int offset) {
        int n = numel(dims);
        Object dst = allocate(dtype, n);
        if (isContiguous(dims, strides)) {
            System.arraycopy(src, offset, dst, 0, n);
            return dst;
        }
        int inner = dims.length == 0 ? 1 : dims[dims.length - 1];
        int step = dims.length == 0 ? 0 : strides[dims.length - 1];
        if (step == 1) {
            forEachRow(dims, strides, offset, (row, start) -> System.arraycopy(src, start, dst, row * inner, inner));
            return dst;
        }
        switch (dtype) {
            case FLOAT32 -> {
                float[] s = (float[]) src, t = (float[]) dst;
                forEachRow(dims, strides, offset, (row, start) -> {
                    for (int j = 0, o = row * inner; j < inner; j++) {
                        t[o + j] = s[start + j * step];
                    }
                });
            }
            case FLOAT64 -> {
                double[] s = (double[]) src, t = (double[]) dst;
                forEachRow(dims, strides, offset, (row, start) -> {
                    for (int j = 0, o = row * inner; j < inner; j++) {
                        t[o + j] = s[start + j * step];
                    }
                });
            }
            case INT64 -> {
                long[] s = (long[]) src, t = (long[]) dst;
                forEachRow(dims, strides, offset, (row, start) -> {
                    for (int j = 0, o = row * inner; j < inner; j++) {
                        t[o + j] = s[start + j * step];
                    }
                });
            }
            case BOOL -> {
                boolean[] s = (boolean[]) src, t = (boolean[]) dst;
                forEachRow(dims, strides, offset, (row, start) -> {
                    for (int j = 0, o = row * inner; j < inner; j++) {
                        t[o + j] = s[start + j * step];
                    }
                });
            }
        }
        return dst;
    }

    /** Writes contiguous {@code src} (same type, row-major) into the layout of {@code dst}. */
    public static void scatter(DType dtype, Object src, Object dst, int[] dims, int[] strides, int offset) {
        int n = numel(dims);
        if (isContiguous(dims, strides)) {
            System.arraycopy(src, 0, dst, offset, n);
            return;
        }
        int inner = dims.length == 0 ? 1 : dims[dims.length - 1];
        int step = dims.length == 0 ? 0 : strides[dims.length - 1];
        if (step == 1) {
            forEachRow(dims, strides, offset, (row, start) -> System.arraycopy(src, row * inner, dst, start, inner));
            return;
        }
        switch (dtype) {
            case FLOAT32 -> {
                float[] s = (float[]) src, t = (float[]) dst;
                forEachRow(dims, strides, offset, (row, start) -> {
                    for (int j = 0, o = row * inner; j < inner; j++) {
                        t[start + j * step] = s[o + j];
                    }
                });
            }
            case FLOAT64 -> {
                double[] s = (double[]) src, t = (double[]) dst;
                forEachRow(dims, strides, offset, (row, start) -> {
                    for (int j = 0, o = row * inner; j < inner; j++) {
                        t[start + j * step] = s[o + j];
                    }
                });
            }
            case INT64 -> {
                long[] s = (long[]) src, t = (long[]) dst;
                forEachRow(dims, strides, offset, (row, start) -> {
                    for (int j = 0, o = row * inner; j < inner; j++) {
                        t[start + j * step] = s[o + j];
                    }
                });
            }
            case BOOL -> {
                boolean[] s = (boolean[]) src, t = (boolean[]) dst;
                forEachRow(dims, strides, offset, (row, start) -> {
                    for (int j = 0, o = row * inner; j < inner; j++) {
                        t[start + j * step] = s[o + j];
                    }
                });
            }
        }
    }

    /** A new zero-filled array of {@code n} elements of {@code dtype}. */
    public static Object allocate(DType dtype, int n) {
        return switch (dtype) {
            case FLOAT32 -> new float[n];
            case FLOAT64 -> new double[n];
            case INT64 -> new long[n];
            case BOOL -> new boolean[n];
        };
    }

    /** Converts a contiguous array of type {@code from} to a new array of type {@code to}, as PyTorch casts. */
    public static Object convert(Object src, DType from, DType to) {
        int n = java.lang.reflect.Array.getLength(src);
        if (from == to) {
            Object dst = allocate(to, n);
            System.arraycopy(src, 0, dst, 0, n);
            return dst;
        }
        if (from == DType.INT64 && to != DType.BOOL) {
            long[] s = (long[]) src;
            if (to == DType.FLOAT32) {
                float[] t = new float[n];
                for (int i = 0; i < n; i++) {
                    t[i] = s[i];
                }
                return t;
            }
            double[] t = new double[n];
            for (int i = 0; i < n; i++) {
                t[i] = s[i];
            }
            return t;
        }
        // Every other conversion goes through double, which holds float32, bool and (the remaining
        // direction) values that are cast down to int64 or bool exactly as a C cast would.
        double[] values = toDoubles(src, from);
        return switch (to) {
            case FLOAT64 -> values;
            case FLOAT32 -> {
                float[] t = new float[n];
                for (int i = 0; i < n; i++) {
                    t[i] = (float) values[i];
                }
                yield t;
            }
            case INT64 -> {
                long[] t = new long[n];
                for (int i = 0; i < n; i++) {
                    t[i] = (long) values[i];
                }
                yield t;
            }
            case BOOL -> {
                boolean[] t = new boolean[n];
                for (int i = 0; i < n; i++) {
                    t[i] = values[i] != 0;
                }
                yield t;
            }
        };
    }

    private static double[] toDoubles(Object src, DType from) {
        switch (from) {
            case FLOAT64 -> {
                return ((double[]) src).clone();
            }
            case FLOAT32 -> {
                float[] s = (float[]) src;
                double[] t = new double[s.length];
                for (int i = 0; i < s.length; i++) {
                    t[i] = s[i];
                }
                return t;
            }
            case INT64 -> {
                long[] s = (long[]) src;
                double[] t = new double[s.length];
                for (int i = 0; i < s.length; i++) {
                    t[i] = s[i];
                }
                return t;
            }
            default -> {
                boolean[] s = (boolean[]) src;
                double[] t = new double[s.length];
                for (int i = 0; i < s.length; i++) {
                    t[i] = s[i] ? 1 : 0;
                }
                return t;
            }
        }
    }

    /** Element {@code i} of any array type, as a double (bool as 0 or 1). */
    public static double getDouble(Object array, int i) {
        return switch (array) {
            case float[] a -> a[i];
            case double[] a -> a[i];
            case long[] a -> a[i];
            case boolean[] a -> a[i] ? 1 : 0;
            default -> throw new IllegalArgumentException("not a tensor array: " + array.getClass());
        };
    }
}
