package dev.kiln.io;

import static dev.kiln.io.StFiles.bytes;
import static dev.kiln.io.StFiles.concat;
import static dev.kiln.io.StFiles.file;
import static dev.kiln.io.StFiles.le16;
import static dev.kiln.io.StFiles.le32;
import static dev.kiln.io.StFiles.loadFails;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.DType;
import dev.kiln.Parameter;
import dev.kiln.Shape;
import dev.kiln.Tensor;
import dev.kiln.io.SafetensorsException.Problem;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Files written by PyTorch read into Kiln, F16 and BF16 (and narrow integers) widen exactly, and
 * Kiln writes what PyTorch writes. The {@code pytorch_*.safetensors} resources were written by
 * {@code make_pytorch_fixtures.py} (torch 2.13.0, safetensors 0.8.0), with weights from formulas.
 */
class SafetensorsPyTorchInteropTest {

    // ---------------------------------------------------------------------------------------------
    // F16 and BF16, by hand

    @Test
    void float16WidensExactlyIncludingSubnormalsInfinitiesAndNan() throws Exception {
        // IEEE half: sign 1, exponent 5 (bias 15), fraction 10 bits.
        byte[] data = le16(
                0x3C00, // 1.0: exponent 15, fraction 0
                0xC000, // -2.0
                0x3555, // 0.333251953125 = 1.333... x 2^-2 rounded to 10 bits: 1365/4096
                0x7BFF, // 65504, the largest finite half
                0x0400, // 2^-14, the smallest normal
                0x0001, // 2^-24, the smallest subnormal
                0x03FF, // 1023 x 2^-24, the largest subnormal
                0x7C00, // +inf
                0xFC00, // -inf
                0x7E00, // NaN
                0x8000); // -0.0
        byte[] file = file("{\"h\":{\"dtype\":\"F16\",\"shape\":[11],\"data_offsets\":[0,22]}}", data);
        Tensor h = Safetensors.fromBytes(file).get("h");
        assertThat(h.dtype()).isEqualTo(DType.FLOAT32);
        float[] f = h.toFloatArray();
        assertThat(f[0]).isEqualTo(1f);
        assertThat(f[1]).isEqualTo(-2f);
        assertThat(f[2]).isEqualTo(1365f / 4096f);
        assertThat(f[3]).isEqualTo(65504f);
        assertThat(f[4]).isEqualTo(0x1p-14f);
        assertThat(f[5]).isEqualTo(0x1p-24f);
        assertThat(f[6]).isEqualTo(1023 * 0x1p-24f);
        assertThat(f[7]).isEqualTo(Float.POSITIVE_INFINITY);
        assertThat(f[8]).isEqualTo(Float.NEGATIVE_INFINITY);
        assertThat(f[9]).isNaN();
        assertThat(Float.floatToRawIntBits(f[10])).isEqualTo(0x8000_0000);
    }

    @Test
    void bfloat16WidensExactlyIncludingSubnormalsInfinitiesAndNan() throws Exception {
        // bfloat16 is the top half of a float32: the widened bits are the 16 bits followed by 16 zeros.
        int[] halves = {0x3F80, 0xC040, 0x7F7F, 0x0080, 0x0001, 0x7F80, 0xFF80, 0x7FC0, 0x8000, 0x3EAB};
        byte[] file = file("{\"b\":{\"dtype\":\"BF16\",\"shape\":[2,5],\"data_offsets\":[0,20]}}", le16(halves));
        Tensor b = Safetensors.fromBytes(file).get("b");
        assertThat(b.dtype()).isEqualTo(DType.FLOAT32);
        assertThat(b.shape()).isEqualTo(Shape.of(2, 5));
        float[] f = b.toFloatArray();
        for (int i = 0; i < halves.length; i++) {
            assertThat(Float.floatToRawIntBits(f[i])).as("element %d", i).isEqualTo(halves[i] << 16);
        }
        assertThat(f[0]).isEqualTo(1f);
        assertThat(f[1]).isEqualTo(-3f);
        assertThat(f[2]).isEqualTo(0x1.FEp127f); // the largest finite bfloat16
        assertThat(f[3]).isEqualTo(0x1p-126f); // the smallest normal
        assertThat(f[4]).isEqualTo(0x1p-133f); // the smallest subnormal
        assertThat(f[5]).isEqualTo(Float.POSITIVE_INFINITY);
        assertThat(f[6]).isEqualTo(Float.NEGATIVE_INFINITY);
        assertThat(f[7]).isNaN();
    }

