package dev.kiln.processor.lower;

import dev.kiln.processor.ErrorMessages;
import dev.kiln.processor.Report;
import dev.kiln.processor.ir.ModelGraph;
import dev.kiln.processor.ir.Op;
import dev.kiln.processor.ir.PointwiseKind;
import dev.kiln.processor.read.Expr;
import dev.kiln.processor.read.LayerSource;
import dev.kiln.processor.read.ModelSource;
import dev.kiln.processor.read.SizeExpr;
import dev.kiln.processor.read.SourcePosition;
import dev.kiln.processor.read.Statement;
import dev.kiln.processor.read.WeightOperand;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Lowers a checked {@link ModelSource} to a {@link ModelGraph}. Every value of the supported forward
 * bodies is a chain of unary operations from the input, so a local variable stands for the chain
 * that computes it and the returned chain is the graph. Reports each unsupported construct at its
 * position and keeps going; returns null when anything was reported.
 */
public final class Lowering {
    private final ModelSource model;
    private final String packageName;
    private final Report report;
    private final Map<String, LayerSource> layers = new LinkedHashMap<>();
    private final Map<String, List<Op>> variables = new HashMap<>();
    /** The dotted path of this model in the outermost one: "" for it, "encoder." for a composed model. */
    private final String prefix;
    private boolean failed;
    /** Whether forward flattens its input first (see {@link ModelGraph#flattensInput}). */
    private boolean flattensInput;
    /** Whether forward takes 2-d inputs only (see {@link ModelGraph#matrixInput}). */
    private boolean matrixInput;
    /** See {@link ModelGraph#reshapedFeatures}. */
    private long reshapedFeatures;

    private Lowering(ModelSource model, String packageName, Report report, String prefix) {
        this.model = model;
        this.packageName = packageName;
        this.report = report;
        this.prefix = prefix;
        for (LayerSource layer : model.layers()) {
            layers.put(layer.name(), layer);
        }
    }

    /** The graph of {@code model}, or null when something was reported into {@code report}. */
    public static ModelGraph lower(ModelSource model, String packageName, Report report) {
        return new Lowering(model, packageName, report, "").run();
    }

    private ModelGraph run() {
        List<Op> result = chain(List.of());
        if (result != null) {
            for (int i = 0; i < result.size() - 1; i++) {
                if (result.get(i) instanceof Op.Softmax || result.get(i) instanceof Op.Reduce) {
                    notCompiled(result.get(i).source() + " followed by other operations (softmax, logSoftmax, sum and"
                            + " mean are compiled only as the last operation)", result.get(i).position());
                }
            }
        }
        if (result != null && result.isEmpty() && !failed) {
            notCompiled("a forward that returns its input unchanged", model.position());
        }
        if (failed || result == null) {
            return null;
        }
        return new ModelGraph(model.className(), packageName, result, flattensInput, matrixInput, reshapedFeatures);
    }

    /** The operations of forward applied to {@code input}'s chain: the chain it returns, or null without a return. */
    private List<Op> chain(List<Op> input) {
        variables.put(model.forwardParameter(), input);
        List<Op> result = null;
        for (Statement statement : model.body()) {
            switch (statement) {
                case Statement.Local local -> variables.put(local.name(), lower(local.value()));
                case Statement.Return ret -> result = lower(ret.value());
                case Statement.Unsupported u -> notCompiled(u.description(), u.position());
            }
        }
        return result;
    }

    /**
     * Inlines a composed {@code @Model} layer: its forward lowered with its layers' paths under
     * {@code path}, applied to {@code chain}. What its forward cannot compile is reported once, at
     * the call.
     */
    private void composed(LayerSource layer, String path, SourcePosition at, List<Op> chain) {
        if (layer.submodel() == null) {
            notCompiled("calling the @Model field " + layer.name() + " of class " + layer.type()
                    + ", whose source is not part of this compilation (composed models are compiled from source)", at);
            return;
        }
        Report nested = new Report();
        Lowering inner = new Lowering(layer.submodel(), packageName, nested, prefix + path + ".");
        List<Op> result = inner.chain(List.copyOf(chain));
        flattensInput |= inner.flattensInput;
        matrixInput |= inner.matrixInput;
        reshapedFeatures = Math.max(reshapedFeatures, inner.reshapedFeatures);
        if (!nested.isClean() || result == null) {
            String why = nested.isClean() ? "it has no return statement" : reason(nested.items().getFirst().message());
            notCompiled("calling the @Model field " + layer.name() + " whose forward cannot be compiled (" + why + ")",
                    at);
            return;
        }
        chain.clear();
        chain.addAll(result);
    }

