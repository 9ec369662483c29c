package dev.kiln;

import dev.kiln.autograd.AccumulateGrad;
import dev.kiln.autograd.Autograd;
import dev.kiln.autograd.Node;
import dev.kiln.device.Device;
import dev.kiln.device.cuda.CudaOps;
import dev.kiln.device.cuda.CudaStorage;
import dev.kiln.internal.Dims;
import dev.kiln.internal.TensorAccess;
import dev.kiln.internal.VersionCounter;
import dev.kiln.kernels.Strided;
import dev.kiln.ops.Dispatch;
import dev.kiln.ops.Factories;
import dev.kiln.ops.InPlace;
import dev.kiln.ops.Indexing;
import dev.kiln.ops.LinearAlgebra;
import dev.kiln.ops.Pointwise;
import dev.kiln.ops.Reductions;
import dev.kiln.ops.Views;
import java.util.List;

/**
 * An n-dimensional array of float32, float64, int64 or bool elements that records the operations
 * applied to it for automatic differentiation: Kiln's counterpart of {@code torch.Tensor}.
 *
 * <p>Method names follow Kotlin's operator conventions, so Kotlin callers write {@code a + b},
 * {@code a * 2}, {@code -a}, {@code a[i]}, {@code a += b} and {@code a[mask] = 0f}; Java callers read the
 * same words ({@code a.plus(b)}, {@code a.times(2)}). Binary operations broadcast as NumPy and PyTorch
 * do and promote element types by PyTorch's rules ({@link DType#resultType(Tensor, Tensor)}).
 *
 * <p>Views ({@link #t()}, {@link #transpose}, {@link #permute}, {@link #view}, {@link #slice},
 * {@link #get(int)}, {@link #unsqueeze}, {@link #squeeze}, {@link #expand}, {@link #detach()},
 * {@link #data()}) share storage with the tensor they come from: an in-place change through one is
 * seen by the other.
 *
 * <p>A tensor lives on a {@link Device}: the CPU (heap arrays), or a CUDA GPU after
 * {@link #to(Device)}. Operations run where their operands are and give results there; operands on
 * two devices are an error. {@link #item()} and {@link #toString()} read a device tensor by copying it
 * to the host; the array exports ({@link #toFloatArray()} and the like) need it moved with
 * {@code .to(Device.CPU)} first, as NumPy conversion does in PyTorch. {@link #close()} frees a device
 * tensor's memory at once; otherwise it is freed once no tensor refers to it.
 *
 * <p>A tensor is not thread-safe for writes; reading it from several threads is.
 */
public sealed class Tensor permits Parameter {
    static {
        TensorAccess.install(new Access());
    }

    private final DType dtype;
    /** A heap array on the CPU, a {@link CudaStorage} on a CUDA device; replaced only by {@code Module.to}. */
    private Object array;
    private final int[] dims;
    /** The product of {@link #dims}, which never change: kept, since kernels and optimizers ask for it on every call. */
    private final int numel;
    private int[] strides;
    private int offset;
    /** Whether dims and strides are row-major without gaps: asked by every kernel call, kept with the strides. */
    private boolean contiguous;
    private final VersionCounter version;
    private final Tensor base;

    private boolean requiresGrad;
    private Node gradFn;
    private Tensor grad;
    private AccumulateGrad accumulator;

    /** A leaf sharing {@code data}'s elements and version counter, with no history: the start of a {@link Parameter}. */
    Tensor(Tensor data) {
        this(data.dtype, data.array, data.dims, data.strides, data.offset, data.version, null);
    }

    private Tensor(DType dtype, Object array, int[] dims, int[] strides, int offset, VersionCounter version, Tensor base) {
        this.dtype = dtype;
        this.array = array;
        this.dims = dims;
        this.numel = Shape.numel(dims);
        this.strides = strides;
        this.offset = offset;
        this.contiguous = Strided.isContiguous(dims, strides);
        this.version = version;
        this.base = base;
    }

    // ---------------------------------------------------------------------------------------------
    // Creation

    /** A 1-d float32 tensor. */
    public static Tensor of(float... values) {
        return Factories.fromArray(values.clone(), new int[] {values.length});
    }

    /** A 1-d float64 tensor. */
    public static Tensor of(double... values) {
        return Factories.fromArray(values.clone(), new int[] {values.length});
    }

    /** A 1-d int64 tensor. */
    public static Tensor of(long... values) {
        return Factories.fromArray(values.clone(), new int[] {values.length});
    }

    /** A 1-d int64 tensor from Java ints. */
    public static Tensor of(int... values) {
        long[] longs = new long[values.length];
        for (int i = 0; i < values.length; i++) {
            longs[i] = values[i];
        }
        return Factories.fromArray(longs, new int[] {values.length});
    }

    /** A 1-d bool tensor. */
    public static Tensor of(boolean... values) {
        return Factories.fromArray(values.clone(), new int[] {values.length});
    }

    /**
     * A tensor from a rectangular nested array of any depth, such as {@code float[][]} or
     * {@code double[][][]}: {@code float} gives float32, {@code double} float64, {@code long} and
     * {@code int} int64, {@code boolean} bool. Ragged arrays are rejected with the offending path.
     */
    public static Tensor of(Object[] nested) {
        return Factories.fromNested(nested);
    }

    /** A tensor with the elements of {@code values} (any shape) converted to {@code dtype}. */
    public static Tensor of(Object values, DType dtype) {
        return Factories.fromAny(values).to(dtype);
    }

    /** A 0-d tensor of the default floating type (float32 unless {@link Kiln#setDefaultDtype}). */
    public static Tensor scalar(double value) {
        return Factories.full(value, Kiln.defaultDtype(), new int[0]);
    }

