package dev.kiln.nn;

import dev.kiln.Tensor;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * Modules applied one after another, the counterpart of {@code torch.nn.Sequential}. Children are
 * named {@code 0}, {@code 1}, ..., so their parameters are {@code 0.weight}, {@code 0.bias}, ...
 */
public class Sequential extends Module implements Iterable<Module> {
    private final List<Module> layers = new ArrayList<>();

    /** A sequence of the given modules. */
    public Sequential(Module... modules) {
        for (Module m : modules) {
            append(m);
        }
    }

    /** Adds a module at the end. Returns this. */
    public Sequential append(Module module) {
        registerModule(Integer.toString(layers.size()), module);
        layers.add(module);
        return this;
    }

    /** The module at {@code index}; negative values count from the end. Kotlin's {@code model[0]}. */
    public Module get(int index) {
        int size = layers.size();
        if (index < -size || index >= size) {
            throw new IndexOutOfBoundsException("Sequential: index " + index + " is out of range for " + size + " modules");
        }
        return layers.get(index < 0 ? index + size : index);
    }

    /**
     * The module at {@code index} as a {@code type}, for reaching a layer's own methods:
     * {@code model.get(0, Linear.class).weight()}.
     *
     * @throws ClassCastException naming both types when the module is of another type
     */
    public <M extends Module> M get(int index, Class<M> type) {
        Module m = get(index);
        if (!type.isInstance(m)) {
            throw new ClassCastException("Sequential: module " + index + " is a " + m.getClass().getSimpleName()
                    + ", not a " + type.getSimpleName());
        }
        return type.cast(m);
    }

    /** The number of modules. */
    public int size() {
        return layers.size();
    }

    @Override
    public Iterator<Module> iterator() {
        return List.copyOf(layers).iterator();
    }

    @Override
    public Tensor forward(Tensor input) {
        Tensor x = input;
        for (Module m : layers) {
            x = m.forward(x);
        }
        return x;
    }
}
