package dev.kiln.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.kiln.Tensor;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;

/** Builds safetensors files byte by byte for tests, independently of the writer under test. */
final class StFiles {
    private StFiles() {}

    /** A file: the 8-byte little-endian length of {@code header}'s UTF-8 bytes, those bytes, then {@code data}. */
    static byte[] file(String header, byte[] data) {
        return file(header.getBytes(StandardCharsets.UTF_8), data);
    }

    /** A file with raw header bytes. */
    static byte[] file(byte[] header, byte[] data) {
        return ByteBuffer.allocate(8 + header.length + data.length).order(ByteOrder.LITTLE_ENDIAN)
                .putLong(header.length).put(header).put(data).array();
    }

    /** Bytes from ints 0..255. */
    static byte[] bytes(int... values) {
        byte[] b = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            b[i] = (byte) values[i];
        }
        return b;
    }

    /** Little-endian 16-bit values, as F16 and BF16 elements are stored. */
    static byte[] le16(int... values) {
        ByteBuffer b = ByteBuffer.allocate(2 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        for (int v : values) {
            b.putShort((short) v);
        }
        return b.array();
    }

    static byte[] le32(int... values) {
        ByteBuffer b = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        for (int v : values) {
            b.putInt(v);
        }
        return b.array();
    }

    static byte[] f32(float... values) {
        ByteBuffer b = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            b.putFloat(v);
        }
        return b.array();
    }

    static byte[] f64(double... values) {
        ByteBuffer b = ByteBuffer.allocate(8 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        for (double v : values) {
            b.putDouble(v);
        }
        return b.array();
    }

    static byte[] i64(long... values) {
        ByteBuffer b = ByteBuffer.allocate(8 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        for (long v : values) {
            b.putLong(v);
        }
        return b.array();
    }

    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    /** The header JSON of {@code file}, as text (padding included). */
    static String headerText(byte[] file) {
        long n = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        return new String(file, 8, (int) n, StandardCharsets.UTF_8);
    }

    /** A test resource of this package. */
    static byte[] resource(String name) {
        try (InputStream in = StFiles.class.getResourceAsStream(name)) {
            assertThat(in).as("test resource %s", name).isNotNull();
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The exception loading {@code file} throws, which must be a SafetensorsException with {@code problem}. */
    static SafetensorsException loadFails(byte[] file, SafetensorsException.Problem problem) {
        SafetensorsException e = catchThrowableOfType(SafetensorsException.class, () -> Safetensors.fromBytes(file));
        assertThat(e).as("loading must fail with %s", problem).isNotNull();
        assertThat(e.problem()).as(e.getMessage()).isEqualTo(problem);
        return e;
    }

    /** Whether two tensors have the same type, shape and element bits (NaN payloads and -0.0 included). */
    static boolean sameBits(Tensor a, Tensor b) {
        if (a.dtype() != b.dtype() || !a.shape().equals(b.shape())) {
            return false;
        }
        return switch (a.dtype()) {
            case FLOAT32 -> Arrays.equals(floatBits(a), floatBits(b));
            case FLOAT64 -> Arrays.equals(doubleBits(a), doubleBits(b));
            case INT64 -> Arrays.equals(a.toLongArray(), b.toLongArray());
            case BOOL -> Arrays.equals(a.toBooleanArray(), b.toBooleanArray());
        };
    }

    static int[] floatBits(Tensor t) {
        float[] f = t.toFloatArray();
        int[] bits = new int[f.length];
        for (int i = 0; i < f.length; i++) {
            bits[i] = Float.floatToRawIntBits(f[i]);
        }
        return bits;
    }

    static long[] doubleBits(Tensor t) {
        double[] d = t.toDoubleArray();
        long[] bits = new long[d.length];
        for (int i = 0; i < d.length; i++) {
            bits[i] = Double.doubleToRawLongBits(d[i]);
        }
        return bits;
    }

    /** Element-by-element deep copies, to compare a state dict with itself after a failed load. */
    static Map<String, Tensor> snapshot(Map<String, ? extends Tensor> tensors) {
        Map<String, Tensor> copy = new java.util.LinkedHashMap<>();
        tensors.forEach((k, v) -> copy.put(k, v.detach().clone()));
        return copy;
    }

    static void assertSameBits(Map<String, ? extends Tensor> actual, Map<String, ? extends Tensor> expected) {
        assertThat(actual.keySet()).containsExactlyInAnyOrderElementsOf(expected.keySet());
        expected.forEach((k, v) -> assertThat(sameBits(actual.get(k), v)).as("tensor %s: %s vs %s", k, actual.get(k), v)
                .isTrue());
    }
}
