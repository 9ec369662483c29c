package dev.kiln.optim;

import dev.kiln.DType;
import dev.kiln.Kiln;
import dev.kiln.Shape;
import dev.kiln.Tensor;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Supplier;

/**
 * The base of Kiln's optimizers, the counterpart of {@code torch.optim.Optimizer}: it holds the
 * {@linkplain ParamGroup parameter groups} with their hyperparameters and each parameter's state, and
 * {@link #step()} updates every parameter that has a gradient in place.
 *
 * <pre>{@code
 * var optimizer = Adam.builder(model.parameters()).lr(1e-3).build();
 * for (var batch : loader) {
 *     optimizer.zeroGrad();
 *     lossFn.invoke(model.invoke(batch.x()), batch.y()).backward();
 *     optimizer.step();
 * }
 * }</pre>
 *
 * <p>Each optimizer is made by a constructor with PyTorch's defaults ({@code new Adam(params)},
 * {@code new Adam(params, lr)}) or by its builder, which sets any hyperparameter
 * ({@code SGD.builder(params).lr(0.1).momentum(0.9).nesterov(true).build()}). A builder also takes a
 * list of {@link ParamGroup}s, each of which may override any hyperparameter; what a group does not
 * set comes from the builder. Hyperparameters are checked as PyTorch checks them, with its messages
 * ({@code Invalid learning rate: -1.0}), for the defaults and for every group.
 *
 * <p>Parameters can be any floating-point leaf tensors; {@link dev.kiln.Parameter} is the usual kind.
 * A parameter whose {@code grad()} is null at a step (one that is frozen or took no part in the loss)
 * is skipped and its state left as it is.
 *
 * <p>Kiln's optimizers update each parameter in one pass over its elements, as PyTorch's
 * {@code foreach} and {@code fused} implementations do: every element is computed in double from the
 * parameter, its gradient and its state, and rounded once to the parameter's type (float32 or
 * float64). The parameter and its state tensors are changed in place; each state tensor is created
 * once, with the parameter's type and shape, so stepping contiguous parameters with contiguous
 * gradients allocates no tensors (a view is updated through a contiguous copy). Changing a parameter
 * bumps its version counter, as any in-place operation does, so a graph that saved its old value
 * cannot be backpropagated after the step.
 *
 * <p>To write another optimizer, extend this class: give the constructor the hyperparameters'
 * defaults, check them in {@link #checkHyperparameters}, name the state in {@link #stateKeys()}, and
 * write one parameter's update in {@link #update}.
 *
 * <p>An optimizer is not thread-safe; it is used by one training loop at a time.
 */
public abstract class Optimizer {
    /** PyTorch's implementation switches, found in its saved groups; Kiln has nothing to switch, so loading drops them. */
    private static final Set<String> PYTORCH_IMPLEMENTATION_FLAGS =
            Set.of("foreach", "fused", "differentiable", "capturable", "param_names");
    /** Set by learning-rate schedulers (as PyTorch's), allowed in every optimizer's groups. */
    static final String INITIAL_LR = "initial_lr";

    private final String name;
    private final Map<String, Object> defaults;
    private final List<ParamGroup> groups = new ArrayList<>();
    private final Map<Tensor, Map<String, Tensor>> state = new IdentityHashMap<>();

    /**
     * Checks {@code defaults} and takes the {@code groups}, filling in the defaults for the
     * hyperparameters each group does not set. Calls {@link #checkHyperparameters} (before this
     * object's subclass fields are assigned: it must use only its argument).
     *
     * @param name the optimizer's name, for messages ({@code "SGD"})
     * @param groups the parameter groups, at least one
     * @param defaults every hyperparameter of the optimizer with its value for groups that do not set
     *     it, in PyTorch's order; the values' types ({@code Double}, {@code Boolean}, two-element
     *     {@code List<Double>}) are the types the hyperparameters must have
     * @throws IllegalArgumentException if there are no parameters, a hyperparameter is invalid or
     *     unknown, or a parameter is not a floating-point leaf or appears twice
     */
    protected Optimizer(String name, List<ParamGroup> groups, Map<String, Object> defaults) {
        this.name = Objects.requireNonNull(name, "name");
        Objects.requireNonNull(groups, "groups");
        Objects.requireNonNull(defaults, "defaults");
        Map<String, Object> checked = new LinkedHashMap<>();
        defaults.forEach((k, v) -> checked.put(k, normalise(k, v, v, -1)));
        checkHyperparameters(checked);
        this.defaults = Collections.unmodifiableMap(checked);
        if (groups.isEmpty() || groups.stream().allMatch(g -> g.params().isEmpty())) {
            throw new IllegalArgumentException("optimizer got an empty parameter list");
        }
        for (ParamGroup group : groups) {
            addGroup(Objects.requireNonNull(group, "a parameter group is null"));
        }
    }

