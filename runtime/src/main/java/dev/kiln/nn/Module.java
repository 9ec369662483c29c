package dev.kiln.nn;

import dev.kiln.Kiln;
import dev.kiln.Parameter;
import dev.kiln.Shape;
import dev.kiln.Tensor;
import dev.kiln.device.Device;
import dev.kiln.internal.TensorAccess;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The base of every layer and model, the counterpart of {@code torch.nn.Module}: it knows its
 * parameters and submodules by name, in declaration order, and gives them PyTorch's key names
 * ({@code linear1.weight}, {@code 0.bias} inside a {@link Sequential}).
 *
 * <p>A subclass declares its layers and parameters as fields, and they are found without any
 * registration call:
 * <pre>{@code
 * class TwoLayerNet extends Module {
 *     final Linear linear1, linear2;
 *     TwoLayerNet(int dIn, int h, int dOut) {
 *         linear1 = new Linear(dIn, h, false);
 *         linear2 = new Linear(h, dOut, false);
 *     }
 *     @Override public Tensor forward(Tensor x) {
 *         return linear2.invoke(linear1.invoke(x).clampMin(0));
 *     }
 * }
 * }</pre>
 * Instance fields of type {@link Module} or {@link Parameter} (not static, not transient) are the
 * children and parameters, named after the field, in the order the class declares them, superclass
 * fields first; null fields are skipped. Modules built in a loop register children with
 * {@link #registerModule} instead.
 *
 * <p>A module is not thread-safe: like a PyTorch module in a training loop, it is used by one thread
 * at a time.
 */
public abstract class Module {
    private static final ClassValue<List<Field>> MEMBER_FIELDS = new ClassValue<>() {
        @Override
        protected List<Field> computeValue(Class<?> type) {
            List<Field> fields = new ArrayList<>();
            if (type.getSuperclass() != null && Module.class.isAssignableFrom(type.getSuperclass())) {
                fields.addAll(get(type.getSuperclass()));
            }
            for (Field f : type.getDeclaredFields()) {
                int mods = f.getModifiers();
                if (Modifier.isStatic(mods) || Modifier.isTransient(mods) || f.isSynthetic()) {
                    continue;
                }
                if (Module.class.isAssignableFrom(f.getType()) || Parameter.class.isAssignableFrom(f.getType())) {
                    f.setAccessible(true);
                    fields.add(f);
                }
            }
            return List.copyOf(fields);
        }
    };

    private final LinkedHashMap<String, Module> registeredModules = new LinkedHashMap<>();
    private final LinkedHashMap<String, Parameter> registeredParameters = new LinkedHashMap<>();
    private boolean training = true;

    /** The module's computation. */
    public abstract Tensor forward(Tensor input);

    /** Calls {@link #forward}: Kotlin's {@code model(x)}. */
    public final Tensor invoke(Tensor input) {
        return forward(input);
    }

    // ---------------------------------------------------------------------------------------------
    // Registration

    /** Adds a child under {@code name}, for children that are not fields (built in a loop). Returns it. */
    protected final <M extends Module> M registerModule(String name, M module) {
        checkName(name);
        registeredModules.put(name, Objects.requireNonNull(module, "module"));
        return module;
    }

    /** Adds a parameter under {@code name}, for parameters that are not fields. Returns it. */
    protected final Parameter registerParameter(String name, Parameter parameter) {
        checkName(name);
        registeredParameters.put(name, Objects.requireNonNull(parameter, "parameter"));
        return parameter;
    }

    private static void checkName(String name) {
        if (name == null || name.isEmpty() || name.contains(".")) {
            throw new IllegalArgumentException("a module or parameter name must be non-empty and contain no '.', but"
                    + " got \"" + name + "\"");
        }
    }

    /** This module's own parameters (not its children's), by name, in declaration order. */
    private LinkedHashMap<String, Parameter> ownParameters() {
        LinkedHashMap<String, Parameter> out = new LinkedHashMap<>();
        for (Field f : MEMBER_FIELDS.get(getClass())) {
            if (read(f) instanceof Parameter p) {
                out.put(f.getName(), p);
            }
        }
        out.putAll(registeredParameters);
        return out;
    }

    /** The direct children by name, fields first in declaration order, then registered ones. */
    public final Map<String, Module> namedChildren() {
        LinkedHashMap<String, Module> out = new LinkedHashMap<>();
        for (Field f : MEMBER_FIELDS.get(getClass())) {
            if (read(f) instanceof Module m) {
                out.put(f.getName(), m);
            }
        }
        out.putAll(registeredModules);
        return Collections.unmodifiableMap(out);
    }

    private Object read(Field f) {
        try {
            return f.get(this);
        } catch (IllegalAccessException e) {
            throw new IllegalStateException("cannot read field " + f + " of " + getClass().getName(), e);
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Traversal

    /** The direct children, in order. */
    public final List<Module> children() {
        return List.copyOf(namedChildren().values());
    }

    /** Every parameter of this module and its descendants, by dotted name, in PyTorch's order. */
    public final Map<String, Parameter> namedParameters() {
        LinkedHashMap<String, Parameter> out = new LinkedHashMap<>();
        collectParameters("", out, Collections.newSetFromMap(new java.util.IdentityHashMap<>()));
        return Collections.unmodifiableMap(out);
    }

    private void collectParameters(String prefix, Map<String, Parameter> out, java.util.Set<Parameter> seen) {
        for (Map.Entry<String, Parameter> e : ownParameters().entrySet()) {
            // A parameter shared by two layers is listed once, under its first name, as in PyTorch.
            if (seen.add(e.getValue())) {
                out.put(prefix + e.getKey(), e.getValue());
            }
        }
        for (Map.Entry<String, Module> e : namedChildren().entrySet()) {
            e.getValue().collectParameters(prefix + e.getKey() + ".", out, seen);
        }
    }

    /** Every parameter of this module and its descendants, in PyTorch's order (what optimizers take). */
    public final List<Parameter> parameters() {
        return List.copyOf(namedParameters().values());
    }

    /** This module and all its descendants, depth first, by dotted name ("" for this one). */
    public final Map<String, Module> namedModules() {
        LinkedHashMap<String, Module> out = new LinkedHashMap<>();
        collectModules("", out);
        return Collections.unmodifiableMap(out);
    }

    private void collectModules(String name, Map<String, Module> out) {
        out.put(name, this);
        for (Map.Entry<String, Module> e : namedChildren().entrySet()) {
            e.getValue().collectModules(name.isEmpty() ? e.getKey() : name + "." + e.getKey(), out);
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Training state

    /** Clears every parameter's gradient (sets it to null, as PyTorch's {@code zero_grad()} does by default). */
    public void zeroGrad() {
        for (Parameter p : parameters()) {
            p.setGrad(null);
        }
    }

    /** Puts this module and its descendants in training mode (dropout active). Returns this. */
    public Module train() {
        return train(true);
    }

    /** Sets training mode on this module and its descendants. Returns this. */
    public Module train(boolean mode) {
        for (Module m : namedModules().values()) {
            m.training = mode;
        }
        return this;
    }

    /** Puts this module and its descendants in evaluation mode (dropout off). Returns this. */
    public Module eval() {
        return train(false);
    }

    /** Whether this module is in training mode. */
    public final boolean isTraining() {
        return training;
    }

    /**
     * Moves every parameter (and its gradient, if it has one) to {@code device} in place, as PyTorch's
     * {@code module.to(device)}: the {@link Parameter} objects stay the same, so optimizers and state
     * dicts made before keep working; only where their elements live changes. Returns this.
     *
     * @throws IllegalStateException when {@code device} cannot be used (see {@link Device#cuda(int)})
     */
    public Module to(Device device) {
        java.util.Objects.requireNonNull(device, "device");
        TensorAccess access = TensorAccess.get();
        try (var noGrad = Kiln.noGrad()) {
            for (Parameter p : parameters()) {
                if (p.device().equals(device)) {
                    continue;
                }
                Tensor grad = p.grad();
                Tensor moved = grad == null ? null : grad.to(device);
                access.replaceStorage(p, p.detach().to(device));
                p.setGrad(moved);
            }
        }
        return this;
    }

    // ---------------------------------------------------------------------------------------------
    // State dicts

    /**
     * The parameters by dotted name, as {@code state_dict()}: tensors that share the parameters'
     * storage but record no history.
     */
    public final Map<String, Tensor> stateDict() {
        LinkedHashMap<String, Tensor> out = new LinkedHashMap<>();
        for (Map.Entry<String, Parameter> e : namedParameters().entrySet()) {
            out.put(e.getKey(), e.getValue().detach());
        }
        return out;
    }

    /** The keys a non-strict {@link #loadStateDict} skipped. */
    public record LoadResult(List<String> missingKeys, List<String> unexpectedKeys) {}

    /**
     * Copies {@code state} into the parameters, converting element types as {@code copy_} does.
     * Every problem is reported at once and nothing is changed when it throws: keys the model has
     * but {@code state} lacks (missing) or the reverse (unexpected) are errors when {@code strict},
     * and a shape that differs from the parameter's is always an error.
     *
     * @return the missing and unexpected keys (both empty after a strict load)
     * @throws IllegalArgumentException listing every missing, unexpected and wrongly shaped key
     */
    public final LoadResult loadStateDict(Map<String, Tensor> state, boolean strict) {
        Map<String, Parameter> own = namedParameters();
        List<String> missing = new ArrayList<>();
        List<String> unexpected = new ArrayList<>();
        List<String> mismatched = new ArrayList<>();
        for (String key : own.keySet()) {
            if (!state.containsKey(key)) {
                missing.add(key);
            }
        }
        for (Map.Entry<String, Tensor> e : state.entrySet()) {
            Parameter target = own.get(e.getKey());
            if (target == null) {
                unexpected.add(e.getKey());
            } else if (e.getValue() == null || !e.getValue().shape().equals(target.shape())) {
                mismatched.add("size mismatch for " + e.getKey() + ": copying a param with shape "
                        + (e.getValue() == null ? "null" : Shape.describe(e.getValue().shape().toArray()))
                        + " from the state dict, the shape in the current model is " + Shape.describe(target.shape().toArray()));
            }
        }
        List<String> problems = new ArrayList<>();
        if (strict && !missing.isEmpty()) {
            problems.add("Missing key(s): " + String.join(", ", missing));
        }
        if (strict && !unexpected.isEmpty()) {
            problems.add("Unexpected key(s): " + String.join(", ", unexpected));
        }
        problems.addAll(mismatched);
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException("Error(s) in loading state dict for " + getClass().getSimpleName() + ":\n  "
                    + String.join("\n  ", problems));
        }
        try (var noGrad = Kiln.noGrad()) {
            for (Map.Entry<String, Tensor> e : state.entrySet()) {
                Parameter target = own.get(e.getKey());
                if (target != null) {
                    target.copyFrom(e.getValue());
                }
            }
        }
        return new LoadResult(List.copyOf(missing), List.copyOf(unexpected));
    }

    // ---------------------------------------------------------------------------------------------
    // Printing

    /** The settings shown between the parentheses of {@link #toString()}, as PyTorch's {@code extra_repr()}. */
    protected String extraRepr() {
        return "";
    }

    /**
     * The module tree as PyTorch prints it:
     * <pre>
     * Sequential(
     *   (0): Linear(in_features=1000, out_features=100, bias=False)
     *   (1): ReLU()
     * )
     * </pre>
     */
    @Override
    public String toString() {
        List<String> extraLines = extraRepr().isEmpty() ? List.of() : Arrays.asList(extraRepr().split("\n"));
        List<String> lines = new ArrayList<>(extraLines);
        for (Map.Entry<String, Module> e : namedChildren().entrySet()) {
            lines.add("(" + e.getKey() + "): " + e.getValue().toString().replace("\n", "\n  "));
        }
        StringBuilder out = new StringBuilder(getClass().getSimpleName()).append('(');
        if (extraLines.size() == 1 && lines.size() == 1) {
            out.append(extraLines.getFirst()); // the one-line form of most built-in layers
        } else if (!lines.isEmpty()) {
            out.append("\n  ").append(String.join("\n  ", lines)).append('\n');
        }
        return out.append(')').toString();
    }
}