    /** A nested message without its tag and its advice, to quote inside another message. */
    private static String reason(String message) {
        String text = message.replaceFirst("^\\[\\w+\\] ", "");
        int advice = text.indexOf("; to keep");
        return advice < 0 ? text : text.substring(0, advice);
    }

    /** The text of an operation for the generated comments; inside a composed model, says which. */
    private String label(String text) {
        return prefix.isEmpty() ? text
                : text + " (in " + model.className() + ".forward, as " + prefix.substring(0, prefix.length() - 1) + ")";
    }

    private void notCompiled(String what, SourcePosition position) {
        report.error(ErrorMessages.notCompiled(what, model.className()), position);
        failed = true;
    }

    private List<Op> lower(Expr expr) {
        return switch (expr) {
            case Expr.Variable v -> {
                if (WeightOperand.parameter(v.name(), layers, variables.keySet()) != null) {
                    notCompiled("the Parameter field " + v.name() + " used other than as the weight of a product"
                            + " (x.mm(" + v.name() + "), x.mm(" + v.name() + ".t()) or matmul)", v.position());
                    yield List.of();
                }
                yield variables.getOrDefault(v.name(), List.of());
            }
            case Expr.Number n -> {
                notCompiled("a number used as a tensor (" + format(n.value()) + ")", n.position());
                yield List.of();
            }
            case Expr.LayerCall call -> {
                List<Op> chain = new ArrayList<>(lower(call.argument()));
                LayerSource layer = layers.get(call.layer());
                if (layer != null) {
                    String text = call.layer() + ".invoke(" + text(call.argument()) + ")";
                    layerOps(layer, call.layer(), call.position(), text, chain);
                }
                yield chain;
            }
            case Expr.TensorMethod m when ARITHMETIC.contains(m.name()) && m.arguments().size() == 1
                    && !(m.arguments().getFirst() instanceof Expr.Number) -> binary(m);
            case Expr.TensorMethod m when (m.name().equals("mm") || m.name().equals("matmul"))
                    && m.arguments().size() == 1 -> product(m);
            case Expr.TensorMethod m when m.name().equals("reshape") || m.name().equals("view") -> {
                List<Op> chain = new ArrayList<>(lower(m.receiver()));
                long features = m.reshapedFeatures();
                if (features > 0) {
                    flatten(chain, m.position(), "Tensor." + m.name());
                    reshapedFeatures = features;
                } else {
                    notCompiled("Tensor." + m.name() + " other than " + m.name() + "(-1, features) of the input with a"
                            + " number literal", m.position());
                }
                yield chain;
            }
            case Expr.TensorMethod m when m.name().equals("flatten") -> {
                List<Op> chain = new ArrayList<>(lower(m.receiver()));
                List<Double> dims = m.arguments().stream()
                        .map(a -> a instanceof Expr.Number n ? Double.valueOf(n.value()) : null).toList();
                if (dims.equals(List.of(1.0)) || dims.equals(List.of(1.0, -1.0))) {
                    flatten(chain, m.position(), "Tensor.flatten");
                } else {
                    notCompiled("Tensor.flatten over dimensions other than 1 to -1", m.position());
                }
                yield chain;
            }
            case Expr.TensorMethod m -> {
                List<Op> chain = new ArrayList<>(lower(m.receiver()));
                Op op = method(m, label(text(m)));
                if (op != null) {
                    chain.add(op);
                }
                yield chain;
            }
            case Expr.StaticCall call -> {
                List<Op> chain = new ArrayList<>(call.arguments().isEmpty() ? List.of() : lower(call.arguments().getFirst()));
                Op op = function(call, label(text(call)));
                if (op != null) {
                    chain.add(op);
                }
                yield chain;
            }
            case Expr.Unsupported u -> {
                notCompiled(u.description(), u.position());
                yield List.of();
            }
        };
    }