    /** A 0-d int64 tensor. */
    public static Tensor scalar(long value) {
        return Factories.fromArray(new long[] {value}, new int[0]);
    }

    /** A 0-d tensor of type {@code dtype}. */
    public static Tensor scalar(double value, DType dtype) {
        return Factories.full(value, dtype, new int[0]);
    }

    /** A tensor of zeros of the default floating type (float32 unless {@link Kiln#setDefaultDtype}). */
    public static Tensor zeros(int... shape) {
        return Factories.full(0, Kiln.defaultDtype(), shape);
    }

    /** A tensor of zeros of type {@code dtype}. */
    public static Tensor zeros(DType dtype, int... shape) {
        return Factories.full(0, dtype, shape);
    }

    /** A tensor of ones of the default floating type. */
    public static Tensor ones(int... shape) {
        return Factories.full(1, Kiln.defaultDtype(), shape);
    }

    /** A tensor of ones of type {@code dtype}. */
    public static Tensor ones(DType dtype, int... shape) {
        return Factories.full(1, dtype, shape);
    }

    /** A tensor of the default floating type filled with {@code value}. */
    public static Tensor full(double value, int... shape) {
        return Factories.full(value, Kiln.defaultDtype(), shape);
    }

    /** A tensor of type {@code dtype} filled with {@code value}. */
    public static Tensor full(double value, DType dtype, int... shape) {
        return Factories.full(value, dtype, shape);
    }

    /** The n x n identity matrix of the default floating type. */
    public static Tensor eye(int n) {
        return Factories.eye(n, n, Kiln.defaultDtype());
    }

    /** The n x m matrix of the default floating type with ones on the diagonal. */
    public static Tensor eye(int n, int m) {
        return Factories.eye(n, m, Kiln.defaultDtype());
    }

    /** The n x m matrix of type {@code dtype} with ones on the diagonal. */
    public static Tensor eye(int n, int m, DType dtype) {
        return Factories.eye(n, m, dtype);
    }

    /** The int64 values 0, 1, ..., end - 1. */
    public static Tensor arange(long end) {
        return Factories.arange(0, end, 1);
    }

    /** The int64 values start, start + 1, ..., below end. */
    public static Tensor arange(long start, long end) {
        return Factories.arange(start, end, 1);
    }

    /** The int64 values start, start + step, ..., stopping before end. */
    public static Tensor arange(long start, long end, long step) {
        return Factories.arange(start, end, step);
    }

    /** The values start, start + step, ..., stopping before end, of the default floating type. */
    public static Tensor arange(double start, double end, double step) {
        return Factories.arange(start, end, step);
    }

    /** {@code steps} values of the default floating type evenly spaced from start to end inclusive. */
    public static Tensor linspace(double start, double end, int steps) {
        return Factories.linspace(start, end, steps);
    }

    /** Values of the default floating type uniform in [0, 1) from the default generator. */
    public static Tensor rand(int... shape) {
        return Factories.rand(Kiln.defaultGenerator(), Kiln.defaultDtype(), shape);
    }

    /** Values of the default floating type uniform in [0, 1) from {@code generator}. */
    public static Tensor rand(Generator generator, int... shape) {
        return Factories.rand(generator, Kiln.defaultDtype(), shape);
    }

    /** Standard-normal values of the default floating type from the default generator. */
    public static Tensor randn(int... shape) {
        return Factories.normal(0, 1, Kiln.defaultGenerator(), Kiln.defaultDtype(), shape);
    }

    /** Standard-normal values of the default floating type from {@code generator}. */
    public static Tensor randn(Generator generator, int... shape) {
        return Factories.normal(0, 1, generator, Kiln.defaultDtype(), shape);
    }

    /** Standard-normal values of type {@code dtype} from the default generator. */
    public static Tensor randn(DType dtype, int... shape) {
        return Factories.normal(0, 1, Kiln.defaultGenerator(), dtype, shape);
    }

    /** Normal values of the default floating type with the given mean and standard deviation. */
    public static Tensor normal(double mean, double std, int... shape) {
        return Factories.normal(mean, std, Kiln.defaultGenerator(), Kiln.defaultDtype(), shape);
    }

    /** Normal values of the default floating type with the given mean and standard deviation, from {@code generator}. */
    public static Tensor normal(double mean, double std, Generator generator, int... shape) {
        return Factories.normal(mean, std, generator, Kiln.defaultDtype(), shape);
    }

    /** Int64 values uniform in [low, high). */
    public static Tensor randint(long low, long high, int... shape) {
        return Factories.randint(low, high, Kiln.defaultGenerator(), shape);
    }

    /** Int64 values uniform in [low, high), from {@code generator}. */
    public static Tensor randint(long low, long high, Generator generator, int... shape) {
        return Factories.randint(low, high, generator, shape);
    }

    /** Zeros with {@code like}'s shape and type, on its device. */
    public static Tensor zerosLike(Tensor like) {
        return Factories.fullLike(like, 0);
    }

    /** Ones with {@code like}'s shape and type, on its device. */
    public static Tensor onesLike(Tensor like) {
        return Factories.fullLike(like, 1);
    }

    /** {@code value} with {@code like}'s shape and type, on its device. */
    public static Tensor fullLike(Tensor like, double value) {
        return Factories.fullLike(like, value);
    }

    /** Uniform [0, 1) values with {@code like}'s shape and (floating) type, drawn on the CPU and placed on its device. */
    public static Tensor randLike(Tensor like) {
        return Factories.rand(Kiln.defaultGenerator(), like.dtype, like.dims).to(like.device());
    }

    /** Standard-normal values with {@code like}'s shape and (floating) type, drawn on the CPU and placed on its device. */
    public static Tensor randnLike(Tensor like) {
        return Factories.normal(0, 1, Kiln.defaultGenerator(), like.dtype, like.dims).to(like.device());
    }

