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

    /** How many times an allocation that ran out of memory waits for the garbage collector before giving up. */
    private static final int COLLECTIONS_BEFORE_OUT_OF_MEMORY = 3;

    /**
     * Allocates {@code bytes} of device memory. A zero-byte buffer has pointer 0 and costs no driver call.
     * When the device is out of memory, buffers that are unreachable but not yet cleaned may hold it:
     * the garbage collector is asked to run (the Java heap does not feel device memory) and the
     * allocation is tried again, a few times, as the JDK does for direct buffers.
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
            for (int attempt = 0; ; attempt++) {
                try {
                    pointer = driver.memAlloc(bytes);
                    break;
                } catch (CudaException e) {
                    if (!e.isOutOfMemory() || attempt == COLLECTIONS_BEFORE_OUT_OF_MEMORY) {
                        throw e;
                    }
                    collectUnreachableBuffers(attempt);
                }
            }
        }
        liveBytes.addAndGet(bytes);
        return new DeviceBuffer(this, pointer, bytes);
    }

    private static void collectUnreachableBuffers(int attempt) {
        System.gc();
        try {
            Thread.sleep(10L << attempt);  // the cleaner thread frees what the collection found
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
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
