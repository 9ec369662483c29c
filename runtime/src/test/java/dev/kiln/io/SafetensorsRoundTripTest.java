package dev.kiln.io;

import static dev.kiln.io.StFiles.assertSameBits;
import static dev.kiln.io.StFiles.headerText;
import static dev.kiln.io.StFiles.sameBits;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.DType;
import dev.kiln.Parameter;
import dev.kiln.Shape;
import dev.kiln.Tensor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Saving and loading give back the same tensors, and the writer lays files out as the reference writer does. */
class SafetensorsRoundTripTest {
    @TempDir
    Path dir;

    private Map<String, Tensor> throughFile(Map<String, ? extends Tensor> tensors) throws Exception {
        Path file = dir.resolve("t.safetensors");
        Safetensors.save(tensors, file);
        LinkedHashMap<String, Tensor> loaded = Safetensors.load(file);
        // The file and the in-memory forms are the same bytes.
        assertThat(Files.readAllBytes(file)).isEqualTo(Safetensors.toBytes(tensors));
        assertSameBits(Safetensors.fromBytes(Safetensors.toBytes(tensors)), loaded);
        return loaded;
    }

    @Test
    void float32RoundTripsBitForBit() throws Exception {
        Tensor t = Tensor.of(new float[] {0f, -0f, 1.5f, -3.25e-38f, Float.MIN_VALUE, Float.MAX_VALUE,
                Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN, Float.intBitsToFloat(0x7fc0_1234),
                Float.intBitsToFloat(0xffa0_0001)}).reshape(11);
        Map<String, Tensor> loaded = throughFile(Map.of("x", t));
        assertThat(loaded.get("x").dtype()).isEqualTo(DType.FLOAT32);
        assertThat(StFiles.floatBits(loaded.get("x"))).containsExactly(StFiles.floatBits(t));
    }

    @Test
    void float64RoundTripsBitForBit() throws Exception {
        Tensor t = Tensor.of(new double[][] {{0.0, -0.0, Math.PI}, {Double.MIN_VALUE, Double.MAX_VALUE, Double.NaN},
                {Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, Double.longBitsToDouble(0x7ff0_0000_dead_beefL)}});
        Map<String, Tensor> loaded = throughFile(Map.of("x", t));
        assertThat(loaded.get("x").dtype()).isEqualTo(DType.FLOAT64);
        assertThat(loaded.get("x").shape()).isEqualTo(Shape.of(3, 3));
        assertThat(StFiles.doubleBits(loaded.get("x"))).containsExactly(StFiles.doubleBits(t));
    }

    @Test
    void int64RoundTrips() throws Exception {
        Tensor t = Tensor.of(new long[] {Long.MIN_VALUE, -1, 0, 1, Long.MAX_VALUE, 1L << 53 | 1}).reshape(2, 1, 3);
        Map<String, Tensor> loaded = throughFile(Map.of("x", t));
        assertThat(loaded.get("x").dtype()).isEqualTo(DType.INT64);
        assertThat(loaded.get("x").shape()).isEqualTo(Shape.of(2, 1, 3));
        assertThat(loaded.get("x").toLongArray()).containsExactly(t.toLongArray());
    }

    @Test
    void boolRoundTripsAsOneByteOfZeroOrOne() throws Exception {
        Tensor t = Tensor.of(true, false, false, true, true);
        byte[] file = Safetensors.toBytes(Map.of("m", t));
        assertThat(headerText(file)).startsWith("{\"m\":{\"dtype\":\"BOOL\",\"shape\":[5],\"data_offsets\":[0,5]}}");
        assertThat(java.util.Arrays.copyOfRange(file, file.length - 5, file.length)).containsExactly(1, 0, 0, 1, 1);
        Map<String, Tensor> loaded = throughFile(Map.of("m", t));
        assertThat(loaded.get("m").dtype()).isEqualTo(DType.BOOL);
        assertThat(loaded.get("m").toBooleanArray()).containsExactly(true, false, false, true, true);
    }

