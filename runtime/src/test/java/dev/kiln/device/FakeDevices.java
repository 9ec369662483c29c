package dev.kiln.device;

import dev.kiln.device.cuda.Cuda;

/** Opens {@link Device#cuda(int, Cuda.Status)} to tests in other packages: a CUDA device on fake libraries. */
public final class FakeDevices {
    private FakeDevices() {}

    /** The device {@code cuda:index} as {@code status} (a fake driver's) allows it. */
    public static Device cuda(int index, Cuda.Status status) {
        return Device.cuda(index, status);
    }
}
