package dev.kiln;

/**
 * The element types a {@link Tensor} can hold. {@link #FLOAT32} is the default, as in PyTorch.
 *
 * <p>Binary operations on tensors of different types promote to a common type by PyTorch's rules:
 * bool &lt; int64 &lt; float32 &lt; float64 within {@link #promote}; see {@link Tensor#plus(Tensor)}
 * for how 0-d tensors and Java scalars take part.
 */
public enum DType {
    /** 32-bit IEEE float; the default for floating-point tensors. */
    FLOAT32("torch.float32", "Float"),
    /** 64-bit IEEE float. */
    FLOAT64("torch.float64", "Double"),
    /** 64-bit signed integer; the type of indices and of tensors built from Java {@code long}s and {@code int}s. */
    INT64("torch.int64", "Long"),
    /** Boolean; the result of comparisons and the type of masks. */
    BOOL("torch.bool", "Bool");

    private final String pytorchName;
    private final String scalarName;

    DType(String pytorchName, String scalarName) {
        this.pytorchName = pytorchName;
        this.scalarName = scalarName;
    }

    /** True for float32 and float64: the types that can require gradients. */
    public boolean isFloatingPoint() {
        return this == FLOAT32 || this == FLOAT64;
    }

    /** PyTorch's name for this type, for example {@code torch.float64}; used when printing tensors. */
    public String pytorchName() {
        return pytorchName;
    }

    /** PyTorch's scalar-type name, for example {@code Float}, used in error messages. */
    public String scalarName() {
        return scalarName;
    }

    /** The category of a type for promotion: bool 0, integral 1, floating 2. */
    int category() {
        return switch (this) {
            case BOOL -> 0;
            case INT64 -> 1;
            case FLOAT32, FLOAT64 -> 2;
        };
    }

    /** The smallest type both {@code a} and {@code b} convert to without loss of category. */
    public static DType promote(DType a, DType b) {
        return a.ordinalRank() >= b.ordinalRank() ? a : b;
    }

    private int ordinalRank() {
        return switch (this) {
            case BOOL -> 0;
            case INT64 -> 1;
            case FLOAT32 -> 2;
            case FLOAT64 -> 3;
        };
    }

    /**
     * The type of a binary operation's result, by PyTorch's rules: tensors with dimensions decide;
     * a 0-d tensor only raises the result when its category (bool, integral, floating) is higher.
     */
    public static DType resultType(Tensor a, Tensor b) {
        boolean a0 = a.dim() == 0, b0 = b.dim() == 0;
        if (a0 == b0) {
            return promote(a.dtype(), b.dtype());
        }
        DType dims = a0 ? b.dtype() : a.dtype();
        DType zero = a0 ? a.dtype() : b.dtype();
        return zero.category() > dims.category() ? promote(dims, zero) : dims;
    }

    /**
     * The type of an operation between a tensor of type {@code tensor} and a Java scalar: the tensor's
     * type unless the scalar's category is higher (a {@code double} with an integral tensor gives
     * float32, a {@code long} with a bool tensor gives int64).
     */
    public static DType resultType(DType tensor, boolean scalarIsFloatingPoint) {
        if (scalarIsFloatingPoint && !tensor.isFloatingPoint()) {
            return FLOAT32;
        }
        if (!scalarIsFloatingPoint && tensor == BOOL) {
            return INT64;
        }
        return tensor;
    }

    /** Whether a value of type {@code from} may be written into a tensor of type {@code to} in place. */
    public static boolean canCast(DType from, DType to) {
        return from.category() <= to.category();
    }
}
