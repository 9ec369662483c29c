package dev.kiln.processor.write;

import com.palantir.javapoet.ArrayTypeName;
import com.palantir.javapoet.ClassName;
import com.palantir.javapoet.CodeBlock;
import com.palantir.javapoet.MethodSpec;
import com.palantir.javapoet.TypeName;
import dev.kiln.processor.ir.ModelGraph;
import dev.kiln.processor.ir.Op;
import dev.kiln.processor.ir.PointwiseKind;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import javax.lang.model.element.Modifier;

/**
 * Writes {@code forwardCuda} and {@code backwardCuda}: the model's chain on a CUDA device, one
 * operation at a time, through {@code dev.kiln.compiled.CudaCompiled}: cuBLAS for the products
 * (transposes passed as flags), the backend's kernels for the bias, the elementwise functions, a
 * row softmax and the reductions, and for their derivatives. Every value lives in its own device
 * buffer of the forward's scope, which the tape node frees after its backward.
 *
 * <p>Only models whose every operation has a device kernel get these methods ({@link #unsupported});
 * the others run their eager forward on a device, operation by operation, which is decided here, at
 * {@code javac} time, and said in the generated class's javadoc.
 */
final class CudaWriter {
    static final ClassName CUDA = ClassName.get("dev.kiln.compiled", "CudaCompiled");
    private static final ClassName BUFFER = ClassName.get("dev.kiln.device.cuda", "DeviceBuffer");

    private final KilnWriter w;
    private final ModelGraph graph;

    CudaWriter(KilnWriter writer) {
        this.w = writer;
        this.graph = writer.graph;
    }

    /**
     * The first operation of {@code graph} without a device kernel, if any: leaky ReLU, dropout (its
     * mask is drawn on the CPU), and arithmetic between two computed values and the second branches
     * that feed it.
     */
    static Optional<Op> unsupported(ModelGraph graph) {
        return graph.ops().stream().filter(op -> switch (op) {
            case Op.Pointwise p -> p.kind() == PointwiseKind.LEAKY_RELU;
            case Op.Dropout d -> true;
            case Op.Binary b -> true;
            case Op.Branch b -> true;
            case Op.Linear l -> false;
            case Op.Softmax s -> false;
            case Op.Reduce r -> false;
        }).findFirst();
    }

    /** The number of elements of value {@code v} as an expression. */
    private CodeBlock count(int v) {
        if (v == w.last && graph.ops().getLast() instanceof Op.Reduce r) {
            return CodeBlock.of(r.all() ? "1" : "n");
        }
        return CodeBlock.of("n * $N", w.features(v));
    }

    /** The values the backward reads besides the input, which it reads from the saved {@code x}. */
    private List<Integer> passedValues() {
        return w.backward.saved().stream().filter(v -> v > 0).toList();
    }

    // ---------------------------------------------------------------------------------------------
    // Forward

    MethodSpec forward() {
        MethodSpec.Builder m = MethodSpec.methodBuilder("forwardCuda").addModifiers(Modifier.PRIVATE)
                .addJavadoc("{@link #forward} on the CUDA device of the input and parameters, in their element type:\n"
                        + "each value in a device buffer, each operation a cuBLAS GEMM or a kernel launch.\n")
                .returns(KilnWriter.TENSOR).addParameter(KilnWriter.TENSOR, "x").addParameter(w.layersType(), "layers");
        w.forwardPrologue(m);
        m.addStatement("$T[] inputs = {$L}", KilnWriter.TENSOR, CodeBlock.join(w.inputTensors(false), ", "));
        m.addStatement("boolean recording = $T.isRecording(inputs)", KilnWriter.GRAPH);
        m.addStatement("$T cuda = $T.open(x)", CUDA, CUDA);
        m.addStatement("$T $N = cuda.read(x)", BUFFER, w.value(0));
        for (int k = 0; k < graph.ops().size(); k++) {
            if (graph.ops().get(k) instanceof Op.Linear linear) {
                m.addStatement("$T $N = cuda.read($N)", BUFFER, w.names.get("weightData" + k), w.weight(k));
                if (linear.bias()) {
                    m.addStatement("$T $N = cuda.read($N)", BUFFER, w.names.get("biasData" + k), w.names.get("bias" + k));
                }
            }
        }
        for (int k = 0; k < graph.ops().size(); k++) {
            Op op = graph.ops().get(k);
            m.addCode(KilnWriter.line(op));
            m.addStatement("$T $N = cuda.allocate($L)", BUFFER, w.value(k + 1), count(k + 1));
            m.addCode(forward(op, k));
        }
        m.addStatement("$T output = cuda.wrap($L)", KilnWriter.TENSOR, w.wrapArguments(w.value(w.last)));
        m.beginControlFlow("if (!recording)")
                .addStatement("cuda.release()")
                .addStatement("return output")
                .endControlFlow();
        m.addComment("the node frees the forward's buffers once its backward ran without retaining the graph");
        m.addStatement("return $T.record($S, output, inputs, new $T[] {$L},\n$>$>(gradOutput, ctx) -> backwardCuda(gradOutput, ctx, $L),\ncuda::release)$<$<",
                KilnWriter.GRAPH, w.nodeName, KilnWriter.TENSOR, CodeBlock.join(w.savedTensors(), ", "),
                String.join(", ", backwardArguments()));
        return m.build();
    }

