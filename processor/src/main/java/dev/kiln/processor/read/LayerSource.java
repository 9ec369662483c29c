package dev.kiln.processor.read;

import java.util.List;
import java.util.Map;

/**
 * A layer the constructor builds: {@code field = new Type(args)}, or an element of a
 * {@code Sequential}'s argument list.
 *
 * @param name the field name, or {@code field[i]} for the i-th element of a Sequential
 * @param type the layer's simple class name ({@code Linear}, {@code ReLU}, {@code Sequential}, ...)
 * @param model whether the layer's class is itself a {@code @Model} (composition)
 * @param sizes the constructor arguments read as sizes (for {@code Linear}: in, out; for a
 *     {@code @Model} layer: its constructor's arguments)
 * @param bias for {@code Linear}: whether it has a bias (the third argument, true by default)
 * @param elements for {@code Sequential}: its layers in order; empty otherwise
 * @param position where the layer is built
 * @param submodel for a {@code @Model} layer whose source is in this compilation: that class as read,
 *     in terms of its own constructor's parameters (see {@link ModelSource#withArguments}); else null
 */
public record LayerSource(String name, String type, boolean model, List<SizeExpr> sizes, boolean bias, List<LayerSource> elements,
                          SourcePosition position, ModelSource submodel) {
    public LayerSource {
        sizes = List.copyOf(sizes);
        elements = List.copyOf(elements);
    }

    /** A layer that is not a composed {@code @Model}. */
    public LayerSource(String name, String type, boolean model, List<SizeExpr> sizes, boolean bias,
                       List<LayerSource> elements, SourcePosition position) {
        this(name, type, model, sizes, bias, elements, position, null);
    }

    /** This layer with every size expression rewritten by {@code bindings} (see {@link SizeExpr#substitute}). */
    LayerSource substitute(Map<String, SizeExpr> bindings) {
        return new LayerSource(name, type, model, sizes.stream().map(s -> s.substitute(bindings)).toList(), bias,
                elements.stream().map(e -> e.substitute(bindings)).toList(), position, submodel);
    }
}
