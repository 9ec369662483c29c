package dev.kiln.ops;

import dev.kiln.Tensor;
import dev.kiln.device.Device;
import java.security.CodeSource;

/**
 * Where an operation runs: the one place that decides it. An operation asks {@link #onCuda} with
 * its operands and takes its CUDA path ({@code CudaOps}) when they are on a CUDA device; every other
 * operation reads its operands' elements through {@code TensorAccess.array}, which meets a device
 * tensor with {@link #unsupported}, so no operation ever reads device memory as a heap array.
 *
 * <p>As in PyTorch, all operands must be on one device, except that a 0-d CPU tensor (a Java scalar
 * such as the {@code 2.0} of {@code x.times(2.0)}) may meet tensors on any device.
 */
public final class Dispatch {
    private Dispatch() {}

    /**
     * The device that {@code op} runs on: the one its operands share, the CPU when all are there.
     * Null operands (absent optional ones) are skipped.
     *
     * @throws IllegalArgumentException with PyTorch's text when two operands are on different devices
     */
    public static Device device(String op, Tensor... operands) {
        Device found = null;
        Device scalarDevice = null;
        for (Tensor t : operands) {
            if (t == null) {
                continue;
            }
            Device d = t.device();
            if (d.isCuda() || t.dim() != 0) {
                if (found == null) {
                    found = d;
                } else if (!found.equals(d)) {
                    throw mixed(found, d);
                }
            } else {
                scalarDevice = d;
            }
        }
        return found != null ? found : scalarDevice != null ? scalarDevice : Device.CPU;
    }

    /** Whether {@code op} runs on a CUDA device: its operands are there (checked as {@link #device} checks them). */
    public static boolean onCuda(String op, Tensor... operands) {
        return device(op, operands).isCuda();
    }

    /** PyTorch's error for operands on two devices, the CUDA one named first. */
    public static IllegalArgumentException mixed(Device a, Device b) {
        Device first = a.isCuda() ? a : b, second = first == a ? b : a;
        return new IllegalArgumentException("Expected all tensors to be on the same device, but found at least two"
                + " devices, " + first + " and " + second + "!");
    }

    /** The error for an operation that has no path on {@code device}, naming it and the way out. */
    public static UnsupportedOperationException unsupported(String op, Device device) {
        return new UnsupportedOperationException(op + " is not supported on " + device + " yet; move the tensor to"
                + " the CPU with .to(Device.CPU)");
    }

    /**
     * The error for an operation without a device path that reached a device tensor's storage: the
     * operation is named by the runtime method its caller called (the outermost runtime frame on
     * the stack, such as {@code cumsum} for {@code x.cumsum(0)}).
     */
    public static UnsupportedOperationException unsupported(Device device) {
        return unsupported(calledOperation(), device);
    }

    private static String calledOperation() {
        CodeSource runtime = Tensor.class.getProtectionDomain().getCodeSource();
        return StackWalker.getInstance(StackWalker.Option.RETAIN_CLASS_REFERENCE).walk(frames -> {
            String name = null;
            for (var it = frames.iterator(); it.hasNext(); ) {
                StackWalker.StackFrame frame = it.next();
                boolean inRuntime = runtime != null
                        && sameLocation(runtime, frame.getDeclaringClass().getProtectionDomain().getCodeSource());
                if (inRuntime && !frame.getMethodName().startsWith("lambda$")) {
                    name = frame.getMethodName();
                } else if (!inRuntime && name != null) {
                    break;
                }
            }
            return name == null ? "this operation" : name;
        });
    }

    private static boolean sameLocation(CodeSource a, CodeSource b) {
        return b != null && a.getLocation() != null && a.getLocation().equals(b.getLocation());
    }
}