    @Test
    void zeroDimensionalAndEmptyTensors() throws Exception {
        Map<String, Tensor> tensors = new HashMap<>();
        tensors.put("scalar", Tensor.scalar(2.5));
        tensors.put("long_scalar", Tensor.scalar(-7L));
        tensors.put("bool_scalar", Tensor.scalar(1, DType.BOOL));
        tensors.put("empty", Tensor.zeros(0));
        tensors.put("empty_2d", Tensor.zeros(DType.INT64, 3, 0));
        tensors.put("empty_3d", Tensor.zeros(DType.FLOAT64, 2, 0, 4));
        Map<String, Tensor> loaded = throughFile(tensors);
        assertSameBits(loaded, tensors);
        assertThat(loaded.get("scalar").dim()).isZero();
        assertThat(loaded.get("scalar").item()).isEqualTo(2.5);
        assertThat(loaded.get("long_scalar").item()).isEqualTo(-7);
        assertThat(loaded.get("empty_2d").shape()).isEqualTo(Shape.of(3, 0));
        // Empty tensors take no bytes: they sit at the offset where the next tensor begins.
        String header = headerText(Safetensors.toBytes(tensors));
        // I64: empty_2d [0,0], long_scalar [0,8]; F64: empty_3d [8,8]; F32: empty [8,8], scalar [8,12];
        // BOOL: bool_scalar [12,13].
        assertThat(header).contains("\"empty_2d\":{\"dtype\":\"I64\",\"shape\":[3,0],\"data_offsets\":[0,0]}")
                .contains("\"empty\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[8,8]}")
                .contains("\"scalar\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[8,12]}")
                .contains("\"bool_scalar\":{\"dtype\":\"BOOL\",\"shape\":[],\"data_offsets\":[12,13]}");
    }

    @Test
    void nonContiguousTensorsAreWrittenRowMajor() throws Exception {
        Tensor base = Tensor.arange(0, 24).toFloat().reshape(2, 3, 4);
        Tensor transposed = base.get(0).t(); // [4, 3], strides (1, 4)
        Tensor permuted = base.permute(2, 0, 1); // [4, 2, 3]
        Tensor stepped = base.slice(2, 0, 4, 2); // [2, 3, 2], every other column
        Tensor expanded = Tensor.of(1.0, 2.0).unsqueeze(0).expand(3, 2); // strides (0, 1)
        assertThat(transposed.isContiguous()).isFalse();
        assertThat(permuted.isContiguous()).isFalse();
        assertThat(stepped.isContiguous()).isFalse();
        Map<String, Tensor> tensors = Map.of("transposed", transposed, "permuted", permuted, "stepped", stepped,
                "expanded", expanded);
        Map<String, Tensor> loaded = throughFile(tensors);
        for (String key : tensors.keySet()) {
            Tensor got = loaded.get(key);
            assertThat(got.isContiguous()).isTrue();
            assertThat(got.shape()).isEqualTo(tensors.get(key).shape());
            assertThat(got.toDoubleArray()).containsExactly(tensors.get(key).toDoubleArray());
        }
        assertThat(loaded.get("transposed").toFloatArray()).containsExactly(0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11);
        assertThat(loaded.get("expanded").toDoubleArray()).containsExactly(1, 2, 1, 2, 1, 2);
    }

    @Test
    void parametersAndTensorsThatRequireGradAreSavedAsTheirValues() throws Exception {
        Parameter w = new Parameter(Tensor.of(new float[][] {{1, 2}, {3, 4}}));
        Tensor y = w.times(2.0); // has history
        Map<String, Tensor> loaded = throughFile(Map.of("w", w, "y", y));
        assertThat(loaded.get("w").toFloatArray()).containsExactly(1, 2, 3, 4);
        assertThat(loaded.get("y").toFloatArray()).containsExactly(2, 4, 6, 8);
        assertThat(loaded.get("w").requiresGrad()).isFalse();
        assertThat(loaded.get("w")).isNotInstanceOf(Parameter.class);
    }

