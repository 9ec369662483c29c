package dev.kiln.optim;

import dev.kiln.Tensor;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * An optimizer's state as plain data, PyTorch's {@code optimizer.state_dict()}: what
 * {@link Optimizer#stateDict()} returns and {@link Optimizer#loadStateDict} takes.
 *
 * <p><b>{@code state}</b> maps a parameter's index to that parameter's state tensors by name.
 * Parameters are numbered from 0 in the order of the optimizer's groups and, within a group, in the
 * group's order (the numbers listed under {@code "params"} below). Only parameters that have state
 * appear (most optimizers create it at a parameter's first step). The names are PyTorch's:
 * <table class="striped">
 * <caption>State tensors by optimizer</caption>
 * <tr><th>optimizer</th><th>keys</th></tr>
 * <tr><td>{@link SGD}</td><td>{@code momentum_buffer} (only with momentum)</td></tr>
 * <tr><td>{@link Adam}, {@link AdamW}</td><td>{@code step}, {@code exp_avg}, {@code exp_avg_sq},
 *     {@code max_exp_avg_sq} (only with amsgrad)</td></tr>
 * <tr><td>{@link RMSprop}</td><td>{@code step}, {@code square_avg}, {@code momentum_buffer} (only with
 *     momentum), {@code grad_avg} (only when centered)</td></tr>
 * <tr><td>{@link Adagrad}</td><td>{@code step}, {@code sum}</td></tr>
 * </table>
 * {@code step} is a 0-d float32 tensor counting the parameter's steps (as PyTorch keeps it); every
 * other state tensor has its parameter's shape and type.
 *
 * <p><b>{@code paramGroups}</b> holds one map per group, in order: each hyperparameter under its
 * PyTorch name with a {@code Double} or {@code Boolean} value ({@code "betas"} is a two-element
 * {@code List<Double>}; {@code "initial_lr"} appears once a learning-rate scheduler has been
 * attached), followed by {@code "params"}: the {@code List<Integer>} of the group's parameter
 * indices. So, for {@code SGD} with momentum on two parameters after a step:
 * <pre>{@code
 * state       = {0: {momentum_buffer: tensor}, 1: {momentum_buffer: tensor}}
 * paramGroups = [{lr: 0.1, momentum: 0.9, dampening: 0.0, weight_decay: 0.0, nesterov: false,
 *                 maximize: false, params: [0, 1]}]
 * }</pre>
 * This maps directly onto a safetensors checkpoint: tensors under {@code state.<index>.<name>},
 * {@code paramGroups} as JSON. Reading it back, any {@code Number} is accepted where a number is
 * expected (including the indices under {@code "params"}), so JSON decoders need not produce exactly
 * {@code Double} and {@code Integer}; PyTorch's implementation switches ({@code foreach},
 * {@code fused}, {@code differentiable}, {@code capturable}, which may be null) are accepted and ignored.
 *
 * <p>The record holds unmodifiable copies of the maps and lists it is given (iteration over
 * {@code state} is in index order); it does not copy the tensors, but {@link Optimizer#stateDict()}
 * gives copies that the optimizer does not share, and {@link Optimizer#loadStateDict} copies what
 * it loads.
 *
 * @param state per-parameter state tensors, by parameter index and then by name
 * @param paramGroups per-group hyperparameters by name, each with its {@code "params"} indices
 */
public record OptimizerState(Map<Integer, Map<String, Tensor>> state, List<Map<String, Object>> paramGroups) {

    /**
     * Copies {@code state} and {@code paramGroups} into unmodifiable collections.
     *
     * @throws NullPointerException if either is null, or any key, a state map or tensor, or a group; a
     *     hyperparameter's value may be null (as PyTorch's {@code foreach: None})
     */
    public OptimizerState {
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(paramGroups, "paramGroups");
        TreeMap<Integer, Map<String, Tensor>> stateCopy = new TreeMap<>();
        state.forEach((index, tensors) -> {
            Objects.requireNonNull(index, "a parameter index in state is null");
            Objects.requireNonNull(tensors, () -> "the state of parameter " + index + " is null");
            stateCopy.put(index, Collections.unmodifiableMap(copyOf(tensors, "state of parameter " + index)));
        });
        state = Collections.unmodifiableMap(stateCopy);
        List<Map<String, Object>> groupsCopy = new ArrayList<>();
        for (int i = 0; i < paramGroups.size(); i++) {
            Map<String, Object> group = Objects.requireNonNull(paramGroups.get(i), "parameter group " + i + " is null");
            Map<String, Object> groupCopy = new LinkedHashMap<>();
            for (Map.Entry<String, Object> e : group.entrySet()) {
                String key = Objects.requireNonNull(e.getKey(), "a key in parameter group " + i + " is null");
                Object value = e.getValue();
                groupCopy.put(key, value instanceof List<?> list ? Collections.unmodifiableList(new ArrayList<>(list)) : value);
            }
            groupsCopy.add(Collections.unmodifiableMap(groupCopy));
        }
        paramGroups = Collections.unmodifiableList(groupsCopy);
    }

    private static <V> Map<String, V> copyOf(Map<String, V> map, String what) {
        Map<String, V> copy = new LinkedHashMap<>();
        map.forEach((k, v) -> {
            Objects.requireNonNull(k, () -> "a key in the " + what + " is null");
            Objects.requireNonNull(v, () -> "'" + k + "' in the " + what + " is null");
            copy.put(k, v);
        });
        return copy;
    }
}
