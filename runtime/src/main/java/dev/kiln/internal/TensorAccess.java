package dev.kiln.internal;

import dev.kiln.DType;
import dev.kiln.Tensor;
import dev.kiln.autograd.Node;

/**
 * The runtime's own door into a tensor's storage and history, used by the operation and autograd
 * packages. Not API: users never need it, and it may change in any release.
 *
 * <p>{@link Tensor} installs the one implementation when its class is initialised, the pattern of
 * the JDK's shared secrets, so that these methods stay off {@code Tensor}'s public surface.
 */
public interface TensorAccess {

    /**
     * The backing array: {@code float[]}, {@code double[]}, {@code long[]} or {@code boolean[]}.
     *
     * @throws UnsupportedOperationException for a tensor on a CUDA device, naming the operation that
     *     has no path there: every CPU kernel reads its operands through this method
     */
    Object array(Tensor t);

    /** What holds the elements: the heap array of a CPU tensor, the {@code CudaStorage} of a device tensor. */
    Object storage(Tensor t);

    /** A new contiguous tensor on {@code storage} (a heap array or a {@code CudaStorage}) of {@code dims}. */
    Tensor wrapStorage(DType dtype, Object storage, int[] dims);

    /**
     * Makes {@code t} hold {@code source}'s elements (same type and shape; another device, say),
     * in place, as PyTorch's {@code param.data = ...}: how {@code Module.to} moves a parameter without
     * replacing the object that optimizers and state dicts hold.
     */
    void replaceStorage(Tensor t, Tensor source);

    /** The tensor's sizes; the caller must not modify the array. */
    int[] dims(Tensor t);

    /** The tensor's strides in elements; the caller must not modify the array. */
    int[] strides(Tensor t);

    /** The index of the tensor's first element in its backing array. */
    int offset(Tensor t);

    /** A new contiguous tensor that owns {@code array}, whose length must be the product of {@code dims}. */
    Tensor wrap(DType dtype, Object array, int[] dims);

    /** A view sharing {@code base}'s storage and version counter, with no history. */
    Tensor view(Tensor base, int[] dims, int[] strides, int offset);

    /** The version counter shared by a tensor and its views. */
    VersionCounter version(Tensor t);

    /** Makes {@code t} the output of {@code gradFn}: it requires grad and is no longer a leaf. */
    void setHistory(Tensor t, Node gradFn);

    /** The node that accumulates gradients into leaf {@code t}'s {@code grad()}, created once per leaf. */
    Node gradAccumulator(Tensor t);

    /** The tensor this one is a view of, or null. */
    Tensor base(Tensor t);

    /** The implementation, installed by {@link Tensor}'s static initialiser. */
    static TensorAccess get() {
        TensorAccess access = Holder.installed;
        if (access == null) {
            try {
                // Initialising Tensor runs its static block, which calls install().
                Class.forName(Tensor.class.getName(), true, Tensor.class.getClassLoader());
            } catch (ClassNotFoundException e) {
                throw new AssertionError(e);
            }
            access = Holder.installed;
        }
        return access;
    }

    /** Called once, by {@link Tensor}'s static initialiser. */
    static void install(TensorAccess access) {
        if (Holder.installed != null) {
            throw new IllegalStateException("TensorAccess is already installed");
        }
        Holder.installed = access;
    }

    /** Holds the installed implementation. */
    final class Holder {
        private static volatile TensorAccess installed;

        private Holder() {}
    }
}