    @Test
    void narrowIntegersWidenToInt64() throws Exception {
        String header = "{\"i8\":{\"dtype\":\"I8\",\"shape\":[3],\"data_offsets\":[0,3]},"
                + "\"u8\":{\"dtype\":\"U8\",\"shape\":[3],\"data_offsets\":[3,6]},"
                + "\"i16\":{\"dtype\":\"I16\",\"shape\":[2],\"data_offsets\":[6,10]},"
                + "\"u16\":{\"dtype\":\"U16\",\"shape\":[2],\"data_offsets\":[10,14]},"
                + "\"i32\":{\"dtype\":\"I32\",\"shape\":[2],\"data_offsets\":[14,22]},"
                + "\"u32\":{\"dtype\":\"U32\",\"shape\":[2],\"data_offsets\":[22,30]}}";
        byte[] data = concat(bytes(0x80, 0xFF, 0x7F), bytes(0x80, 0xFF, 0x7F), le16(0x8000, 0x7FFF), le16(0x8000, 0xFFFF),
                le32(Integer.MIN_VALUE, Integer.MAX_VALUE), le32(0xFFFF_FFFF, 1));
        Map<String, Tensor> t = Safetensors.fromBytes(file(header, data));
        assertThat(t.values()).allSatisfy(x -> assertThat(x.dtype()).isEqualTo(DType.INT64));
        assertThat(t.get("i8").toLongArray()).containsExactly(-128, -1, 127);
        assertThat(t.get("u8").toLongArray()).containsExactly(128, 255, 127);
        assertThat(t.get("i16").toLongArray()).containsExactly(-32768, 32767);
        assertThat(t.get("u16").toLongArray()).containsExactly(32768, 65535);
        assertThat(t.get("i32").toLongArray()).containsExactly(Integer.MIN_VALUE, Integer.MAX_VALUE);
        assertThat(t.get("u32").toLongArray()).containsExactly(4294967295L, 1);
    }