    @Test
    void loadedTensorsOwnTheirStorage() throws Exception {
        Tensor t = Tensor.of(1f, 2f, 3f);
        Map<String, Tensor> first = Safetensors.fromBytes(Safetensors.toBytes(Map.of("a", t, "b", t)));
        first.get("a").plusAssign(10.0);
        assertThat(first.get("b").toFloatArray()).containsExactly(1, 2, 3);
        assertThat(t.toFloatArray()).containsExactly(1, 2, 3);
    }

    @Test
    void writerOrdersByDtypeAlignmentThenByName() throws Exception {
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        tensors.put("mask", Tensor.of(true));
        tensors.put("b", Tensor.of(1f));
        tensors.put("a", Tensor.of(1f));
        tensors.put("d", Tensor.of(1.0));
        tensors.put("steps", Tensor.of(1L));
        tensors.put("A", Tensor.of(1f));
        String header = headerText(Safetensors.toBytes(tensors));
        // I64 (8 bytes), F64 (8), F32 (4) by name, BOOL (1): the reference writer's order.
        assertThat(header.stripTrailing()).isEqualTo("{\"steps\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[0,8]},"
                + "\"d\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[8,16]},"
                + "\"A\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[16,20]},"
                + "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[20,24]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[24,28]},"
                + "\"mask\":{\"dtype\":\"BOOL\",\"shape\":[1],\"data_offsets\":[28,29]}}");
        // Loading gives the tensors in the order of their data.
        assertThat(Safetensors.fromBytes(Safetensors.toBytes(tensors)).keySet())
                .containsExactly("steps", "d", "A", "a", "b", "mask");
    }

    @Test
    void namesAreOrderedByUtf8BytesNotUtf16Units() throws Exception {
        // U+FFFD is one UTF-16 unit above the surrogates, but its UTF-8 bytes (EF BF BD) sort below
        // those of U+1F600 (F0 9F 98 80): Rust's str ordering, which the reference writer uses.
        Map<String, Tensor> tensors = Map.of("\uFFFD", Tensor.of(1f), "\uD83D\uDE00", Tensor.of(2f), "z", Tensor.of(3f),
                "é", Tensor.of(4f));
        assertThat(Safetensors.fromBytes(Safetensors.toBytes(tensors)).keySet())
                .containsExactly("z", "é", "\uFFFD", "\uD83D\uDE00");
    }

    @Test
    void keysAreEscapedAsSerdeJsonEscapesThem() throws Exception {
        String name = "q\"b\\s/n\nt\tc\u0001d\u001fdel\u007fé😀";
        byte[] file = Safetensors.toBytes(Map.of(name, Tensor.of(1f)));
        // Short escapes where JSON has them, lower-case \\u00XX for other control characters, nothing
        // escaped above 0x1f (not '/', not DEL), and UTF-8 for everything beyond ASCII.
        assertThat(headerText(file)).startsWith(
                "{\"q\\\"b\\\\s/n\\nt\\tc\\u0001d\\u001fdel\u007fé😀\":{\"dtype\"");
        assertThat(new String(file, 8, 40, java.nio.charset.StandardCharsets.ISO_8859_1)).contains("\u00f0\u009f\u0098\u0080");
        assertThat(Safetensors.fromBytes(file)).containsOnlyKeys(name);
    }