    /** Operation {@code k}: value {@code k} into the buffer of value {@code k + 1}. */
    private CodeBlock forward(Op op, int k) {
        String in = w.value(k), out = w.value(k + 1), f = w.features(k);
        return switch (op) {
            case Op.Linear linear -> {
                String features = w.features(k + 1), weight = w.names.get("weightData" + k);
                boolean rows = linear.weight().outputsAreRows();
                CodeBlock.Builder code = CodeBlock.builder()
                        .add("// $L\n", rows ? "input W^T: the weight (out, in) read transposed" : "input W")
                        .addStatement("cuda.gemm(false, $L, n, $N, $N, $N, $N, $N)", rows, features, f, in, weight, out);
                if (linear.bias()) {
                    code.addStatement("cuda.addBias($N, $N, n, $N)", out, w.names.get("biasData" + k), features);
                }
                yield code.build();
            }
            case Op.Pointwise p -> pointwise(p, in, out, CodeBlock.of("n * $N", f));
            case Op.Softmax s -> CodeBlock.builder()
                    .addStatement("cuda.$L($N, $N, n, $N)", s.log() ? "logSoftmax" : "softmax", in, out, f).build();
            case Op.Reduce r -> r.all()
                    ? CodeBlock.builder().addStatement("cuda.sum($N, $N, n * $N, $L)", in, out, f, r.mean()).build()
                    : CodeBlock.builder().addStatement("cuda.sumRows($N, $N, n, $N, $L)", in, out, f, r.mean()).build();
            case Op.Dropout d -> throw new IllegalStateException("no device kernel: " + d.source());
            case Op.Binary b -> throw new IllegalStateException("no device kernel: " + b.source());
            case Op.Branch b -> throw new IllegalStateException("no device variant: " + b.source());
        };
    }

    private static CodeBlock pointwise(Op.Pointwise p, String in, String out, CodeBlock n) {
        String a = literal(p.a());
        return switch (p.kind()) {
            case RELU, SIGMOID, TANH, EXP, LOG, SQRT, ABS, NEG ->
                    CodeBlock.builder().addStatement("cuda.$L($N, $N, $L)", method(p.kind()), in, out, n).build();
            case ADD, MUL, DIV, POW ->
                    CodeBlock.builder().addStatement("cuda.$L($N, $L, $N, $L)", method(p.kind()), in, a, out, n).build();
            case CLAMP -> CodeBlock.builder()
                    .addStatement("cuda.clamp($N, $N, $L, $L, $L)", in, out, a, literal(p.b()), n).build();
            case LEAKY_RELU -> throw new IllegalStateException("no device kernel: " + p.source());
        };
    }

    /** The {@code CudaCompiled} method of an elementwise function. */
    private static String method(PointwiseKind kind) {
        return kind.name().toLowerCase(java.util.Locale.ROOT);
    }

    /** A double literal; NaN (an absent clamp bound) as {@code Double.NaN}. */
    private static String literal(double value) {
        return Double.isNaN(value) ? "Double.NaN" : Formulas.literal(value);
    }

    // ---------------------------------------------------------------------------------------------
    // Backward