    @Test
    void typesKilnCannotHoldAreRejectedByName() {
        for (String dtype : new String[] {"F8_E4M3", "F8_E5M2", "C64", "U64", "F4", "F8_E8M0"}) {
            SafetensorsException e = loadFails(
                    file("{\"x\":{\"dtype\":\"" + dtype + "\",\"shape\":[0],\"data_offsets\":[0,0]}}", new byte[0]),
                    Problem.UNSUPPORTED_DTYPE);
            assertThat(e.tensor()).isEqualTo("x");
            assertThat(e.getMessage()).contains("dtype " + dtype + " cannot be read");
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Files written by PyTorch

    @Test
    void readsATorchNnStateDictWrittenByPyTorch() throws Exception {
        SafetensorsContents contents = Safetensors.fromBytesWithMetadata(StFiles.resource("pytorch_mlp.safetensors"));
        Map<String, Tensor> t = contents.tensors();
        // nn.Sequential(Linear(3, 4), BatchNorm1d(4), ReLU(), Linear(4, 2)).state_dict(), in file order.
        assertThat(t.keySet()).containsExactly("1.num_batches_tracked", "0.bias", "0.weight", "1.bias",
                "1.running_mean", "1.running_var", "1.weight", "3.bias", "3.weight");
        assertThat(contents.metadata()).containsExactly(Map.entry("format", "pt"));
        // Linear weights are [out_features, in_features], as PyTorch lays them out.
        assertThat(t.get("0.weight").shape()).isEqualTo(Shape.of(4, 3));
        assertThat(t.get("3.weight").shape()).isEqualTo(Shape.of(2, 4));
        assertThat(t.get("0.weight").toFloatArray()).containsExactly(linearWeight(4, 3));
        assertThat(t.get("3.weight").toFloatArray()).containsExactly(linearWeight(2, 4));
        assertThat(t.get("0.bias").toFloatArray()).containsExactly(-0.5f, -0.25f, 0f, 0.25f);
        assertThat(t.get("3.bias").toFloatArray()).containsExactly(-0.5f, -0.25f);
        assertThat(t.get("1.weight").toFloatArray()).containsExactly(1f, 2f, 0.5f, 0.25f);
        assertThat(t.get("1.bias").toFloatArray()).containsExactly(0f, -1f, 1f, 0.125f);
        assertThat(t.get("1.running_mean").toFloatArray()).containsExactly(0.5f, -0.5f, 1.5f, 0f);
        assertThat(t.get("1.running_var").toFloatArray()).containsExactly(1f, 4f, 0.25f, 2f);
        Tensor batches = t.get("1.num_batches_tracked");
        assertThat(batches.dtype()).isEqualTo(DType.INT64);
        assertThat(batches.dim()).isZero();
        assertThat(batches.item()).isEqualTo(7);
    }

    /** (i * in + j - 5) / 8, the formula make_pytorch_fixtures.py sets weights with. */
    private static float[] linearWeight(int out, int in) {
        float[] w = new float[out * in];
        for (int k = 0; k < w.length; k++) {
            w[k] = (k - 5) / 8f;
        }
        return w;
    }

    @Test
    void kilnWritesTheBytesPyTorchWroteForTheSameStateDict() throws Exception {
        byte[] pytorch = StFiles.resource("pytorch_mlp.safetensors");
        SafetensorsContents contents = Safetensors.fromBytesWithMetadata(pytorch);
        // Inserted in another order than the file's: the writer's own ordering must reproduce PyTorch's.
        Map<String, Tensor> reversed = new LinkedHashMap<>();
        contents.tensors().sequencedKeySet().reversed().forEach(k -> reversed.put(k, contents.tensors().get(k)));
        assertThat(Safetensors.toBytes(reversed, contents.metadata())).isEqualTo(pytorch);
    }

    @Test
    void readsHalfPrecisionAndNarrowIntegersWrittenByPyTorch() throws Exception {
        Map<String, Tensor> t = Safetensors.fromBytes(StFiles.resource("pytorch_half.safetensors"));
        assertThat(t.keySet()).containsExactly("int32", "bfloat", "half", "uint8");
        float[] half = t.get("half").toFloatArray();
        assertThat(half).hasSize(9);
        assertThat(java.util.Arrays.copyOf(half, 7)).containsExactly(1f, -2.5f, 65504f, 0x1p-24f, 0x1p-14f,
                Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY);
        assertThat(half[7]).isNaN();
        assertThat(Float.floatToRawIntBits(half[8])).isEqualTo(0x8000_0000);
        float[] bf = t.get("bfloat").toFloatArray();
        // 3.0e38 rounds to the bfloat16 0x7F62 = 0x1.C4p127; 2^-133 is the smallest bfloat16 subnormal.
        assertThat(java.util.Arrays.copyOf(bf, 7)).containsExactly(1f, -2.5f, 0x1.C4p127f, 0x1p-133f, 0x1p-14f,
                Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY);
        assertThat(bf[7]).isNaN();
        assertThat(t.get("int32").toLongArray()).containsExactly(Integer.MIN_VALUE, Integer.MAX_VALUE, 0);
        assertThat(t.get("uint8").toLongArray()).containsExactly(0, 255, 128);
        assertThat(t.values()).extracting(Tensor::dtype)
                .containsExactly(DType.INT64, DType.FLOAT32, DType.FLOAT32, DType.INT64);
    }

    @Test
    void loadsAPyTorchCheckpointIntoLiveParametersConvertingTypes() throws Exception {
        Map<String, Tensor> model = new LinkedHashMap<>();
        model.put("0.weight", new Parameter(Tensor.zeros(4, 3)));
        model.put("0.bias", new Parameter(Tensor.zeros(4)));
        model.put("1.num_batches_tracked", Tensor.scalar(0L));
        model.put("3.weight", new Parameter(Tensor.zeros(DType.FLOAT64, 2, 4))); // a float64 model
        Tensor weight = model.get("0.weight");
        IncompatibleKeys result = Safetensors.loadInto(model, StFiles.resource("pytorch_mlp.safetensors"), false);
        assertThat(result.missingKeys()).isEmpty();
        assertThat(result.unexpectedKeys()).containsExactly("1.bias", "1.running_mean", "1.running_var", "1.weight",
                "3.bias");
        assertThat(model.get("0.weight")).isSameAs(weight);
        assertThat(weight.requiresGrad()).isTrue();
        assertThat(weight.toFloatArray()).containsExactly(linearWeight(4, 3));
        assertThat(model.get("1.num_batches_tracked").item()).isEqualTo(7);
        assertThat(model.get("3.weight").dtype()).isEqualTo(DType.FLOAT64);
        assertThat(model.get("3.weight").toDoubleArray()).containsExactly(-0.625, -0.5, -0.375, -0.25, -0.125, 0, 0.125,
                0.25);
    }
}
