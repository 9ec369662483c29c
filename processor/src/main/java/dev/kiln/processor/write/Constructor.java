package dev.kiln.processor.write;

import com.palantir.javapoet.ParameterSpec;
import com.palantir.javapoet.TypeName;
import java.util.List;
import java.util.Set;
import javax.lang.model.element.Modifier;

/**
 * A constructor of the model, which the generated class repeats and delegates to.
 *
 * @param modifiers its access modifiers
 * @param parameters its parameters
 * @param varargs whether the last parameter is variable-arity
 * @param exceptions the checked exceptions it declares
 */
public record Constructor(Set<Modifier> modifiers, List<ParameterSpec> parameters, boolean varargs,
                          List<TypeName> exceptions) {
    public Constructor {
        modifiers = Set.copyOf(modifiers);
        parameters = List.copyOf(parameters);
        exceptions = List.copyOf(exceptions);
    }
}