    /** Integers uniform in [low, high) with {@code like}'s shape and type, as {@code torch.randint_like}; CPU tensors. */
    public static Tensor randintLike(Tensor like, long low, long high) {
        return Factories.randint(low, high, Kiln.defaultGenerator(), like.dims).to(like.dtype);
    }

    // ---------------------------------------------------------------------------------------------
    // Metadata and element access

    /** The sizes of the dimensions. */
    public Shape shape() {
        return Shape.wrap(dims); // both are immutable: they can share the array
    }

    /** The size of dimension {@code dim}; negative values count from the end. */
    public int size(int dim) {
        return dims[Dims.wrap(dim, dims.length, "size")];
    }

    /** The number of dimensions; 0 for a scalar. */
    public int dim() {
        return dims.length;
    }

    /** The number of elements. */
    public int numel() {
        return numel;
    }

    /** The element type. */
    public DType dtype() {
        return dtype;
    }

    /** The strides in elements, one per dimension. */
    public int[] stride() {
        return strides.clone();
    }

    /** Whether the elements lie row-major without gaps in storage. */
    public boolean isContiguous() {
        return contiguous;
    }

    /** This tensor if it is contiguous, otherwise a contiguous copy (recorded for autograd). */
    public Tensor contiguous() {
        return isContiguous() ? this : Views.contiguous(this);
    }

    /**
     * The value of a one-element tensor as a double (bool as 0 or 1).
     *
     * @throws IllegalStateException if the tensor has more than one element
     */
    public double item() {
        if (numel() != 1) {
            throw new IllegalStateException("item(): a tensor with " + numel() + " elements " + Shape.describe(dims)
                    + " cannot be converted to a scalar; only one-element tensors can");
        }
        if (array instanceof CudaStorage) {
            return CudaOps.download(this).item();  // one element copied to the host, as PyTorch's item() does
        }
        return Strided.getDouble(array, offset);
    }

    /**
     * The elements in row-major order, converted to float.
     *
     * @throws IllegalStateException for a tensor on a GPU: move it with {@code .to(Device.CPU)} first
     */
    public float[] toFloatArray() {
        return ((float[]) Views.readAs(onHost("toFloatArray"), DType.FLOAT32)).clone();
    }

    /** The elements in row-major order, converted to double; a tensor on a GPU must be moved to the CPU first. */
    public double[] toDoubleArray() {
        return ((double[]) Views.readAs(onHost("toDoubleArray"), DType.FLOAT64)).clone();
    }

    /** The elements in row-major order, converted to long (floats truncate toward zero); CPU tensors only. */
    public long[] toLongArray() {
        return ((long[]) Views.readAs(onHost("toLongArray"), DType.INT64)).clone();
    }

    /** The elements in row-major order, converted to boolean (non-zero is true); CPU tensors only. */
    public boolean[] toBooleanArray() {
        return ((boolean[]) Views.readAs(onHost("toBooleanArray"), DType.BOOL)).clone();
    }

    /** This tensor, which an array export reads; PyTorch's NumPy conversion refuses device tensors the same way. */
    private Tensor onHost(String export) {
        if (array instanceof CudaStorage s) {
            throw new IllegalStateException(export + ": cannot convert a tensor on " + s.device() + " to a Java array;"
                    + " copy it to host memory first with .to(Device.CPU)");
        }
        return this;
    }

    /** This tensor converted to {@code dtype}; this tensor itself when it already has that type. */
    public Tensor to(DType dtype) {
        return Pointwise.toType(this, dtype);
    }

    /** The device holding this tensor's elements. */
    public Device device() {
        return array instanceof CudaStorage s ? s.device() : Device.CPU;
    }

    /**
     * This tensor on {@code device}: this tensor itself when it is already there, otherwise a
     * contiguous copy of the same type and shape (uploaded to a GPU or downloaded from one), recorded
     * for autograd so that gradients flow back to the original device.
     *
     * @throws IllegalStateException when the tensor was closed
     */
    public Tensor to(Device device) {
        java.util.Objects.requireNonNull(device, "device");
        Device from = device();
        if (from.equals(device)) {
            return this;
        }
        Tensor copy = from.isCuda() ? CudaOps.download(this) : this;
        copy = device.isCuda() ? CudaOps.upload(copy, device) : copy;
        return dev.kiln.autograd.Graph.record("ToCopyBackward0", copy, new Tensor[] {this},
                (g, ctx) -> new Tensor[] {g.to(from)});
    }

    /**
     * Frees a GPU tensor's device memory now, for it and every view of it, instead of when the
     * garbage collector finds it unreachable; does nothing for a tensor on the CPU or one already
     * closed. Using the tensor (or a view of it) afterwards fails with an {@link IllegalStateException}.
     */
    public void close() {
        if (array instanceof CudaStorage s) {
            s.close();
        }
    }

    /** Converted to float32. */
    public Tensor toFloat() {
        return to(DType.FLOAT32);
    }

    /** Converted to float64. */
    public Tensor toDouble() {
        return to(DType.FLOAT64);
    }

    /** Converted to int64. */
    public Tensor toLong() {
        return to(DType.INT64);
    }

    /** Converted to bool. */
    public Tensor toBool() {
        return to(DType.BOOL);
    }

    // ---------------------------------------------------------------------------------------------
    // Arithmetic (Kotlin operators: + - * / unary -)

    /** Elementwise {@code this + other}, broadcasting. */
    public Tensor plus(Tensor other) {
        return Pointwise.add(this, other);
    }

    /** Elementwise {@code this + value}. */
    public Tensor plus(double value) {
        return Pointwise.add(this, Pointwise.scalarFor(this, value));
    }

    /** Elementwise {@code this + value}; int64 tensors stay int64. */
    public Tensor plus(long value) {
        return Pointwise.add(this, Pointwise.scalarFor(this, value));
    }

