package dev.kiln.io;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.json.JsonWriteFeature;
import dev.kiln.io.SafetensorsException.Problem;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.StringJoiner;

/**
 * A safetensors header: reading it (UTF-8 and JSON checks, then structure, then the consistency of
 * every tensor's dtype, shape and offsets with the file) and writing it exactly as the reference
 * writer does (compact JSON, {@code __metadata__} first, padded with spaces to a multiple of 8).
 */
final class Header {
    /** The key of the free-form string map in a header. */
    static final String METADATA_KEY = "__metadata__";
    /** More dimensions than any real tensor has; bounds what a header's shape array can make us allocate. */
    static final int MAX_DIMS = 1024;
    /** The most elements a Kiln tensor (a Java array) holds. */
    static final long MAX_ELEMENTS = Integer.MAX_VALUE - 8;

    static final JsonFactory JSON = JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder()
                    .maxStringLength((int) Safetensors.MAX_HEADER_LENGTH)
                    .maxNameLength((int) Safetensors.MAX_HEADER_LENGTH)
                    .build())
            .disable(StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION)
            .disable(JsonFactory.Feature.CANONICALIZE_FIELD_NAMES)
            // serde_json, behind the reference writer, escapes control characters as \u001f
            .disable(JsonWriteFeature.WRITE_HEX_UPPER_CASE)
            .build();

    /** A tensor's entry as the header states it, before validation. */
    record Entry(String name, String dtype, long[] shape, long begin, long end, int index) {}

    /** A validated tensor entry: a known, supported dtype and a shape that fits a Kiln tensor. */
    record Checked(String name, FileDType dtype, int[] dims, int numel, long begin, long end) {}

    private final List<Entry> entries;
    private final Map<String, String> metadata;

    private Header(List<Entry> entries, Map<String, String> metadata) {
        this.entries = entries;
        this.metadata = metadata;
    }

    /** The free-form metadata, in file order; empty when the header has none. */
    Map<String, String> metadata() {
        return metadata;
    }

    // ---------------------------------------------------------------------------------------------
    // Reading

    /** Parses the header bytes; checks UTF-8, JSON and the structure of every entry. */
    static Header parse(byte[] bytes, String source) throws SafetensorsException {
        if (bytes.length == 0 || bytes[0] != '{') {
            throw invalid(source, null, bytes.length == 0
                    ? "the header is empty; it must be a JSON object beginning with '{'"
                    : String.format("the header must begin with '{' (0x7b) but begins with 0x%02x", bytes[0] & 0xff));
        }
        String text = decodeUtf8(bytes, source);
        try (JsonParser p = JSON.createParser(text)) {
            return parse(p, source);
        } catch (SafetensorsException e) {
            throw e;
        } catch (JsonProcessingException e) {
            JsonLocation at = e.getLocation();
            String where = at == null ? "" : " (line " + at.getLineNr() + ", column " + at.getColumnNr() + ")";
            throw new SafetensorsException(Problem.INVALID_HEADER, source, null,
                    "the header is not valid JSON: " + e.getOriginalMessage() + where, e);
        } catch (IOException e) {
            throw new UncheckedIOException("reading a JSON header from a string", e);
        }
    }

    private static Header parse(JsonParser p, String source) throws IOException {
        if (p.nextToken() != JsonToken.START_OBJECT) {
            throw invalid(source, null, "the header must be a JSON object");
        }
        List<Entry> entries = new ArrayList<>();
        Map<String, String> metadata = null;
        Set<String> seen = new HashSet<>();
        JsonToken t;
        while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            checkUnicode(name, source, null, "a key of the header");
            if (!seen.add(name)) {
                throw invalid(source, name, "the key appears more than once in the header; duplicate keys are not allowed");
            }
            JsonToken value = p.nextToken();
            if (name.equals(METADATA_KEY)) {
                metadata = parseMetadata(p, value, source);
            } else {
                entries.add(parseEntry(p, value, name, entries.size(), source));
            }
        }
        if (t != JsonToken.END_OBJECT) {
            throw invalid(source, null, "unexpected " + t + " in the header object");
        }
        JsonToken trailing = p.nextToken();
        if (trailing != null) {
            throw invalid(source, null, "the header has more JSON after its object (" + trailing
                    + "); only spaces may follow it");
        }
        return new Header(entries, metadata == null ? Map.of() : Collections.unmodifiableMap(metadata));
    }

    private static Map<String, String> parseMetadata(JsonParser p, JsonToken value, String source) throws IOException {
        Map<String, String> metadata = new LinkedHashMap<>();
        if (value == JsonToken.VALUE_NULL) {
            return metadata;
        }
        if (value != JsonToken.START_OBJECT) {
            throw invalid(source, null, "__metadata__ must be a JSON object of strings, found " + describe(value));
        }
        JsonToken t;
        while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
            String key = p.currentName();
            checkUnicode(key, source, null, "a __metadata__ key");
            JsonToken v = p.nextToken();
            if (v != JsonToken.VALUE_STRING) {
                throw invalid(source, null, "__metadata__ values must be strings, but the value of "
                        + Safetensors.quote(key) + " is " + describe(v));
            }
            String text = p.getText();
            checkUnicode(text, source, null, "the __metadata__ value of " + Safetensors.quote(key));
            if (metadata.putIfAbsent(key, text) != null) {
                throw invalid(source, null, "__metadata__ has the key " + Safetensors.quote(key) + " more than once");
            }
        }
        if (t != JsonToken.END_OBJECT) {
            throw invalid(source, null, "unexpected " + t + " in __metadata__");
        }
        return metadata;
    }

    private static Entry parseEntry(JsonParser p, JsonToken value, String name, int index, String source)
            throws IOException {
        if (value != JsonToken.START_OBJECT) {
            throw invalid(source, name, "the entry must be a JSON object with dtype, shape and data_offsets, found "
                    + describe(value));
        }
        String dtype = null;
        long[] shape = null;
        long[] offsets = null;
        JsonToken t;
        while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
            String field = p.currentName();
            JsonToken v = p.nextToken();
            switch (field) {
                case "dtype" -> {
                    if (dtype != null) {
                        throw invalid(source, name, "the entry has \"dtype\" more than once");
                    }
                    if (v != JsonToken.VALUE_STRING) {
                        throw invalid(source, name, "\"dtype\" must be a string such as \"F32\", found " + describe(v));
                    }
                    dtype = p.getText();
                }
                case "shape" -> {
                    if (shape != null) {
                        throw invalid(source, name, "the entry has \"shape\" more than once");
                    }
                    shape = parseIntegers(p, v, name, "shape", MAX_DIMS, source);
                }
                case "data_offsets" -> {
                    if (offsets != null) {
                        throw invalid(source, name, "the entry has \"data_offsets\" more than once");
                    }
                    offsets = parseIntegers(p, v, name, "data_offsets", 2, source);
                    if (offsets.length != 2) {
                        throw invalid(source, name, "\"data_offsets\" must be [begin, end], found "
                                + offsets.length + " number(s)");
                    }
                }
                // Fields the format does not define are ignored, as the reference reader ignores them.
                default -> p.skipChildren();
            }
        }
        if (t != JsonToken.END_OBJECT) {
            throw invalid(source, name, "unexpected " + t + " in the entry");
        }
        if (dtype == null || shape == null || offsets == null) {
            StringJoiner missing = new StringJoiner(", ");
            if (dtype == null) {
                missing.add("dtype");
            }
            if (shape == null) {
                missing.add("shape");
            }
            if (offsets == null) {
                missing.add("data_offsets");
            }
            throw invalid(source, name, "the entry lacks " + missing);
        }
        return new Entry(name, dtype, shape, offsets[0], offsets[1], index);
    }

    /**
     * A JSON array of non-negative integers; values above {@code Long.MAX_VALUE} are read as
     * {@code Long.MAX_VALUE}, which every later range check rejects.
     */
    private static long[] parseIntegers(JsonParser p, JsonToken v, String name, String field, int max, String source)
            throws IOException {
        if (v != JsonToken.START_ARRAY) {
            throw invalid(source, name, "\"" + field + "\" must be an array of non-negative integers, found " + describe(v));
        }
        long[] values = new long[4];
        int n = 0;
        JsonToken t;
        while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
            if (t != JsonToken.VALUE_NUMBER_INT) {
                throw invalid(source, name, "\"" + field + "\" must hold non-negative integers, found " + describe(t));
            }
            long x;
            if (p.getNumberType() == JsonParser.NumberType.BIG_INTEGER) {
                if (p.getBigIntegerValue().signum() < 0) {
                    throw invalid(source, name, "\"" + field + "\" must hold non-negative integers, found " + p.getText());
                }
                x = Long.MAX_VALUE;
            } else {
                x = p.getLongValue();
                if (x < 0) {
                    throw invalid(source, name, "\"" + field + "\" must hold non-negative integers, found " + x);
                }
            }
            if (n == max) {
                if (field.equals("shape")) {
                    throw new SafetensorsException(Problem.INVALID_SHAPE, source, name,
                            "the shape has more than " + max + " dimensions");
                }
                throw invalid(source, name, "\"" + field + "\" must be [begin, end], found more than " + max + " numbers");
            }
            if (n == values.length) {
                values = Arrays.copyOf(values, Math.min(max, 2 * n));
            }
            values[n++] = x;
        }
        return Arrays.copyOf(values, n);
    }

    /**
     * Checks every entry against the data section of {@code dataLength} bytes: dtypes known and
     * supported, shapes that fit a Kiln tensor, byte counts equal to element count times element
     * size, and offsets that cover the data section exactly, without overlaps or holes.
     *
     * @return the entries in the order of their data in the file
     */
    List<Checked> validate(long dataLength, long fileSize, String source) throws SafetensorsException {
        List<Checked> checked = new ArrayList<>(entries.size());
        for (Entry e : entries) {
            checked.add(check(e, source));
        }
        // The order of the data; ties (empty tensors at one offset) keep the header's order.
        List<Integer> order = new ArrayList<>(checked.size());
        for (int i = 0; i < checked.size(); i++) {
            order.add(i);
        }
        order.sort(Comparator.<Integer>comparingLong(i -> checked.get(i).begin())
                .thenComparingLong(i -> checked.get(i).end()));
        List<Checked> sorted = new ArrayList<>(checked.size());
        long covered = 0;
        Checked previous = null;
        for (int i : order) {
            Checked c = checked.get(i);
            if (c.end() > dataLength) {
                throw new SafetensorsException(Problem.OFFSETS_OUT_OF_RANGE, source, c.name(),
                        "data_offsets " + offsets(c) + " end past the data section, which holds " + dataLength
                                + " bytes (a file of " + fileSize + " bytes); is the file truncated?");
            }
            if (c.begin() < covered) {
                throw new SafetensorsException(Problem.OVERLAP, source, c.name(),
                        "data_offsets " + offsets(c) + " overlap those of tensor " + Safetensors.quote(previous.name())
                                + ", " + offsets(previous));
            }
            if (c.begin() > covered) {
                throw new SafetensorsException(Problem.HOLE, source, c.name(),
                        "bytes [" + covered + ", " + c.begin() + ") of the data section, before this tensor's data_offsets "
                                + offsets(c) + ", belong to no tensor; the data must be covered without holes");
            }
            covered = c.end();
            previous = c;
            sorted.add(c);
        }
        if (covered != dataLength) {
            throw new SafetensorsException(Problem.HOLE, source, null,
                    "the last " + (dataLength - covered) + " bytes of the data section (from offset " + covered
                            + " of " + dataLength + ") belong to no tensor; the data must be covered without holes");
        }
        return sorted;
    }

    private static Checked check(Entry e, String source) throws SafetensorsException {
        FileDType dtype = FileDType.byName(e.dtype());
        if (dtype == null) {
            StringJoiner known = new StringJoiner(", ");
            for (FileDType t : FileDType.values()) {
                known.add(t.name());
            }
            throw new SafetensorsException(Problem.UNKNOWN_DTYPE, source, e.name(),
                    "unknown dtype " + Safetensors.quote(e.dtype()) + "; the format defines " + known);
        }
        if (dtype.kilnType() == null) {
            throw new SafetensorsException(Problem.UNSUPPORTED_DTYPE, source, e.name(),
                    "dtype " + dtype + " cannot be read into a Kiln tensor; Kiln reads F32, F64, I64 and BOOL, widens"
                            + " F16 and BF16 to float32 and I8, U8, I16, U16, I32 and U32 to int64");
        }
        long[] shape = e.shape();
        int[] dims = new int[shape.length];
        long numel = 1;
        boolean overflow = false;
        for (int d = 0; d < shape.length; d++) {
            if (shape[d] > Integer.MAX_VALUE) {
                throw new SafetensorsException(Problem.INVALID_SHAPE, source, e.name(),
                        "dimension " + d + " of shape " + Arrays.toString(shape) + " is " + size(shape[d])
                                + ", more than a Kiln tensor dimension holds (" + Integer.MAX_VALUE + ")");
            }
            dims[d] = (int) shape[d];
            if (!overflow) {
                try {
                    numel = Math.multiplyExact(numel, shape[d]);
                } catch (ArithmeticException ex) {
                    overflow = true;
                }
            }
        }
        boolean empty = Arrays.stream(shape).anyMatch(x -> x == 0);
        if (!empty && (overflow || numel > MAX_ELEMENTS)) {
            throw new SafetensorsException(Problem.INVALID_SHAPE, source, e.name(),
                    "shape " + Arrays.toString(shape) + " has " + (overflow ? "more than 2^63" : Long.toString(numel))
                            + " elements; a Kiln tensor holds at most " + MAX_ELEMENTS);
        }
        if (empty) {
            numel = 0;
        }
        if (e.begin() > e.end()) {
            throw new SafetensorsException(Problem.INVALID_OFFSETS, source, e.name(),
                    "data_offsets [" + size(e.begin()) + ", " + size(e.end()) + "] end before they begin");
        }
        long bytes = numel * dtype.bytes();
        if (e.end() - e.begin() != bytes) {
            throw new SafetensorsException(Problem.SIZE_MISMATCH, source, e.name(),
                    "dtype " + dtype + " and shape " + Arrays.toString(shape) + " need " + numel + " x " + dtype.bytes()
                            + " = " + bytes + " bytes, but its data_offsets [" + size(e.begin()) + ", " + size(e.end())
                            + "] span " + (e.end() - e.begin()) + " bytes");
        }
        return new Checked(e.name(), dtype, dims, (int) numel, e.begin(), e.end());
    }

    private static String offsets(Checked c) {
        return "[" + c.begin() + ", " + c.end() + "]";
    }

    /** A number read from the header, where Long.MAX_VALUE stands for anything at least that large. */
    private static String size(long x) {
        return x == Long.MAX_VALUE ? ">= 2^63-1" : Long.toString(x);
    }

    private static String describe(JsonToken t) {
        if (t == null) {
            return "the end of the header";
        }
        return switch (t) {
            case START_OBJECT -> "an object";
            case START_ARRAY -> "an array";
            case VALUE_STRING -> "a string";
            case VALUE_NUMBER_INT -> "an integer";
            case VALUE_NUMBER_FLOAT -> "a non-integer number";
            case VALUE_TRUE, VALUE_FALSE -> "a boolean";
            case VALUE_NULL -> "null";
            default -> t.toString();
        };
    }

    private static SafetensorsException invalid(String source, String tensor, String detail) {
        return new SafetensorsException(Problem.INVALID_HEADER, source, tensor, detail);
    }

    private static String decodeUtf8(byte[] bytes, String source) throws SafetensorsException {
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        CharBuffer out = CharBuffer.allocate(bytes.length);
        CoderResult result = decoder.decode(in, out, true);
        if (result.isUnderflow()) {
            result = decoder.flush(out);
        }
        if (result.isError()) {
            throw invalid(source, null, "the header is not valid UTF-8: " + result.length()
                    + " malformed byte(s) at byte " + (8 + in.position()) + " of the file");
        }
        out.flip();
        return out.toString();
    }

    /** Rejects strings with unpaired surrogates (from JSON escapes such as "\ud800"), as the reference does. */
    private static void checkUnicode(String s, String source, String tensor, String what) throws SafetensorsException {
        if (unpairedSurrogate(s) >= 0) {
            throw invalid(source, tensor, what + " has an unpaired UTF-16 surrogate escape, which is not valid Unicode");
        }
    }

    /** The index of the first unpaired surrogate in {@code s}, or -1. */
    static int unpairedSurrogate(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c)) {
                if (i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                    i++;
                } else {
                    return i;
                }
            } else if (Character.isLowSurrogate(c)) {
                return i;
            }
        }
        return -1;
    }

    // ---------------------------------------------------------------------------------------------
    // Writing

    /** A tensor's entry as the writer lays it out. */
    record Out(String name, FileDType dtype, int[] dims, long begin, long end) {}

    /**
     * The header bytes exactly as the reference writer makes them: compact JSON with
     * {@code __metadata__} first (when there is metadata), then the entries in data order, each with
     * dtype, shape and data_offsets in that order; padded with spaces to a multiple of 8 bytes.
     * Metadata keys are written in ascending order of their UTF-8 bytes.
     */
    static byte[] encode(List<Out> entries, Map<String, String> metadata) {
        StringWriter text = new StringWriter();
        try (JsonGenerator g = JSON.createGenerator(text)) {
            g.writeStartObject();
            if (!metadata.isEmpty()) {
                g.writeFieldName(METADATA_KEY);
                g.writeStartObject();
                List<String> keys = new ArrayList<>(metadata.keySet());
                keys.sort(Safetensors.UTF8_ORDER);
                for (String key : keys) {
                    g.writeStringField(key, metadata.get(key));
                }
                g.writeEndObject();
            }
            for (Out e : entries) {
                g.writeFieldName(e.name());
                g.writeStartObject();
                g.writeStringField("dtype", e.dtype().name());
                g.writeArrayFieldStart("shape");
                for (int d : e.dims()) {
                    g.writeNumber(d);
                }
                g.writeEndArray();
                g.writeArrayFieldStart("data_offsets");
                g.writeNumber(e.begin());
                g.writeNumber(e.end());
                g.writeEndArray();
                g.writeEndObject();
            }
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException("writing a JSON header to a string", e);
        }
        byte[] json;
        try {
            ByteBuffer encoded = StandardCharsets.UTF_8.newEncoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .encode(CharBuffer.wrap(text.getBuffer()));
            json = new byte[encoded.remaining()];
            encoded.get(json);
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException("a tensor name or metadata string is not valid Unicode", e);
        }
        int padded = (json.length + 7) / 8 * 8;
        byte[] header = Arrays.copyOf(json, padded);
        Arrays.fill(header, json.length, padded, (byte) ' ');
        return header;
    }
}
