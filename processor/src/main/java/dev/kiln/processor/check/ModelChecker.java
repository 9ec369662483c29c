package dev.kiln.processor.check;

import dev.kiln.processor.ErrorMessages;
import dev.kiln.processor.Report;
import dev.kiln.processor.read.Expr;
import dev.kiln.processor.read.LayerSource;
import dev.kiln.processor.read.ModelSource;
import dev.kiln.processor.read.SourcePosition;
import dev.kiln.processor.read.Statement;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The check stage: follows the number of features through {@code forward} and reports every layer
 * whose input size provably differs from what flows into it, every construct the processor does not
 * support, and every name it cannot resolve. It keeps going after an error, so one compilation shows
 * them all.
 */
public final class ModelChecker {
    /** Layers whose output has as many features as their input. */
    static final Set<String> SHAPE_PRESERVING_LAYERS =
            Set.of("ReLU", "LeakyReLU", "Sigmoid", "Tanh", "Softmax", "LogSoftmax", "Dropout", "Identity");

    /** Tensor methods that keep the number of features of their receiver. */
    static final List<String> FEATURE_PRESERVING_METHODS = List.of("plus", "minus", "times", "div", "pow",
            "unaryMinus", "exp", "log", "sqrt", "abs", "relu", "sigmoid", "tanh", "clamp", "clampMin", "clampMax",
            "softmax", "logSoftmax", "contiguous");

    /** Tensor methods that change or forget the number of features. */
    static final List<String> FEATURE_CHANGING_METHODS =
            List.of("mm", "matmul", "t", "transpose", "reshape", "view", "flatten", "sum", "mean");

    /** F functions that keep the number of features of their first argument. */
    static final List<String> FEATURE_PRESERVING_FUNCTIONS =
            List.of("relu", "leakyRelu", "sigmoid", "tanh", "softmax", "logSoftmax", "dropout");

    /** F functions that change the number of features. */
    static final List<String> FEATURE_CHANGING_FUNCTIONS = List.of("linear");

    /** The layers the processor compiles, for messages. */
    static final List<String> SUPPORTED_LAYERS = List.of("Linear", "ReLU", "LeakyReLU", "Sigmoid", "Tanh", "Softmax",
            "LogSoftmax", "Dropout", "Identity", "Flatten", "Sequential");

    /** How many features a value has (null when unknown), and what produced it, for messages. */
    private record Flow(Size features, String producer, long line) {}

    private final ModelSource model;
    private final Report report;
    private final Map<String, LayerSource> layers = new LinkedHashMap<>();
    private final Map<String, Flow> variables = new HashMap<>();

    private ModelChecker(ModelSource model, Report report) {
        this.model = model;
        this.report = report;
        for (LayerSource layer : model.layers()) {
            layers.put(layer.name(), layer);
        }
    }

    /** Checks {@code model}, adding what is wrong to {@code report}. */
    public static void check(ModelSource model, Report report) {
        new ModelChecker(model, report).run();
    }

    private void run() {
        List<?> shape = model.inputShape();
        Size inputFeatures = shape.isEmpty() ? null : Size.of(model.inputShape().getLast());
        variables.put(model.forwardParameter(), new Flow(inputFeatures, "the input", model.position().line()));
        boolean returned = false;
        for (Statement statement : model.body()) {
            switch (statement) {
                case Statement.Local local -> variables.put(local.name(), evaluate(local.value()));
                case Statement.Return ret -> {
                    evaluate(ret.value());
                    returned = true;
                }
                case Statement.Unsupported unsupported ->
                        report.error(ErrorMessages.unsupportedStatement(unsupported.description(), model.className()),
                                unsupported.position());
            }
        }
        if (!returned) {
            report.error(ErrorMessages.noReturn(model.className()), model.position());
        }
    }

    private Flow unknown(SourcePosition position) {
        return new Flow(null, "an expression", position.line());
    }