    /** Elementwise {@code this - other}, broadcasting. */
    public Tensor minus(Tensor other) {
        return Pointwise.sub(this, other);
    }

    /** Elementwise {@code this - value}. */
    public Tensor minus(double value) {
        return Pointwise.sub(this, Pointwise.scalarFor(this, value));
    }

    /** Elementwise {@code this - value}; int64 tensors stay int64. */
    public Tensor minus(long value) {
        return Pointwise.sub(this, Pointwise.scalarFor(this, value));
    }

    /** Elementwise {@code this * other}, broadcasting. */
    public Tensor times(Tensor other) {
        return Pointwise.mul(this, other);
    }

    /** Elementwise {@code this * value}. */
    public Tensor times(double value) {
        return Pointwise.mul(this, Pointwise.scalarFor(this, value));
    }

    /** Elementwise {@code this * value}; int64 tensors stay int64. */
    public Tensor times(long value) {
        return Pointwise.mul(this, Pointwise.scalarFor(this, value));
    }

    /** Elementwise true division {@code this / other}, broadcasting; integer operands give float32. */
    public Tensor div(Tensor other) {
        return Pointwise.div(this, other);
    }

    /** Elementwise true division {@code this / value}. */
    public Tensor div(double value) {
        return Pointwise.div(this, Pointwise.scalarFor(this, value));
    }

    /** Elementwise true division {@code this / value}; integer tensors give float32. */
    public Tensor div(long value) {
        return Pointwise.div(this, Pointwise.scalarFor(this, value));
    }

    /** Elementwise {@code this ^ exponent}. */
    public Tensor pow(double exponent) {
        return Pointwise.pow(this, exponent);
    }

    /** Elementwise {@code this ^ exponent}, broadcasting. */
    public Tensor pow(Tensor exponent) {
        return Pointwise.pow(this, exponent);
    }

    /** Elementwise negation, Kotlin's {@code -a}. */
    public Tensor unaryMinus() {
        return Pointwise.neg(this);
    }

    /** Elementwise e^x. */
    public Tensor exp() {
        return Pointwise.exp(this);
    }

    /** Elementwise natural logarithm. */
    public Tensor log() {
        return Pointwise.log(this);
    }

    /** Elementwise square root. */
    public Tensor sqrt() {
        return Pointwise.sqrt(this);
    }

    /** Elementwise absolute value. */
    public Tensor abs() {
        return Pointwise.abs(this);
    }

    /** Elementwise sign: -1, 0 or 1. */
    public Tensor sign() {
        return Pointwise.sign(this);
    }

    /** Elementwise max(x, 0). */
    public Tensor relu() {
        return Pointwise.relu(this);
    }

    /** Elementwise 1 / (1 + e^-x). */
    public Tensor sigmoid() {
        return Pointwise.sigmoid(this);
    }

    /** Elementwise hyperbolic tangent. */
    public Tensor tanh() {
        return Pointwise.tanh(this);
    }

    /** Elementwise min(max(x, min), max). */
    public Tensor clamp(double min, double max) {
        return Pointwise.clamp(this, min, max);
    }

    /** Elementwise max(x, min), as {@code torch.clamp(min=...)}. */
    public Tensor clampMin(double min) {
        return Pointwise.clamp(this, min, Double.NaN);
    }

    /** Elementwise min(x, max), as {@code torch.clamp(max=...)}. */
    public Tensor clampMax(double max) {
        return Pointwise.clamp(this, Double.NaN, max);
    }

    /** Softmax along {@code dim}: exp(x) / sum(exp(x)), computed stably. */
    public Tensor softmax(int dim) {
        return Reductions.softmax(this, dim);
    }

    /** Log-softmax along {@code dim}: x - log(sum(exp(x))), computed stably. */
    public Tensor logSoftmax(int dim) {
        return Reductions.logSoftmax(this, dim);
    }

    // ---------------------------------------------------------------------------------------------
    // Reductions

    /** The sum of all elements, as a 0-d tensor (int64 for integer and bool tensors). */
    public Tensor sum() {
        return Reductions.sum(this, null, false);
    }

    /** The sum along {@code dim}, which is removed. */
    public Tensor sum(int dim) {
        return Reductions.sum(this, new int[] {dim}, false);
    }

    /** The sum along {@code dim}, kept as size 1 when {@code keepDim}. */
    public Tensor sum(int dim, boolean keepDim) {
        return Reductions.sum(this, new int[] {dim}, keepDim);
    }

    /** The sum along several dimensions. */
    public Tensor sum(int[] dims, boolean keepDim) {
        return Reductions.sum(this, dims, keepDim);
    }

    /** The mean of all elements (floating-point tensors only). */
    public Tensor mean() {
        return Reductions.mean(this, null, false);
    }

    /** The mean along {@code dim}, which is removed. */
    public Tensor mean(int dim) {
        return Reductions.mean(this, new int[] {dim}, false);
    }

    /** The mean along {@code dim}, kept as size 1 when {@code keepDim}. */
    public Tensor mean(int dim, boolean keepDim) {
        return Reductions.mean(this, new int[] {dim}, keepDim);
    }

    /** The mean along several dimensions. */
    public Tensor mean(int[] dims, boolean keepDim) {
        return Reductions.mean(this, dims, keepDim);
    }

    /** The largest element, as a 0-d tensor; NaN if any element is NaN. */
    public Tensor max() {
        return Reductions.extreme(this, true);
    }

    /** The smallest element, as a 0-d tensor; NaN if any element is NaN. */
    public Tensor min() {
        return Reductions.extreme(this, false);
    }

    /** The largest values along {@code dim} and their indices; {@code dim} is removed. */
    public ValuesAndIndices max(int dim) {
        return Reductions.extreme(this, dim, false, true);
    }