    private List<String> backwardArguments() {
        List<String> out = new ArrayList<>(List.of("cuda", "n", w.names.get("features0")));
        for (int k = 0; k < graph.ops().size(); k++) {
            if (graph.ops().get(k) instanceof Op.Linear) {
                out.add(w.names.get("features" + (k + 1)));
            }
        }
        for (int v : passedValues()) {
            out.add(w.value(v));
        }
        return out;
    }

    MethodSpec backward() {
        MethodSpec.Builder m = MethodSpec.methodBuilder("backwardCuda").addModifiers(Modifier.PRIVATE)
                .addJavadoc("The derivative of the node {@link #forwardCuda} records, on the device: one gradient per"
                        + " input.\n")
                .returns(ArrayTypeName.of(KilnWriter.TENSOR))
                .addParameter(KilnWriter.TENSOR, "gradOutput").addParameter(KilnWriter.SAVED, "ctx")
                .addParameter(CUDA, "cuda").addParameter(TypeName.INT, "n")
                .addParameter(TypeName.INT, w.names.get("features0"));
        for (int k = 0; k < graph.ops().size(); k++) {
            if (graph.ops().get(k) instanceof Op.Linear) {
                m.addParameter(TypeName.INT, w.names.get("features" + (k + 1)));
            }
        }
        for (int v : passedValues()) {
            m.addParameter(BUFFER, w.value(v));
        }
        m.addComment("reading the saved tensors checks that they were not modified in place since the forward");
        m.addStatement("$T x = ctx.saved(0)", KilnWriter.TENSOR);
        m.addComment("gradients and copies live in a scratch scope, freed on the way out");
        m.addStatement("$T scratch = cuda.scratch()", CUDA);
        m.beginControlFlow("try");
        if (w.backward.saved().contains(0)) {
            m.addStatement("$T $N = scratch.read(x)", BUFFER, w.value(0));
        }
        int savedIndex = 1;
        for (int k : w.weightIndex.keySet()) {
            m.addStatement("$T $N = scratch.read(ctx.saved($L))", BUFFER, w.names.get("weightData" + k), savedIndex++);
        }
        if (w.backward.saved().contains(w.last)) {
            m.addStatement("ctx.saved($L)", savedIndex);
        }
        m.addStatement("$T[] grads = new $T[$L]", KilnWriter.TENSOR, KilnWriter.TENSOR,
                w.weightIndex.size() + w.biasIndex.size() + 1);
        m.addStatement("$T $N = scratch.read(gradOutput)", BUFFER, w.names.get("gradOut"));
        for (int k = graph.ops().size() - 1; k >= 0; k--) {
            Op op = graph.ops().get(k);
            String g = k + 1 == w.last ? w.names.get("gradOut") : w.grad(k + 1);
            m.addCode(KilnWriter.line(op));
            if (op instanceof Op.Linear linear) {
                parameterGradients(m, linear, k, g);
            }
            CodeBlock gradient = backward(op, k, g, k == 0 ? w.grad(0) : w.grad(k));
            if (k == 0) {
                m.beginControlFlow("if (ctx.needsGrad(0))")
                        .addStatement("$T $N = scratch.allocate($L)", BUFFER, w.grad(0), count(0))
                        .addCode(gradient)
                        .addStatement("grads[0] = scratch.wrap($N, x.shape().toArray())", w.grad(0))
                        .endControlFlow();
            } else {
                // which gradients are wanted changes only past a product's parameters
                if (k == graph.ops().size() - 1 || op instanceof Op.Linear) {
                    m.beginControlFlow("if (!($L))", w.earlierNeedGrad(k))
                            .addComment("nothing before this operation needs a gradient")
                            .addStatement("return grads")
                            .endControlFlow();
                }
                m.addStatement("$T $N = scratch.allocate($L)", BUFFER, w.grad(k), count(k));
                m.addCode(gradient);
            }
        }
        m.addStatement("return grads");
        m.nextControlFlow("finally").addStatement("scratch.release()").endControlFlow();
        return m.build();
    }

