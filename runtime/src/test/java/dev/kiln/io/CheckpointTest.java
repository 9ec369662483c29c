package dev.kiln.io;

import static dev.kiln.io.StFiles.headerText;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.kiln.Parameter;
import dev.kiln.Tensor;
import dev.kiln.io.SafetensorsException.Problem;
import dev.kiln.optim.OptimizerState;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Model state, optimizer state and epoch saved together, in a layout PyTorch code can take apart. */
class CheckpointTest {
    @TempDir
    Path dir;

    private static Map<String, Tensor> model() {
        Map<String, Tensor> model = new LinkedHashMap<>();
        model.put("fc1.weight", new Parameter(Tensor.of(new float[][] {{1, 2}, {3, 4}, {5, 6}})));
        model.put("fc1.bias", new Parameter(Tensor.of(0.5f, -0.5f, 0f)));
        model.put("bn.num_batches_tracked", Tensor.scalar(12L));
        return model;
    }

    /** Adam's state after some steps, as {@code Optimizer.stateDict()} gives it. */
    private static OptimizerState adam() {
        Map<String, Tensor> p0 = new LinkedHashMap<>();
        p0.put("step", Tensor.scalar(3.0));
        p0.put("exp_avg", Tensor.full(0.1, 3, 2));
        p0.put("exp_avg_sq", Tensor.full(0.01, 3, 2));
        Map<String, Tensor> p1 = new LinkedHashMap<>();
        p1.put("step", Tensor.scalar(3.0));
        p1.put("exp_avg", Tensor.of(1f, 2f, 3f));
        p1.put("exp_avg_sq", Tensor.of(1f, 4f, 9f));
        Map<String, Object> group = new LinkedHashMap<>();
        group.put("lr", 0.001);
        group.put("betas", List.of(0.9, 0.999));
        group.put("eps", 1e-8);
        group.put("weight_decay", 0.0);
        group.put("amsgrad", false);
        group.put("params", List.of(0, 1));
        return new OptimizerState(Map.of(1, p1, 0, p0), List.of(group));
    }

    @Test
    void roundTripsModelOptimizerAndEpoch() throws Exception {
        Path file = dir.resolve("checkpoint.safetensors");
        Checkpoint.save(file, model(), adam(), 7, Map.of("loss", "0.125"));
        Checkpoint.Contents back = Checkpoint.load(file);
        assertThat(back.epoch()).isEqualTo(7);
        assertThat(back.extraMetadata()).containsExactly(Map.entry("loss", "0.125"));
        StFiles.assertSameBits(back.modelState(), model());
        OptimizerState optimizer = back.optimizer();
        assertThat(optimizer.state().keySet()).containsExactly(0, 1);
        StFiles.assertSameBits(optimizer.state().get(0), adam().state().get(0));
        StFiles.assertSameBits(optimizer.state().get(1), adam().state().get(1));
        assertThat(optimizer.paramGroups()).hasSize(1);
        Map<String, Object> group = optimizer.paramGroups().getFirst();
        assertThat(group).containsExactly(Map.entry("lr", 0.001), Map.entry("betas", List.of(0.9, 0.999)),
                Map.entry("eps", 1e-8), Map.entry("weight_decay", 0.0), Map.entry("amsgrad", false),
                Map.entry("params", List.of(0, 1)));
    }

    @Test
    void theLayoutIsPrefixedKeysAndJsonMetadata() throws Exception {
        byte[] bytes = Checkpoint.toBytes(model(), adam(), 7, Map.of());
        Map<String, Tensor> tensors = Safetensors.fromBytes(bytes);
        assertThat(tensors.keySet()).containsExactlyInAnyOrder("model.fc1.weight", "model.fc1.bias",
                "model.bn.num_batches_tracked", "optimizer.state.0.step", "optimizer.state.0.exp_avg",
                "optimizer.state.0.exp_avg_sq", "optimizer.state.1.step", "optimizer.state.1.exp_avg",
                "optimizer.state.1.exp_avg_sq");
        // json.loads(metadata["optimizer.param_groups"]) is PyTorch's param_groups.
        assertThat(Safetensors.fromBytesWithMetadata(bytes).metadata()).containsExactly(Map.entry("epoch", "7"),
                Map.entry("optimizer.param_groups",
                        "[{\"lr\":0.001,\"betas\":[0.9,0.999],\"eps\":1.0E-8,\"weight_decay\":0.0,\"amsgrad\":false,"
                                + "\"params\":[0,1]}]"));
        assertThat(headerText(bytes)).startsWith("{\"__metadata__\":{\"epoch\":\"7\",\"optimizer.param_groups\":");
    }

    @Test
    void aCheckpointWithoutOptimizer() throws Exception {
        Path file = dir.resolve("weights.safetensors");
        Checkpoint.save(file, model(), null, 0);
        Checkpoint.Contents back = Checkpoint.load(file);
        assertThat(back.optimizer()).isNull();
        assertThat(back.epoch()).isZero();
        assertThat(Safetensors.loadWithMetadata(file).metadata()).containsExactly(Map.entry("epoch", "0"));
    }

