package dev.kiln.device.cuda;

import java.lang.ref.Cleaner;

/**
 * A block of device memory: its address, size in bytes and context. It is freed exactly once:
 * by {@link #close()}, or, if it becomes unreachable while open, by a {@link Cleaner}. Code that
 * passes {@link #pointer()} to the driver keeps the buffer reachable until the call returns (the
 * driver's free waits for queued work that uses the memory).
 */
public final class DeviceBuffer implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(DeviceBuffer.class.getName());

    private final CudaContext context;
    private final long pointer;
    private final long byteSize;
    private final Cleaner.Cleanable cleanable;
    private volatile boolean closed;

    DeviceBuffer(CudaContext context, long pointer, long byteSize) {
        this.context = context;
        this.pointer = pointer;
        this.byteSize = byteSize;
        this.cleanable = Cleaners.CLEANER.register(this, new Free(context, pointer, byteSize));
    }

    /** The device address. */
    public long pointer() {
        if (closed) {
            throw new IllegalStateException("this " + byteSize + "-byte buffer on " + context + " was closed");
        }
        return pointer;
    }

    /** The size in bytes. */
    public long byteSize() {
        return byteSize;
    }

    /** The context (device) the memory belongs to. */
    public CudaContext context() {
        return context;
    }

    /** Whether {@link #close()} has run. */
    public boolean isClosed() {
        return closed;
    }

    /** Frees the memory now; later calls do nothing. */
    @Override
    public void close() {
        closed = true;
        cleanable.clean();
    }

    @Override
    public String toString() {
        return "DeviceBuffer[" + byteSize + " bytes at 0x" + Long.toHexString(pointer) + " on " + context
                + (closed ? ", closed]" : "]");
    }

    /**
     * The cleaning action: it holds what freeing needs and never the buffer, or the buffer could not
     * become unreachable. On the cleaner's thread an exception would vanish, so it is logged too.
     */
    private record Free(CudaContext context, long pointer, long byteSize) implements Runnable {
        @Override
        public void run() {
            try {
                context.free(pointer, byteSize);
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "could not free " + byteSize + " bytes on " + context, e);
                throw e;
            }
        }
    }

    /** One cleaner thread for all buffers, started when the first buffer is made. */
    private static final class Cleaners {
        static final Cleaner CLEANER = Cleaner.create();
    }
}