    private Flow evaluate(Expr expr) {
        return switch (expr) {
            case Expr.Variable v -> {
                Flow flow = variables.get(v.name());
                if (flow == null) {
                    report.error(ErrorMessages.unknownVariable(v.name()), v.position());
                    yield unknown(v.position());
                }
                yield flow;
            }
            case Expr.Number n -> unknown(n.position());
            case Expr.LayerCall call -> {
                Flow input = evaluate(call.argument());
                LayerSource layer = layers.get(call.layer());
                if (layer == null) {
                    report.error(ErrorMessages.unknownLayer(call.layer(), model.className()), call.position());
                    yield unknown(call.position());
                }
                yield apply(layer, input, call.position());
            }
            case Expr.TensorMethod m -> {
                Flow receiver = evaluate(m.receiver());
                m.arguments().forEach(this::evaluate);
                if (FEATURE_PRESERVING_METHODS.contains(m.name())) {
                    yield receiver;
                }
                if (!FEATURE_CHANGING_METHODS.contains(m.name())) {
                    report.error(ErrorMessages.unknownMethod(m.name(), supportedMethods(), model.className()),
                            m.position());
                }
                yield unknown(m.position());
            }
            case Expr.StaticCall call -> {
                List<Flow> arguments = call.arguments().stream().map(this::evaluate).toList();
                if (!call.owner().equals("F")) {
                    report.error(ErrorMessages.unsupportedExpression("a call of " + call.owner() + "." + call.name(),
                            model.className()), call.position());
                    yield unknown(call.position());
                }
                if (FEATURE_PRESERVING_FUNCTIONS.contains(call.name()) && !arguments.isEmpty()) {
                    yield arguments.getFirst();
                }
                if (!FEATURE_CHANGING_FUNCTIONS.contains(call.name())) {
                    report.error(ErrorMessages.unknownFunction(call.owner(), call.name(), supportedFunctions(),
                            model.className()), call.position());
                }
                yield unknown(call.position());
            }
            case Expr.Unsupported u -> {
                report.error(ErrorMessages.unsupportedExpression(u.description(), model.className()), u.position());
                yield unknown(u.position());
            }
        };
    }

    /** The flow out of {@code layer} given the flow into it; reports a provable size mismatch. */
    private Flow apply(LayerSource layer, Flow input, SourcePosition call) {
        if (layer.model()) {
            return new Flow(null, layer.name(), layer.position().line());
        }
        switch (layer.type()) {
            case "Linear" -> {
                Size expected = layer.sizes().isEmpty() ? null : Size.of(layer.sizes().getFirst());
                if (expected != null && input.features() != null && input.features().provablyDiffers(expected)) {
                    report.error(ErrorMessages.sizeMismatch(layer.name(), expected.toString(),
                            input.features().toString(), input.producer(), input.line()), layer.position());
                }
                Size out = layer.sizes().size() < 2 ? null : Size.of(layer.sizes().get(1));
                return new Flow(out, layer.name(), layer.position().line());
            }
            case "Sequential" -> {
                Flow flow = input;
                for (LayerSource element : layer.elements()) {
                    flow = apply(element, flow, call);
                }
                return flow;
            }
            case "Flatten" -> {
                return new Flow(null, layer.name(), layer.position().line());
            }
            default -> {
                if (SHAPE_PRESERVING_LAYERS.contains(layer.type())) {
                    return input;
                }
                report.error(ErrorMessages.unsupportedLayer(layer.name(), layer.type(), SUPPORTED_LAYERS,
                        model.className()), call);
                return unknown(call);
            }
        }
    }

    private static List<String> supportedMethods() {
        return java.util.stream.Stream.concat(FEATURE_PRESERVING_METHODS.stream(), FEATURE_CHANGING_METHODS.stream())
                .sorted().toList();
    }

    private static List<String> supportedFunctions() {
        return java.util.stream.Stream.concat(FEATURE_PRESERVING_FUNCTIONS.stream(),
                FEATURE_CHANGING_FUNCTIONS.stream()).sorted().toList();
    }
}