    @Test
    void savingAgainReplacesTheCheckpointAtomically() throws Exception {
        Path file = dir.resolve("checkpoint.safetensors");
        Checkpoint.save(file, model(), adam(), 1);
        Checkpoint.save(file, model(), adam(), 2);
        assertThat(Checkpoint.load(file).epoch()).isEqualTo(2);
        try (var files = Files.list(dir)) {
            assertThat(files).containsExactly(file);
        }
    }

    @Test
    void aPlainSafetensorsFileIsNotACheckpoint() throws Exception {
        byte[] plain = Safetensors.toBytes(Map.of("w", Tensor.of(1f)));
        SafetensorsException e = catchThrowableOfType(SafetensorsException.class, () -> Checkpoint.fromBytes(plain));
        assertThat(e.problem()).isEqualTo(Problem.INVALID_CHECKPOINT);
        assertThat(e.getMessage()).contains("no \"epoch\" in the metadata");
    }

    @Test
    void malformedCheckpointsAreRejected() {
        Tensor t = Tensor.of(1f);
        assertThat(invalid(Map.of("w", t), Map.of("epoch", "1"))).contains("tensor 'w': checkpoint keys begin with");
        assertThat(invalid(Map.of("model.w", t), Map.of("epoch", "one"))).contains("the epoch must be an integer, found 'one'");
        assertThat(invalid(Map.of("optimizer.state.x.step", t), Map.of("epoch", "1", "optimizer.param_groups", "[]")))
                .contains("optimizer state keys must be optimizer.state.<parameter index>.<name>");
        assertThat(invalid(Map.of("optimizer.state.01.step", t), Map.of("epoch", "1", "optimizer.param_groups", "[]")))
                .contains("optimizer state keys must be");
        assertThat(invalid(Map.of("optimizer.state.0.step", t), Map.of("epoch", "1")))
                .contains("optimizer state tensors but no \"optimizer.param_groups\"");
        assertThat(invalid(Map.of(), Map.of("epoch", "1", "optimizer.param_groups", "[{\"lr\":")))
                .contains("\"optimizer.param_groups\" metadata is not valid JSON");
        assertThat(invalid(Map.of(), Map.of("epoch", "1", "optimizer.param_groups", "{\"lr\":1}")))
                .contains("must be a JSON array of objects");
    }

    private static String invalid(Map<String, Tensor> tensors, Map<String, String> metadata) {
        byte[] bytes = Safetensors.toBytes(tensors, metadata);
        SafetensorsException e = catchThrowableOfType(SafetensorsException.class, () -> Checkpoint.fromBytes(bytes));
        assertThat(e).isNotNull();
        assertThat(e.problem()).isEqualTo(Problem.INVALID_CHECKPOINT);
        return e.getMessage();
    }

    @Test
    void extraMetadataCannotTakeTheCheckpointsOwnKeys() {
        assertThatThrownBy(() -> Checkpoint.save(dir.resolve("c"), model(), adam(), 1, Map.of("epoch", "2")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("\"epoch\"");
    }

    @Test
    void hyperparametersWithoutAJsonFormAreRejectedBeforeWriting() {
        Map<String, Object> group = new LinkedHashMap<>();
        group.put("lr", Double.NaN);
        group.put("params", List.of(0));
        OptimizerState bad = new OptimizerState(Map.of(), List.of(group));
        assertThatThrownBy(() -> Checkpoint.save(dir.resolve("c"), model(), bad, 1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("NaN at [0].lr has no JSON form");
        assertThat(dir.toFile().list()).isEmpty();
    }

    @Test
    void jsonValuesRoundTrip() {
        Map<String, Object> value = new LinkedHashMap<>();
        value.put("int", 3);
        value.put("long", 1L << 40);
        value.put("double", 0.1);
        value.put("array", new double[] {1.5, -2});
        value.put("nested", List.of(Map.of("a", true), "s\"\n", List.of()));
        value.put("null", null);
        String json = JsonValues.write(value);
        assertThat(json).isEqualTo("{\"int\":3,\"long\":1099511627776,\"double\":0.1,\"array\":[1.5,-2.0],"
                + "\"nested\":[{\"a\":true},\"s\\\"\\n\",[]],\"null\":null}");
        Map<String, Object> expected = new LinkedHashMap<>(value);
        expected.put("array", List.of(1.5, -2.0));
        assertThat(JsonValues.read(json)).isEqualTo(expected);
        assertThatThrownBy(() -> JsonValues.read("{\"a\":1,\"a\":2}")).hasMessageContaining("appears twice");
        assertThatThrownBy(() -> JsonValues.write(new Object())).hasMessageContaining("has no JSON form");
    }
}