    private void layerOps(LayerSource layer, String path, SourcePosition at, String text, List<Op> chain) {
        if (layer.model()) {
            composed(layer, path, at, chain);
            return;
        }
        String where = label(text + (layer.name().equals(path) ? "" : " (" + layer.name() + ": " + layer.type() + ")"));
        switch (layer.type()) {
            case "Linear" -> {
                if (layer.sizes().size() < 2) {
                    notCompiled("a Linear layer whose sizes cannot be read", at);
                    return;
                }
                chain.add(new Op.Linear(prefix + path, layer.sizes().get(0), layer.sizes().get(1), layer.bias(),
                        Op.Linear.Weight.LAYER, at,
                        where));
            }
            case "Sequential" -> {
                for (int i = 0; i < layer.elements().size(); i++) {
                    layerOps(layer.elements().get(i), path + "." + i, at, text, chain);
                }
            }
            case "ReLU" -> chain.add(new Op.Pointwise(PointwiseKind.RELU, 0, 0, at, where));
            case "Sigmoid" -> chain.add(new Op.Pointwise(PointwiseKind.SIGMOID, 0, 0, at, where));
            case "Tanh" -> chain.add(new Op.Pointwise(PointwiseKind.TANH, 0, 0, at, where));
            case "Identity" -> { }
            case "Flatten" -> {
                List<Double> dims = layer.sizes().stream().map(Lowering::number).toList();
                if (dims.isEmpty() || dims.equals(List.of(1.0, -1.0))) {
                    flatten(chain, at, "a Flatten layer");
                } else {
                    notCompiled("a Flatten layer over dimensions other than 1 to -1", at);
                }
            }
            case "Dropout" -> chain.add(new Op.Dropout(prefix + path, at, where));
            case "LeakyReLU" -> {
                Double slope = layer.sizes().isEmpty() ? Double.valueOf(0.01) : number(layer.sizes().getFirst());
                if (slope == null) {
                    notCompiled("a LeakyReLU whose slope is not a number literal", at);
                    return;
                }
                chain.add(new Op.Pointwise(PointwiseKind.LEAKY_RELU, slope, 0, at, where));
            }
            case "Softmax", "LogSoftmax" -> {
                Double dim = layer.sizes().isEmpty() ? null : number(layer.sizes().getFirst());
                if (dim == null || (dim != 1 && dim != -1)) {
                    notCompiled("a " + layer.type() + " layer over a dimension other than 1", at);
                    return;
                }
                chain.add(new Op.Softmax(layer.type().equals("LogSoftmax"), dim == -1, at, where));
            }
            default -> notCompiled("the " + layer.type() + " layer " + layer.name(), at);
        }
    }

    private static Double number(SizeExpr size) {
        return switch (size) {
            case SizeExpr.Constant c -> (double) c.value();
            case SizeExpr.Opaque o -> {
                try {
                    yield Double.valueOf(o.source().strip());
                } catch (NumberFormatException e) {
                    yield null;
                }
            }
            default -> null;
        };
    }

    /**
     * {@code x.mm(w)}, {@code x.mm(w.t())} or {@code matmul} with a {@code Parameter} field {@code w}: a
     * GEMM with the parameter as its weight. {@code mm} takes 2-d inputs only, as in the eager path
     * (the generated forward runs the eager one for other ranks, which says so); {@code matmul}
     * treats leading dimensions as rows, as {@code Linear} does.
     */
    private List<Op> product(Expr.TensorMethod m) {
        List<Op> chain = new ArrayList<>(lower(m.receiver()));
        WeightOperand w = WeightOperand.of(m.arguments().getFirst(), layers, variables.keySet());
        if (w == null) {
            notCompiled("Tensor." + m.name() + " of two computed values (a compiled forward multiplies by a Parameter"
                    + " field w: x." + m.name() + "(w) or x." + m.name() + "(w.t()))", m.position());
            return chain;
        }
        if (m.name().equals("mm")) {
            matrixInput = true;
        }
        // sizes the constructor does not show (new Parameter(someTensor)) are left to the run-time checks
        String name = w.parameter().name();
        SizeExpr in = w.in() != null ? w.in() : new SizeExpr.Opaque(name + ".size(" + (w.transposed() ? 1 : 0) + ")");
        SizeExpr out = w.out() != null ? w.out() : new SizeExpr.Opaque(name + ".size(" + (w.transposed() ? 0 : 1) + ")");
        chain.add(new Op.Linear(prefix + w.parameter().name(), in, out, false,
                w.transposed() ? Op.Linear.Weight.PARAMETER_TRANSPOSED : Op.Linear.Weight.PARAMETER, m.position(),
                label(text(m))));
        return chain;
    }

    /** The tensor methods that may take a tensor operand. */
    private static final List<String> ARITHMETIC = List.of("plus", "minus", "times", "div");