    /** The largest values along {@code dim} and their indices. */
    public ValuesAndIndices max(int dim, boolean keepDim) {
        return Reductions.extreme(this, dim, keepDim, true);
    }

    /** The smallest values along {@code dim} and their indices; {@code dim} is removed. */
    public ValuesAndIndices min(int dim) {
        return Reductions.extreme(this, dim, false, false);
    }

    /** The smallest values along {@code dim} and their indices. */
    public ValuesAndIndices min(int dim, boolean keepDim) {
        return Reductions.extreme(this, dim, keepDim, false);
    }

    /** The index of the largest element in the flattened tensor (first one on ties). */
    public Tensor argmax() {
        return Reductions.extreme(flatten(), 0, false, true).indices();
    }

    /** The indices of the largest values along {@code dim}. */
    public Tensor argmax(int dim) {
        return Reductions.extreme(this, dim, false, true).indices();
    }

    /** The indices of the largest values along {@code dim}, which is kept as size 1 when {@code keepDim}. */
    public Tensor argmax(int dim, boolean keepDim) {
        return Reductions.extreme(this, dim, keepDim, true).indices();
    }

    /** The index of the smallest element in the flattened tensor (first one on ties). */
    public Tensor argmin() {
        return Reductions.extreme(flatten(), 0, false, false).indices();
    }

    /** The indices of the smallest values along {@code dim}. */
    public Tensor argmin(int dim) {
        return Reductions.extreme(this, dim, false, false).indices();
    }

    /** The indices of the smallest values along {@code dim}, which is kept as size 1 when {@code keepDim}. */
    public Tensor argmin(int dim, boolean keepDim) {
        return Reductions.extreme(this, dim, keepDim, false).indices();
    }

    // ---------------------------------------------------------------------------------------------
    // Linear algebra

    /** The matrix product of two 2-d tensors. */
    public Tensor mm(Tensor other) {
        return LinearAlgebra.mm(this, other);
    }

    /** The product of a 2-d matrix and a 1-d vector. */
    public Tensor mv(Tensor vector) {
        return LinearAlgebra.mv(this, vector);
    }

    /** The dot product of two 1-d tensors of equal length. */
    public Tensor dot(Tensor other) {
        return LinearAlgebra.dot(this, other);
    }

    /** The batched matrix product of two 3-d tensors with the same batch size. */
    public Tensor bmm(Tensor other) {
        return LinearAlgebra.bmm(this, other);
    }

    /**
     * The matrix product by PyTorch's {@code matmul} rules: 1-d x 1-d is a dot product, 2-d x 1-d a
     * matrix-vector product, 1-d x 2-d a vector-matrix product, 2-d x 2-d a matrix product, and
     * higher ranks a batched product whose batch dimensions broadcast.
     */
    public Tensor matmul(Tensor other) {
        return LinearAlgebra.matmul(this, other);
    }

    // ---------------------------------------------------------------------------------------------
    // Shape

    /** The transpose of a tensor of at most 2 dimensions (a view). */
    public Tensor t() {
        if (dims.length > 2) {
            throw new IllegalArgumentException("t(): expects a tensor of at most 2 dimensions, but got " + dims.length
                    + " dimensions " + Shape.describe(dims) + "; use transpose(dim0, dim1)");
        }
        return dims.length < 2 ? Views.alias(this) : transpose(0, 1);
    }

    /** Swaps two dimensions (a view). */
    public Tensor transpose(int dim0, int dim1) {
        return Views.transpose(this, dim0, dim1);
    }

    /** Reorders the dimensions: dimension i of the result is dimension {@code order[i]} of this (a view). */
    public Tensor permute(int... order) {
        return Views.permute(this, order);
    }

    /** The same elements in a new shape; one size may be -1 to be inferred. Copies only when a view is impossible. */
    public Tensor reshape(int... shape) {
        return Views.reshape(this, shape);
    }

    /** The same elements in a new shape, sharing storage; fails when the strides do not allow a view. */
    public Tensor view(int... shape) {
        return Views.view(this, shape);
    }

    /** The elements as a 1-d tensor. */
    public Tensor flatten() {
        return flatten(0, -1);
    }

    /** Merges dimensions {@code startDim..endDim} into one. */
    public Tensor flatten(int startDim, int endDim) {
        return Views.flatten(this, startDim, endDim);
    }

    /** Inserts a dimension of size 1 at {@code dim} (a view). */
    public Tensor unsqueeze(int dim) {
        return Views.unsqueeze(this, dim);
    }

    /** Removes every dimension of size 1 (a view). */
    public Tensor squeeze() {
        return Views.squeeze(this, null);
    }

    /** Removes dimension {@code dim} if its size is 1 (a view). */
    public Tensor squeeze(int dim) {
        return Views.squeeze(this, dim);
    }

    /** Broadcasts to a larger shape without copying (a view); -1 keeps a size. */
    public Tensor expand(int... shape) {
        return Views.expand(this, shape);
    }

    /** Joins tensors of equal shape along a new dimension {@code dim}. */
    public static Tensor stack(List<Tensor> tensors, int dim) {
        return Indexing.stack(tensors, dim);
    }

    /** Joins tensors of equal shape along a new first dimension. */
    public static Tensor stack(Tensor... tensors) {
        return Indexing.stack(List.of(tensors), 0);
    }

    /** Concatenates tensors along existing dimension {@code dim}. */
    public static Tensor cat(List<Tensor> tensors, int dim) {
        return Indexing.cat(tensors, dim);
    }

    /** Concatenates tensors along their first dimension. */
    public static Tensor cat(Tensor... tensors) {
        return Indexing.cat(List.of(tensors), 0);
    }

