package dev.kiln.device.cuda;

import dev.kiln.DType;
import dev.kiln.device.Device;

/**
 * The elements of a tensor on a CUDA device: a {@link DeviceBuffer} of {@code length} elements of one
 * type, shared by the tensor and its views as a heap array is on the CPU. Its memory is freed by
 * {@link #close()} ({@code Tensor.close()}), or by the buffer's cleaner once no tensor holds it.
 */
public final class CudaStorage {
    private final Device device;
    private final CudaBackend backend;
    private final DeviceBuffer buffer;
    private final DType dtype;
    private final int length;

    /** Storage owning {@code buffer}, which holds {@code length} elements of {@code dtype} on {@code device}. */
    public CudaStorage(Device device, CudaBackend backend, DeviceBuffer buffer, DType dtype, int length) {
        this.device = device;
        this.backend = backend;
        this.buffer = buffer;
        this.dtype = dtype;
        this.length = length;
    }

    /** The device the memory is on. */
    public Device device() {
        return device;
    }

    /** The backend of that device. */
    public CudaBackend backend() {
        return backend;
    }

    /** The element type. */
    public DType dtype() {
        return dtype;
    }

    /** How many elements the buffer holds. */
    public int length() {
        return length;
    }

    /**
     * The device memory.
     *
     * @throws IllegalStateException when the tensor was closed
     */
    public DeviceBuffer buffer() {
        if (buffer.isClosed()) {
            throw new IllegalStateException("this tensor's memory on " + device + " was released by close(); it cannot"
                    + " be used any more");
        }
        return buffer;
    }

    /** Whether {@link #close()} ran. */
    public boolean isClosed() {
        return buffer.isClosed();
    }

    /** Frees the device memory now; later calls do nothing. */
    public void close() {
        buffer.close();
    }
}
