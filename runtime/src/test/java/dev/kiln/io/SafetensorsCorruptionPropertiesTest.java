package dev.kiln.io;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.DType;
import dev.kiln.Tensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

/**
 * Random state dicts round-trip; random corruptions of a valid file (flipped, overwritten, inserted,
 * cut and appended bytes, in the header or the data; a dimension or an offset of the header changed
 * to a nearby, zero, multiplied or absurd value; a tensor's data moved) either load into consistent tensors or fail
 * with a {@link SafetensorsException}: never another exception, never an allocation the file's size
 * does not justify, and never a change to the state dict being loaded into.
 */
class SafetensorsCorruptionPropertiesTest {

    /** A random state dict from a seed: 1 to 6 tensors of every type, 0-d and empty ones included. */
    static Map<String, Tensor> stateDict(long seed) {
        Random random = new Random(seed);
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        int count = 1 + random.nextInt(6);
        for (int i = 0; i < count; i++) {
            int rank = random.nextInt(4);
            int[] shape = new int[rank];
            for (int d = 0; d < rank; d++) {
                shape[d] = random.nextInt(10) == 0 ? 0 : 1 + random.nextInt(4);
            }
            int numel = Arrays.stream(shape).reduce(1, (a, b) -> a * b);
            DType type = DType.values()[random.nextInt(DType.values().length)];
            Tensor t = switch (type) {
                case FLOAT32 -> {
                    float[] v = new float[numel];
                    for (int k = 0; k < numel; k++) {
                        v[k] = Float.intBitsToFloat(random.nextInt());
                    }
                    yield Tensor.of(v).reshape(shape);
                }
                case FLOAT64 -> {
                    double[] v = new double[numel];
                    for (int k = 0; k < numel; k++) {
                        v[k] = Double.longBitsToDouble(random.nextLong());
                    }
                    yield Tensor.of(v).reshape(shape);
                }
                case INT64 -> Tensor.of(random.longs(numel).toArray()).reshape(shape);
                case BOOL -> {
                    boolean[] v = new boolean[numel];
                    for (int k = 0; k < numel; k++) {
                        v[k] = random.nextBoolean();
                    }
                    yield Tensor.of(v).reshape(shape);
                }
            };
            String name = switch (random.nextInt(4)) {
                case 0 -> "layer" + i + ".weight";
                case 1 -> "b" + i;
                case 2 -> "é" + i + "\n";
                default -> "m." + i + ".running_mean";
            };
            tensors.put(name, t);
        }
        return tensors;
    }

    @Property(tries = 300)
    void randomStateDictsRoundTripBitForBit(@ForAll long seed, @ForAll("metadata") Map<String, String> metadata)
            throws Exception {
        Map<String, Tensor> tensors = stateDict(seed);
        byte[] file = Safetensors.toBytes(tensors, metadata);
        SafetensorsContents back = Safetensors.fromBytesWithMetadata(file);
        StFiles.assertSameBits(back.tensors(), tensors);
        assertThat(back.metadata()).isEqualTo(metadata);
        // Writing what was read gives the same bytes.
        assertThat(Safetensors.toBytes(back.tensors(), back.metadata())).isEqualTo(file);
    }

    @Provide
    Arbitrary<Map<String, String>> metadata() {
        return Arbitraries.maps(Arbitraries.strings().ofMaxLength(8), Arbitraries.strings().ofMaxLength(12)).ofMaxSize(3)
                .filter(m -> m.keySet().stream().allMatch(k -> Header.unpairedSurrogate(k) < 0)
                        && m.values().stream().allMatch(v -> Header.unpairedSurrogate(v) < 0));
    }