    // ---------------------------------------------------------------------------------------------
    // Indexing

    /** Elements {@code start, start + 1, ...} below {@code end} along {@code dim} (a view); negative bounds count from the end. */
    public Tensor slice(int dim, int start, int end) {
        return Views.slice(this, dim, start, end, 1);
    }

    /** Elements {@code start, start + step, ...} below {@code end} along {@code dim} (a view). */
    public Tensor slice(int dim, int start, int end, int step) {
        return Views.slice(this, dim, start, end, step);
    }

    /** Entry {@code index} of the first dimension, which is removed (a view); Kotlin's {@code a[i]}. */
    public Tensor get(int index) {
        return Views.select(this, 0, index);
    }

    /** Successive entries of the leading dimensions (a view); Kotlin's {@code a[i, j]}. */
    public Tensor get(int... indices) {
        Tensor t = this;
        for (int index : indices) {
            t = t.get(index);
        }
        return t;
    }

    /** Entry {@code index} of dimension {@code dim}, which is removed (a view). */
    public Tensor select(int dim, int index) {
        return Views.select(this, dim, index);
    }

    /** The entries of dimension {@code dim} listed by the 1-d int64 tensor {@code index}, copied. */
    public Tensor indexSelect(int dim, Tensor index) {
        return Indexing.indexSelect(this, dim, index);
    }

    /**
     * The elements picked along {@code dim} by {@code index}, as {@code torch.gather}: for a 2-d tensor,
     * {@code out[i][j] = this[index[i][j]][j]} when {@code dim} is 0 and {@code this[i][index[i][j]]} when
     * it is 1 (so {@code logits.gather(1, labels.unsqueeze(1))} picks each row's entry for its label).
     * The result has the index's shape.
     *
     * <p>The gradient is scatter-added into zeros of this tensor's shape: an element picked twice
     * receives both contributions.
     *
     * @param dim the dimension to pick along; negative values count from the end
     * @param index an int64 tensor with as many dimensions as this one, no larger than this one outside
     *     {@code dim}, holding indices in {@code [0, size(dim))}
     * @throws IllegalArgumentException if the index is not int64 or its shape does not fit
     * @throws IndexOutOfBoundsException if an index is negative or not below {@code size(dim)}
     */
    public Tensor gather(int dim, Tensor index) {
        return Indexing.gather(this, dim, index);
    }

    /** The sorted distinct elements, as a 1-d tensor. */
    public Tensor unique() {
        return Indexing.unique(this);
    }

    // ---------------------------------------------------------------------------------------------
    // Comparison and selection

    /** Elementwise {@code this < other}, as a bool tensor. */
    public Tensor lt(Tensor other) {
        return Pointwise.compare(this, other, Pointwise.Comparison.LT);
    }

    /** Elementwise {@code this < value}. */
    public Tensor lt(double value) {
        return lt(Pointwise.scalarFor(this, value));
    }

    /** Elementwise {@code this < value}, exact for int64 tensors. */
    public Tensor lt(long value) {
        return lt(Pointwise.scalarFor(this, value));
    }

    /** Elementwise {@code this <= other}. */
    public Tensor le(Tensor other) {
        return Pointwise.compare(this, other, Pointwise.Comparison.LE);
    }

    /** Elementwise {@code this <= value}. */
    public Tensor le(double value) {
        return le(Pointwise.scalarFor(this, value));
    }

    /** Elementwise {@code this <= value}, exact for int64 tensors. */
    public Tensor le(long value) {
        return le(Pointwise.scalarFor(this, value));
    }

    /** Elementwise {@code this > other}. */
    public Tensor gt(Tensor other) {
        return Pointwise.compare(this, other, Pointwise.Comparison.GT);
    }

    /** Elementwise {@code this > value}. */
    public Tensor gt(double value) {
        return gt(Pointwise.scalarFor(this, value));
    }

    /** Elementwise {@code this > value}, exact for int64 tensors. */
    public Tensor gt(long value) {
        return gt(Pointwise.scalarFor(this, value));
    }

    /** Elementwise {@code this >= other}. */
    public Tensor ge(Tensor other) {
        return Pointwise.compare(this, other, Pointwise.Comparison.GE);
    }

    /** Elementwise {@code this >= value}. */
    public Tensor ge(double value) {
        return ge(Pointwise.scalarFor(this, value));
    }

    /** Elementwise {@code this >= value}, exact for int64 tensors. */
    public Tensor ge(long value) {
        return ge(Pointwise.scalarFor(this, value));
    }

    /** Elementwise {@code this == other}. */
    public Tensor eq(Tensor other) {
        return Pointwise.compare(this, other, Pointwise.Comparison.EQ);
    }

    /** Elementwise {@code this == value}. */
    public Tensor eq(double value) {
        return eq(Pointwise.scalarFor(this, value));
    }

    /** Elementwise {@code this == value}, exact for int64 tensors. */
    public Tensor eq(long value) {
        return eq(Pointwise.scalarFor(this, value));
    }

    /** Elementwise {@code this != other}. */
    public Tensor ne(Tensor other) {
        return Pointwise.compare(this, other, Pointwise.Comparison.NE);
    }

    /** Elementwise {@code this != value}. */
    public Tensor ne(double value) {
        return ne(Pointwise.scalarFor(this, value));
    }

    /** Elementwise {@code this != value}, exact for int64 tensors. */
    public Tensor ne(long value) {
        return ne(Pointwise.scalarFor(this, value));
    }

    /** Elementwise logical and of two bool tensors. */
    public Tensor logicalAnd(Tensor other) {
        return Pointwise.compare(this.toBool(), other.toBool(), Pointwise.Comparison.AND);
    }

    /** {@code x} where {@code condition} (a bool tensor) holds, else {@code y}; all three broadcast. */
    public static Tensor where(Tensor condition, Tensor x, Tensor y) {
        return Pointwise.where(condition, x, y);
    }

