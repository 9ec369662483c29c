package dev.kiln.device.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

/**
 * The arguments of one kernel launch, in the order of the kernel's parameters. {@code cuLaunchKernel}
 * takes them as an array of pointers, one per parameter, each pointing at the parameter's value;
 * {@link #pack} builds that array.
 *
 * <pre>{@code
 * var args = new KernelArgs().buffer(x).buffer(y).i64(n);
 * }</pre>
 */
public final class KernelArgs {
    /** Every value gets an 8-byte slot: wide and aligned enough for any scalar parameter. */
    private static final long SLOT = 8;

    private final List<Object> values = new ArrayList<>();
    private final List<String> types = new ArrayList<>();
    private final List<DeviceBuffer> buffers = new ArrayList<>();

    /** Appends a buffer's device pointer, and keeps the buffer reachable for as long as these arguments are. */
    public KernelArgs buffer(DeviceBuffer buffer) {
        buffers.add(buffer);
        return add("u64", buffer.pointer());
    }

    /** Appends a device pointer ({@code T*} in the kernel). */
    public KernelArgs pointer(long devicePointer) {
        return add("u64", devicePointer);
    }

    /** Appends an {@code int}. */
    public KernelArgs i32(int value) {
        return add("u32", value);
    }

    /** Appends a {@code long long}. */
    public KernelArgs i64(long value) {
        return add("u64", value);
    }

    /** Appends a {@code float}. */
    public KernelArgs f32(float value) {
        return add("f32", value);
    }

    /** Appends a {@code double}. */
    public KernelArgs f64(double value) {
        return add("f64", value);
    }

    /** How many arguments there are. */
    public int size() {
        return values.size();
    }

    /**
     * The PTX parameter type of each argument, as {@code nvcc} declares a kernel's parameters:
     * {@code u64} for pointers and {@code long long}, {@code u32} for {@code int}, {@code f32}, {@code f64}.
     */
    public List<String> ptxTypes() {
        return List.copyOf(types);
    }

    private KernelArgs add(String ptxType, Object value) {
        types.add(ptxType);
        values.add(value);
        return this;
    }

    /**
     * The {@code void**} array {@code cuLaunchKernel} reads: pointer {@code i} points at the value of
     * argument {@code i}. Both live in {@code arena}, which must outlive the launch call.
     */
    MemorySegment pack(Arena arena) {
        int n = values.size();
        MemorySegment slots = arena.allocate(SLOT * Math.max(n, 1), SLOT);
        MemorySegment pointers = arena.allocate(ValueLayout.ADDRESS, Math.max(n, 1));
        for (int i = 0; i < n; i++) {
            MemorySegment slot = slots.asSlice(SLOT * i, SLOT);
            switch (values.get(i)) {
                case Integer v -> slot.set(ValueLayout.JAVA_INT, 0, v);
                case Long v -> slot.set(ValueLayout.JAVA_LONG, 0, v);
                case Float v -> slot.set(ValueLayout.JAVA_FLOAT, 0, v);
                case Double v -> slot.set(ValueLayout.JAVA_DOUBLE, 0, v);
                default -> throw new AssertionError(values.get(i));
            }
            pointers.setAtIndex(ValueLayout.ADDRESS, i, slot);
        }
        return pointers;
    }
}
