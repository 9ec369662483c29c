package dev.kiln.processor.read;

import java.util.List;

/**
 * What the processor reads from a {@code @Model} class: the source model the later stages work on,
 * so that they can be tested without javac (as JMH's generator sees only its own class model).
 *
 * @param className the model's simple name
 * @param constructorParameters the parameters of the constructor the layers are read from
 * @param layers the layers the constructor assigns to fields, in order
 * @param forwardParameter the name of {@code forward}'s tensor parameter
 * @param inputShape the sizes pinned by {@code @Shape} on that parameter, or empty
 * @param body {@code forward}'s statements
 * @param position the class declaration
 */
public record ModelSource(String className, List<String> constructorParameters, List<LayerSource> layers,
                          String forwardParameter, List<SizeExpr> inputShape, List<Statement> body,
                          SourcePosition position) {
    public ModelSource {
        constructorParameters = List.copyOf(constructorParameters);
        layers = List.copyOf(layers);
        inputShape = List.copyOf(inputShape);
        body = List.copyOf(body);
    }
}
