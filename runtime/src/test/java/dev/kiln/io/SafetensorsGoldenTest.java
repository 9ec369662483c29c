package dev.kiln.io;

import static dev.kiln.io.StFiles.bytes;
import static dev.kiln.io.StFiles.concat;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.DType;
import dev.kiln.Shape;
import dev.kiln.Tensor;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code golden.safetensors} (a test resource) byte by byte, derived by hand from the format's
 * specification; Kiln must write exactly these bytes and read them back.
 *
 * <p>The state dict: {@code fc.weight} = [[1, -2], [0.5, 0]] and {@code fc.bias} = [0.25, -0.125]
 * (float32), {@code steps} = 3 (0-d int64), {@code scale} = [1.5] (float64), {@code valid} =
 * [true, false, true] (bool) and {@code empty}, a float32 tensor of shape [0, 2]; metadata
 * {@code {"format": "pt"}}.
 *
 * <p>Derivation:
 * <ol>
 *   <li><b>Order.</b> Tensors go by dtype alignment, largest first, then by name: I64 {@code steps};
 *       F64 {@code scale}; F32 {@code empty} &lt; {@code fc.bias} &lt; {@code fc.weight}; BOOL
 *       {@code valid}.
 *   <li><b>Offsets</b> (from the first data byte): steps 1 x 8 bytes = [0, 8]; scale 1 x 8 = [8, 16];
 *       empty 0 x 4 = [16, 16]; fc.bias 2 x 4 = [16, 24]; fc.weight 4 x 4 = [24, 40]; valid 3 x 1 =
 *       [40, 43].
 *   <li><b>JSON</b>, compact, {@code __metadata__} first, then the entries in that order, each with
 *       dtype, shape, data_offsets: {@link #JSON}, 393 bytes of ASCII (counted below).
 *   <li><b>Padding</b>: 393 is not a multiple of 8; the next one is 400, so 7 spaces (0x20) follow.
 *   <li><b>Header length</b>: 400 = 0x190 as an unsigned 64-bit little-endian integer:
 *       {@code 90 01 00 00 00 00 00 00}.
 *   <li><b>Data</b>, 43 bytes, little-endian: steps 3 = {@code 03 00 00 00 00 00 00 00}; scale 1.5 =
 *       0x3FF8000000000000 = {@code 00 00 00 00 00 00 f8 3f}; empty: nothing; fc.bias 0.25 = 0x3E800000
 *       = {@code 00 00 80 3e}, -0.125 = 0xBE000000 = {@code 00 00 00 be}; fc.weight 1 = 0x3F800000 =
 *       {@code 00 00 80 3f}, -2 = 0xC0000000 = {@code 00 00 00 c0}, 0.5 = 0x3F000000 =
 *       {@code 00 00 00 3f}, 0 = {@code 00 00 00 00}; valid = {@code 01 00 01}.
 * </ol>
 * 8 + 400 + 43 = 451 bytes in all. (The file was also checked once against the reference writer:
 * {@code safetensors.torch.save} 0.8.0 gives the same 451 bytes for this dict; see
 * {@code make_pytorch_fixtures.py}.)
 */
class SafetensorsGoldenTest {
    static final String JSON = "{\"__metadata__\":{\"format\":\"pt\"},"
            + "\"steps\":{\"dtype\":\"I64\",\"shape\":[],\"data_offsets\":[0,8]},"
            + "\"scale\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[8,16]},"
            + "\"empty\":{\"dtype\":\"F32\",\"shape\":[0,2],\"data_offsets\":[16,16]},"
            + "\"fc.bias\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[16,24]},"
            + "\"fc.weight\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[24,40]},"
            + "\"valid\":{\"dtype\":\"BOOL\",\"shape\":[3],\"data_offsets\":[40,43]}}";

    @TempDir
    Path dir;

    static byte[] expectedBytes() {
        HexFormat hex = HexFormat.of();
        byte[] length = hex.parseHex("9001000000000000");
        byte[] json = JSON.getBytes(StandardCharsets.US_ASCII);
        byte[] padding = "       ".getBytes(StandardCharsets.US_ASCII);
        byte[] data = concat(
                hex.parseHex("0300000000000000"), // steps = 3
                hex.parseHex("000000000000f83f"), // scale = 1.5
                hex.parseHex("0000803e" + "000000be"), // fc.bias = 0.25, -0.125
                hex.parseHex("0000803f" + "000000c0" + "0000003f" + "00000000"), // fc.weight = 1, -2, 0.5, 0
                bytes(1, 0, 1)); // valid
        return concat(length, json, padding, data);
    }

    static Map<String, Tensor> stateDict() {
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        tensors.put("fc.weight", Tensor.of(new float[][] {{1f, -2f}, {0.5f, 0f}}));
        tensors.put("fc.bias", Tensor.of(0.25f, -0.125f));
        tensors.put("steps", Tensor.scalar(3L));
        tensors.put("scale", Tensor.of(1.5));
        tensors.put("valid", Tensor.of(true, false, true));
        tensors.put("empty", Tensor.zeros(0, 2));
        return tensors;
    }

    @Test
    void theDerivationAddsUp() {
        assertThat(JSON).hasSize(393);
        assertThat(expectedBytes()).hasSize(451);
        assertThat(8 + 400 + 43).isEqualTo(451);
    }

    @Test
    void theCommittedFileIsTheDerivedBytes() {
        assertThat(StFiles.resource("golden.safetensors")).isEqualTo(expectedBytes());
    }

    @Test
    void kilnWritesExactlyTheGoldenBytes() throws Exception {
        assertThat(Safetensors.toBytes(stateDict(), Map.of("format", "pt"))).isEqualTo(expectedBytes());
        Path file = dir.resolve("golden.safetensors");
        Safetensors.save(stateDict(), Map.of("format", "pt"), file);
        assertThat(Files.readAllBytes(file)).isEqualTo(expectedBytes());
    }

    @Test
    void kilnReadsTheGoldenBytesBack() throws Exception {
        Path file = dir.resolve("golden.safetensors");
        Files.write(file, expectedBytes());
        SafetensorsContents contents = Safetensors.loadWithMetadata(file);
        assertThat(contents.metadata()).containsExactly(Map.entry("format", "pt"));
        Map<String, Tensor> t = contents.tensors();
        assertThat(t.keySet()).containsExactly("steps", "scale", "empty", "fc.bias", "fc.weight", "valid");
        assertThat(t.get("steps").dtype()).isEqualTo(DType.INT64);
        assertThat(t.get("steps").dim()).isZero();
        assertThat(t.get("steps").item()).isEqualTo(3);
        assertThat(t.get("scale").dtype()).isEqualTo(DType.FLOAT64);
        assertThat(t.get("scale").toDoubleArray()).containsExactly(1.5);
        assertThat(t.get("empty").shape()).isEqualTo(Shape.of(0, 2));
        assertThat(t.get("fc.bias").toFloatArray()).containsExactly(0.25f, -0.125f);
        assertThat(t.get("fc.weight").shape()).isEqualTo(Shape.of(2, 2));
        assertThat(t.get("fc.weight").toFloatArray()).containsExactly(1f, -2f, 0.5f, 0f);
        assertThat(t.get("valid").dtype()).isEqualTo(DType.BOOL);
        assertThat(t.get("valid").toBooleanArray()).containsExactly(true, false, true);
        StFiles.assertSameBits(t, stateDict());
    }
}
