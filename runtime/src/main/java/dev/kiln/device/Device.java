package dev.kiln.device;

import dev.kiln.device.cuda.Cuda;

/**
 * Where a tensor's elements live and its operations run, the counterpart of {@code torch.device}.
 * {@link #CPU} is always available; CUDA devices are reached through {@link #cuda(int)}, and
 * {@link #best()} picks CUDA when this machine can use it.
 *
 * <p>Looking for CUDA loads the driver library ({@code libcuda.so.1}) and cuBLAS once, at the first
 * call to {@link #cuda(int)} or {@link #best()}; nothing is printed (the outcome is logged at DEBUG
 * by {@code dev.kiln.device.cuda.Cuda}).
 */
public final class Device {
    /** The host: heap arrays and the Java kernels. */
    public static final Device CPU = new Device("cpu", -1);

    private final String type;
    private final int index;

    private Device(String type, int index) {
        this.type = type;
        this.index = index;
    }

    /**
     * The CUDA device with the given index.
     *
     * @throws IllegalArgumentException when {@code index} is negative
     * @throws IllegalStateException    when CUDA cannot be used, with the reason ({@code CUDA is not
     *                                  available: libcuda.so.1 not found}, or the driver's error), or
     *                                  when there is no device {@code index}
     */
    public static Device cuda(int index) {
        return cuda(index, Cuda.status());
    }

    /** {@link #cuda(int)} against a given status: the code path that tests drive with fake libraries. */
    static Device cuda(int index, Cuda.Status status) {
        if (index < 0) {
            throw new IllegalArgumentException("cuda: the device index must be non-negative, but got " + index);
        }
        return switch (status) {
            case Cuda.Unavailable u -> throw new IllegalStateException("CUDA is not available: " + u.reason());
            case Cuda.Available a -> {
                if (index >= a.deviceCount()) {
                    throw new IllegalStateException("cuda:" + index + " is not available: device index " + index
                            + " out of range: " + a.deviceCount() + " CUDA device" + (a.deviceCount() == 1 ? "" : "s"));
                }
                yield new Device("cuda", index);
            }
        };
    }

    /** The best device available: {@code cuda:0} when CUDA can be used, otherwise the CPU. */
    public static Device best() {
        return best(Cuda.status());
    }

    static Device best(Cuda.Status status) {
        return status instanceof Cuda.Available ? new Device("cuda", 0) : CPU;
    }

    /** {@code cpu} or {@code cuda}. */
    public String type() {
        return type;
    }

    /** The device index, or -1 for the CPU. */
    public int index() {
        return index;
    }

    /** Whether this is a CUDA device. */
    public boolean isCuda() {
        return type.equals("cuda");
    }

    /** Devices are equal when they have the same type and index. */
    @Override
    public boolean equals(Object o) {
        return o instanceof Device d && d.type.equals(type) && d.index == index;
    }

    @Override
    public int hashCode() {
        return type.hashCode() * 31 + index;
    }

    /** As PyTorch writes devices: {@code cpu}, {@code cuda:0}. */
    @Override
    public String toString() {
        return index < 0 ? type : type + ":" + index;
    }
}