    /** One corruption of a file's bytes. */
    record Corruption(int kind, int position, int length, long value) {
        byte[] apply(byte[] file, Random random) {
            long n = file.length < 8 ? 0 : ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
            int headerEnd = n < 0 || n > file.length ? file.length : (int) Math.min(file.length, 8 + n);
            int kind = file.length < 8 && (this.kind == 6 || this.kind == 7) ? 0 : this.kind;
            // Aim half of the corruptions at the header, where the structure is.
            int at = Math.floorMod(position, kind % 2 == 0 ? Math.max(1, headerEnd) : file.length);
            byte[] b = file.clone();
            switch (kind) {
                case 0, 1 -> b[at] ^= (byte) (1 << (value & 7)); // flip one bit
                case 2, 3 -> { // overwrite a run with random bytes
                    for (int i = at; i < Math.min(b.length, at + length); i++) {
                        b[i] = (byte) random.nextInt();
                    }
                }
                case 4 -> b = Arrays.copyOf(b, Math.floorMod(position, file.length)); // truncate
                case 5 -> { // append random bytes
                    b = Arrays.copyOf(b, file.length + 1 + length);
                    for (int i = file.length; i < b.length; i++) {
                        b[i] = (byte) random.nextInt();
                    }
                }
                case 6 -> ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putLong(0, value); // a random header length
                case 7 -> { // a small change to the header length
                    ByteBuffer buf = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
                    buf.putLong(0, buf.getLong(0) + (value % 17) - 8);
                }
                case 8, 9 -> { // splice JSON-ish text into the header
                    String[] pieces = {"0", "9999999999", "-1", "\"", ",", "}", "]", "[", "{", "\"F16\"", "\"I8\"", "1e9",
                        "null", "\"__metadata__\"", "\\u0000", "18446744073709551615", "\"shape\":[0],"};
                    byte[] piece = pieces[Math.floorMod((int) value, pieces.length)].getBytes(StandardCharsets.UTF_8);
                    int where = 8 + Math.floorMod(position, Math.max(1, headerEnd - 8));
                    where = Math.min(where, b.length);
                    byte[] spliced = new byte[b.length - Math.min(length % 3, b.length - where) + piece.length];
                    System.arraycopy(b, 0, spliced, 0, where);
                    System.arraycopy(piece, 0, spliced, where, piece.length);
                    int skip = Math.min(length % 3, b.length - where);
                    System.arraycopy(b, where + skip, spliced, where + piece.length, b.length - where - skip);
                    b = spliced;
                }
                case 10, 11 -> { // change one number of the header (a dimension or an offset), keeping it parsable
                    int[] digits = numberAt(b, headerEnd, position);
                    if (digits == null) {
                        break;
                    }
                    long old = Long.parseLong(new String(b, digits[0], digits[1] - digits[0], StandardCharsets.US_ASCII));
                    long replacement = switch (Math.floorMod(value, 4)) {
                        case 0 -> Math.max(0, old + (length % 9) - 4); // nearby: overlaps, holes, size mismatches
                        case 1 -> 0;
                        case 2 -> old * (1 + length);
                        default -> (1L << (30 + length)) + length; // absurd
                    };
                    byte[] text = Long.toString(replacement).getBytes(StandardCharsets.US_ASCII);
                    byte[] changed = new byte[b.length - (digits[1] - digits[0]) + text.length];
                    System.arraycopy(b, 0, changed, 0, digits[0]);
                    System.arraycopy(text, 0, changed, digits[0], text.length);
                    System.arraycopy(b, digits[1], changed, digits[0] + text.length, b.length - digits[1]);
                    ByteBuffer.wrap(changed).order(ByteOrder.LITTLE_ENDIAN)
                            .putLong(0, headerEnd - 8 + text.length - (digits[1] - digits[0]));
                    b = changed;
                }
                case 12, 13 -> { // move one tensor's data_offsets, keeping its size: overlaps, holes, out of range
                    String text = new String(b, 0, headerEnd, StandardCharsets.ISO_8859_1); // one char per byte
                    java.util.regex.Matcher m = OFFSETS.matcher(text);
                    List<int[]> pairs = new java.util.ArrayList<>();
                    while (m.find()) {
                        pairs.add(new int[] {m.start(1), m.end(2)});
                    }
                    if (pairs.isEmpty()) {
                        break;
                    }
                    int[] at2 = pairs.get(Math.floorMod(position, pairs.size()));
                    String[] ends = text.substring(at2[0], at2[1]).split(",");
                    long shift = Math.floorMod(value, 3) == 0 ? -(length % 9) : length % 9;
                    String moved = Math.max(0, Long.parseLong(ends[0]) + shift) + ","
                            + Math.max(0, Long.parseLong(ends[1]) + shift);
                    String result = text.substring(0, at2[0]) + moved + text.substring(at2[1]);
                    byte[] header = result.getBytes(StandardCharsets.ISO_8859_1);
                    byte[] changed = Arrays.copyOf(header, header.length + b.length - headerEnd);
                    System.arraycopy(b, headerEnd, changed, header.length, b.length - headerEnd);
                    ByteBuffer.wrap(changed).order(ByteOrder.LITTLE_ENDIAN).putLong(0, header.length - 8);
                    b = changed;
                }
                default -> throw new AssertionError(kind);
            }
            return b;
        }
    }

    static final java.util.regex.Pattern OFFSETS = java.util.regex.Pattern.compile("\"data_offsets\":\\[(\\d{1,18}),(\\d{1,18})]");

