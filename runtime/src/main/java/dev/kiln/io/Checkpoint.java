package dev.kiln.io;

import dev.kiln.Tensor;
import dev.kiln.io.SafetensorsException.Problem;
import dev.kiln.optim.OptimizerState;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * A training checkpoint in one safetensors file: a model's state dict, an optimizer's state and the
 * epoch, saved together atomically, so a crash leaves either the previous checkpoint or the new one,
 * never a mix.
 *
 * <p>The layout, readable from Python with {@code safetensors.torch.load_file} and
 * {@code safe_open(...).metadata()}:
 * <ul>
 *   <li>each model tensor under {@code model.<key>} ({@code model.fc1.weight});
 *   <li>each optimizer state tensor under {@code optimizer.state.<index>.<name>}
 *       ({@code optimizer.state.0.exp_avg}), as in {@code optimizer.state_dict()["state"]};
 *   <li>metadata {@code epoch}, the epoch in decimal, and {@code optimizer.param_groups}, the
 *       optimizer's {@link OptimizerState#paramGroups()} as a JSON array of objects (exactly
 *       {@code json.dumps(optimizer.state_dict()["param_groups"])} in PyTorch terms);
 *   <li>any extra metadata the caller adds, under its own keys.
 * </ul>
 * A PyTorch script rebuilds the two state dicts with
 * {@code {k[6:]: v for k, v in tensors.items() if k.startswith("model.")}} and the matching split of
 * the optimizer keys.
 */
public final class Checkpoint {
    /** The prefix of model state keys. */
    public static final String MODEL_PREFIX = "model.";
    /** The prefix of optimizer state keys, followed by the parameter index, a dot and the state's name. */
    public static final String OPTIMIZER_STATE_PREFIX = "optimizer.state.";
    /** The metadata key of the epoch. */
    public static final String EPOCH_KEY = "epoch";
    /** The metadata key of the optimizer's parameter groups, as JSON. */
    public static final String PARAM_GROUPS_KEY = "optimizer.param_groups";

    private Checkpoint() {}

    /**
     * What a checkpoint holds.
     *
     * @param modelState the model's tensors, keys without the {@code model.} prefix, in file order
     * @param optimizer the optimizer's state, or null if the checkpoint has none
     * @param epoch the epoch saved with it
     * @param extraMetadata the metadata other than the epoch and the optimizer's groups (unmodifiable)
     */
    public record Contents(LinkedHashMap<String, Tensor> modelState, OptimizerState optimizer, int epoch,
            Map<String, String> extraMetadata) {
        /** Checks that the model state and the metadata are not null. */
        public Contents {
            Objects.requireNonNull(modelState, "modelState");
            Objects.requireNonNull(extraMetadata, "extraMetadata");
        }
    }

    /**
     * Saves {@code modelState}, {@code optimizer} (null for none) and {@code epoch} to {@code file},
     * atomically.
     *
     * @throws IllegalArgumentException if a hyperparameter has no JSON form, or a key is not valid Unicode
     * @throws IOException if the file cannot be written; the previous file is then unchanged
     */
    public static void save(Path file, Map<String, ? extends Tensor> modelState, OptimizerState optimizer, int epoch)
            throws IOException {
        save(file, modelState, optimizer, epoch, Map.of());
    }

    /**
     * As {@link #save(Path, Map, OptimizerState, int)}, with {@code extraMetadata} (such as a loss
     * or a run name) stored beside the epoch.
     *
     * @throws IllegalArgumentException if {@code extraMetadata} uses {@link #EPOCH_KEY} or
     *     {@link #PARAM_GROUPS_KEY}, if a hyperparameter has no JSON form, or a key is not valid Unicode
     * @throws IOException if the file cannot be written; the previous file is then unchanged
     */
    public static void save(Path file, Map<String, ? extends Tensor> modelState, OptimizerState optimizer, int epoch,
            Map<String, String> extraMetadata) throws IOException {
        Objects.requireNonNull(file, "file");
        Safetensors.save(tensors(modelState, optimizer), metadata(optimizer, epoch, extraMetadata), file);
    }

    /** The bytes {@link #save(Path, Map, OptimizerState, int, Map)} writes. */
    public static byte[] toBytes(Map<String, ? extends Tensor> modelState, OptimizerState optimizer, int epoch,
            Map<String, String> extraMetadata) {
        return Safetensors.toBytes(tensors(modelState, optimizer), metadata(optimizer, epoch, extraMetadata));
    }

    private static Map<String, Tensor> tensors(Map<String, ? extends Tensor> modelState, OptimizerState optimizer) {
        Objects.requireNonNull(modelState, "modelState");
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        modelState.forEach((key, t) -> tensors.put(MODEL_PREFIX + Objects.requireNonNull(key, "a model key is null"), t));
        if (optimizer != null) {
            optimizer.state().forEach((index, state) -> state.forEach(
                    (name, t) -> tensors.put(OPTIMIZER_STATE_PREFIX + index + "." + name, t)));
        }
        return tensors;
    }

    private static Map<String, String> metadata(OptimizerState optimizer, int epoch, Map<String, String> extra) {
        Objects.requireNonNull(extra, "extraMetadata");
        if (extra.containsKey(EPOCH_KEY) || extra.containsKey(PARAM_GROUPS_KEY)) {
            throw new IllegalArgumentException("Checkpoint.save: the extra metadata cannot use the keys \""
                    + EPOCH_KEY + "\" and \"" + PARAM_GROUPS_KEY + "\", which the checkpoint sets itself");
        }
        Map<String, String> metadata = new LinkedHashMap<>(extra);
        metadata.put(EPOCH_KEY, Integer.toString(epoch));
        if (optimizer != null) {
            metadata.put(PARAM_GROUPS_KEY, JsonValues.write(optimizer.paramGroups()));
        }
        return metadata;
    }