    /**
     * {@code a.plus(b)} of two tensors. When one operand is computed from the other, the result
     * continues the longer chain and reads the shorter one's last value. Otherwise both are computed
     * from a shared value (at least the input): the chain runs the left operand's operations, then an
     * {@link Op.Branch} back to the shared value and the right operand's own operations, and the
     * arithmetic reads the left operand's last value.
     */
    private List<Op> binary(Expr.TensorMethod m) {
        List<Op> left = lower(m.receiver());
        List<Op> right = lower(m.arguments().getFirst());
        Op.Binary.Kind kind = Op.Binary.Kind.valueOf(m.name().toUpperCase(java.util.Locale.ROOT));
        String text = label(text(m));
        List<Op> chain;
        if (isPrefix(right, left)) {
            chain = new ArrayList<>(left);
            chain.add(new Op.Binary(kind, right.size(), false, m.position(), text));
        } else if (isPrefix(left, right)) {
            chain = new ArrayList<>(right);
            chain.add(new Op.Binary(kind, left.size(), true, m.position(), text));
        } else {
            int shared = 0;
            while (shared < left.size() && shared < right.size() && left.get(shared).equals(right.get(shared))) {
                shared++;
            }
            chain = new ArrayList<>(left);
            chain.add(new Op.Branch(shared, m.position(), label(text(m.arguments().getFirst()) + ", the right operand"
                    + " of " + m.name() + ", from the value both operands share")));
            // the right operand's values after the shared ones move to after the left operand and the branch
            int shift = left.size() + 1 - shared;
            for (Op op : right.subList(shared, right.size())) {
                chain.add(shifted(op, shared, shift));
            }
            chain.add(new Op.Binary(kind, left.size(), true, m.position(), text));
        }
        return chain;
    }

    /** {@code op} with each value index above {@code shared} moved by {@code shift}. */
    private static Op shifted(Op op, int shared, int shift) {
        return switch (op) {
            case Op.Binary b when b.other() > shared -> new Op.Binary(b.kind(), b.other() + shift, b.swapped(),
                    b.position(), b.source());
            case Op.Branch b when b.value() > shared -> new Op.Branch(b.value() + shift, b.position(), b.source());
            default -> op;
        };
    }

    private static boolean isPrefix(List<Op> prefix, List<Op> chain) {
        return prefix.size() <= chain.size() && chain.subList(0, prefix.size()).equals(prefix);
    }

    /**
     * Records that forward flattens its input; the compiled loops see the input as (batch, features)
     * from the start, so a flatten after other operations is not compiled.
     */
    private void flatten(List<Op> chain, SourcePosition at, String what) {
        if (!chain.isEmpty()) {
            notCompiled(what + " after other operations (a compiled forward flattens only its input)", at);
        }
        flattensInput = true;
    }

    /** The tensor methods the compiled path generates. */
    static final List<String> COMPILED_METHODS = List.of("relu", "sigmoid", "tanh", "exp", "log", "pow", "sqrt", "abs",
            "sum", "mean", "unaryMinus",
            "clampMin", "clampMax", "clamp", "plus", "minus", "times", "div", "softmax", "logSoftmax");

