package dev.kiln.device;

/**
 * Where a tensor's elements live and its operations run, the counterpart of {@code torch.device}.
 * {@link #CPU} is always available; CUDA devices are reached through {@link #cuda(int)}.
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
     * @throws IllegalStateException while this build has no CUDA backend, naming what is missing
     */
    public static Device cuda(int index) {
        if (index < 0) {
            throw new IllegalArgumentException("cuda: the device index must be non-negative, but got " + index);
        }
        throw new IllegalStateException("CUDA is not available: this Kiln runtime has no CUDA backend; use Device.CPU"
                + " (Device.best() picks the best available device)");
    }

    /** The best device available: a CUDA device when one can be used, otherwise the CPU. */
    public static Device best() {
        return CPU;
    }

    /** {@code cpu} or {@code cuda}. */
    public String type() {
        return type;
    }

    /** The device index, or -1 for the CPU. */
    public int index() {
        return index;
    }

    /** As PyTorch writes devices: {@code cpu}, {@code cuda:0}. */
    @Override
    public String toString() {
        return index < 0 ? type : type + ":" + index;
    }
}