    // ---------------------------------------------------------------------------------------------
    // For subclasses

    /**
     * Checks one set of hyperparameters (the defaults, or a group's complete set), throwing
     * {@link IllegalArgumentException} with PyTorch's message for the first invalid value. Called
     * from the constructor, so it must use nothing but its argument.
     */
    protected abstract void checkHyperparameters(Map<String, Object> hyperparameters);

    /** The names of the per-parameter state tensors this optimizer may keep, for checking loaded state. */
    protected abstract Set<String> stateKeys();

    /**
     * The state tensors every parameter with state must have, for checking loaded state; others of
     * {@link #stateKeys()} are created by {@link #update} when missing. None by default.
     */
    protected Set<String> requiredStateKeys() {
        return Set.of();
    }

    /**
     * Updates one parameter in place from its gradient, with {@code group}'s hyperparameters; called
     * by {@link #step()} with recording off, for each parameter that has a gradient.
     *
     * @param group the parameter's group
     * @param param the parameter to change in place
     * @param grad its gradient (never null; not to be changed)
     * @param state the parameter's state by name, empty before its first step; the update may change
     *     its tensors in place (Kiln's optimizers create each once, with the parameter's type and shape,
     *     and then only write into it) or put new tensors in it
     */
    protected abstract void update(ParamGroup group, Tensor param, Tensor grad, Map<String, Tensor> state);

    /** The live state of {@code param} (created empty when it has none), for subclasses that set up state eagerly. */
    protected final Map<String, Tensor> stateOf(Tensor param) {
        return state.computeIfAbsent(param, p -> new LinkedHashMap<>());
    }

    /** An unmodifiable set of {@code keys} that iterates in the given order, for {@link #stateKeys()}. */
    protected static Set<String> orderedKeys(String... keys) {
        return Collections.unmodifiableSet(new LinkedHashSet<>(List.of(keys)));
    }