    /** The weight's and the bias's gradients of product {@code k} from the gradient {@code g} of its output. */
    private void parameterGradients(MethodSpec.Builder m, Op.Linear linear, int k, String g) {
        String in = w.features(k), out = w.features(k + 1);
        boolean rows = linear.weight().outputsAreRows();
        int weight = w.weightIndex.get(k);
        m.beginControlFlow("if (ctx.needsGrad($L))", weight)
                .addComment(rows ? "dW = g^T input" : "dW = input^T g")
                .addStatement("$T dW = scratch.allocate($N * $N)", BUFFER, out, in);
        if (rows) {
            m.addStatement("scratch.gemm(true, false, $N, $N, n, $N, $N, dW)", out, in, g, w.value(k));
        } else {
            m.addStatement("scratch.gemm(true, false, $N, $N, n, $N, $N, dW)", in, out, w.value(k), g);
        }
        m.addStatement("grads[$L] = scratch.wrap(dW, $N, $N)", weight, rows ? out : in, rows ? in : out)
                .endControlFlow();
        if (linear.bias()) {
            int bias = w.biasIndex.get(k);
            m.beginControlFlow("if (ctx.needsGrad($L))", bias)
                    .addComment("db = column sums of g")
                    .addStatement("$T db = scratch.allocate($N)", BUFFER, out)
                    .addStatement("scratch.sumColumns($N, db, n, $N)", g, out)
                    .addStatement("grads[$L] = scratch.wrap(db, $N)", bias, out)
                    .endControlFlow();
        }
    }

    /** The gradient of operation {@code k}'s input, into {@code target}, from the gradient {@code g} of its output. */
    private CodeBlock backward(Op op, int k, String g, String target) {
        String in = w.value(k), out = w.value(k + 1), f = w.features(k);
        CodeBlock n = CodeBlock.of("n * $N", f);
        return switch (op) {
            case Op.Linear linear -> {
                boolean rows = linear.weight().outputsAreRows();
                yield CodeBlock.builder()
                        .add("// $L\n", rows ? "the gradient of the input = g W" : "the gradient of the input = g W^T")
                        .addStatement("scratch.gemm(false, $L, n, $N, $N, $N, $N, $N)", !rows, f, w.features(k + 1), g,
                                w.names.get("weightData" + k), target)
                        .build();
            }
            case Op.Pointwise p -> pointwiseBackward(p, in, out, g, target, n);
            case Op.Softmax s -> CodeBlock.builder().addStatement("scratch.$L($N, $N, $N, n, $N)",
                    s.log() ? "logSoftmaxBackward" : "softmaxBackward", out, g, target, f).build();
            case Op.Reduce r -> r.all()
                    ? CodeBlock.builder().addStatement("scratch.sumBackward($N, $N, $L, $L)", g, target, n, r.mean()).build()
                    : CodeBlock.builder().addStatement("scratch.sumRowsBackward($N, $N, n, $N, $L)", g, target, f,
                            r.mean()).build();
            case Op.Dropout d -> throw new IllegalStateException("no device kernel: " + d.source());
            case Op.Binary b -> throw new IllegalStateException("no device kernel: " + b.source());
            case Op.Branch b -> throw new IllegalStateException("no device variant: " + b.source());
        };
    }

    /** An elementwise function's derivative, from its saved input {@code a} or output {@code y}. */
    private static CodeBlock pointwiseBackward(Op.Pointwise p, String a, String y, String g, String target, CodeBlock n) {
        String c = literal(p.a());
        CodeBlock.Builder code = CodeBlock.builder();
        return switch (p.kind()) {
            case RELU, SIGMOID, TANH, EXP, SQRT ->
                    code.addStatement("scratch.$LBackward($N, $N, $N, $L)", method(p.kind()), y, g, target, n).build();
            case LOG, ABS -> code.addStatement("scratch.$LBackward($N, $N, $N, $L)", method(p.kind()), a, g, target, n)
                    .build();
            case NEG -> code.addStatement("scratch.neg($N, $N, $L)", g, target, n).build();
            case ADD -> code.add("// adding a constant passes the gradient on unchanged\n")
                    .addStatement("scratch.copy($N, $N, $L)", g, target, n).build();
            case MUL, DIV -> code.addStatement("scratch.$L($N, $L, $N, $L)", method(p.kind()), g, c, target, n).build();
            case POW -> code.addStatement("scratch.powBackward($N, $L, $N, $N, $L)", a, c, g, target, n).build();
            case CLAMP -> code.addStatement("scratch.clampBackward($N, $N, $N, $L, $L, $L)", a, g, target, c,
                    literal(p.b()), n).build();
            case LEAKY_RELU -> throw new IllegalStateException("no device kernel: " + p.source());
        };
    }
}