    private Op method(Expr.TensorMethod m, String text) {
        if (!COMPILED_METHODS.contains(m.name())) {
            notCompiled("Tensor." + m.name(), m.position());
            return null;
        }
        List<Double> numbers = new ArrayList<>();
        for (Expr argument : m.arguments()) {
            if (argument instanceof Expr.Number n) {
                numbers.add(n.value());
            } else {
                String what = List.of("plus", "minus", "times", "div").contains(m.name())
                        ? "tensor-tensor arithmetic (Tensor." + m.name() + " of a tensor)"
                        : "Tensor." + m.name() + " with an argument that is not a number literal";
                notCompiled(what, m.position());
                return null;
            }
        }
        SourcePosition at = m.position();
        int count = numbers.size();
        Op op = switch (m.name()) {
            case "relu" -> count == 0 ? new Op.Pointwise(PointwiseKind.RELU, 0, 0, at, text) : null;
            case "sigmoid" -> count == 0 ? new Op.Pointwise(PointwiseKind.SIGMOID, 0, 0, at, text) : null;
            case "tanh" -> count == 0 ? new Op.Pointwise(PointwiseKind.TANH, 0, 0, at, text) : null;
            case "exp" -> count == 0 ? new Op.Pointwise(PointwiseKind.EXP, 0, 0, at, text) : null;
            case "log" -> count == 0 ? new Op.Pointwise(PointwiseKind.LOG, 0, 0, at, text) : null;
            case "pow" -> count == 1 ? new Op.Pointwise(PointwiseKind.POW, numbers.get(0), 0, at, text) : null;
            case "sqrt" -> count == 0 ? new Op.Pointwise(PointwiseKind.SQRT, 0, 0, at, text) : null;
            case "abs" -> count == 0 ? new Op.Pointwise(PointwiseKind.ABS, 0, 0, at, text) : null;
            case "unaryMinus" -> count == 0 ? new Op.Pointwise(PointwiseKind.NEG, 0, 0, at, text) : null;
            case "clampMin" -> count == 1 ? new Op.Pointwise(PointwiseKind.CLAMP, numbers.get(0), Double.NaN, at, text)
                    : null;
            case "clampMax" -> count == 1 ? new Op.Pointwise(PointwiseKind.CLAMP, Double.NaN, numbers.get(0), at, text)
                    : null;
            case "clamp" -> count == 2
                    ? new Op.Pointwise(PointwiseKind.CLAMP, numbers.get(0), numbers.get(1), at, text) : null;
            case "plus" -> count == 1 ? new Op.Pointwise(PointwiseKind.ADD, numbers.get(0), 0, at, text) : null;
            case "minus" -> count == 1 ? new Op.Pointwise(PointwiseKind.ADD, -numbers.get(0), 0, at, text) : null;
            case "times" -> count == 1 ? new Op.Pointwise(PointwiseKind.MUL, numbers.get(0), 0, at, text) : null;
            case "div" -> count == 1 ? new Op.Pointwise(PointwiseKind.DIV, numbers.get(0), 0, at, text) : null;
            case "sum", "mean" -> count == 0 ? new Op.Reduce(m.name().equals("mean"), true, false, at, text)
                    : count == 1 && (numbers.get(0) == 1 || numbers.get(0) == -1)
                    ? new Op.Reduce(m.name().equals("mean"), false, numbers.get(0) == -1, at, text) : null;
            case "softmax", "logSoftmax" -> count == 1 && (numbers.get(0) == 1 || numbers.get(0) == -1)
                    ? new Op.Softmax(m.name().equals("logSoftmax"), numbers.get(0) == -1, at, text) : null;
            default -> null;
        };
        if (op == null) {
            notCompiled("Tensor." + m.name() + (count == 0 ? "" : " with these arguments"), at);
        }
        return op;
    }

    private Op function(Expr.StaticCall call, String text) {
        SourcePosition at = call.position();
        int count = call.arguments().size();
        List<Expr> extra = count > 1 ? call.arguments().subList(1, count) : List.of();
        Double number = extra.size() == 1 && extra.getFirst() instanceof Expr.Number n ? n.value() : null;
        Op op = null;
        if (call.owner().equals("F") && count >= 1) {
            op = switch (call.name()) {
                case "relu" -> count == 1 ? new Op.Pointwise(PointwiseKind.RELU, 0, 0, at, text) : null;
                case "sigmoid" -> count == 1 ? new Op.Pointwise(PointwiseKind.SIGMOID, 0, 0, at, text) : null;
                case "tanh" -> count == 1 ? new Op.Pointwise(PointwiseKind.TANH, 0, 0, at, text) : null;
                case "leakyRelu" -> number != null ? new Op.Pointwise(PointwiseKind.LEAKY_RELU, number, 0, at, text)
                        : count == 1 ? new Op.Pointwise(PointwiseKind.LEAKY_RELU, 0.01, 0, at, text) : null;
                case "softmax", "logSoftmax" -> number != null && (number == 1 || number == -1)
                        ? new Op.Softmax(call.name().equals("logSoftmax"), number == -1, at, text) : null;
                default -> null;
            };
        }
        if (op == null) {
            notCompiled(call.owner() + "." + call.name() + (count <= 1 ? "" : " with these arguments"), at);
        }
        return op;
    }

    // ---------------------------------------------------------------------------------------------
    // Text for the generated comments

    private static String text(Expr expr) {
        return switch (expr) {
            case Expr.Variable v -> v.name();
            case Expr.Number n -> format(n.value());
            case Expr.LayerCall call -> call.layer() + ".invoke(" + text(call.argument()) + ")";
            case Expr.TensorMethod m -> text(m.receiver()) + "." + m.name() + "("
                    + String.join(", ", m.arguments().stream().map(Lowering::text).toList()) + ")";
            case Expr.StaticCall call -> call.owner() + "." + call.name() + "("
                    + String.join(", ", call.arguments().stream().map(Lowering::text).toList()) + ")";
            case Expr.Unsupported u -> u.description();
        };
    }

    private static String format(double value) {
        return value == Math.rint(value) && Math.abs(value) < 1e15 ? Long.toString((long) value) : Double.toString(value);
    }
}
