package dev.kiln.ops;

import dev.kiln.DType;
import dev.kiln.Shape;
import dev.kiln.Tensor;
import dev.kiln.autograd.GradMode;
import dev.kiln.kernels.Strided;
import java.util.Arrays;
import java.util.function.UnaryOperator;

/**
 * In-place operations ({@code plusAssign}, {@code set}, {@code fill}, {@code copyFrom}, ...) as one
 * mechanism: the new value is computed out of place, checked, and only then written over the
 * tensor, so a failing operation leaves the tensor unchanged and an operand that overlaps the
 * tensor is read before it is overwritten.
 *
 * <p>PyTorch's autograd rules hold: changing a leaf that requires grad while grad mode is on is an
 * error; each change bumps the version counter shared with the tensor's views, so a backward that
 * needs an overwritten value fails; a tensor that requires grad takes the operation's node as its
 * new history.
 */
public final class InPlace {
    private InPlace() {}

    /**
     * Replaces the elements of {@code self} with {@code compute(self)}; {@code operands} are the other
     * tensors {@code compute} reads (they decide, with {@code self}, whether history is recorded).
     */
    public static Tensor apply(Tensor self, String op, UnaryOperator<Tensor> compute, Tensor... operands) {
        boolean record = GradMode.isEnabled() && (self.requiresGrad() || anyRequiresGrad(operands));
        check(self, op, record);
        int[] dims = Views.ACCESS.dims(self);
        int[] strides = Views.ACCESS.strides(self);
        // With history, compute from a recorded copy so that the operation's node keeps the old values.
        Tensor result = compute.apply(record ? self.clone() : self);
        if (!Arrays.equals(Views.ACCESS.dims(result), dims)) {
            throw new IllegalArgumentException(op + ": the result has shape " + Shape.describe(Views.ACCESS.dims(result))
                    + " but the tensor changed in place has shape " + Shape.describe(dims)
                    + "; an in-place operation cannot change the shape (the other operand must broadcast to it)");
        }
        DType type = self.dtype();
        if (!DType.canCast(result.dtype(), type)) {
            throw new IllegalArgumentException(op + ": the result type " + result.dtype().pytorchName()
                    + " cannot be written into a tensor of type " + type.pytorchName() + " in place; convert the tensor"
                    + " with to(" + result.dtype() + ") first");
        }
        if (self.device().isCuda()) {
            dev.kiln.device.cuda.CudaOps.write(self, result);
            finish(self, result, record);
            return self;
        }
        // A device value written into a CPU tensor (copyFrom across devices, as copy_ allows) comes to the host first.
        Object data = Views.readAs(result.device().isCuda() ? dev.kiln.device.cuda.CudaOps.download(result) : result, type);
        if (data == Views.ACCESS.array(self)) {
            // The result is self's own storage read in place (copyFrom of an overlapping tensor, such as
            // x.t().copyFrom(x)): copy it first, so that no element is read after it was overwritten.
            data = Strided.convert(data, type, type);
        }
        Strided.scatter(type, data, Views.ACCESS.array(self), dims, strides, Views.ACCESS.offset(self));
        finish(self, result, record);
        return self;
    }

    /** After the write: bumps the version counter and, when recording, gives {@code self} the result's history. */
    private static void finish(Tensor self, Tensor result, boolean record) {
        Views.ACCESS.version(self).bump();
        if (record && result.gradFn() != null) {
            Views.ACCESS.setHistory(self, result.gradFn());
        }
    }

    /**
     * Checks that {@code self} may be changed in place with recording off, as {@link #apply} checks
     * it, for code that writes a tensor's storage itself (an optimizer's fused update); such code
     * then bumps the version counter, as {@code apply} does.
     *
     * @throws IllegalStateException if grad mode is on and {@code self} requires grad (the write
     *     would not be recorded): such writes belong inside {@code Kiln.noGrad()}
     * @throws IllegalArgumentException if {@code self} is an expanded view
     */
    public static void checkWritable(Tensor self, String op) {
        if (GradMode.isEnabled() && self.requiresGrad()) {
            throw new IllegalStateException(op + ": this change to a tensor that requires grad is not recorded for"
                    + " autograd, so it must run inside Kiln.noGrad()");
        }
        check(self, op, false);
    }

    private static void check(Tensor self, String op, boolean record) {
        if (record && self.isLeaf() && self.requiresGrad()) {
            throw new IllegalStateException(op + ": a leaf tensor that requires grad cannot be changed in place while"
                    + " gradients are recorded; change it inside Kiln.noGrad(), or through its data()");
        }
        if (record && Views.ACCESS.base(self) != null) {
            throw new UnsupportedOperationException(op + ": in-place changes to a view are not recorded for autograd;"
                    + " compute the new value out of place, or change the view inside Kiln.noGrad()");
        }
        int[] dims = Views.ACCESS.dims(self);
        int[] strides = Views.ACCESS.strides(self);
        for (int d = 0; d < dims.length; d++) {
            if (strides[d] == 0 && dims[d] > 1) {
                throw new IllegalArgumentException(op + ": the tensor of shape " + Shape.describe(dims)
                        + " is an expanded view in which several elements share one memory location; clone() it first");
            }
        }
    }

    private static boolean anyRequiresGrad(Tensor[] tensors) {
        for (Tensor t : tensors) {
            if (t.requiresGrad()) {
                return true;
            }
        }
        return false;
    }
}
