package dev.kiln.processor.read;

import java.util.List;

/**
 * A layer the constructor builds: {@code field = new Type(args)}, or an element of a
 * {@code Sequential}'s argument list.
 *
 * @param name the field name, or {@code field[i]} for the i-th element of a Sequential
 * @param type the layer's simple class name ({@code Linear}, {@code ReLU}, {@code Sequential}, ...)
 * @param model whether the layer's class is itself a {@code @Model} (composition)
 * @param sizes the constructor arguments read as sizes (for {@code Linear}: in, out)
 * @param bias for {@code Linear}: whether it has a bias (the third argument, true by default)
 * @param elements for {@code Sequential}: its layers in order; empty otherwise
 * @param position where the layer is built
 */
public record LayerSource(String name, String type, boolean model, List<SizeExpr> sizes, boolean bias, List<LayerSource> elements,
                          SourcePosition position) {
    public LayerSource {
        sizes = List.copyOf(sizes);
        elements = List.copyOf(elements);
    }
}
