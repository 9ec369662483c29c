package dev.kiln.processor.check;

import dev.kiln.processor.ErrorMessages;
import dev.kiln.processor.Report;
import dev.kiln.processor.read.Expr;
import dev.kiln.processor.read.LayerSource;
import dev.kiln.processor.read.ModelSource;
import dev.kiln.processor.read.SourcePosition;
import dev.kiln.processor.read.Statement;
import dev.kiln.processor.read.WeightOperand;
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

    /** Reports a layer of a composed model that does not accept what flows into that model. */
    private interface EntryMismatch {
        void report(String layerPath, Size expected);
    }

    private final ModelSource model;
    private final Report report;
    private final Map<String, LayerSource> layers = new LinkedHashMap<>();
    private final Map<String, Flow> variables = new HashMap<>();
    /** What flows into forward's parameter. */
    private final Flow entry;
    /** For a composed model checked from its caller: where mismatches of the entry flow go; else null. */
    private final EntryMismatch entryMismatch;

    private ModelChecker(ModelSource model, Report report, Flow entry, EntryMismatch entryMismatch) {
        this.model = model;
        this.report = report;
        this.entry = entry;
        this.entryMismatch = entryMismatch;
        for (LayerSource layer : model.layers()) {
            layers.put(layer.name(), layer);
        }
    }

    /** Checks {@code model}, adding what is wrong to {@code report}. */
    public static void check(ModelSource model, Report report) {
        Size inputFeatures = model.inputShape().isEmpty() ? null : Size.of(model.inputShape().getLast());
        new ModelChecker(model, report, new Flow(inputFeatures, "the input", model.position().line()), null).run();
    }

    /** Follows the flow through forward; returns what it returns (null when it has no return). */
    private Flow run() {
        variables.put(model.forwardParameter(), entry);
        Flow returned = null;
        for (Statement statement : model.body()) {
            switch (statement) {
                case Statement.Local local -> variables.put(local.name(), evaluate(local.value()));
                case Statement.Return ret -> returned = evaluate(ret.value());
                case Statement.Unsupported unsupported ->
                        report.error(ErrorMessages.unsupportedStatement(unsupported.description(), model.className()),
                                unsupported.position());
            }
        }
        if (returned == null) {
            report.error(ErrorMessages.noReturn(model.className()), model.position());
        }
        return returned;
    }

    private Flow unknown(SourcePosition position) {
        return new Flow(null, "an expression", position.line());
    }

    private Flow evaluate(Expr expr) {
        return switch (expr) {
            case Expr.Variable v -> {
                Flow flow = variables.get(v.name());
                if (flow == null && WeightOperand.parameter(v.name(), layers, variables.keySet()) != null) {
                    // a Parameter field: a weight, whose use the lowering checks
                    yield new Flow(null, v.name(), v.position().line());
                }
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
            case Expr.TensorMethod m when PRODUCTS.contains(m.name()) && m.arguments().size() == 1
                    && WeightOperand.of(m.arguments().getFirst(), layers, variables.keySet())
                            instanceof WeightOperand w ->
                    product(m, evaluate(m.receiver()), w);
            case Expr.TensorMethod m -> {
                Flow receiver = evaluate(m.receiver());
                List<Flow> arguments = m.arguments().stream().map(this::evaluate).toList();
                if (ARITHMETIC.contains(m.name()) && arguments.size() == 1
                        && !(m.arguments().getFirst() instanceof Expr.Number)) {
                    yield arithmetic(m, receiver, arguments.getFirst());
                }
                if (FEATURE_PRESERVING_METHODS.contains(m.name())) {
                    yield receiver;
                }
                if (m.reshapedFeatures() > 0) {
                    yield new Flow(Size.constant(m.reshapedFeatures()), "Tensor." + m.name(), m.position().line());
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

    /** The matrix products, which take a Parameter field as their weight. */
    private static final List<String> PRODUCTS = List.of("mm", "matmul");

    /**
     * The flow out of {@code x.mm(w)}: reports, at the call, a weight whose input size provably
     * differs from the features flowing in.
     */
    private Flow product(Expr.TensorMethod m, Flow input, WeightOperand w) {
        Size expected = w.in() == null ? null : Size.of(w.in());
        if (expected != null && input.features() != null && input.features().provablyDiffers(expected)) {
            report.error(ErrorMessages.sizeMismatch(w.text(), expected.toString(), input.features().toString(),
                    input.producer(), input.line()), m.position());
        }
        return new Flow(w.out() == null ? null : Size.of(w.out()), w.text(), m.position().line());
    }

    /** The tensor methods of elementwise arithmetic, which may take a tensor operand. */
    private static final List<String> ARITHMETIC = List.of("plus", "minus", "times", "div");

    /**
     * The flow out of {@code left.op(right)} for two tensors: reports operands whose numbers of features
     * provably differ, as a size mismatch when they cannot broadcast and as not compiled when one of
     * them is 1 (broadcasting, which the eager forward does and the generated loops do not).
     */
    private Flow arithmetic(Expr.TensorMethod m, Flow left, Flow right) {
        if (left.features() != null && right.features() != null && left.features().provablyDiffers(right.features())) {
            boolean broadcasts = Long.valueOf(1).equals(left.features().constantValue())
                    || Long.valueOf(1).equals(right.features().constantValue());
            report.error(broadcasts
                    ? ErrorMessages.broadcastNotCompiled(m.name(), left.features().toString(), right.features().toString(),
                            model.className())
                    : ErrorMessages.operandMismatch(m.name(), left.features().toString(), left.producer(), left.line(),
                            right.features().toString(), right.producer(), right.line()), m.position());
        }
        return left.features() != null || right.features() == null ? left : right;
    }

    /** The flow out of {@code layer} given the flow into it; reports a provable size mismatch. */
    private Flow apply(LayerSource layer, Flow input, SourcePosition call) {
        if (layer.model()) {
            return composed(layer, input);
        }
        switch (layer.type()) {
            case "Linear" -> {
                Size expected = layer.sizes().isEmpty() ? null : Size.of(layer.sizes().getFirst());
                if (expected != null && input.features() != null && input.features().provablyDiffers(expected)) {
                    mismatch(layer, layer.name(), expected, input);
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

    /**
     * The flow out of a composed {@code @Model} layer: its forward checked with its sizes as this
     * model builds it. A layer inside it that cannot accept what flows in is reported here, on the
     * line that builds the composed model; its other errors belong to its own compilation.
     */
    private Flow composed(LayerSource layer, Flow input) {
        if (layer.submodel() == null) {
            return new Flow(null, layer.name(), layer.position().line());
        }
        ModelSource sub = layer.submodel().withArguments(layer.sizes());
        Flow out = new ModelChecker(sub, new Report(), input,
                (inner, expected) -> mismatch(layer, layer.name() + "." + inner, expected, input)).run();
        return new Flow(out == null ? null : out.features(), layer.name(), layer.position().line());
    }

    /**
     * Reports that the layer at {@code path} expects {@code expected} features but receives
     * {@code input}: on {@code layer}'s line, or, when the input is what flows into this model from a
     * caller that composes it, to that caller.
     */
    private void mismatch(LayerSource layer, String path, Size expected, Flow input) {
        if (entryMismatch != null && input == entry) {
            entryMismatch.report(path, expected);
        } else {
            report.error(ErrorMessages.sizeMismatch(path, expected.toString(), input.features().toString(),
                    input.producer(), input.line()), layer.position());
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