    /** {@code x} where {@code condition} holds, else the scalar {@code y}. */
    public static Tensor where(Tensor condition, Tensor x, double y) {
        return Pointwise.where(condition, x, Pointwise.scalarFor(x, y));
    }

    /** A copy with {@code value} where {@code mask} (bool, broadcastable to this shape) is true. */
    public Tensor maskedFill(Tensor mask, double value) {
        return Pointwise.maskedFill(this, mask, value);
    }

    /**
     * Whether every element is within {@code atol + rtol * |other|} of {@code other} (broadcasting),
     * with PyTorch's defaults rtol = 1e-5 and atol = 1e-8; NaNs are never close.
     */
    public boolean allClose(Tensor other) {
        return allClose(other, 1e-5, 1e-8);
    }

    /** Whether every element is within {@code atol + rtol * |other|} of {@code other}. */
    public boolean allClose(Tensor other, double rtol, double atol) {
        if (Dispatch.onCuda("allClose", this, other)) {
            return CudaOps.download(this).allClose(CudaOps.download(other), rtol, atol);
        }
        return Pointwise.allClose(this, other, rtol, atol);
    }

    /** True when both tensors have the same shape and equal elements. */
    public boolean equal(Tensor other) {
        if (Dispatch.onCuda("equal", this, other)) {
            return CudaOps.download(this).equal(CudaOps.download(other));  // a yes or no: compared on the host
        }
        return shape().equals(other.shape()) && Pointwise.allTrue(eq(other));
    }

    // ---------------------------------------------------------------------------------------------
    // Copies and detaching

    /** A contiguous copy; gradients flow back to this tensor. */
    public Tensor clone() {
        return Views.cloneTensor(this);
    }

    /**
     * A tensor sharing this one's storage and version counter but with no history: what it is
     * computed into is not recorded. An in-place change through it is still caught by backward.
     */
    public Tensor detach() {
        // Not a view for autograd (no base), as PyTorch's non-differentiable detach() view: an in-place
        // operation on it with an operand that requires grad records history on it alone.
        return new Tensor(dtype, array, dims, strides, offset, version, null);
    }

    /**
     * PyTorch's {@code .data}: shares storage, records nothing, and has its own version counter, so
     * in-place changes through it (a hand-written optimizer's update) are not checked by autograd.
     */
    public Tensor data() {
        return new Tensor(dtype, array, dims, strides, offset, new VersionCounter(), null);
    }

    // ---------------------------------------------------------------------------------------------
    // In place (Kotlin's += -= *= /= and a[i] = v)

    /** {@code this += other} in place; {@code other} broadcasts to this tensor's shape. Returns this. */
    public Tensor plusAssign(Tensor other) {
        return InPlace.apply(this, "plusAssign", x -> x.plus(other), other);
    }

    /** {@code this += value} in place. */
    public Tensor plusAssign(double value) {
        return InPlace.apply(this, "plusAssign", x -> x.plus(value));
    }

    /** {@code this += value} in place; int64 tensors accept it (a {@code double} would give float32). */
    public Tensor plusAssign(long value) {
        return InPlace.apply(this, "plusAssign", x -> x.plus(value));
    }

    /** {@code this -= other} in place. */
    public Tensor minusAssign(Tensor other) {
        return InPlace.apply(this, "minusAssign", x -> x.minus(other), other);
    }

    /** {@code this -= value} in place. */
    public Tensor minusAssign(double value) {
        return InPlace.apply(this, "minusAssign", x -> x.minus(value));
    }

    /** {@code this -= value} in place; int64 tensors accept it (a {@code double} would give float32). */
    public Tensor minusAssign(long value) {
        return InPlace.apply(this, "minusAssign", x -> x.minus(value));
    }

    /** {@code this *= other} in place. */
    public Tensor timesAssign(Tensor other) {
        return InPlace.apply(this, "timesAssign", x -> x.times(other), other);
    }

    /** {@code this *= value} in place. */
    public Tensor timesAssign(double value) {
        return InPlace.apply(this, "timesAssign", x -> x.times(value));
    }

    /** {@code this *= value} in place; int64 tensors accept it (a {@code double} would give float32). */
    public Tensor timesAssign(long value) {
        return InPlace.apply(this, "timesAssign", x -> x.times(value));
    }

    /** {@code this /= other} in place. */
    public Tensor divAssign(Tensor other) {
        return InPlace.apply(this, "divAssign", x -> x.div(other), other);
    }

    /** {@code this /= value} in place. */
    public Tensor divAssign(double value) {
        return InPlace.apply(this, "divAssign", x -> x.div(value));
    }

    /** Sets the elements where {@code mask} is true to {@code value}: Kotlin's {@code a[mask] = v}, PyTorch's {@code a[mask] = v}. */
    public Tensor set(Tensor mask, double value) {
        return InPlace.apply(this, "set", x -> x.maskedFill(mask, value), mask);
    }

    /** Copies {@code value} (broadcast) into entry {@code index} of the first dimension: Kotlin's {@code a[i] = v}. */
    public Tensor set(int index, Tensor value) {
        get(index).copyFrom(value);
        return this;
    }

    /** Fills entry {@code index} of the first dimension with {@code value}. */
    public Tensor set(int index, double value) {
        get(index).fill(value);
        return this;
    }

    /** Sets every element to zero in place, as {@code zero_()}. Returns this. */
    public Tensor zero() {
        return fill(0);
    }

    /** Sets every element to {@code value} in place, as {@code fill_()}. Returns this. */
    public Tensor fill(double value) {
        if (array instanceof CudaStorage) {
            return InPlace.apply(this, "fill", x -> Pointwise.filled(x, value));
        }
        return InPlace.apply(this, "fill", x -> x.maskedFill(Tensor.full(1, DType.BOOL), value));
    }

