package dev.kiln.processor.read;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

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

    /**
     * This model as built by {@code new ClassName(arguments)}: every layer size and the pinned input
     * shape in terms of the caller's sizes. When the arguments do not match the constructor the
     * layers were read from (another overload), its parameters become opaque, so that the checker
     * leaves those sizes to the run-time checks instead of confusing them with the caller's own
     * parameters of the same name.
     */
    public ModelSource withArguments(List<SizeExpr> arguments) {
        Map<String, SizeExpr> bindings = new HashMap<>();
        boolean matches = arguments.size() == constructorParameters.size();
        for (int i = 0; i < constructorParameters.size(); i++) {
            String name = constructorParameters.get(i);
            bindings.put(name, matches ? arguments.get(i) : new SizeExpr.Opaque(className + "." + name));
        }
        return new ModelSource(className, List.of(), layers.stream().map(l -> l.substitute(bindings)).toList(),
                forwardParameter, inputShape.stream().map(s -> s.substitute(bindings)).toList(), body, position);
    }
}