    /** The [start, end) of the {@code k}-th run of decimal digits in the header (k modulo their count), or null. */
    static int[] numberAt(byte[] file, int headerEnd, int k) {
        List<int[]> runs = new java.util.ArrayList<>();
        for (int i = 8; i < headerEnd; i++) {
            if (Character.isDigit(file[i])) {
                int j = i;
                while (j < headerEnd && Character.isDigit(file[j])) {
                    j++;
                }
                if (j - i < 18 && file[i - 1] != '"' && !Character.isLetter(file[i - 1])) { // not in F32, I64, ...
                    runs.add(new int[] {i, j});
                }
                i = j;
            }
        }
        return runs.isEmpty() ? null : runs.get(Math.floorMod(k, runs.size()));
    }

    @Provide
    Arbitrary<List<Corruption>> corruptions() {
        Arbitrary<Corruption> one = Combinators.combine(Arbitraries.integers().between(0, 13),
                Arbitraries.integers().greaterOrEqual(0), Arbitraries.integers().between(1, 16),
                Arbitraries.longs()).as(Corruption::new);
        return one.list().ofMinSize(1).ofMaxSize(3);
    }

    @Property(tries = 2000)
    void corruptedFilesLoadConsistentlyOrFailWithSafetensorsException(@ForAll long seed,
            @ForAll("corruptions") List<Corruption> corruptions, @ForAll @IntRange(min = 0, max = 1) int withMetadata) {
        Map<String, Tensor> original = stateDict(seed);
        byte[] file = Safetensors.toBytes(original, withMetadata == 1 ? Map.of("format", "pt") : Map.of());
        Random random = new Random(seed);
        for (Corruption c : corruptions) {
            if (file.length > 0) {
                file = c.apply(file, random);
            }
        }
        // A live state dict, as a model's, holding other values of the original's shapes and types.
        Map<String, Tensor> live = new LinkedHashMap<>();
        original.forEach((k, v) -> live.put(k, Tensor.onesLike(v)));
        Map<String, Tensor> before = StFiles.snapshot(live);

        SafetensorsContents loaded;
        try {
            loaded = Safetensors.fromBytesWithMetadata(file);
        } catch (SafetensorsException e) {
            assertThat(e.getMessage()).startsWith("<safetensors bytes, " + file.length + " long>: ");
            assertThat(e.problem()).isNotNull();
            assertLoadIntoFailsCleanly(live, before, file);
            return;
        }
        assertConsistent(loaded, file);
        // A file that loads may still not fit the state dict; then nothing may change either.
        boolean fits = loaded.tensors().keySet().equals(live.keySet()) && live.entrySet().stream()
                .allMatch(e -> loaded.tensors().get(e.getKey()).shape().equals(e.getValue().shape()));
        if (fits) {
            try {
                Safetensors.loadInto(live, file, true);
            } catch (SafetensorsException e) {
                throw new AssertionError("a file that loads and fits must load into the state dict", e);
            }
            live.forEach((k, v) -> assertThat(v.toDoubleArray())
                    .isEqualTo(loaded.tensors().get(k).to(v.dtype()).toDoubleArray()));
        } else {
            assertLoadIntoFailsCleanly(live, before, file);
        }
    }

    private static void assertLoadIntoFailsCleanly(Map<String, Tensor> live, Map<String, Tensor> before, byte[] file) {
        try {
            Safetensors.loadInto(live, file, true);
            throw new AssertionError("loadInto accepted a file that load rejected or that does not fit");
        } catch (SafetensorsException expected) {
            StFiles.assertSameBits(live, before);
        }
    }

    /** Every tensor's element count matches its shape, and no more elements exist than the file has bytes. */
    private static void assertConsistent(SafetensorsContents loaded, byte[] file) {
        long elements = 0;
        for (Tensor t : loaded.tensors().values()) {
            int numel = Arrays.stream(t.shape().toArray()).reduce(1, (a, b) -> a * b);
            assertThat(t.numel()).isEqualTo(numel);
            assertThat(t.toDoubleArray()).hasSize(numel);
            elements += numel;
        }
        assertThat(elements).isLessThanOrEqualTo(file.length);
    }

    @Property(tries = 300)
    void flippingADataByteNeverBreaksTheFileOnlyTheValue(@ForAll long seed, @ForAll int position) throws Exception {
        Map<String, Tensor> original = stateDict(seed);
        byte[] file = Safetensors.toBytes(original);
        int headerEnd = (int) (8 + ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN).getLong(0));
        if (headerEnd == file.length) {
            return; // no data bytes (only empty tensors)
        }
        file[headerEnd + Math.floorMod(position, file.length - headerEnd)] ^= (byte) 0x5a;
        Map<String, Tensor> loaded = Safetensors.fromBytes(file);
        assertThat(loaded.keySet()).containsExactlyInAnyOrderElementsOf(original.keySet());
        original.forEach((k, v) -> assertThat(loaded.get(k).shape()).isEqualTo(v.shape()));
    }
}