    /** Copies {@code source} (broadcast, converted to this type) into this tensor, as {@code copy_()}. Returns this. */
    public Tensor copyFrom(Tensor source) {
        return InPlace.apply(this, "copyFrom", x -> Pointwise.copyOf(x, source), source);
    }

    // ---------------------------------------------------------------------------------------------
    // Autograd

    /** Whether gradients are computed for this tensor. */
    public boolean requiresGrad() {
        return requiresGrad;
    }

    /**
     * Sets whether gradients are computed for this leaf tensor, as {@code requires_grad_()}; returns
     * this tensor.
     *
     * @throws IllegalArgumentException for integer and bool tensors, or to turn it off on a non-leaf
     */
    public Tensor requiresGrad(boolean requiresGrad) {
        if (requiresGrad && !dtype.isFloatingPoint()) {
            throw new IllegalArgumentException("requiresGrad: only tensors of floating-point type can require"
                    + " gradients, but this one is " + dtype.pytorchName() + "; convert it with toFloat() first");
        }
        if (!requiresGrad && gradFn != null) {
            throw new IllegalArgumentException("requiresGrad(false) on a non-leaf tensor (grad_fn="
                    + gradFn.name() + "); use detach() to get a tensor without history");
        }
        this.requiresGrad = requiresGrad;
        return this;
    }

    /** True for tensors not computed by a recorded operation: those the user created. */
    public boolean isLeaf() {
        return gradFn == null;
    }

    /** The node that computed this tensor, or null for leaves. */
    public Node gradFn() {
        return gradFn;
    }

    /** The accumulated gradient of a leaf, or null before the first backward (and after {@link #setGrad} null). */
    public Tensor grad() {
        return grad;
    }

    /** Replaces the gradient; null clears it. The gradient must have this tensor's shape. */
    public void setGrad(Tensor grad) {
        if (grad != null && !grad.shape().equals(shape())) {
            throw new IllegalArgumentException("setGrad: gradient of shape " + Shape.describe(grad.dims)
                    + " for a tensor of shape " + Shape.describe(dims));
        }
        this.grad = grad;
    }

    /** Backpropagates from this one-element tensor, accumulating into leaves' {@code grad()}; frees the graph. */
    public void backward() {
        Autograd.backward(this, null, false);
    }

    /** Backpropagates from this one-element tensor; {@code retainGraph} keeps the graph for another backward. */
    public void backward(boolean retainGraph) {
        Autograd.backward(this, null, retainGraph);
    }

    /** Backpropagates {@code gradient} (this tensor's shape) from this tensor. */
    public void backward(Tensor gradient) {
        Autograd.backward(this, gradient, false);
    }

    /** Backpropagates {@code gradient}; {@code retainGraph} keeps the graph for another backward. */
    public void backward(Tensor gradient, boolean retainGraph) {
        Autograd.backward(this, gradient, retainGraph);
    }

    // ---------------------------------------------------------------------------------------------
    // Printing

    /** As PyTorch prints: {@code tensor([[ 1.5410, -0.2934], [-1.0845, -1.3986]], requires_grad=True)}. */
    @Override
    public String toString() {
        return TensorFormatter.format(this);
    }

    // ---------------------------------------------------------------------------------------------
    // Internals

    private static final class Access implements TensorAccess {
        @Override
        public Object array(Tensor t) {
            if (t.array instanceof CudaStorage s) {
                throw Dispatch.unsupported(s.device());
            }
            return t.array;
        }

        @Override
        public Object storage(Tensor t) {
            return t.array;
        }

        @Override
        public Tensor wrapStorage(DType dtype, Object storage, int[] dims) {
            return new Tensor(dtype, storage, dims, Strided.contiguousStrides(dims), 0, new VersionCounter(), null);
        }

        @Override
        public void replaceStorage(Tensor t, Tensor source) {
            if (!java.util.Arrays.equals(t.dims, source.dims) || t.dtype != source.dtype) {
                throw new IllegalArgumentException("replaceStorage: expected a " + t.dtype + " tensor of shape "
                        + Shape.describe(t.dims) + ", but got a " + source.dtype + " tensor of shape "
                        + Shape.describe(source.dims));
            }
            t.array = source.array;
            t.strides = source.strides;
            t.offset = source.offset;
            t.contiguous = source.contiguous;
            t.version.bump();
        }

        @Override
        public int[] dims(Tensor t) {
            return t.dims;
        }

        @Override
        public int[] strides(Tensor t) {
            return t.strides;
        }

        @Override
        public int offset(Tensor t) {
            return t.offset;
        }

        @Override
        public Tensor wrap(DType dtype, Object array, int[] dims) {
            return new Tensor(dtype, array, dims, Strided.contiguousStrides(dims), 0, new VersionCounter(), null);
        }

        @Override
        public Tensor view(Tensor base, int[] dims, int[] strides, int offset) {
            return new Tensor(base.dtype, base.array, dims, strides, offset, base.version,
                    base.base == null ? base : base.base);
        }

        @Override
        public VersionCounter version(Tensor t) {
            return t.version;
        }

        @Override
        public void setHistory(Tensor t, Node gradFn) {
            t.gradFn = gradFn;
            t.requiresGrad = true;
        }

        @Override
        public Node gradAccumulator(Tensor t) {
            // Locked: data-loader workers may record operations on the same leaf at once, and two
            // accumulators for one leaf would split its gradient.
            synchronized (t) {
                if (t.accumulator == null) {
                    t.accumulator = new AccumulateGrad(t);
                }
                return t.accumulator;
            }
        }

        @Override
        public Tensor base(Tensor t) {
            return t.base;
        }
    }
}