    /**
     * Loads a checkpoint written by {@link #save}. The whole file is validated first.
     *
     * @throws SafetensorsException if the file is not a valid safetensors file, or not a checkpoint
     *     ({@link SafetensorsException.Problem#INVALID_CHECKPOINT}: no epoch, a tensor key under
     *     neither prefix, optimizer groups that are not valid JSON)
     * @throws IOException if the file cannot be read
     */
    public static Contents load(Path file) throws IOException {
        return unpack(Safetensors.loadWithMetadata(file), file.toString());
    }

    /** As {@link #load(Path)}, from the bytes of a checkpoint. */
    public static Contents fromBytes(byte[] bytes) throws SafetensorsException {
        return unpack(Safetensors.fromBytesWithMetadata(bytes), "<checkpoint bytes, " + bytes.length + " long>");
    }

    private static Contents unpack(SafetensorsContents contents, String source) throws SafetensorsException {
        Map<String, String> metadata = contents.metadata();
        String epochText = metadata.get(EPOCH_KEY);
        if (epochText == null) {
            throw invalid(source, null, "no \"" + EPOCH_KEY + "\" in the metadata; this safetensors file is not a"
                    + " checkpoint (load it with Safetensors.load)");
        }
        int epoch;
        try {
            epoch = Integer.parseInt(epochText);
        } catch (NumberFormatException e) {
            throw invalid(source, null, "the epoch must be an integer, found " + Safetensors.quote(epochText));
        }
        LinkedHashMap<String, Tensor> model = new LinkedHashMap<>();
        TreeMap<Integer, Map<String, Tensor>> state = new TreeMap<>();
        for (Map.Entry<String, Tensor> e : contents.tensors().entrySet()) {
            String key = e.getKey();
            if (key.startsWith(MODEL_PREFIX)) {
                model.put(key.substring(MODEL_PREFIX.length()), e.getValue());
            } else if (key.startsWith(OPTIMIZER_STATE_PREFIX)) {
                String rest = key.substring(OPTIMIZER_STATE_PREFIX.length());
                int dot = rest.indexOf('.');
                int index = -1;
                if (dot > 0 && dot < 10 && rest.chars().limit(dot).allMatch(c -> c >= '0' && c <= '9')) {
                    index = Integer.parseInt(rest.substring(0, dot));
                    if (!Integer.toString(index).equals(rest.substring(0, dot))) {
                        index = -1; // leading zeros: not a key save() writes
                    }
                }
                if (index < 0 || dot == rest.length() - 1) {
                    throw invalid(source, key, "optimizer state keys must be " + OPTIMIZER_STATE_PREFIX
                            + "<parameter index>.<name>");
                }
                state.computeIfAbsent(index, i -> new LinkedHashMap<>()).put(rest.substring(dot + 1), e.getValue());
            } else {
                throw invalid(source, key, "checkpoint keys begin with \"" + MODEL_PREFIX + "\" or \""
                        + OPTIMIZER_STATE_PREFIX + "\"");
            }
        }
        OptimizerState optimizer = null;
        String groupsText = metadata.get(PARAM_GROUPS_KEY);
        if (groupsText != null) {
            optimizer = new OptimizerState(state, paramGroups(groupsText, source));
        } else if (!state.isEmpty()) {
            throw invalid(source, null, "the checkpoint has optimizer state tensors but no \"" + PARAM_GROUPS_KEY
                    + "\" metadata");
        }
        Map<String, String> extra = new LinkedHashMap<>(metadata);
        extra.remove(EPOCH_KEY);
        extra.remove(PARAM_GROUPS_KEY);
        return new Contents(model, optimizer, epoch, Collections.unmodifiableMap(extra));
    }

    private static List<Map<String, Object>> paramGroups(String text, String source) throws SafetensorsException {
        Object value;
        try {
            value = JsonValues.read(text);
        } catch (IllegalArgumentException e) {
            throw new SafetensorsException(Problem.INVALID_CHECKPOINT, source, null,
                    "the \"" + PARAM_GROUPS_KEY + "\" metadata is not valid JSON: " + e.getMessage(), e);
        }
        if (!(value instanceof List<?> list)) {
            throw invalid(source, null, "the \"" + PARAM_GROUPS_KEY + "\" metadata must be a JSON array of objects");
        }
        List<Map<String, Object>> groups = new ArrayList<>();
        for (Object group : list) {
            if (!(group instanceof Map<?, ?> map)) {
                throw invalid(source, null, "the \"" + PARAM_GROUPS_KEY + "\" metadata must be a JSON array of objects");
            }
            Map<String, Object> copy = new LinkedHashMap<>();
            for (Map.Entry<?, ?> e : map.entrySet()) {
                if (e.getValue() == null) {
                    throw invalid(source, null, "parameter group " + groups.size() + " has null for \"" + e.getKey() + "\"");
                }
                copy.put((String) e.getKey(), e.getValue());
            }
            groups.add(copy);
        }
        return groups;
    }

    private static SafetensorsException invalid(String source, String tensor, String detail) {
        return new SafetensorsException(Problem.INVALID_CHECKPOINT, source, tensor, detail);
    }
}