    @Test
    void metadataRoundTripsSortedAndFirst() throws Exception {
        Map<String, String> metadata = new HashMap<>();
        metadata.put("format", "pt");
        metadata.put("b", "two words");
        metadata.put("a", "\"quoted\"\n");
        Path file = dir.resolve("m.safetensors");
        Safetensors.save(Map.of("x", Tensor.of(1f)), metadata, file);
        assertThat(headerText(Files.readAllBytes(file))).startsWith(
                "{\"__metadata__\":{\"a\":\"\\\"quoted\\\"\\n\",\"b\":\"two words\",\"format\":\"pt\"},\"x\":");
        SafetensorsContents contents = Safetensors.loadWithMetadata(file);
        assertThat(contents.metadata()).containsExactly(Map.entry("a", "\"quoted\"\n"), Map.entry("b", "two words"),
                Map.entry("format", "pt"));
        assertThat(contents.tensors()).containsOnlyKeys("x");
        assertThatThrownBy(() -> contents.metadata().put("c", "d")).isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void emptyMetadataIsLeftOut() throws Exception {
        byte[] none = Safetensors.toBytes(Map.of("x", Tensor.of(1f)));
        assertThat(Safetensors.toBytes(Map.of("x", Tensor.of(1f)), Map.of())).isEqualTo(none);
        assertThat(headerText(none)).doesNotContain("__metadata__");
        assertThat(Safetensors.fromBytesWithMetadata(none).metadata()).isEmpty();
    }

    @Test
    void anEmptyStateDictIsAValidFile() throws Exception {
        byte[] file = Safetensors.toBytes(Map.of());
        // "{}" padded to 8 bytes, no data.
        assertThat(file).containsExactly(8, 0, 0, 0, 0, 0, 0, 0, '{', '}', ' ', ' ', ' ', ' ', ' ', ' ');
        assertThat(Safetensors.fromBytes(file)).isEmpty();
    }

    @Test
    void headerIsPaddedWithSpacesToAMultipleOfEight() {
        for (String name : List.of("a", "ab", "abc", "abcd", "abcde", "abcdef", "abcdefg", "abcdefgh")) {
            byte[] file = Safetensors.toBytes(Map.of(name, Tensor.of(1f)));
            long n = java.nio.ByteBuffer.wrap(file).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong();
            String json = "{\"" + name + "\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}";
            assertThat(n % 8).isZero();
            assertThat(n).isBetween((long) json.length(), (long) json.length() + 7);
            assertThat(headerText(file)).isEqualTo(json + " ".repeat((int) n - json.length()));
            assertThat(file.length).isEqualTo(8 + n + 4);
        }
    }

    @Test
    void saveReplacesAnExistingFile() throws Exception {
        Path file = dir.resolve("model.safetensors");
        Safetensors.save(Map.of("old", Tensor.zeros(100)), file);
        Safetensors.save(Map.of("new", Tensor.of(1f)), file);
        assertThat(Safetensors.load(file)).containsOnlyKeys("new");
        try (var files = Files.list(dir)) {
            assertThat(files).containsExactly(file);
        }
    }

    @Test
    void rejectsReservedAndInvalidKeysBeforeWritingAnything() {
        Path file = dir.resolve("never.safetensors");
        assertThatThrownBy(() -> Safetensors.save(Map.of("__metadata__", Tensor.of(1f)), file))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("__metadata__");
        assertThatThrownBy(() -> Safetensors.save(Map.of("bad\uD800", Tensor.of(1f)), file))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("surrogate");
        assertThatThrownBy(() -> Safetensors.save(Map.of("x", Tensor.of(1f)), Map.of("k", "\uDC00"), file))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("metadata 'k'");
        Map<String, Tensor> withNull = new TreeMap<>();
        withNull.put("x", null);
        assertThatThrownBy(() -> Safetensors.save(withNull, file)).isInstanceOf(NullPointerException.class)
                .hasMessageContaining("'x'");
        assertThat(dir.toFile().list()).isEmpty();
    }

    @Test
    void manyTensorsOfMixedTypesRoundTrip() throws Exception {
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        for (int i = 0; i < 50; i++) {
            Tensor t = Tensor.randn(i % 4 + 1, 3);
            tensors.put("layer" + i + ".weight", switch (i % 4) {
                case 0 -> t;
                case 1 -> t.toDouble();
                case 2 -> t.times(100).toLong();
                default -> t.gt(0);
            });
        }
        assertSameBits(throughFile(tensors), tensors);
    }

    @Test
    void largeTensorsCrossTheIoChunkBoundary() throws Exception {
        Tensor big = Tensor.randn(600, 1000); // 2.4 MB: several 1 MiB chunks
        Tensor bools = Tensor.rand(1_500_000).gt(0.5);
        Map<String, Tensor> loaded = throughFile(Map.of("big", big, "bools", bools));
        assertThat(sameBits(loaded.get("big"), big)).isTrue();
        assertThat(sameBits(loaded.get("bools"), bools)).isTrue();
    }
}
