package dev.kiln.optim;

import dev.kiln.Tensor;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;

/**
 * A group of parameters that an {@link Optimizer} updates with the same hyperparameters: one entry
 * of PyTorch's {@code optimizer.param_groups}.
 *
 * <p>A group is created with its parameters and, optionally, hyperparameters that override the
 * optimizer's defaults for this group only, under PyTorch's names ({@code "lr"}, {@code "momentum"},
 * {@code "weight_decay"}, {@code "betas"}, ...; each optimizer's javadoc lists its own):
 * <pre>{@code
 * var optimizer = SGD.builder(List.of(
 *         ParamGroup.of(backbone.parameters()),
 *         ParamGroup.of(head.parameters()).lr(1e-2).set("momentum", 0.0)))
 *     .lr(1e-3).momentum(0.9)
 *     .build();
 * }</pre>
 *
 * <p>When an optimizer takes the group it fills in the defaults for every hyperparameter the group
 * does not set, checks the values (unknown names are errors), and from then on the group belongs to
 * that optimizer: {@link #set} and {@link #lr(double)} check each new value the way the optimizer's
 * constructor does, and the next {@link Optimizer#step()} uses it. Learning-rate schedulers change
 * {@code "lr"} this way. A group belongs to at most one optimizer.
 *
 * <p>Values are held as {@code Double} (numbers), {@code Boolean}, or a two-element
 * {@code List<Double>} ({@code "betas"}); numbers of other boxed types are converted when set.
 */
public final class ParamGroup {
    private final List<Tensor> params;
    private final Map<String, Object> options = new LinkedHashMap<>();
    private Optimizer owner;
    /** What the owner derived from the hyperparameters for its steps, or null; dropped when one changes. */
    private Object prepared;

    private ParamGroup(List<Tensor> params) {
        this.params = params;
    }

    /**
     * A group of {@code params}, in their iteration order (which must be the same from run to run for
     * saved optimizer state to line up, as in PyTorch).
     *
     * @throws NullPointerException if {@code params} or one of its elements is null
     */
    public static ParamGroup of(Iterable<? extends Tensor> params) {
        Objects.requireNonNull(params, "params");
        List<Tensor> list = new ArrayList<>();
        int i = 0;
        for (Tensor p : params) {
            list.add(Objects.requireNonNull(p, "parameter " + i + " of the group is null"));
            i++;
        }
        return new ParamGroup(Collections.unmodifiableList(list));
    }

    /** A group of the given parameters. */
    public static ParamGroup of(Tensor... params) {
        return of(List.of(params));
    }

    /** The group's parameters, in order (unmodifiable). */
    public List<Tensor> params() {
        return params;
    }

    /**
     * Sets hyperparameter {@code name} (PyTorch's name, such as {@code "lr"} or {@code "weight_decay"})
     * for this group; returns this group.
     *
     * @throws IllegalArgumentException once the group belongs to an optimizer, if the optimizer has no
     *     such hyperparameter or the value is of the wrong type or out of range (the group is then
     *     unchanged); {@code "params"} cannot be set
     */
    public ParamGroup set(String name, Object value) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(value, () -> "value of hyperparameter '" + name + "'");
        if (name.equals("params")) {
            throw new IllegalArgumentException("'params' is not a hyperparameter; a group's parameters are fixed"
                    + " when it is created (ParamGroup.of)");
        }
        if (owner == null) {
            options.put(name, value);
            prepared = null;
        } else {
            Map<String, Object> changed = new LinkedHashMap<>(options);
            changed.put(name, value);
            replaceOptions(owner.checkedOptions(changed, owner.paramGroups().indexOf(this)));
        }
        return this;
    }

    /** Sets the learning rate {@code "lr"} of this group, as {@link #set set("lr", lr)}; returns this group. */
    public ParamGroup lr(double lr) {
        return set("lr", lr);
    }

    /**
     * The learning rate {@code "lr"} of this group.
     *
     * @throws IllegalStateException if it is not set (a group not yet given to an optimizer)
     */
    public double lr() {
        return getDouble("lr");
    }

    /** Whether hyperparameter {@code name} is set. */
    public boolean has(String name) {
        return options.containsKey(name);
    }

    /** The value of hyperparameter {@code name}, or null if it is not set. */
    public Object get(String name) {
        return options.get(name);
    }

    /**
     * The value of numeric hyperparameter {@code name}.
     *
     * @throws IllegalStateException if it is not set or not a number
     */
    public double getDouble(String name) {
        if (options.get(name) instanceof Number n) {
            return n.doubleValue();
        }
        throw missing(name, "a number");
    }

    /**
     * The value of boolean hyperparameter {@code name}.
     *
     * @throws IllegalStateException if it is not set or not a boolean
     */
    public boolean getBoolean(String name) {
        if (options.get(name) instanceof Boolean b) {
            return b;
        }
        throw missing(name, "a boolean");
    }

    private IllegalStateException missing(String name, String kind) {
        Object value = options.get(name);
        return new IllegalStateException(value == null
                ? "hyperparameter '" + name + "' is not set in this parameter group (set: " + options.keySet() + ")"
                : "hyperparameter '" + name + "' is " + value + ", not " + kind);
    }

    /** The group's hyperparameters by name, in the optimizer's order (an unmodifiable live view, without the parameters). */
    public Map<String, Object> options() {
        return Collections.unmodifiableMap(options);
    }

    /** The hyperparameters and the number of parameters, such as {@code ParamGroup{lr=0.1, momentum=0.9, params=2}}. */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("ParamGroup{");
        options.forEach((k, v) -> sb.append(k).append('=').append(v).append(", "));
        return sb.append("params=").append(params.size()).append('}').toString();
    }

    // ---------------------------------------------------------------------------------------------
    // For Optimizer

    Optimizer owner() {
        return owner;
    }

    /** Takes the group for {@code optimizer} with the checked {@code checkedOptions}. */
    void adopt(Optimizer optimizer, Map<String, Object> checkedOptions) {
        owner = optimizer;
        replaceOptions(checkedOptions);
    }

    /** Replaces every hyperparameter with already checked values. */
    void replaceOptions(Map<String, Object> checkedOptions) {
        options.clear();
        options.putAll(checkedOptions);
        prepared = null;
    }

    /**
     * What the owning optimizer reads from the hyperparameters for its steps, as {@code read} reads
     * it: read once and kept until a hyperparameter changes, rather than looked up and unboxed for
     * every parameter of every step.
     */
    <T> T prepared(Class<T> type, Function<ParamGroup, T> read) {
        if (type.isInstance(prepared)) {
            return type.cast(prepared);
        }
        T value = read.apply(this);
        prepared = value;
        return value;
    }
}
