package dev.kiln.io;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.lang.reflect.Array;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Plain values as JSON text and back, for metadata such as optimizer hyperparameters: maps with
 * string keys, lists and arrays, numbers, booleans, strings and null.
 */
final class JsonValues {
    private JsonValues() {}

    /**
     * {@code value} as compact JSON.
     *
     * @throws IllegalArgumentException for a value that has no JSON form (another type, a map key
     *     that is not a string, a NaN or infinite number)
     */
    static String write(Object value) {
        StringWriter text = new StringWriter();
        try (JsonGenerator g = Header.JSON.createGenerator(text)) {
            write(g, value, "");
        } catch (IOException e) {
            throw new UncheckedIOException("writing JSON to a string", e);
        }
        return text.toString();
    }

    private static void write(JsonGenerator g, Object value, String path) throws IOException {
        switch (value) {
            case null -> g.writeNull();
            case String s -> g.writeString(s);
            case Boolean b -> g.writeBoolean(b);
            case Integer i -> g.writeNumber(i);
            case Long l -> g.writeNumber(l);
            case Short s -> g.writeNumber(s);
            case Byte b -> g.writeNumber(b);
            case BigInteger b -> g.writeNumber(b);
            case BigDecimal b -> g.writeNumber(b);
            case Float f -> g.writeNumber(finite(f.doubleValue(), path));
            case Double d -> g.writeNumber(finite(d, path));
            case Map<?, ?> map -> {
                g.writeStartObject();
                for (Map.Entry<?, ?> e : map.entrySet()) {
                    if (!(e.getKey() instanceof String key)) {
                        throw new IllegalArgumentException("JSON object keys must be strings, found " + e.getKey()
                                + " at " + where(path));
                    }
                    g.writeFieldName(key);
                    write(g, e.getValue(), path + "." + key);
                }
                g.writeEndObject();
            }
            case Iterable<?> list -> {
                g.writeStartArray();
                int i = 0;
                for (Object x : list) {
                    write(g, x, path + "[" + i++ + "]");
                }
                g.writeEndArray();
            }
            default -> {
                if (!value.getClass().isArray()) {
                    throw new IllegalArgumentException("a " + value.getClass().getName() + " at " + where(path)
                            + " has no JSON form; use numbers, booleans, strings, lists and maps");
                }
                g.writeStartArray();
                for (int i = 0; i < Array.getLength(value); i++) {
                    write(g, Array.get(value, i), path + "[" + i + "]");
                }
                g.writeEndArray();
            }
        }
    }

    private static double finite(double x, String path) {
        if (!Double.isFinite(x)) {
            throw new IllegalArgumentException(x + " at " + where(path) + " has no JSON form");
        }
        return x;
    }

    private static String where(String path) {
        return path.isEmpty() ? "the top level" : path.substring(path.startsWith(".") ? 1 : 0);
    }

    /**
     * The value of JSON {@code text}: {@code LinkedHashMap} for objects, {@code ArrayList} for arrays,
     * {@code Integer}, {@code Long} or {@code BigInteger} for integers by size, {@code Double} for
     * other numbers, and {@code Boolean}, {@code String} or null.
     *
     * @throws IllegalArgumentException if {@code text} is not one JSON value, or an object repeats a key
     */
    static Object read(String text) {
        try (JsonParser p = Header.JSON.createParser(text)) {
            JsonToken t = p.nextToken();
            if (t == null) {
                throw new IllegalArgumentException("empty JSON text");
            }
            Object value = read(p, t);
            if (p.nextToken() != null) {
                throw new IllegalArgumentException("more JSON after the first value");
            }
            return value;
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("invalid JSON: " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new UncheckedIOException("reading JSON from a string", e);
        }
    }

    private static Object read(JsonParser p, JsonToken t) throws IOException {
        return switch (t) {
            case START_OBJECT -> {
                Map<String, Object> map = new LinkedHashMap<>();
                JsonToken f;
                while ((f = p.nextToken()) == JsonToken.FIELD_NAME) {
                    String key = p.currentName();
                    Object v = read(p, p.nextToken());
                    if (map.containsKey(key)) {
                        throw new IllegalArgumentException("the key \"" + key + "\" appears twice in an object");
                    }
                    map.put(key, v);
                }
                yield map;
            }
            case START_ARRAY -> {
                List<Object> list = new ArrayList<>();
                JsonToken e;
                while ((e = p.nextToken()) != JsonToken.END_ARRAY) {
                    list.add(read(p, e));
                }
                yield list;
            }
            case VALUE_STRING -> p.getText();
            case VALUE_NUMBER_INT -> switch (p.getNumberType()) {
                case INT -> p.getIntValue();
                case LONG -> p.getLongValue();
                default -> p.getBigIntegerValue();
            };
            case VALUE_NUMBER_FLOAT -> p.getDoubleValue();
            case VALUE_TRUE -> Boolean.TRUE;
            case VALUE_FALSE -> Boolean.FALSE;
            case VALUE_NULL -> null;
            default -> throw new IllegalArgumentException("unexpected JSON token " + t);
        };
    }
}
