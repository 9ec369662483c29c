package dev.kiln.processor.read;

import java.util.Map;
import java.util.Set;

/**
 * The right operand of {@code x.mm(...)} or {@code x.matmul(...)} when it is one of the model's
 * {@code Parameter} fields, {@code p} or {@code p.t()}: a product the compiled loops run as a GEMM
 * with the parameter as the weight.
 *
 * @param parameter the field, as read from the constructor (its sizes are the tensor's)
 * @param transposed whether it is written {@code p.t()}
 */
public record WeightOperand(LayerSource parameter, boolean transposed) {
    /**
     * The operand {@code expr} stands for, or null: a variable naming a {@code Parameter} field that no
     * local variable of {@code forward} shadows, or {@code .t()} of one.
     */
    public static WeightOperand of(Expr expr, Map<String, LayerSource> layers, Set<String> locals) {
        return switch (expr) {
            case Expr.Variable v -> parameter(v.name(), layers, locals) instanceof LayerSource p
                    ? new WeightOperand(p, false) : null;
            case Expr.TensorMethod m when m.name().equals("t") && m.arguments().isEmpty()
                    && m.receiver() instanceof Expr.Variable v ->
                    parameter(v.name(), layers, locals) instanceof LayerSource p ? new WeightOperand(p, true) : null;
            default -> null;
        };
    }

    /** The {@code Parameter} field {@code name} names, or null (a local, a layer, or nothing). */
    public static LayerSource parameter(String name, Map<String, LayerSource> layers, Set<String> locals) {
        LayerSource layer = layers.get(name);
        return !locals.contains(name) && layer != null && layer.type().equals("Parameter") ? layer : null;
    }

    /** The input features: the parameter's rows, or its columns when transposed; null when unread. */
    public SizeExpr in() {
        return size(transposed ? 1 : 0);
    }

    /** The output features: the parameter's columns, or its rows when transposed; null when unread. */
    public SizeExpr out() {
        return size(transposed ? 0 : 1);
    }

    private SizeExpr size(int i) {
        return parameter.sizes().size() == 2 ? parameter.sizes().get(i) : null;
    }

    /** The operand as written: {@code w} or {@code w.t()}. */
    public String text() {
        return parameter.name() + (transposed ? ".t()" : "");
    }
}