    /** Throws {@link IllegalArgumentException} with {@code message} unless {@code ok}: for {@link #checkHyperparameters}. */
    protected static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }

    /** The number {@code key} of a hyperparameter map. */
    protected static double number(Map<String, Object> hyperparameters, String key) {
        return ((Number) hyperparameters.get(key)).doubleValue();
    }

    /** The boolean {@code key} of a hyperparameter map. */
    protected static boolean bool(Map<String, Object> hyperparameters, String key) {
        return (Boolean) hyperparameters.get(key);
    }

    /** The two numbers of pair {@code key} (such as {@code "betas"}) of a hyperparameter map. */
    protected static double[] pair(Map<String, Object> hyperparameters, String key) {
        List<?> list = (List<?>) hyperparameters.get(key);
        return new double[] {((Number) list.get(0)).doubleValue(), ((Number) list.get(1)).doubleValue()};
    }

    // ---------------------------------------------------------------------------------------------
    // Groups

    /** The optimizer's name, as its class's: {@code "SGD"}, {@code "Adam"}. */
    public String name() {
        return name;
    }

    /** The parameter groups, in order (unmodifiable; each group's hyperparameters can be changed). */
    public List<ParamGroup> paramGroups() {
        return Collections.unmodifiableList(groups);
    }

    /** The default hyperparameters, which groups that do not set their own take (unmodifiable). */
    public Map<String, Object> defaults() {
        return defaults;
    }

    /**
     * Adds a parameter group, as PyTorch's {@code add_param_group}: hyperparameters it does not set
     * take the defaults.
     *
     * @throws IllegalArgumentException if a hyperparameter is unknown or invalid, a parameter is
     *     already in a group of this optimizer, or the group belongs to an optimizer already
     */
    public void addParamGroup(ParamGroup group) {
        addGroup(Objects.requireNonNull(group, "group"));
    }

    private void addGroup(ParamGroup group) {
        int index = groups.size();
        if (group.owner() != null) {
            throw new IllegalArgumentException("parameter group " + index + " already belongs to "
                    + (group.owner() == this ? "this optimizer" : "another optimizer (" + group.owner().name + ")")
                    + "; create a new ParamGroup for each optimizer");
        }
        Map<Tensor, Boolean> seen = new IdentityHashMap<>();
        for (ParamGroup g : groups) {
            g.params().forEach(p -> seen.put(p, true));
        }
        List<Tensor> params = group.params();
        Map<Tensor, Boolean> inGroup = new IdentityHashMap<>();
        for (int j = 0; j < params.size(); j++) {
            Tensor p = params.get(j);
            String which = "parameter " + j + " of group " + index;
            if (!p.dtype().isFloatingPoint()) {
                throw new IllegalArgumentException("optimizer can only optimize floating-point tensors, but " + which
                        + " is " + p.dtype().pytorchName());
            }
            if (!p.isLeaf()) {
                throw new IllegalArgumentException("can't optimize a non-leaf Tensor: " + which + " was computed by "
                        + p.gradFn().name() + "; optimize the leaf it comes from, or a detach()ed copy"
                        + " with requiresGrad(true)");
            }
            if (inGroup.put(p, true) != null) {
                throw new IllegalArgumentException("parameter group " + index + " contains parameter " + j
                        + " more than once");
            }
            if (seen.containsKey(p)) {
                throw new IllegalArgumentException("some parameters appear in more than one parameter group ("
                        + which + " is already in an earlier group)");
            }
        }
        Map<String, Object> options = new LinkedHashMap<>(defaults);
        options.putAll(group.options());
        group.adopt(this, checkedOptions(options, index));
        groups.add(group);
    }

    /**
     * {@code options} (a group's complete hyperparameters) with their values converted to the
     * defaults' types, in the defaults' order, after checking them.
     */
    Map<String, Object> checkedOptions(Map<String, Object> options, int groupIndex) {
        Map<String, Object> result = new LinkedHashMap<>();
        for (Map.Entry<String, Object> e : options.entrySet()) {
            String key = e.getKey();
            Object kind = key.equals(INITIAL_LR) ? Double.valueOf(0) : defaults.get(key);
            if (kind == null) {
                throw new IllegalArgumentException(name + " has no hyperparameter '" + key + "' (parameter group "
                        + groupIndex + "); its hyperparameters are " + String.join(", ", defaults.keySet()));
            }
            result.put(key, normalise(key, e.getValue(), kind, groupIndex));
        }
        for (String key : defaults.keySet()) {
            if (!result.containsKey(key)) {
                throw new IllegalArgumentException("parameter group " + groupIndex + " does not set '" + key + "'");
            }
        }
        Map<String, Object> ordered = new LinkedHashMap<>();
        defaults.keySet().forEach(k -> ordered.put(k, result.get(k)));
        result.forEach(ordered::putIfAbsent);
        try {
            checkHyperparameters(ordered);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(e.getMessage() + " (parameter group " + groupIndex + ")", e);
        }
        return ordered;
    }

    private String describe(String key, int groupIndex) {
        return name + " hyperparameter '" + key + "'" + (groupIndex < 0 ? "" : " (parameter group " + groupIndex + ")");
    }

    /** {@code value} as the type of {@code kind}: Double, Boolean or a two-element List of Doubles. */
    private Object normalise(String key, Object value, Object kind, int groupIndex) {
        if (value == null) {
            throw new IllegalArgumentException(describe(key, groupIndex) + " is null");
        }
        if (kind instanceof Double) {
            if (value instanceof Number n) {
                return n.doubleValue();
            }
            throw new IllegalArgumentException(describe(key, groupIndex) + " must be a number, got " + value
                    + " (" + value.getClass().getSimpleName() + ")");
        }
        if (kind instanceof Boolean) {
            if (value instanceof Boolean) {
                return value;
            }
            throw new IllegalArgumentException(describe(key, groupIndex) + " must be a boolean, got " + value
                    + " (" + value.getClass().getSimpleName() + ")");
        }
        if (kind instanceof List<?>) {
            if (value instanceof double[] a && a.length == 2) {
                return List.of(a[0], a[1]);
            }
            if (value instanceof List<?> l && l.size() == 2 && l.get(0) instanceof Number a && l.get(1) instanceof Number b) {
                return List.of(a.doubleValue(), b.doubleValue());
            }
            throw new IllegalArgumentException(describe(key, groupIndex) + " must be a pair of numbers, got " + value);
        }
        throw new IllegalStateException(describe(key, groupIndex) + " has a default of unsupported type "
                + kind.getClass().getSimpleName());
    }

    // ---------------------------------------------------------------------------------------------
    // Stepping

    /**
     * Updates every parameter that has a gradient, in place and with recording off, by the
     * optimizer's rule and its group's hyperparameters; parameters whose {@code grad()} is null are
     * skipped.
     */
    public void step() {
        try (var noGrad = Kiln.noGrad()) {
            // by index: an iterator per group was the one allocation of a step (the lists are random access)
            for (int g = 0; g < groups.size(); g++) {
                ParamGroup group = groups.get(g);
                List<Tensor> params = group.params();
                for (int i = 0; i < params.size(); i++) {
                    Tensor p = params.get(i);
                    Tensor grad = p.grad();
                    if (grad != null) {
                        update(group, p, grad, stateOf(p));
                    }
                }
            }
        }
    }

    /**
     * Evaluates {@code closure} with recording on (it should zero the gradients, compute the loss
     * and call {@code backward()}), then {@link #step()}s; returns the closure's loss, as PyTorch's
     * {@code step(closure)}.
     */
    public Tensor step(Supplier<Tensor> closure) {
        Objects.requireNonNull(closure, "closure");
        Tensor loss;
        try (var grad = Kiln.enableGrad()) {
            loss = closure.get();
        }
        step();
        return loss;
    }

    /** Clears every parameter's gradient (sets it to null), as PyTorch 2's {@code zero_grad()}. */
    public void zeroGrad() {
        zeroGrad(true);
    }

    /**
     * Clears every parameter's gradient: sets it to null when {@code setToNone} (the default, which
     * frees the memory and lets the next backward write the gradient instead of adding to it), else
     * fills it with zeros in place (a contiguous gradient's storage is written directly, allocating
     * nothing; a gradient that has history is replaced by zeros without it).
     */
    public void zeroGrad(boolean setToNone) {
        try (var noGrad = Kiln.noGrad()) {
            // by index, as in step()
            for (int g = 0; g < groups.size(); g++) {
                ParamGroup group = groups.get(g);
                List<Tensor> params = group.params();
                for (int i = 0; i < params.size(); i++) {
                    Tensor p = params.get(i);
                    Tensor grad = p.grad();
                    if (grad == null) {
                        continue;
                    }
                    if (setToNone) {
                        p.setGrad(null);
                    } else if (grad.gradFn() != null) {
                        p.setGrad(Tensor.zerosLike(grad));
                    } else {
                        FusedUpdate.zero(grad);
                    }
                }
            }
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Saving and restoring

    /**
     * The optimizer's state and hyperparameters as plain data (see {@link OptimizerState} for the
     * layout); the state tensors are copies, so later steps do not change what is returned.
     */
    public OptimizerState stateDict() {
        Map<Integer, Map<String, Tensor>> savedState = new TreeMap<>();
        List<Map<String, Object>> savedGroups = new ArrayList<>();
        int index = 0;
        try (var noGrad = Kiln.noGrad()) {
            for (ParamGroup group : groups) {
                List<Integer> indices = new ArrayList<>();
                for (Tensor p : group.params()) {
                    Map<String, Tensor> s = state.get(p);
                    if (s != null && !s.isEmpty()) {
                        Map<String, Tensor> copy = new LinkedHashMap<>();
                        s.forEach((k, t) -> copy.put(k, t.clone()));
                        savedState.put(index, copy);
                    }
                    indices.add(index++);
                }
                Map<String, Object> saved = new LinkedHashMap<>(group.options());
                saved.put("params", indices);
                savedGroups.add(saved);
            }
        }
        return new OptimizerState(savedState, savedGroups);
    }

    /**
     * Restores state and hyperparameters saved by {@link #stateDict()}, as PyTorch's
     * {@code load_state_dict}: the saved groups' parameter indices are matched, in order, with this
     * optimizer's parameters; the groups take the saved hyperparameters (those the saved groups lack
     * keep their values; PyTorch's {@code foreach}, {@code fused}, {@code differentiable},
     * {@code capturable} and {@code param_names} entries are ignored); the state is replaced by copies
     * of the saved tensors, converted to their parameters' types ({@code step} to a 0-d float32).
     *
     * <p>Everything is checked before anything changes: a failing call leaves the optimizer as it was.
     *
     * @throws IllegalArgumentException naming what does not match: the number of groups, a group's
     *     number of parameters, a parameter index, an unknown or invalid hyperparameter, a state entry
     *     for a parameter no group lists, a state tensor this optimizer does not keep, lacks, or with
     *     another shape than its parameter's
     */
    public void loadStateDict(OptimizerState stateDict) {
        Objects.requireNonNull(stateDict, "stateDict");
        List<Map<String, Object>> savedGroups = stateDict.paramGroups();
        if (savedGroups.size() != groups.size()) {
            throw new IllegalArgumentException("loaded state dict has a different number of parameter groups: "
                    + savedGroups.size() + " saved, " + groups.size() + " in this optimizer");
        }
        Map<Integer, Tensor> byIndex = new HashMap<>();
        List<Map<String, Object>> newOptions = new ArrayList<>();
        for (int i = 0; i < groups.size(); i++) {
            ParamGroup group = groups.get(i);
            Map<String, Object> saved = savedGroups.get(i);
            if (!(saved.get("params") instanceof List<?> indices)) {
                throw new IllegalArgumentException("loaded parameter group " + i + " has no 'params' list of"
                        + " parameter indices");
            }
            if (indices.size() != group.params().size()) {
                throw new IllegalArgumentException("loaded state dict contains a parameter group that doesn't match"
                        + " the size of optimizer's group: group " + i + " has " + indices.size()
                        + " parameters in the loaded state and " + group.params().size() + " in this optimizer");
            }
            for (int j = 0; j < indices.size(); j++) {
                Object id = indices.get(j);
                if (!(id instanceof Number n) || n.doubleValue() != Math.rint(n.doubleValue())
                        || n.doubleValue() < 0 || n.doubleValue() > Integer.MAX_VALUE) {
                    throw new IllegalArgumentException("loaded parameter group " + i + " lists " + id
                            + " as a parameter index; indices are non-negative integers");
                }
                if (byIndex.put(n.intValue(), group.params().get(j)) != null) {
                    throw new IllegalArgumentException("loaded parameter groups list parameter index " + n.intValue()
                            + " more than once");
                }
            }
            Map<String, Object> options = new LinkedHashMap<>(group.options());
            saved.forEach((k, v) -> {
                if (!k.equals("params") && !PYTORCH_IMPLEMENTATION_FLAGS.contains(k)) {
                    options.put(k, v);
                }
            });
            newOptions.add(checkedOptions(options, i));
        }
        Map<Tensor, Map<String, Tensor>> newState = new IdentityHashMap<>();
        try (var noGrad = Kiln.noGrad()) {
            for (Map.Entry<Integer, Map<String, Tensor>> entry : stateDict.state().entrySet()) {
                int index = entry.getKey();
                Tensor p = byIndex.get(index);
                if (p == null) {
                    throw new IllegalArgumentException("loaded state has an entry for parameter " + index
                            + ", which no loaded parameter group lists");
                }
                Map<String, Tensor> tensors = entry.getValue();
                String which = "loaded state of parameter " + index;
                for (String key : requiredStateKeys()) {
                    if (!tensors.isEmpty() && !tensors.containsKey(key)) {
                        throw new IllegalArgumentException(which + " lacks '" + key + "', which " + name + " needs"
                                + " (it has " + String.join(", ", tensors.keySet()) + ")");
                    }
                }
                Map<String, Tensor> copy = new LinkedHashMap<>();
                for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
                    String key = e.getKey();
                    Tensor t = e.getValue();
                    if (!stateKeys().contains(key)) {
                        throw new IllegalArgumentException(which + " has '" + key + "', which " + name
                                + " does not keep (its state is " + String.join(", ", stateKeys()) + ")");
                    }
                    if (!t.dtype().isFloatingPoint() && !key.equals("step")) {
                        throw new IllegalArgumentException(which + ": '" + key + "' is " + t.dtype().pytorchName()
                                + ", not a floating-point tensor");
                    }
                    if (key.equals("step")) {
                        if (t.numel() != 1) {
                            throw new IllegalArgumentException(which + ": 'step' must hold one number, but has shape "
                                    + Shape.describe(t.shape().toArray()));
                        }
                        copy.put(key, Tensor.scalar(t.item(), DType.FLOAT32));
                    } else {
                        if (!t.shape().equals(p.shape())) {
                            throw new IllegalArgumentException(which + ": '" + key + "' has shape "
                                    + Shape.describe(t.shape().toArray()) + " but the parameter has shape "
                                    + Shape.describe(p.shape().toArray()));
                        }
                        copy.put(key, t.dtype() == p.dtype() ? t.clone() : t.to(p.dtype()).contiguous());
                    }
                }
                newState.put(p, copy);
            }
        }
        for (int i = 0; i < groups.size(); i++) {
            groups.get(i).replaceOptions(newOptions.get(i));
        }
        state.clear();
        state.putAll(newState);
    }

    /** As PyTorch prints an optimizer: its name and each group's hyperparameters, sorted by name. */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder(name).append(" (");
        for (int i = 0; i < groups.size(); i++) {
            sb.append("\nParameter Group ").append(i);
            new TreeMap<>(groups.get(i).options()).forEach((k, v) -> sb.append("\n    ").append(k).append(": ").append(v));
        }
        return sb.append("\n)").toString();
    }

    // ---------------------------------------------------------------------------------------------
    // Builders

    /**
     * The common part of the optimizers' builders: the parameters and the default hyperparameters,
     * starting from PyTorch's defaults. Each setter overrides the default for every group that does
     * not set its own value; {@link #build()} checks them all.
     *
     * @param <B> the concrete builder
     * @param <O> the optimizer it builds
     */
    public abstract static class Builder<B extends Builder<B, O>, O extends Optimizer> {
        private final List<ParamGroup> groups;
        private final Map<String, Object> defaults;

        /** A builder for {@code groups} starting from {@code defaults} (copied). */
        protected Builder(List<ParamGroup> groups, Map<String, Object> defaults) {
            this.groups = List.copyOf(Objects.requireNonNull(groups, "groups"));
            this.defaults = new LinkedHashMap<>(defaults);
        }

        /** The learning rate {@code lr}. */
        public B lr(double lr) {
            return set("lr", lr);
        }

        /** The weight decay {@code weight_decay}. */
        public B weightDecay(double weightDecay) {
            return set("weight_decay", weightDecay);
        }

        /** Whether to maximize the objective instead of minimizing it: {@code maximize}. */
        public B maximize(boolean maximize) {
            return set("maximize", maximize);
        }

        /** Sets default hyperparameter {@code key} (a PyTorch name). */
        @SuppressWarnings("unchecked")
        protected B set(String key, Object value) {
            if (!defaults.containsKey(key)) {
                throw new IllegalArgumentException("no hyperparameter '" + key + "' among " + defaults.keySet());
            }
            defaults.put(key, value);
            return (B) this;
        }

        /** The parameter groups. */
        protected List<ParamGroup> groups() {
            return groups;
        }

        /** The default hyperparameters as set so far. */
        protected Map<String, Object> defaults() {
            return defaults;
        }

        /**
         * The optimizer.
         *
         * @throws IllegalArgumentException if a hyperparameter is invalid (PyTorch's message), there are no
         *     parameters, or a parameter is not a floating-point leaf or appears twice
         */
        public abstract O build();
    }
}
