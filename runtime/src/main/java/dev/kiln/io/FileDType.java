package dev.kiln.io;

import dev.kiln.DType;

/**
 * The element types the safetensors format defines, by the names its headers use, in the order of
 * the reference implementation's {@code Dtype} enum (increasing alignment). The writer orders
 * tensors by this order, descending, then by name, as the reference writer does.
 *
 * <p>{@link #kilnType} is the Kiln type a tensor of this file type is read into, or null when Kiln
 * cannot hold it: F16 and BF16 widen to float32, the narrower integers (I8, U8, I16, U16, I32, U32)
 * to int64, exactly.
 */
enum FileDType {
    BOOL(8, DType.BOOL),
    F4(4, null),
    F6_E2M3(6, null),
    F6_E3M2(6, null),
    U8(8, DType.INT64),
    I8(8, DType.INT64),
    F8_E5M2(8, null),
    F8_E4M3(8, null),
    F8_E8M0(8, null),
    F8_E4M3FNUZ(8, null),
    F8_E5M2FNUZ(8, null),
    I16(16, DType.INT64),
    U16(16, DType.INT64),
    F16(16, DType.FLOAT32),
    BF16(16, DType.FLOAT32),
    I32(32, DType.INT64),
    U32(32, DType.INT64),
    F32(32, DType.FLOAT32),
    C64(64, null),
    F64(64, DType.FLOAT64),
    I64(64, DType.INT64),
    U64(64, null);

    private final int bits;
    private final DType kilnType;

    FileDType(int bits, DType kilnType) {
        this.bits = bits;
        this.kilnType = kilnType;
    }

    /** The size of one element in bytes; only meaningful for the supported (whole-byte) types. */
    int bytes() {
        return bits / 8;
    }

    /** The Kiln type elements are read into, or null if Kiln cannot read this type. */
    DType kilnType() {
        return kilnType;
    }

    /** The file type a Kiln tensor of type {@code type} is written as. */
    static FileDType of(DType type) {
        return switch (type) {
            case FLOAT32 -> F32;
            case FLOAT64 -> F64;
            case INT64 -> I64;
            case BOOL -> BOOL;
        };
    }

    /** The type named {@code name} in a header, or null if the format defines no such type. */
    static FileDType byName(String name) {
        for (FileDType t : values()) {
            if (t.name().equals(name)) {
                return t;
            }
        }
        return null;
    }
}
