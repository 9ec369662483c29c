package dev.kiln.io;

import static dev.kiln.io.StFiles.concat;
import static dev.kiln.io.StFiles.f32;
import static dev.kiln.io.StFiles.file;
import static dev.kiln.io.StFiles.loadFails;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.kiln.Parameter;
import dev.kiln.Tensor;
import dev.kiln.io.SafetensorsException.Problem;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every way a file can be wrong gives its own error, naming the file, the tensor and what was
 * expected against what was found, and leaves a state dict being loaded into unchanged.
 */
class SafetensorsMalformedTest {
    @TempDir
    Path dir;

    /** A valid file: a [2, 2] float32 "w" at [0, 16] and a [2] float32 "b" at [16, 24]. */
    static final String VALID = "{\"w\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,16]},"
            + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[16,24]}}";
    static final byte[] DATA = f32(1, 2, 3, 4, 5, 6);

    private static byte[] withHeaderLength(byte[] file, long n) {
        byte[] copy = file.clone();
        ByteBuffer.wrap(copy).order(ByteOrder.LITTLE_ENDIAN).putLong(0, n);
        return copy;
    }

    /** The live state dict the malformed files are loaded into; it must never change. */
    private static Map<String, Tensor> model() {
        Map<String, Tensor> model = new LinkedHashMap<>();
        model.put("w", new Parameter(Tensor.full(-1, 2, 2)));
        model.put("b", new Parameter(Tensor.full(-1, 2)));
        return model;
    }

    /**
     * Loads {@code file} from disk (checking the message names it) and into a state dict (checking it
     * is left unchanged); returns the exception.
     */
    private SafetensorsException fails(byte[] file, Problem problem) throws Exception {
        SafetensorsException e = loadFails(file, problem);
        Path path = dir.resolve("bad-" + problem + ".safetensors");
        Files.write(path, file);
        SafetensorsException fromDisk = catchThrowableOfType(SafetensorsException.class, () -> Safetensors.load(path));
        assertThat(fromDisk).isNotNull();
        assertThat(fromDisk.problem()).isEqualTo(problem);
        assertThat(fromDisk.source()).isEqualTo(path.toString());
        assertThat(fromDisk.getMessage()).startsWith(path + ": ");
        Map<String, Tensor> model = model();
        Map<String, Tensor> before = StFiles.snapshot(model);
        Tensor w = model.get("w");
        SafetensorsException intoModel = catchThrowableOfType(SafetensorsException.class,
                () -> Safetensors.loadInto(model, path, true));
        assertThat(intoModel).isNotNull();
        assertThat(intoModel.problem()).isEqualTo(problem);
        StFiles.assertSameBits(model, before);
        assertThat(model.get("w")).isSameAs(w);
        assertThat(w.requiresGrad()).isTrue();
        return e;
    }

    @Test
    void theValidFileLoads() throws Exception {
        Map<String, Tensor> model = model();
        assertThat(Safetensors.loadInto(model, file(VALID, DATA), true).isEmpty()).isTrue();
        assertThat(model.get("w").toFloatArray()).containsExactly(1, 2, 3, 4);
        assertThat(model.get("b").toFloatArray()).containsExactly(5, 6);
    }

    // ---------------------------------------------------------------------------------------------
    // Header length

    @Test
    void aFileShorterThanTheHeaderLength() throws Exception {
        for (int n = 0; n < 8; n++) {
            SafetensorsException e = loadFails(new byte[n], Problem.FILE_TOO_SHORT);
            assertThat(e.getMessage()).contains("the file is " + n + " bytes long, too short for the 8-byte header length");
        }
        fails(new byte[5], Problem.FILE_TOO_SHORT);
    }

    @Test
    void aHeaderLengthLargerThanTheFile() throws Exception {
        byte[] file = file(VALID, DATA);
        SafetensorsException e = fails(withHeaderLength(file, file.length - 7), Problem.HEADER_PAST_END);
        assertThat(e.getMessage()).contains("the header length is " + (file.length - 7) + " bytes, but the file has only "
                + (file.length - 8) + " bytes after the 8-byte length");
        // A file cut inside its header.
        fails(Arrays.copyOf(file, 40), Problem.HEADER_PAST_END);
    }

    @Test
    void anAbsurdHeaderLength() throws Exception {
        byte[] file = file(VALID, DATA);
        SafetensorsException e = fails(withHeaderLength(file, 100_000_001), Problem.HEADER_TOO_LARGE);
        assertThat(e.getMessage()).contains("the header length is 100000001 bytes, more than the limit of 100000000");
        // Unsigned: 2^64 - 1 is not -1.
        assertThat(loadFails(withHeaderLength(file, -1), Problem.HEADER_TOO_LARGE).getMessage())
                .contains("18446744073709551615");
        loadFails(withHeaderLength(file, Long.MAX_VALUE), Problem.HEADER_TOO_LARGE);
    }

    // ---------------------------------------------------------------------------------------------
    // Header JSON

    @ParameterizedTest
    @ValueSource(strings = {
        "{\"w\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,16]}", // unclosed
        "{\"w\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,16],}}", // trailing comma
        "{\"w\":{'dtype':\"F32\"}}", // single quotes
        "{\"w\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,16]}} x", // garbage after the object
        "{\"w\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,16]}}\u0000\u0000", // NUL padding
        "{\"w\":{\"dtype\":\"F32\",\"shape\":[02,2],\"data_offsets\":[0,16]}}", // leading zero
        "{\"w\":{\"dtype\":\"F32\" /* c */,\"shape\":[2,2],\"data_offsets\":[0,16]}}", // comment
    })
    void invalidJson(String header) throws Exception {
        SafetensorsException e = fails(file(header, DATA), Problem.INVALID_HEADER);
        assertThat(e.getMessage()).contains("the header is not valid JSON").containsPattern("line 1, column \\d+");
    }

    @Test
    void aHeaderThatDoesNotBeginWithABrace() throws Exception {
        assertThat(fails(file(" " + VALID, DATA), Problem.INVALID_HEADER).getMessage())
                .contains("the header must begin with '{' (0x7b) but begins with 0x20");
        assertThat(fails(file("[" + VALID + "]", DATA), Problem.INVALID_HEADER).getMessage()).contains("begins with 0x5b");
        assertThat(loadFails(file("", DATA), Problem.INVALID_HEADER).getMessage()).contains("the header is empty");
    }

    @Test
    void aHeaderThatIsNotUtf8() throws Exception {
        byte[] header = VALID.replace("\"b\"", "\"\u00ff\"").getBytes(StandardCharsets.ISO_8859_1);
        SafetensorsException e = fails(file(header, DATA), Problem.INVALID_HEADER);
        int at = 8 + VALID.indexOf("\"b\"") + 1;
        assertThat(e.getMessage()).contains("the header is not valid UTF-8: 1 malformed byte(s) at byte " + at);
        // An unpaired surrogate, written as a JSON escape, is not valid Unicode either.
        assertThat(fails(file(VALID.replace("\"b\"", "\"b\\ud800\""), DATA), Problem.INVALID_HEADER).getMessage())
                .contains("surrogate");
        assertThat(fails(file("{\"__metadata__\":{\"k\":\"\\udc00\"}," + VALID.substring(1), DATA),
                Problem.INVALID_HEADER).getMessage()).contains("surrogate");
    }

    @Test
    void aDuplicateKey() throws Exception {
        String header = "{\"w\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,16]},"
                + "\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[16,24]}}";
        SafetensorsException e = fails(file(header, DATA), Problem.INVALID_HEADER);
        assertThat(e.tensor()).isEqualTo("w");
        assertThat(e.getMessage()).endsWith("tensor 'w': the key appears more than once in the header;"
                + " duplicate keys are not allowed");
        assertThat(fails(file(VALID.replace("\"shape\":[2,2],", "\"shape\":[2,2],\"shape\":[4],"), DATA),
                Problem.INVALID_HEADER).getMessage()).contains("tensor 'w': the entry has \"shape\" more than once");
    }

    @Test
    void entriesOfTheWrongShape() throws Exception {
        assertThat(fails(file("{\"w\":[1,2]}", DATA), Problem.INVALID_HEADER).getMessage())
                .contains("tensor 'w': the entry must be a JSON object with dtype, shape and data_offsets, found an array");
        assertThat(fails(file(VALID.replace("\"dtype\":\"F32\",\"shape\":[2,2],", ""), DATA), Problem.INVALID_HEADER)
                .getMessage()).contains("tensor 'w': the entry lacks dtype, shape");
        assertThat(fails(file(VALID.replace("\"F32\",\"shape\":[2,2]", "32,\"shape\":[2,2]"), DATA),
                Problem.INVALID_HEADER).getMessage()).contains("\"dtype\" must be a string such as \"F32\", found an integer");
        assertThat(fails(file(VALID.replace("[2,2]", "[2.0,2]"), DATA), Problem.INVALID_HEADER).getMessage())
                .contains("\"shape\" must hold non-negative integers, found a non-integer number");
        assertThat(fails(file(VALID.replace("[2,2]", "[-2,-2]"), DATA), Problem.INVALID_HEADER).getMessage())
                .contains("\"shape\" must hold non-negative integers, found -2");
        assertThat(fails(file(VALID.replace("[2,2]", "\"2x2\""), DATA), Problem.INVALID_HEADER).getMessage())
                .contains("\"shape\" must be an array of non-negative integers, found a string");
        assertThat(fails(file(VALID.replace("[0,16]", "[0,8,16]"), DATA), Problem.INVALID_HEADER).getMessage())
                .contains("\"data_offsets\" must be [begin, end], found more than 2 numbers");
        assertThat(fails(file(VALID.replace("[0,16]", "[16]"), DATA), Problem.INVALID_HEADER).getMessage())
                .contains("\"data_offsets\" must be [begin, end], found 1 number(s)");
        assertThat(fails(file(VALID.replace("[0,16]", "[-99999999999999999999999,16]"), DATA), Problem.INVALID_HEADER)
                .getMessage()).contains("found -99999999999999999999999");
    }

    @Test
    void metadataThatIsNotAStringMap() throws Exception {
        String prefix = "{\"__metadata__\":";
        assertThat(fails(file(prefix + "{\"epoch\":3}," + VALID.substring(1), DATA), Problem.INVALID_HEADER).getMessage())
                .contains("__metadata__ values must be strings, but the value of 'epoch' is an integer");
        assertThat(fails(file(prefix + "[\"a\"]," + VALID.substring(1), DATA), Problem.INVALID_HEADER).getMessage())
                .contains("__metadata__ must be a JSON object of strings, found an array");
        assertThat(fails(file(prefix + "{\"a\":\"1\",\"a\":\"2\"}," + VALID.substring(1), DATA), Problem.INVALID_HEADER)
                .getMessage()).contains("__metadata__ has the key 'a' more than once");
    }

    @Test
    void theRootMustBeAnObject() {
        // Begins with '{' but holds more than one value.
        assertThat(loadFails(file("{} {}", new byte[0]), Problem.INVALID_HEADER).getMessage())
                .contains("the header has more JSON after its object");
    }

    // ---------------------------------------------------------------------------------------------
    // Dtypes and shapes

    @Test
    void anUnknownDtype() throws Exception {
        SafetensorsException e = fails(file(VALID.replace("\"F32\",\"shape\":[2]", "\"F33\",\"shape\":[2]"), DATA),
                Problem.UNKNOWN_DTYPE);
        assertThat(e.tensor()).isEqualTo("b");
        assertThat(e.getMessage()).contains("tensor 'b': unknown dtype 'F33'; the format defines BOOL, F4, ");
        // Names are case-sensitive, as in the reference.
        fails(file(VALID.replace("\"F32\",\"shape\":[2]", "\"f32\",\"shape\":[2]"), DATA), Problem.UNKNOWN_DTYPE);
    }

    @Test
    void absurdShapesAreRejectedBeforeAnythingIsAllocated() throws Exception {
        // Each claims far more memory than the machine has; none may be allocated.
        SafetensorsException huge = fails(file(VALID.replace("[2,2]", "[1000000,1000000]"), DATA), Problem.INVALID_SHAPE);
        assertThat(huge.getMessage()).contains("tensor 'w': shape [1000000, 1000000] has 1000000000000 elements;"
                + " a Kiln tensor holds at most 2147483639");
        SafetensorsException overflow = fails(
                file(VALID.replace("[2,2]", "[4294967295,4294967295,4294967295,4294967295]"), DATA), Problem.INVALID_SHAPE);
        assertThat(overflow.getMessage()).contains("dimension 0 of shape [4294967295, 4294967295, 4294967295, 4294967295]"
                + " is 4294967295, more than a Kiln tensor dimension holds (2147483647)");
        SafetensorsException overflow63 = fails(
                file(VALID.replace("[2,2]", "[2147483647,2147483647,2147483647,2147483647,2147483647]"), DATA),
                Problem.INVALID_SHAPE);
        assertThat(overflow63.getMessage()).contains("has more than 2^63 elements");
        fails(file(VALID.replace("[2,2]", "[99999999999999999999999]"), DATA), Problem.INVALID_SHAPE);
        fails(file(VALID.replace("[2,2]", "[" + "1,".repeat(2000) + "1]"), DATA), Problem.INVALID_SHAPE);
        // A huge shape whose offsets agree with it still cannot pass: its bytes are not in the file.
        fails(file("{\"w\":{\"dtype\":\"F64\",\"shape\":[100000000],\"data_offsets\":[0,800000000]}}", DATA),
                Problem.OFFSETS_OUT_OF_RANGE);
    }

    @Test
    void aByteCountThatDoesNotMatchTheShape() throws Exception {
        SafetensorsException e = fails(file(VALID.replace("[2,2]", "[2,3]"), DATA), Problem.SIZE_MISMATCH);
        assertThat(e.getMessage()).contains("tensor 'w': dtype F32 and shape [2, 3] need 6 x 4 = 24 bytes,"
                + " but its data_offsets [0, 16] span 16 bytes");
        assertThat(fails(file(VALID.replace("\"F32\",\"shape\":[2,2]", "\"F64\",\"shape\":[2,2]"), DATA),
                Problem.SIZE_MISMATCH).getMessage()).contains("dtype F64 and shape [2, 2] need 4 x 8 = 32 bytes");
        // Empty tensors take no bytes.
        fails(file(VALID.replace("[2,2]", "[2,0]"), DATA), Problem.SIZE_MISMATCH);
    }

    // ---------------------------------------------------------------------------------------------
    // Offsets

    @Test
    void offsetsThatEndBeforeTheyBegin() throws Exception {
        SafetensorsException e = fails(file(VALID.replace("[0,16]", "[16,0]"), DATA), Problem.INVALID_OFFSETS);
        assertThat(e.getMessage()).contains("tensor 'w': data_offsets [16, 0] end before they begin");
    }

    @Test
    void offsetsPastTheEndOfTheData() throws Exception {
        // Truncated: the last tensor's bytes are cut.
        SafetensorsException e = fails(file(VALID, Arrays.copyOf(DATA, 20)), Problem.OFFSETS_OUT_OF_RANGE);
        assertThat(e.tensor()).isEqualTo("b");
        assertThat(e.getMessage()).contains("tensor 'b': data_offsets [16, 24] end past the data section, which holds"
                + " 20 bytes (a file of " + (8 + VALID.length() + 20) + " bytes); is the file truncated?");
        fails(file(VALID, new byte[0]), Problem.OFFSETS_OUT_OF_RANGE);
        String far = "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[18446744073709551607,"
                + "18446744073709551615]}}";
        SafetensorsException beyondLong = loadFails(file(far, DATA), Problem.SIZE_MISMATCH);
        assertThat(beyondLong.getMessage()).contains("[>= 2^63-1, >= 2^63-1]");
    }

    @Test
    void overlappingOffsets() throws Exception {
        String header = "{\"w\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,16]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}}";
        SafetensorsException e = fails(file(header, Arrays.copyOf(DATA, 16)), Problem.OVERLAP);
        assertThat(e.getMessage()).contains("tensor 'b': data_offsets [8, 16] overlap those of tensor 'w', [0, 16]");
        // Two tensors on the same bytes (aliases) are an overlap too.
        fails(file(VALID.replace("[16,24]", "[0,8]"), Arrays.copyOf(DATA, 16)), Problem.OVERLAP);
    }

    @Test
    void holesInTheData() throws Exception {
        // A gap between the two tensors.
        String gap = VALID.replace("[16,24]", "[20,28]");
        SafetensorsException e = fails(file(gap, concat(DATA, new byte[4])), Problem.HOLE);
        assertThat(e.getMessage()).contains("tensor 'b': bytes [16, 20) of the data section, before this tensor's"
                + " data_offsets [20, 28], belong to no tensor");
        // Data that does not start at offset 0.
        fails(file(VALID.replace("[0,16]", "[4,20]").replace("[16,24]", "[20,28]"), concat(DATA, new byte[4])),
                Problem.HOLE);
        // Oversized: bytes after the last tensor.
        SafetensorsException oversized = fails(file(VALID, concat(DATA, new byte[3])), Problem.HOLE);
        assertThat(oversized.tensor()).isNull();
        assertThat(oversized.getMessage()).contains("the last 3 bytes of the data section (from offset 24 of 27)"
                + " belong to no tensor");
    }

    // ---------------------------------------------------------------------------------------------
    // What the reference accepts, Kiln accepts

    @Test
    void acceptsWhitespacePaddingUnknownFieldsNullMetadataAndAnyHeaderOrder() throws Exception {
        String header = "{\"b\":{\"data_offsets\":[16,24],\"shape\":[2],\"dtype\":\"F32\",\"extra\":{\"x\":[1]}},"
                + "\"__metadata__\":null,\n\"w\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,16]}}\n\t  ";
        Map<String, Tensor> t = Safetensors.fromBytes(file(header, DATA));
        assertThat(t.keySet()).containsExactly("w", "b");
        assertThat(t.get("b").toFloatArray()).containsExactly(5, 6);
        assertThat(Safetensors.fromBytes(file("{}", new byte[0]))).isEmpty();
        // Empty tensors may sit at any offset between other tensors' data.
        String empties = "{\"e\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[16,16]},"
                + "\"z\":{\"dtype\":\"BOOL\",\"shape\":[0,5],\"data_offsets\":[24,24]}," + VALID.substring(1);
        assertThat(Safetensors.fromBytes(file(empties, DATA)).keySet()).containsExactly("w", "e", "b", "z");
    }

    // ---------------------------------------------------------------------------------------------
    // Files that are valid but do not fit the state dict

    @Test
    void strictLoadingRejectsMissingAndUnexpectedKeysAndChangesNothing() throws Exception {
        Map<String, Tensor> model = model();
        model.put("extra", Tensor.zeros(3));
        Map<String, Tensor> before = StFiles.snapshot(model);
        byte[] file = file(VALID.replace("\"b\"", "\"bias\""), DATA);
        SafetensorsException e = catchThrowableOfType(SafetensorsException.class,
                () -> Safetensors.loadInto(model, file, true));
        assertThat(e.problem()).isEqualTo(Problem.STATE_DICT_MISMATCH);
        assertThat(e.getMessage()).contains("unexpected key(s) in the file: 'bias'")
                .contains("missing key(s) in the file: 'b', 'extra'");
        StFiles.assertSameBits(model, before);

        // Not strict: the keys that match are loaded, the others reported.
        IncompatibleKeys result = Safetensors.loadInto(model, file, false);
        assertThat(result.missingKeys()).containsExactly("b", "extra");
        assertThat(result.unexpectedKeys()).containsExactly("bias");
        assertThat(model.get("w").toFloatArray()).containsExactly(1, 2, 3, 4);
        assertThat(model.get("b").toFloatArray()).containsExactly(-1, -1);
    }

    @Test
    void aShapeMismatchIsAnErrorEvenWhenNotStrict() throws Exception {
        Map<String, Tensor> model = model();
        model.put("w", new Parameter(Tensor.full(-1, 4)));
        Map<String, Tensor> before = StFiles.snapshot(model);
        for (boolean strict : new boolean[] {true, false}) {
            assertThatThrownBy(() -> Safetensors.loadInto(model, file(VALID, DATA), strict))
                    .isInstanceOf(SafetensorsException.class)
                    .hasMessageContaining("size mismatch for 'w': the file has shape [2, 2], the state dict's tensor"
                            + " has shape [4]");
            StFiles.assertSameBits(model, before); // "b" fits, but is not loaded either
        }
    }
}
