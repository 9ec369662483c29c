package dev.kiln.device.cuda;

import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One CUDA device's primary context (the context the CUDA runtime and other libraries share) and
 * the device memory Kiln holds on it. Allocations come back as {@link DeviceBuffer}s; the context
 * counts their bytes until they are freed, so a test can check that memory returns to where it
 * started.
 */
public final class CudaContext {
    private final CudaDriver driver;
    private final int ordinal;
    private final int device;
    private final MemorySegment context;
    private final AtomicLong liveBytes = new AtomicLong();

    private CudaContext(CudaDriver driver, int ordinal, int device, MemorySegment context) {
        this.driver = driver;
        this.ordinal = ordinal;
        this.device = device;
        this.context = context;
    }

    /** Retains the primary context of device {@code ordinal}; {@link #release()} gives it back. */
    public static CudaContext retain(CudaDriver driver, int ordinal) {
        int device = driver.deviceGet(ordinal);
        return new CudaContext(driver, ordinal, device, driver.primaryCtxRetain(device));
    }

    /** The driver this context calls. */
    public CudaDriver driver() {
        return driver;
    }

    /** The device's index, as in {@code cuda:0}. */
    public int ordinal() {
        return ordinal;
    }

    /** The driver's {@code CUdevice} handle. */
    public int device() {
        return device;
    }

    /** Makes this context current on the calling thread; every call that touches the device does so first. */
    public void makeCurrent() {
        driver.ctxSetCurrent(context);
    }

    /**
     * Allocates {@code bytes} of device memory. A zero-byte buffer has pointer 0 and costs no driver call.
     *
     * @throws CudaException when the driver cannot, e.g. {@code CUDA_ERROR_OUT_OF_MEMORY}
     */
    public DeviceBuffer allocate(long bytes) {
        if (bytes < 0) {
            throw new IllegalArgumentException("allocate: the size must be non-negative, but got " + bytes + " bytes");
        }
        long pointer = 0;
        if (bytes > 0) {
            makeCurrent();
            pointer = driver.memAlloc(bytes);
        }
        liveBytes.addAndGet(bytes);
        return new DeviceBuffer(this, pointer, bytes);
    }

    /** Frees what {@link #allocate} returned; called once per buffer, by its close or its cleaner. */
    void free(long pointer, long bytes) {
        if (pointer != 0) {
            makeCurrent();
            driver.memFree(pointer);
        }
        liveBytes.addAndGet(-bytes);
    }

    /** Bytes allocated through this context and not freed yet. */
    public long liveBytes() {
        return liveBytes.get();
    }

    /** Releases the primary context retained by {@link #retain}. */
    public void release() {
        driver.primaryCtxRelease(device);
    }

    @Override
    public String toString() {
        return "cuda:" + ordinal;
    }
}
