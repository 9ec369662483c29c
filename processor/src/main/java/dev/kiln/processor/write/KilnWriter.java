package dev.kiln.processor.write;

import com.palantir.javapoet.AnnotationSpec;
import com.palantir.javapoet.ArrayTypeName;
import com.palantir.javapoet.ClassName;
import com.palantir.javapoet.CodeBlock;
import com.palantir.javapoet.FieldSpec;
import com.palantir.javapoet.JavaFile;
import com.palantir.javapoet.MethodSpec;
import com.palantir.javapoet.NameAllocator;
import com.palantir.javapoet.ParameterSpec;
import com.palantir.javapoet.TypeName;
import com.palantir.javapoet.TypeSpec;
import dev.kiln.processor.autodiff.Backward;
import dev.kiln.processor.fuse.Fusion;
import dev.kiln.processor.ir.ModelGraph;
import dev.kiln.processor.ir.Op;
import dev.kiln.processor.ir.PointwiseKind;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.lang.model.element.Modifier;

/**
 * Writes {@code <Model>Kiln}: the model's constructors, a {@code forward} that runs the fused plan
 * in float32 or float64 loops and records one tape node, the backward that node runs, the training
 * step, and, through {@link CudaWriter}, the same forward and backward on a CUDA device.
 */
public final class KilnWriter {
    static final String PROCESSOR = "dev.kiln.processor.ModelProcessor";

    static final ClassName TENSOR = ClassName.get("dev.kiln", "Tensor");
    private static final ClassName PARAMETER = ClassName.get("dev.kiln", "Parameter");
    static final ClassName GRAPH = ClassName.get("dev.kiln.autograd", "Graph");
    static final ClassName SAVED = GRAPH.nestedClass("Saved");
    private static final ClassName GEMM = ClassName.get("dev.kiln.kernels", "Gemm");
    private static final ClassName UNARY_FUNCTION = ClassName.get("dev.kiln.kernels", "UnaryFunction");
    private static final ClassName LINEAR = ClassName.get("dev.kiln.nn", "Linear");
    private static final ClassName DROPOUT = ClassName.get("dev.kiln.nn", "Dropout");
    static final ClassName DTYPE = ClassName.get("dev.kiln", "DType");
    private static final ClassName ARRAYS = ClassName.get("java.util", "Arrays");
    static final ClassName COMPILED = ClassName.get("dev.kiln.compiled", "Compiled");
    private static final ClassName POOL = ClassName.get("dev.kiln.compiled", "ActivationPool");
    private static final ClassName LEASE = POOL.nestedClass("Lease");
    private static final ClassName FUSED_STEP = ClassName.get("dev.kiln.compiled", "FusedStep");
    private static final ClassName LOSS_GRADIENT = ClassName.get("dev.kiln.compiled", "LossGradient");
    private static final ClassName GENERATED = ClassName.get("javax.annotation.processing", "Generated");
    private static final TypeName BOOLEANS = ArrayTypeName.of(TypeName.BOOLEAN);

    final ModelGraph graph;
    final Backward backward;
    private final Fusion fusion;
    private final List<Constructor> constructors;
    private final ClassName model;
    private final ClassName kiln;
    final String nodeName;
    final int last;

    /** Names of the forward's locals; the backward method uses the same names for its parameters. */
    final NameAllocator names = new NameAllocator();
    /** The layers record's components, by dotted path. */
    final Map<String, String> layerNames = new LinkedHashMap<>();
    private final Map<String, ClassName> layerTypes = new LinkedHashMap<>();
    /** The inputs of the tape node after x: per Linear operation, its weight and bias indices. */
    final Map<Integer, Integer> weightIndex = new LinkedHashMap<>();
    final Map<Integer, Integer> biasIndex = new LinkedHashMap<>();
    /** Per product operation, the local holding its weight tensor. */
    private final Map<Integer, String> weightLocals = new LinkedHashMap<>();
    private final List<String> inputs = new ArrayList<>();

    private KilnWriter(ModelGraph graph, Backward backward, Fusion fusion, List<Constructor> constructors) {
        this.graph = graph;
        this.backward = backward;
        this.fusion = fusion;
        this.constructors = constructors;
        this.model = ClassName.get(graph.packageName(), graph.className());
        this.kiln = ClassName.get(graph.packageName(), graph.className() + "Kiln");
        this.nodeName = graph.className() + "KilnBackward";
        this.last = graph.ops().size();
    }

    /** The generated source for {@code graph}. */
    public static JavaFile write(ModelGraph graph, Backward backward, Fusion fusion, List<Constructor> constructors) {
        return new KilnWriter(graph, backward, fusion, constructors).file();
    }

    private JavaFile file() {
        allocateNames();
        TypeSpec.Builder type = TypeSpec.classBuilder(kiln)
                .addModifiers(Modifier.PUBLIC, Modifier.FINAL)
                .superclass(model)
                .addAnnotation(AnnotationSpec.builder(GENERATED).addMember("value", "$S", PROCESSOR).build())
                .addJavadoc(javadoc())
                .addField(FieldSpec.builder(POOL, "activations", Modifier.PRIVATE, Modifier.FINAL)
                        .addJavadoc("Saved activations; see the class comment.\n")
                        .initializer("new $T()", POOL).build())
                .addField(FieldSpec.builder(POOL, "gradients", Modifier.PRIVATE, Modifier.FINAL)
                        .addJavadoc("Gradient buffers of the backward, reused across calls.\n")
                        .initializer("new $T()", POOL).build())
                .addField(FieldSpec.builder(layersType(), "layers", Modifier.PRIVATE)
                        .addJavadoc("The layers the forward reads, found on first use.\n").build());
        for (Constructor c : constructors) {
            type.addMethod(constructor(c));
        }
        type.addType(layersRecord());
        type.addMethod(layersMethod());
        type.addMethod(forward());
        for (Precision t : Precision.values()) {
            type.addMethod(forward(t));
            type.addMethod(backwardMethod(t));
        }
        if (CudaWriter.unsupported(graph).isEmpty()) {
            CudaWriter cuda = new CudaWriter(this);
            type.addMethod(cuda.forward());
            type.addMethod(cuda.backward());
        }
        if (fusesTrainingStep()) {
            type.addSuperinterface(FUSED_STEP);
            type.addMethod(trainingStep());
            for (Precision t : Precision.values()) {
                type.addMethod(trainingStep(t));
            }
        }
        return JavaFile.builder(graph.packageName(), type.build()).skipJavaLangImports(true).indent("    ").build();
    }

    private CodeBlock javadoc() {
        CodeBlock.Builder doc = CodeBlock.builder()
                .add("The compiled form of {@link $T}, generated by the Kiln processor from its {@code forward}.\n",
                        model)
                .add("\n<p>{@link #forward} runs GEMMs through {@link $T}, then the bias and the elementwise operations\n", GEMM)
                .add("after each (vectorised kernels for the bias and transcendental activations, other runs fused\n")
                .add("into one loop), in float32 or float64 as the input and parameters are, and\n")
                .add("records one tape node, {@code $L}, whose backward writes the gradients of the\n", nodeName)
                .add("input and of every parameter the forward used. The parameters are the model's own, so\n")
                .add("optimizers and state dicts work unchanged. Inputs and parameters of other or mixed element\n")
                .add("types run the eager {@code forward} of {@link $T}.\n", model)
                .add("\n<p>Buffers are fields, allocated for a batch size on first use and reused while it stays\n")
                .add("the same. A forward that records a node keeps its activation buffers until that node's\n")
                .add("backward ran: a later forward allocates fresh ones instead of overwriting what a pending\n")
                .add("backward still reads (and a retained graph whose buffers were reused fails with a clear\n")
                .add("message). Without grad mode or any input that requires grad, nothing is recorded.\n")
                .add("Dropout layers draw their masks from the default generator as the eager layers do, in\n")
                .add("training mode only. The last dimension of the input holds the features and the ones before\n")
                .add("it are rows, as for {@code Linear}.\n");
        java.util.Optional<Op> noKernel = CudaWriter.unsupported(graph);
        if (noKernel.isEmpty()) {
            doc.add("\n<p>When the input and every parameter are on one CUDA device, in float32 or float64, {@link #forward}\n")
                    .add("runs {@code forwardCuda} there: the products through cuBLAS (transposes passed as flags), the\n")
                    .add("bias, the elementwise functions, a row softmax and the reductions as kernel launches, each value\n")
                    .add("in a device buffer that the tape node frees once its backward ran without retaining the graph.\n")
                    .add("Tensors on different devices run the eager {@code forward}, which says so.\n");
        } else {
            doc.add("\n<p>On a CUDA device this model runs the eager {@code forward} of {@link $T}, operation by operation\n", model)
                    .add("on the device: {@code $L} (line $L) has no device kernel, so no device variant was generated.\n",
                            noKernel.get().source().replace('\n', ' '), noKernel.get().position().line());
        }
        if (fusesTrainingStep()) {
            doc.add("\n<p>{@link #trainingStep}, which {@code TrainingStep.of(model, loss, optimizer)} calls, runs the\n")
                    .add("same loops without a tape: the forward, the loss and its gradient in one pass, and the\n")
                    .add("backward writing each parameter's gradient into its {@code grad()}. On a CUDA device it takes\n")
                    .add("the eager step, through {@link #forward}.\n");
        }
        return doc.add("\n<p>An instance owns its buffers: use it from one thread at a time.\n").build();
    }

    // ---------------------------------------------------------------------------------------------
    // Names

    private void allocateNames() {
        for (String reserved : List.of("x", "n", "gradOutput", "ctx", "lease", "generation", "scratch", "grads", "type",
                "inputs", "output", "recording", "layers", "i", "r", "c", "row", "g", "dW", "db", "sums", "max", "sum",
                "logSum", "y", "loss", "value", "cuda", "parameters")) {
            names.newName(reserved, reserved);
        }
        for (int v = 0; v <= graph.ops().size(); v++) {
            for (String prefix : List.of("v", "a", "b", "y")) {
                names.newName(prefix + v, prefix + v);
            }
        }
        for (int k = 0; k < graph.ops().size(); k++) {
            if (graph.ops().get(k) instanceof Op.Linear linear) {
                String base = camel(linear.layer());
                names.newName(base + "Features", "features" + (k + 1));
                if (linear.weight() == Op.Linear.Weight.LAYER) {
                    layer(linear.layer(), LINEAR);
                    weightLocals.put(k, names.newName(base + "Weight", "weight" + k));
                } else {
                    // a Parameter field: the Layers record holds the tensor itself
                    layer(linear.layer(), PARAMETER);
                    weightLocals.put(k, layerNames.get(linear.layer()));
                }
                names.newName(base + "WeightData", "weightData" + k);
                weightIndex.put(k, inputs.size() + 1);
                inputs.add("weight" + k);
                if (linear.bias()) {
                    names.newName(base + "Bias", "bias" + k);
                    names.newName(base + "BiasData", "biasData" + k);
                    names.newName(base + "BiasGrad", "biasGrad" + k);
                    biasIndex.put(k, inputs.size() + 1);
                    inputs.add("bias" + k);
                }
            }
        }
        for (int k = 0; k < graph.ops().size(); k++) {
            if (graph.ops().get(k) instanceof Op.Dropout dropout) {
                layer(dropout.layer(), DROPOUT);
                String base = camel(dropout.layer());
                names.newName(base + "Keep", "keep" + k);
                names.newName(base + "Scale", "scale" + k);
            }
        }
        names.newName("input", "value0");
        names.newName("inFeatures", "features0");
        for (int v = 1; v <= last; v++) {
            names.newName(valueBase(v) + "Out", "value" + v);
            names.newName(valueBase(v) + "Grad", "grad" + v);
        }
        names.newName("inputGrad", "grad0");
        for (int v : sideValues()) {
            names.newName((v == 0 ? "input" : valueBase(v)) + "SideGrad", "side" + v);
        }
        names.newName("gradOut", "gradOut");
    }

    private void layer(String path, ClassName type) {
        if (!layerNames.containsKey(path)) {
            layerNames.put(path, names.newName(camel(path), "layer:" + path));
            layerTypes.put(path, type);
        }
    }

    private String valueBase(int v) {
        return switch (graph.ops().get(v - 1)) {
            case Op.Linear linear -> camel(linear.layer());
            case Op.Pointwise p -> camel(p.kind().name().toLowerCase(java.util.Locale.ROOT));
            case Op.Dropout d -> camel(d.layer());
            case Op.Binary b -> b.kind().name().toLowerCase(java.util.Locale.ROOT);
            case Op.Softmax s -> s.log() ? "logSoftmax" : "softmax";
            case Op.Reduce r -> r.mean() ? "mean" : "sum";
            case Op.Branch b -> "branch";
        };
    }

    private static String camel(String text) {
        StringBuilder out = new StringBuilder();
        boolean upper = false;
        for (char ch : text.toCharArray()) {
            if (ch == '.' || ch == '_') {
                upper = true;
            } else {
                out.append(upper ? Character.toUpperCase(ch) : ch);
                upper = false;
            }
        }
        return out.toString();
    }

    String value(int v) {
        return names.get("value" + v);
    }

    /** {@code mm} or {@code matmul}: the method a product with a parameter is written with. */
    private static String productMethod(Op.Linear op) {
        return op.source().lastIndexOf(".matmul(") > op.source().lastIndexOf(".mm(") ? "matmul" : "mm";
    }

    /** The local holding the weight tensor of product operation {@code k}. */
    String weight(int k) {
        return weightLocals.get(k);
    }

    String grad(int v) {
        return names.get("grad" + v);
    }

    /** The local holding the number of features of value {@code v}. */
    String features(int v) {
        for (int k = v - 1; k >= 0; k--) {
            if (graph.ops().get(k) instanceof Op.Linear) {
                return names.get("features" + (k + 1));
            }
            if (graph.ops().get(k) instanceof Op.Branch b) {
                return features(b.value());
            }
        }
        return names.get("features0");
    }

    static CodeBlock line(Op op) {
        return CodeBlock.of("// line $L: $L\n", op.position().line(), op.source().replace('\n', ' '));
    }

    // ---------------------------------------------------------------------------------------------
    // Members

    private MethodSpec constructor(Constructor c) {
        MethodSpec.Builder builder = MethodSpec.constructorBuilder().addModifiers(c.modifiers())
                .addParameters(c.parameters()).varargs(c.varargs()).addExceptions(c.exceptions());
        List<String> arguments = c.parameters().stream().map(ParameterSpec::name).toList();
        builder.addStatement("super($L)", String.join(", ", arguments));
        return builder.build();
    }

    ClassName layersType() {
        return kiln.nestedClass("Layers");
    }

    private TypeSpec layersRecord() {
        MethodSpec.Builder canonical = MethodSpec.constructorBuilder();
        MethodSpec.Builder ofLayers = MethodSpec.constructorBuilder();
        List<CodeBlock> arguments = new ArrayList<>();
        for (Map.Entry<String, String> e : layerNames.entrySet()) {
            canonical.addParameter(layerTypes.get(e.getKey()), e.getValue());
            ofLayers.addParameter(layerTypes.get(e.getKey()), e.getValue());
            arguments.add(CodeBlock.of("$N", e.getValue()));
        }
        canonical.addParameter(ArrayTypeName.of(TENSOR), "parameters");
        arguments.add(CodeBlock.of("new $T[] {$L}", TENSOR,
                CodeBlock.join(parameterTensors(layer -> CodeBlock.of("$N", layer)), ", ")));
        ofLayers.addStatement("this($L)", CodeBlock.join(arguments, ", "));
        return TypeSpec.recordBuilder("Layers").addModifiers(Modifier.PRIVATE)
                .addJavadoc("The model's layers and parameters the forward reads, by their paths in\n"
                        + "{@code namedModules()} and {@code namedParameters()}, and each weight and bias the\n"
                        + "forward reads, in order, for the element type check every call starts with.\n")
                .recordConstructor(canonical.build())
                .addMethod(ofLayers.build()).build();
    }

    private MethodSpec layersMethod() {
        CodeBlock.Builder args = CodeBlock.builder();
        boolean first = true;
        for (Map.Entry<String, String> e : layerNames.entrySet()) {
            args.add(first ? "\n" : ",\n");
            if (layerTypes.get(e.getKey()).equals(PARAMETER)) {
                args.add("$T.parameter(this, $S)", COMPILED, e.getKey());
            } else {
                args.add("$T.layer(this, $S, $T.class)", COMPILED, e.getKey(), layerTypes.get(e.getKey()));
            }
            first = false;
        }
        return MethodSpec.methodBuilder("layers").addModifiers(Modifier.PRIVATE).returns(layersType())
                .beginControlFlow("if (layers == null)")
                .addStatement("layers = new $T($>$>$L$<$<)", layersType(), args.build())
                .endControlFlow()
                .addStatement("return layers")
                .build();
    }

    // ---------------------------------------------------------------------------------------------
    // Forward

    /** The values held in pooled arrays: the stored ones but the input, the output and second branches' starts. */
    private List<Integer> leaseValues() {
        return fusion.stored().stream().filter(v -> v > 0 && v < last && !(graph.ops().get(v - 1) instanceof Op.Branch))
                .toList();
    }

    /**
     * The tensors the forward reads: x, then each weight and bias, as expressions over {@code layers}
     * or, when not {@code viaLayers}, the forward's locals.
     */
    List<CodeBlock> inputTensors(boolean viaLayers) {
        List<CodeBlock> tensors = new ArrayList<>();
        tensors.add(CodeBlock.of("x"));
        if (viaLayers) {
            tensors.addAll(parameterTensors(layer -> CodeBlock.of("layers.$N()", layer)));
            return tensors;
        }
        for (int k = 0; k < graph.ops().size(); k++) {
            if (graph.ops().get(k) instanceof Op.Linear linear) {
                tensors.add(CodeBlock.of("$N", weight(k)));
                if (linear.bias()) {
                    tensors.add(CodeBlock.of("$N", names.get("bias" + k)));
                }
            }
        }
        return tensors;
    }

    /** Each weight and bias the forward reads, in order, from the layers as {@code layer} names them. */
    private List<CodeBlock> parameterTensors(java.util.function.Function<String, CodeBlock> layer) {
        List<CodeBlock> tensors = new ArrayList<>();
        for (Op op : graph.ops()) {
            if (op instanceof Op.Linear linear) {
                CodeBlock owner = layer.apply(layerNames.get(linear.layer()));
                if (linear.weight() != Op.Linear.Weight.LAYER) {
                    tensors.add(owner);
                } else {
                    tensors.add(CodeBlock.of("$L.weight()", owner));
                    if (linear.bias()) {
                        tensors.add(CodeBlock.of("$T.bias($L)", COMPILED, owner));
                    }
                }
            }
        }
        return tensors;
    }

    /** The public forward: picks the loops for the element type of the input and the parameters. */
    private MethodSpec forward() {
        MethodSpec.Builder m = MethodSpec.methodBuilder("forward").addAnnotation(Override.class)
                .addModifiers(Modifier.PUBLIC).returns(TENSOR).addParameter(TENSOR, "x");
        dispatch(m, "forward", "x, layers", CodeBlock.of("super.forward(x)"));
        if (CudaWriter.unsupported(graph).isEmpty()) {
            m.beginControlFlow("if ($T.commonType($L) != null)", CudaWriter.CUDA, CodeBlock.join(inputTensors(true), ", "))
                    .addComment("all on one CUDA device")
                    .addStatement("return forwardCuda(x, layers)")
                    .endControlFlow();
        }
        m.addComment("other or mixed element types or devices: the eager forward promotes or fails as it does for any module");
        m.addStatement("return super.forward(x)");
        return m.build();
    }

    /**
     * Returns {@code method}{@code <Precision>}({@code arguments}) for the element type of the input and
     * the parameters, or {@code eager} for inputs the loops do not take.
     */
    private void dispatch(MethodSpec.Builder m, String method, String arguments, CodeBlock eager) {
        if (graph.reshapedFeatures() > 0) {
            m.beginControlFlow("if (x.dim() < 2 || $T.featuresAfterFirst(x) != $L)", COMPILED, graph.reshapedFeatures())
                    .addComment("reshape(-1, $L) is flatten(1) when the sizes after the first make $L: otherwise the eager"
                            + " forward", graph.reshapedFeatures(), graph.reshapedFeatures())
                    .addStatement("return $L", eager)
                    .endControlFlow();
        } else if (graph.flattensInput()) {
            m.beginControlFlow("if (x.dim() < 2)")
                    .addComment("flatten(1) needs a dimension after the batch: the eager forward says so")
                    .addStatement("return $L", eager)
                    .endControlFlow();
        }
        if (!graph.flattensInput() && graph.matrixInput()) {
            m.beginControlFlow("if (x.dim() != 2)")
                    .addComment("mm takes 2-d tensors: the eager forward says so")
                    .addStatement("return $L", eager)
                    .endControlFlow();
        } else if (!graph.flattensInput() && graph.ops().stream().anyMatch(
                op -> op instanceof Op.Softmax s && !s.lastDim() || op instanceof Op.Reduce r && !r.all() && !r.lastDim())) {
            m.beginControlFlow("if (x.dim() != 2)")
                    .addComment("dimension 1 is each row's features only for a 2-d input: the eager forward")
                    .addStatement("return $L", eager)
                    .endControlFlow();
        }
        m.addStatement("$T layers = layers()", layersType());
        m.addStatement("$T type = $T.commonType(x, layers.parameters())", DTYPE, COMPILED);
        for (Precision t : Precision.values()) {
            m.beginControlFlow("if (type == $T.$L)", DTYPE, t.dtype())
                    .addStatement("return $L$L($L)", method, t.suffix, arguments)
                    .endControlFlow();
        }
    }

    /**
     * Whether the class gets a tape-free training step: the model's output is a batch of rows a loss
     * reads (not a reduction), and each parameter is used once, so the backward may write each
     * gradient instead of adding to it.
     */
    private boolean fusesTrainingStep() {
        if (graph.ops().getLast() instanceof Op.Reduce) {
            return false;
        }
        java.util.Set<String> layers = new java.util.HashSet<>();
        return graph.ops().stream().filter(op -> op instanceof Op.Linear)
                .allMatch(op -> layers.add(((Op.Linear) op).layer()));
    }

    /** {@link FusedStep#trainingStep}: picks the loops for the element type, as {@link #forward()} does. */
    private MethodSpec trainingStep() {
        MethodSpec.Builder m = MethodSpec.methodBuilder("trainingStep").addAnnotation(Override.class)
                .addModifiers(Modifier.PUBLIC).returns(TypeName.DOUBLE)
                .addParameter(TENSOR, "x").addParameter(TENSOR, "y").addParameter(LOSS_GRADIENT, "loss");
        CodeBlock eager = CodeBlock.of("loss.eager(this, x, y)");
        dispatch(m, "trainingStep", "x, y, loss, layers", eager);
        m.addComment("other or mixed element types, or tensors on a CUDA device: the eager step");
        m.addStatement("return $L", eager);
        return m.build();
    }

    /**
     * The training step in loops over {@code t}'s arrays: the forward's loops, the loss's value and
     * gradient in one pass, then the backward's loops writing the parameters' gradients in place.
     */
    private MethodSpec trainingStep(Precision t) {
        MethodSpec.Builder m = MethodSpec.methodBuilder("trainingStep" + t.suffix).addModifiers(Modifier.PRIVATE)
                .addJavadoc("{@link #trainingStep} in $L loops, with no tape: the forward as in {@link #forward$L},\n"
                        + "the loss and its gradient in one pass, and the backward as in {@link #backward$L},\n"
                        + "writing each parameter's gradient into its {@code grad()}.\n", t.element, t.suffix, t.suffix)
                .returns(TypeName.DOUBLE).addParameter(TENSOR, "x").addParameter(TENSOR, "y")
                .addParameter(LOSS_GRADIENT, "loss").addParameter(layersType(), "layers");
        forwardLoops(m, t, Mode.STEP);
        backwardScratch(m, t, Mode.STEP);
        m.addComment("the loss and its gradient with respect to the output, in one pass");
        m.addStatement("double value = loss.apply($N, n, $N, y, $N)", value(last), features(last), names.get("gradOut"));
        backwardBlocks(m, t, Mode.STEP);
        m.addStatement("scratch.release()");
        m.addStatement("lease.release()");
        m.addStatement("return value");
        return m.build();
    }

    /** Whether code is emitted for the tape node's forward and backward or for the fused training step. */
    private enum Mode { NODE, STEP }

    /** The forward in loops over {@code t}'s arrays. */
    private MethodSpec forward(Precision t) {
        MethodSpec.Builder m = MethodSpec.methodBuilder("forward" + t.suffix).addModifiers(Modifier.PRIVATE)
                .addJavadoc("{@link #forward} in $L loops.\n", t.element)
                .returns(TENSOR).addParameter(TENSOR, "x").addParameter(layersType(), "layers");
        forwardLoops(m, t, Mode.NODE);
        m.addStatement("$T output = $T.wrap($L)", TENSOR, COMPILED, wrapArguments(value(last)));
        m.beginControlFlow("if (!recording)")
                .addStatement("lease.release()")
                .addStatement("return output")
                .endControlFlow();
        m.addStatement("int generation = lease.generation()");
        m.addStatement("return $T.record($S, output, inputs, new $T[] {$L},\n$>$>(gradOutput, ctx) -> backward$L(gradOutput, ctx, $L)$<$<)",
                GRAPH, nodeName, TENSOR, CodeBlock.join(savedTensors(), ", "), t.suffix, String.join(", ", backwardArguments()));
        return m.build();
    }

    /** The arguments that wrap the output's elements in {@code data} as a tensor of the output's shape. */
    CodeBlock wrapArguments(String data) {
        Op.Reduce reduce = graph.ops().getLast() instanceof Op.Reduce r ? r : null;
        if (reduce != null && reduce.all()) {
            return CodeBlock.of("$N", data);
        } else if (reduce != null) {
            return CodeBlock.of("$N, $L", data,
                    graph.flattensInput() ? CodeBlock.of("n") : CodeBlock.of("$T.shapeWithoutLast(x)", COMPILED));
        } else if (graph.flattensInput()) {
            return CodeBlock.of("$N, n, $N", data, features(last));
        }
        return CodeBlock.of("$N, $T.shapeWithLast(x, $N)", data, COMPILED, features(last));
    }

    /** The tensors the node saves: x, each weight, and the output when the backward reads it. */
    List<CodeBlock> savedTensors() {
        List<CodeBlock> saved = new ArrayList<>();
        saved.add(CodeBlock.of("x"));
        for (int k : weightIndex.keySet()) {
            saved.add(CodeBlock.of("$N", weight(k)));
        }
        if (backward.saved().contains(last)) {
            saved.add(CodeBlock.of("output"));
        }
        return saved;
    }

    /**
     * The forward's loops up to its output array: the layers and parameters as locals, the input and
     * size checks, the arrays, dropout masks and buffers, and each fused block.
     */
    private void forwardLoops(MethodSpec.Builder m, Precision t, Mode mode) {
        forwardPrologue(m);
        if (mode == Mode.NODE) {
            m.addStatement("$T[] inputs = {$L}", TENSOR, CodeBlock.join(inputTensors(false), ", "));
            m.addStatement("boolean recording = $T.isRecording(inputs)", GRAPH);
        } else {
            // the output's sizes: n rows of a flattened input, else the input's leading sizes
            m.beginControlFlow("if (!loss.accepts($T.$L, $L, $N, y))", DTYPE, t.dtype(),
                            graph.flattensInput() ? "n" : "x", features(last))
                    .addComment("a loss or target the fused gradient does not take: the eager step gives its result or message")
                    .addStatement("return loss.eager(this, x, y)")
                    .endControlFlow();
            if (t == Precision.FLOAT32 && featureRows()) {
                featureRowsStep(m);
            }
        }
        forwardBody(m, t, mode);
    }

    // ---------------------------------------------------------------------------------------------
    // The training step with one row per feature

    /**
     * Whether the float32 training step has a form with one row per feature: a chain of Linear layers
     * and activations whose derivative comes from their output, starting with a Linear layer, with no
     * arithmetic between values, dropout, softmax or reduction.
     */
    private boolean featureRows() {
        List<Fusion.Block> blocks = fusion.blocks();
        if (!sideValues().isEmpty() || !(blocks.getFirst() instanceof Fusion.Dense)) {
            return false;
        }
        for (Fusion.Block block : blocks) {
            boolean chained = switch (block) {
                case Fusion.Dense d -> d.pointwise().isEmpty();
                case Fusion.Vectorised v -> derivativeFromOutput(v);
                default -> false;
            };
            if (!chained || !(block.to() == last || fusion.stored().contains(block.to()))) {
                return false;
            }
        }
        return true;
    }

    /**
     * The training step with each value after the first layer stored features x n, one row per
     * feature, chosen at run time by {@code Compiled.featureRows}: in layers narrower than a vector
     * (a classifier's 13, 8 and 3 features) the batch then fills the GEMMs' vectors, the loss's
     * and the activations' passes. The first layer's GEMM runs on the row-major input; its output
     * is transposed once, after its bias and activation. Ends with the step's {@code return}.
     */
    private void featureRowsStep(MethodSpec.Builder m) {
        Precision t = Precision.FLOAT32;
        List<Fusion.Block> blocks = fusion.blocks();
        List<CodeBlock> widths = new ArrayList<>();
        for (int v = 0; v <= last; v++) {
            if (v == 0 || graph.ops().get(v - 1) instanceof Op.Linear) {
                widths.add(CodeBlock.of("$N", features(v)));
            }
        }
        m.beginControlFlow("if ($T.featureRows(n, $L))", COMPILED, CodeBlock.join(widths, ", "));
        m.addComment("one row per feature: each value after the first layer is stored features x n");
        parameterArrays(m, t);
        valueBuffers(m, t, Mode.STEP);
        for (int b = 0; b < blocks.size(); b++) {
            Fusion.Block next = b + 1 < blocks.size() ? blocks.get(b + 1) : null;
            switch (blocks.get(b)) {
                case Fusion.Dense d when d.from() == 0 && next instanceof Fusion.Vectorised v && v.from() == d.to() -> {
                    firstLayerTransposed(m, d, v);
                    b++;
                }
                case Fusion.Dense d -> {
                    Fusion.Vectorised v = next instanceof Fusion.Vectorised act && act.from() == d.to()
                            && d.linear().bias() ? act : null;
                    featureRowsDense(m, d, v);
                    if (v != null) {
                        b++;
                    }
                }
                case Fusion.Vectorised v -> vectorised(m, v);
                default -> throw new IllegalStateException("no feature-row form for " + blocks.get(b));
            }
        }
        backwardScratch(m, t, Mode.STEP);
        m.addComment("the loss and its gradient with respect to the output, stored one row per feature");
        m.addStatement("double value = loss.applyTransposed($N, n, $N, y, $N)", value(last), features(last),
                names.get("gradOut"));
        for (int b = blocks.size() - 1; b >= 0; b--) {
            Fusion.Block block = blocks.get(b);
            String source = block.to() == last ? names.get("gradOut") : grad(block.to());
            switch (block) {
                case Fusion.Dense d -> featureRowsDenseBackward(m, d, source);
                case Fusion.Vectorised v -> {
                    m.addCode(line(v.function()));
                    m.addComment("the derivative, from the output, folded in (the layout does not matter to it)");
                    m.addStatement("$T.unaryBackward($T.$L, $N, $N, $N, n * $N)", COMPILED, UNARY_FUNCTION,
                            v.function().kind().unaryFunction(), value(v.to()), source, grad(v.from()),
                            features(v.from()));
                }
                default -> throw new IllegalStateException("no feature-row form for " + block);
            }
        }
        m.addStatement("scratch.release()");
        m.addStatement("lease.release()");
        m.addStatement("return value");
        m.endControlFlow();
    }

    /**
     * The first layer and its activation: the GEMM on the row-major input as in the other step, then
     * its bias and activation in one pass that stores the result one row per feature.
     */
    private void firstLayerTransposed(MethodSpec.Builder m, Fusion.Dense d, Fusion.Vectorised v) {
        String rowMajor = value(d.to());
        m.addCode(line(d.linear()));
        gemm(m, d, rowMajor);
        m.addCode(line(v.function()));
        m.addComment("$L, then stored one row per feature, in one pass",
                d.linear().bias() ? "bias and activation" : "the activation");
        m.addStatement("$T.biasActivationTransposed($T.$L, $N, $L, $N, n, $N)", COMPILED, UNARY_FUNCTION,
                v.function().kind().unaryFunction(), rowMajor,
                d.linear().bias() ? CodeBlock.of("$N", names.get("biasData" + d.from())) : CodeBlock.of("null"),
                value(v.to()), features(d.to()));
    }

    /**
     * A Linear layer's output, one row per feature: {@code W input} with the input stored one row per
     * feature, or {@code W x^T} straight from the row-major input (the GEMM's packing transposes it);
     * then its bias, with activation v when v is not null.
     */
    private void featureRowsDense(MethodSpec.Builder m, Fusion.Dense d, Fusion.Vectorised v) {
        int s = d.from();
        String in = features(s), out = features(s + 1);
        boolean rows = d.linear().weight().outputsAreRows();
        m.addCode(line(d.linear()));
        // W as (out, in): stored (out, in) for a layer, or (in, out) for a product with a parameter
        m.addStatement("$T.gemm($N, n, $N, $N, 0, $L, $L, $N, 0, $L, $L, $N, 0)", GEMM, out, in,
                names.get("weightData" + s), rows ? in : "1", rows ? "1" : out, value(s),
                s == 0 ? "1" : "n", s == 0 ? in : "1", value(s + 1));
        if (v != null) {
            m.addCode(line(v.function()));
            m.addComment("bias and activation, one vectorised pass");
            m.addStatement("$T.featureBiasActivation($T.$L, $N, $N, $N, $N, n)", COMPILED, UNARY_FUNCTION,
                    v.function().kind().unaryFunction(), value(s + 1), names.get("biasData" + s), value(v.to()), out);
        } else if (d.linear().bias()) {
            m.addComment("bias, a vectorised pass");
            m.addStatement("$T.addFeatureBias($N, $N, $N, n)", COMPILED, value(s + 1), names.get("biasData" + s), out);
        }
    }

    /**
     * A Linear layer's backward from its output's gradient g, one row per feature: {@code dW = g input^T}
     * (the first layer's input row-major), the bias's gradient as the sums of g's rows, and the
     * input's gradient {@code W^T g}.
     */
    private void featureRowsDenseBackward(MethodSpec.Builder m, Fusion.Dense d, String g) {
        int s = d.from();
        String in = features(s), out = features(s + 1);
        boolean rows = d.linear().weight().outputsAreRows();
        String weight = weight(s);
        // the input as (in, n): stored so after the first layer, the row-major input read transposed
        String inRs = s == 0 ? "1" : "n", inCs = s == 0 ? in : "1";
        m.addCode(line(d.linear()));
        m.beginControlFlow("if ($N.requiresGrad())", weight).addComment(rows ? "dW = g input^T" : "dW = input g^T");
        m.addStatement("float[] dW = $T.gradFloats($N)", COMPILED, weight);
        if (rows) {
            m.addStatement("$T.gemm($N, $N, n, $N, 0, n, 1, $N, 0, $L, $L, dW, 0)", GEMM, out, in, g, value(s), inCs,
                    inRs);
        } else {
            m.addStatement("$T.gemm($N, $N, n, $N, 0, $L, $L, $N, 0, 1, n, dW, 0)", GEMM, in, out, value(s), inRs, inCs,
                    g);
        }
        m.endControlFlow();
        if (d.linear().bias()) {
            String bias = names.get("bias" + s);
            m.beginControlFlow("if ($N.requiresGrad())", bias).addComment("db = the sums of g's rows");
            m.addStatement("$T.featureSums($N, $N, n, $T.gradFloats($N))", COMPILED, g, out, COMPILED, bias);
            m.endControlFlow();
        }
        if (s > 0) {
            m.addComment("the gradient of the layer's input = W^T g");
            m.addStatement("$T.gemm($N, n, $N, $N, 0, $L, $L, $N, 0, n, 1, $N, 0)", GEMM, in, out,
                    names.get("weightData" + s), rows ? "1" : out, rows ? in : "1", g, grad(s));
        }
    }

    /**
     * What every forward starts with, on the CPU or a device: the layers and parameters as locals,
     * and the input and size checks that give the eager messages.
     */
    void forwardPrologue(MethodSpec.Builder m) {
        for (Map.Entry<String, String> e : layerNames.entrySet()) {
            m.addStatement("$T $N = layers.$N()", layerTypes.get(e.getKey()), e.getValue(), e.getValue());
        }
        for (int k = 0; k < graph.ops().size(); k++) {
            if (graph.ops().get(k) instanceof Op.Linear linear && linear.weight() == Op.Linear.Weight.LAYER) {
                String layer = layerNames.get(linear.layer());
                m.addStatement("$T $N = $N.weight()", PARAMETER, weight(k), layer);
                if (linear.bias()) {
                    m.addStatement("$T $N = $T.bias($N)", PARAMETER, names.get("bias" + k), COMPILED, layer);
                }
            }
        }
        Op first = graph.ops().getFirst();
        boolean inputChecked = first instanceof Op.Linear l && l.weight() == Op.Linear.Weight.LAYER
                && !graph.flattensInput();
        if (graph.flattensInput()) {
            m.addComment("flattened: the first dimension holds the rows, the others the features");
            m.addStatement("int n = x.size(0)");
            m.addStatement("int $N = $T.featuresAfterFirst(x)", names.get("features0"), COMPILED);
        } else {
            if (inputChecked) {
                m.addStatement("$T.checkInput($N, x)", COMPILED, layerNames.get(((Op.Linear) first).layer()));
            } else {
                m.addStatement("$T.checkInput(x)", COMPILED);
            }
            m.addComment("leading dimensions are rows: a (batch, seq, features) input is (batch * seq) rows");
            m.addStatement("int n = $T.rows(x)", COMPILED);
            m.addStatement("int $N = x.size(-1)", names.get("features0"));
        }
        for (int k = 0; k < graph.ops().size(); k++) {
            if (graph.ops().get(k) instanceof Op.Linear linear && linear.weight() != Op.Linear.Weight.LAYER) {
                boolean transposed = linear.weight() == Op.Linear.Weight.PARAMETER_TRANSPOSED;
                m.addCode(line(linear));
                m.addStatement("$T.checkProduct($S, $N, $L, n, $N)", COMPILED, productMethod(linear), weight(k),
                        transposed, features(k));
                m.addStatement("int $N = $N.size($L)", names.get("features" + (k + 1)), weight(k), transposed ? 0 : 1);
            } else if (graph.ops().get(k) instanceof Op.Linear linear) {
                String layer = layerNames.get(linear.layer());
                if (k > 0 || !inputChecked) {
                    m.addStatement("$T.checkFeatures($N, n, $N)", COMPILED, layer, features(k));
                }
                m.addStatement("int $N = $N.outFeatures()", names.get("features" + (k + 1)), layer);
            }
        }
        for (int k = 0; k < graph.ops().size(); k++) {
            if (graph.ops().get(k) instanceof Op.Binary b && !features(k).equals(features(b.other()))) {
                m.addCode(line(b));
                m.addStatement("$T.checkSameFeatures($S, n, $N, $N)", COMPILED, b.kind().name().toLowerCase(java.util.Locale.ROOT),
                        features(k), features(b.other()));
            }
        }
    }

    /** The input's and the parameters' arrays. */
    private void parameterArrays(MethodSpec.Builder m, Precision t) {
        m.addStatement("$T $N = $T.$L(x)", t.array, value(0), COMPILED, t.arrays);
        for (int k = 0; k < graph.ops().size(); k++) {
            if (graph.ops().get(k) instanceof Op.Linear linear) {
                m.addStatement("$T $N = $T.$L($N)", t.array, names.get("weightData" + k), COMPILED, t.arrays,
                        weight(k));
                if (linear.bias()) {
                    m.addStatement("$T $N = $T.$L($N)", t.array, names.get("biasData" + k), COMPILED, t.arrays,
                            names.get("bias" + k));
                }
            }
        }
    }

    /** The values' buffers from the pool: those the blocks store, and in the training step the output. */
    private void valueBuffers(MethodSpec.Builder m, Precision t, Mode mode) {
        List<Integer> leased = new ArrayList<>(leaseValues());
        if (mode == Mode.STEP) {
            // the output stays inside the step: it is a buffer like the other values
            leased.add(last);
        }
        List<CodeBlock> lengths = leased.stream().map(v -> CodeBlock.of("n * $N", features(v))).toList();
        m.addStatement("$T lease = activations.$L($L)", LEASE, t.acquire, CodeBlock.join(lengths, ", "));
        for (int j = 0; j < leased.size(); j++) {
            m.addStatement("$T $N = lease.$L($L)", t.array, value(leased.get(j)), t.arrays, j);
        }
    }

    /** The forward's arrays, dropout masks, buffers and fused blocks, after the prologue. */
    private void forwardBody(MethodSpec.Builder m, Precision t, Mode mode) {
        parameterArrays(m, t);
        for (int k = 0; k < graph.ops().size(); k++) {
            if (graph.ops().get(k) instanceof Op.Dropout dropout) {
                String layer = layerNames.get(dropout.layer());
                m.addCode(line(dropout));
                m.addStatement("$T $N = $T.dropoutMask($N, n * $N)", BOOLEANS, names.get("keep" + k), COMPILED, layer,
                        features(k));
                m.addStatement("double $N = $T.dropoutScale($N)", names.get("scale" + k), COMPILED, layer);
            }
        }
        valueBuffers(m, t, mode);
        if (mode == Mode.NODE) {
            // the output becomes the returned tensor: a fresh array
            Op.Reduce reduce = graph.ops().getLast() instanceof Op.Reduce r ? r : null;
            m.addStatement("$T $N = new $T[$L]", t.array, value(last), t.element, reduce == null
                    ? CodeBlock.of("n * $N", features(last)) : CodeBlock.of(reduce.all() ? "1" : "n"));
        }
        List<Fusion.Block> blocks = fusion.blocks();
        for (int b = 0; b < blocks.size(); b++) {
            Fusion.Block next = b + 1 < blocks.size() ? blocks.get(b + 1) : null;
            switch (blocks.get(b)) {
                case Fusion.Elementwise e -> elementwise(m, e, t);
                case Fusion.Vectorised v -> vectorised(m, v);
                case Fusion.Dense d when biasActivation(d, next) -> {
                    denseWithActivation(m, d, (Fusion.Vectorised) next, t);
                    b++;
                }
                case Fusion.Dense d -> dense(m, d, t);
                case Fusion.RowSoftmax s -> softmax(m, s, t);
                case Fusion.Reduction r -> reduction(m, r, t);
                case Fusion.Restart r -> {
                    m.addCode(line(r.branch()));
                    m.addComment("the second branch starts from $N (no operation writes into an earlier value)",
                            value(r.branch().value()));
                    m.addStatement("$T $N = $N", t.array, value(r.to()), value(r.branch().value()));
                }
            }
        }
    }

    /** The backward method's parameters after the gradient and the context, as the forward's locals. */
    private List<String> backwardArguments() {
        List<String> out = new ArrayList<>(List.of("lease", "generation", "n", names.get("features0")));
        for (int k = 0; k < graph.ops().size(); k++) {
            if (graph.ops().get(k) instanceof Op.Linear) {
                out.add(names.get("features" + (k + 1)));
            }
        }
        for (int v : fusion.stored()) {
            if (v > 0) {
                out.add(value(v));
            }
        }
        for (int k = 0; k < graph.ops().size(); k++) {
            if (graph.ops().get(k) instanceof Op.Dropout) {
                out.add(names.get("keep" + k));
                out.add(names.get("scale" + k));
            }
        }
        return out;
    }

    /** The pass over {@code from}'s elements computing {@code ops} (values from+1 ... to). */
    private void elementChain(CodeBlock.Builder body, int from, List<Op.Elementwise> ops, Precision t) {
        String previous = "v" + from;
        for (int j = 0; j < ops.size(); j++) {
            int v = from + 1 + j;
            String local = "v" + v;
            CodeBlock value = switch (ops.get(j)) {
                case Op.Pointwise p -> Formulas.forward(p, previous, t);
                case Op.Dropout d -> Formulas.dropout(previous, names.get("keep" + (v - 1)), names.get("scale" + (v - 1)), t);
                case Op.Binary b -> Formulas.binary(b, previous, value(b.other()) + "[i]");
            };
            body.addStatement("$T $N = $L", t.element, local, value);
            if (fusion.stored().contains(v)) {
                body.addStatement("$N[i] = $N", value(v), local);
            }
            previous = local;
        }
    }

    private void elementwise(MethodSpec.Builder m, Fusion.Elementwise e, Precision t) {
        for (Op op : e.pointwise()) {
            m.addCode(line(op));
        }
        CodeBlock.Builder body = CodeBlock.builder();
        body.addStatement("$T $N = $N[i]", t.element, "v" + e.from(), value(e.from()));
        elementChain(body, e.from(), e.pointwise(), t);
        m.beginControlFlow("for (int i = 0; i < n * $N; i++)", features(e.from())).addCode(body.build()).endControlFlow();
    }

    private void vectorised(MethodSpec.Builder m, Fusion.Vectorised v) {
        m.addCode(line(v.function()));
        m.addComment("a vectorised pass over the whole array");
        m.addStatement("$T.unary($T.$L, $N, $N)", COMPILED, UNARY_FUNCTION, v.function().kind().unaryFunction(),
                value(v.from()), value(v.to()));
    }

    /**
     * Whether Dense block d's bias and the vectorised activation of block {@code next} run as one
     * pass: next applies to the GEMM's output, its derivative comes from its own output, and nothing
     * else reads the biased output (the backward does not keep it, no side path reads it), which the
     * fused pass never writes.
     */
    private boolean biasActivation(Fusion.Dense d, Fusion.Block next) {
        return d.linear().bias() && d.pointwise().isEmpty() && next instanceof Fusion.Vectorised v
                && v.from() == d.to() && derivativeFromOutput(v)
                && !backward.saved().contains(d.to()) && !sideValues().contains(d.to());
    }

    /** Whether the provider's kernel folds v's derivative from v's output ({@code unaryBackward}): all but log. */
    private static boolean derivativeFromOutput(Fusion.Vectorised v) {
        return v.function().kind() != PointwiseKind.LOG;
    }

    /**
     * The GEMM of d with its bias and the activation of v: in float, one call that passes each
     * thread's block of the product through them while it is in that core's cache; in double, the
     * GEMM, then one vectorised pass over its output.
     */
    private void denseWithActivation(MethodSpec.Builder m, Fusion.Dense d, Fusion.Vectorised v, Precision t) {
        int s = d.from();
        m.addCode(line(d.linear()));
        m.addCode(line(v.function()));
        if (t == Precision.FLOAT32) {
            m.addComment("the GEMM, its bias and the activation, the GEMM's output ($N) as scratch", value(s + 1));
            m.addStatement("$T.gemmBiasActivation($T.$L, $L, $N, $N, $N)", GEMM, UNARY_FUNCTION,
                    v.function().kind().unaryFunction(), gemmOperands(d), names.get("biasData" + s), value(s + 1),
                    value(v.to()));
            return;
        }
        gemm(m, d, value(s + 1));
        m.addComment("bias and activation, one vectorised pass over the GEMM's output");
        m.addStatement("$T.biasActivation($T.$L, $N, $N, $N, n, $N)", COMPILED, UNARY_FUNCTION,
                v.function().kind().unaryFunction(), value(s + 1), names.get("biasData" + s), value(v.to()),
                features(s + 1));
    }

    /** The GEMM of Dense block d, its output into {@code target}. */
    private void gemm(MethodSpec.Builder m, Fusion.Dense d, String target) {
        m.addStatement("$T.gemm($L, $N, 0)", GEMM, gemmOperands(d), target);
    }

    /** The sizes and operands of Dense block d's GEMM: m, n and k, then A and B with their offsets and strides. */
    private CodeBlock gemmOperands(Fusion.Dense d) {
        int s = d.from();
        String in = features(s), out = features(s + 1);
        if (d.linear().weight().outputsAreRows()) {
            return CodeBlock.of("n, $N, $N, $N, 0, $N, 1, $N, 0, 1, $N", out, in, value(s), in,
                    names.get("weightData" + s), in);
        }
        return CodeBlock.of("n, $N, $N, $N, 0, $N, 1, $N, 0, $N, 1", out, in, value(s), in,
                names.get("weightData" + s), out);
    }

    private void dense(MethodSpec.Builder m, Fusion.Dense d, Precision t) {
        int s = d.from();
        String in = features(s), out = features(s + 1);
        m.addCode(line(d.linear()));
        String target = fusion.stored().contains(s + 1) ? value(s + 1) : value(d.to());
        gemm(m, d, target);
        if (!d.linear().bias() && d.pointwise().isEmpty()) {
            return;
        }
        if (d.pointwise().isEmpty()) {
            m.addComment("bias, a vectorised pass over the GEMM's output");
            m.addStatement("$T.addBias($N, $N, n, $N)", COMPILED, target, names.get("biasData" + s), out);
            return;
        }
        for (Op op : d.pointwise()) {
            m.addCode(line(op));
        }
        CodeBlock.Builder body = CodeBlock.builder();
        String z = "v" + (s + 1);
        if (d.linear().bias()) {
            body.addStatement("int i = r * $N + c", out);
            body.addStatement("$T $N = $N[i] + $N[c]", t.element, z, target, names.get("biasData" + s));
            if (fusion.stored().contains(s + 1)) {
                body.addStatement("$N[i] = $N", value(s + 1), z);
            }
        } else {
            body.addStatement("$T $N = $N[i]", t.element, z, target);
        }
        elementChain(body, s + 1, d.pointwise(), t);
        if (d.linear().bias()) {
            m.addComment("bias$L, one pass over the GEMM's output", d.pointwise().isEmpty() ? "" : " and activations");
            m.beginControlFlow("for (int r = 0; r < n; r++)").beginControlFlow("for (int c = 0; c < $N; c++)", out)
                    .addCode(body.build()).endControlFlow().endControlFlow();
        } else {
            m.addComment("activations, one pass over the GEMM's output");
            m.beginControlFlow("for (int i = 0; i < n * $N; i++)", out).addCode(body.build()).endControlFlow();
        }
    }

    private void softmax(MethodSpec.Builder m, Fusion.RowSoftmax s, Precision t) {
        int v = s.from();
        String f = features(v), in = value(v), out = value(v + 1);
        m.addCode(line(s.softmax()));
        m.beginControlFlow("for (int r = 0; r < n; r++)");
        m.addStatement("int row = r * $N", f);
        m.addStatement("double max = Double.NEGATIVE_INFINITY");
        m.beginControlFlow("for (int c = 0; c < $N; c++)", f).addStatement("max = Math.max(max, $N[row + c])", in)
                .endControlFlow();
        m.addStatement("double sum = 0");
        m.beginControlFlow("for (int c = 0; c < $N; c++)", f).addStatement("sum += Math.exp($N[row + c] - max)", in)
                .endControlFlow();
        if (s.softmax().log()) {
            m.addStatement("double logSum = Math.log(sum)");
            m.beginControlFlow("for (int c = 0; c < $N; c++)", f)
                    .addStatement("$N[row + c] = $L", out, t.round("$N[row + c] - max - logSum", in)).endControlFlow();
        } else {
            m.beginControlFlow("for (int c = 0; c < $N; c++)", f)
                    .addStatement("$N[row + c] = $L", out, t.round("Math.exp($N[row + c] - max) / sum", in))
                    .endControlFlow();
        }
        m.endControlFlow();
    }

    private void reduction(MethodSpec.Builder m, Fusion.Reduction r, Precision t) {
        int v = r.from();
        String f = features(v), in = value(v), out = value(v + 1);
        m.addCode(line(r.reduce()));
        if (r.reduce().all()) {
            m.addStatement("double sum = 0");
            m.beginControlFlow("for (int i = 0; i < n * $N; i++)", f).addStatement("sum += $N[i]", in).endControlFlow();
            m.addStatement("$N[0] = $L", out, r.reduce().mean() ? t.round("sum / ((double) n * $N)", f) : t.round("sum"));
        } else {
            m.beginControlFlow("for (int r = 0; r < n; r++)");
            m.addStatement("double sum = 0");
            m.beginControlFlow("for (int c = 0; c < $N; c++)", f).addStatement("sum += $N[r * $N + c]", in, f)
                    .endControlFlow();
            m.addStatement("$N[r] = $L", out, r.reduce().mean() ? t.round("sum / $N", f) : t.round("sum"));
            m.endControlFlow();
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Backward

    /** Whether the gradient of value {@code v} (the output of the last block) needs its own buffer. */
    private boolean lastGradBuffered() {
        return fusion.blocks().getLast() instanceof Fusion.Dense d && !d.pointwise().isEmpty();
    }

    /** The values whose gradients live in the gradient pool. */
    private List<Integer> scratchValues() {
        List<Integer> out = new ArrayList<>();
        for (Fusion.Block block : fusion.blocks()) {
            if (block.from() > 0) {
                out.add(block.from());
            }
        }
        if (lastGradBuffered()) {
            out.add(last);
        }
        return out;
    }

    /**
     * The values an arithmetic operation or a second branch reads besides the chain: their gradients
     * gather in side buffers.
     */
    private List<Integer> sideValues() {
        return graph.ops().stream()
                .<Integer>mapMulti((op, out) -> {
                    if (op instanceof Op.Binary b) {
                        out.accept(b.other());
                    } else if (op instanceof Op.Branch b) {
                        out.accept(b.value());
                    }
                })
                .distinct().sorted().toList();
    }

    private String side(int v) {
        return names.get("side" + v);
    }

    /** Adds the side gradient of value {@code v}, if it has one, into the buffer holding its gradient. */
    private void addSide(MethodSpec.Builder m, int v, String target) {
        if (sideValues().contains(v)) {
            m.addComment("the gradient that reached this value through arithmetic further on");
            m.beginControlFlow("for (int i = 0; i < n * $N; i++)", features(v))
                    .addStatement("$N[i] += $N[i]", target, side(v)).endControlFlow();
        }
    }

    /** Whether the gradient of the node's input {@code index}, parameter {@code param}, is wanted. */
    private static CodeBlock needsGrad(int index, String param, Mode mode) {
        return mode == Mode.STEP ? CodeBlock.of("$N.requiresGrad()", param) : CodeBlock.of("ctx.needsGrad($L)", index);
    }

    /** {@code ctx.needsGrad(i) || ...} for the inputs of the operations before {@code op}, and x. */
    CodeBlock earlierNeedGrad(int op) {
        List<CodeBlock> checks = new ArrayList<>();
        checks.add(CodeBlock.of("ctx.needsGrad(0)"));
        for (int k = 0; k < op; k++) {
            if (weightIndex.containsKey(k)) {
                checks.add(CodeBlock.of("ctx.needsGrad($L)", weightIndex.get(k)));
            }
            if (biasIndex.containsKey(k)) {
                checks.add(CodeBlock.of("ctx.needsGrad($L)", biasIndex.get(k)));
            }
        }
        return CodeBlock.join(checks, " || ");
    }

    private MethodSpec backwardMethod(Precision t) {
        MethodSpec.Builder m = MethodSpec.methodBuilder("backward" + t.suffix).addModifiers(Modifier.PRIVATE)
                .addJavadoc("The derivative of the node {@link #forward$L} records: one gradient per input.\n", t.suffix)
                .returns(ArrayTypeName.of(TENSOR))
                .addParameter(TENSOR, "gradOutput").addParameter(SAVED, "ctx")
                .addParameter(LEASE, "lease").addParameter(TypeName.INT, "generation").addParameter(TypeName.INT, "n")
                .addParameter(TypeName.INT, names.get("features0"));
        for (int k = 0; k < graph.ops().size(); k++) {
            if (graph.ops().get(k) instanceof Op.Linear) {
                m.addParameter(TypeName.INT, names.get("features" + (k + 1)));
            }
        }
        for (int v : fusion.stored()) {
            if (v > 0) {
                m.addParameter(t.array, value(v));
            }
        }
        for (int k = 0; k < graph.ops().size(); k++) {
            if (graph.ops().get(k) instanceof Op.Dropout) {
                m.addParameter(BOOLEANS, names.get("keep" + k));
                m.addParameter(TypeName.DOUBLE, names.get("scale" + k));
            }
        }
        m.addStatement("lease.check(generation, $S)", nodeName);
        m.addComment("reading the saved tensors checks that they were not modified in place since the forward");
        m.addStatement("$T x = ctx.saved(0)", TENSOR);
        m.addStatement("$T $N = $T.$L(x)", t.array, value(0), COMPILED, t.arrays);
        int savedIndex = 1;
        for (int k : weightIndex.keySet()) {
            m.addStatement("$T $N = $T.$L(ctx.saved($L))", t.array, names.get("weightData" + k), COMPILED, t.arrays,
                    savedIndex++);
        }
        if (backward.saved().contains(last)) {
            m.addStatement("ctx.saved($L)", savedIndex);
        }
        m.addStatement("$T[] grads = new $T[$L]", TENSOR, TENSOR, inputs.size() + 1);
        backwardScratch(m, t, Mode.NODE);
        m.addStatement("$T $N = $T.$L(gradOutput)", t.array, names.get("gradOut"), COMPILED, t.arrays);
        backwardBlocks(m, t, Mode.NODE);
        m.addStatement("scratch.release()");
        m.addStatement("lease.release()");
        m.addStatement("return grads");
        return m.build();
    }

    /**
     * The backward's gradient buffers from the pool: one per block's input, the side buffers (zeroed)
     * and, in the training step, the gradient of the output that the loss writes.
     */
    private void backwardScratch(MethodSpec.Builder m, Precision t, Mode mode) {
        List<Integer> scratch = scratchValues();
        List<Integer> sides = sideValues();
        List<CodeBlock> lengths = new ArrayList<>();
        for (int v : scratch) {
            lengths.add(CodeBlock.of("n * $N", features(v)));
        }
        for (int v : sides) {
            lengths.add(CodeBlock.of("n * $N", features(v)));
        }
        if (mode == Mode.STEP) {
            lengths.add(CodeBlock.of("n * $N", features(last)));
        }
        m.addStatement("$T scratch = gradients.$L($L)", LEASE, t.acquire, CodeBlock.join(lengths, ", "));
        for (int j = 0; j < scratch.size(); j++) {
            m.addStatement("$T $N = scratch.$L($L)", t.array, grad(scratch.get(j)), t.arrays, j);
        }
        for (int j = 0; j < sides.size(); j++) {
            m.addStatement("$T $N = scratch.$L($L)", t.array, side(sides.get(j)), t.arrays, scratch.size() + j);
            m.addStatement("$T.fill($N, $L)", ARRAYS, side(sides.get(j)), t.zero);
        }
        if (mode == Mode.STEP) {
            m.addStatement("$T $N = scratch.$L($L)", t.array, names.get("gradOut"), t.arrays, scratch.size() + sides.size());
        }
    }

    /** Each block's backward, last block first, from the gradient of the output in {@code gradOut}. */
    private void backwardBlocks(MethodSpec.Builder m, Precision t, Mode mode) {
        List<Fusion.Block> blocks = fusion.blocks();
        for (int b = blocks.size() - 1; b >= 0; b--) {
            Fusion.Block block = blocks.get(b);
            String source = block.to() == last ? names.get("gradOut") : grad(block.to());
            if (mode == Mode.STEP && t == Precision.FLOAT32 && throughActivation(blocks, b)) {
                Fusion.Dense d = (Fusion.Dense) block;
                // the bias's gradient here; the weight's goes side by side with the input's below
                denseBackward(m, d, source, t, mode, false, true, false);
                // down a chain of such layers (Linear, activation, Linear, activation, ...), each
                // activation's derivative and the bias gradient of the layer before it in one pass
                int at = b;
                String g = source;
                while (true) {
                    Fusion.Dense before = (Fusion.Dense) blocks.get(at - 2);
                    linkBackward(m, d, (Fusion.Vectorised) blocks.get(at - 1), before, g, t, mode);
                    at -= 2;
                    d = before;
                    g = grad(before.to());
                    if (!throughActivation(blocks, at)) {
                        denseBackward(m, before, g, t, mode, true, false, true);
                        break;
                    }
                }
                b = at;
                continue;
            }
            switch (block) {
                case Fusion.Elementwise e -> elementwiseBackward(m, e, source, t, mode);
                case Fusion.Vectorised v -> elementwiseBackward(m, v, source, t, mode);
                case Fusion.Dense d -> denseBackward(m, d, source, t, mode, true, true, true);
                case Fusion.RowSoftmax s -> softmaxBackward(m, s, source, t, mode);
                case Fusion.Reduction r -> reductionBackward(m, r, source, t, mode);
                case Fusion.Restart r -> restartBackward(m, r, source, t);
            }
        }
    }

    /**
     * Whether block b and the two before it are a Linear layer (weight stored out x in) after an
     * activation whose derivative comes from its output, after a Linear layer with a bias, with no
     * other path through their values: the training step then computes the gradient through the
     * activation and the first layer's bias gradient together ({@link #activationBackward}).
     */
    private boolean throughActivation(List<Fusion.Block> blocks, int b) {
        if (b < 2 || !(blocks.get(b) instanceof Fusion.Dense d) || !(blocks.get(b - 1) instanceof Fusion.Vectorised v)
                || !(blocks.get(b - 2) instanceof Fusion.Dense before)) {
            return false;
        }
        List<Integer> sides = sideValues();
        return d.pointwise().isEmpty() && d.linear().weight().outputsAreRows() && v.to() == d.from()
                && derivativeFromOutput(v) && before.pointwise().isEmpty() && before.linear().bias()
                && before.to() == v.from() && !sides.contains(v.from()) && !sides.contains(v.to())
                && !sides.contains(d.to());
    }

    /**
     * One link of a chain of layers, layer d after activation v after layer {@code before}: d's
     * weight gradient, and side by side with it ({@code Gemm.sideBySide}: on two threads, each
     * product on one) d's input gradient through v's derivative with {@code before}'s bias gradient
     * ({@link #activationBackward}). The two products have the same size, out x in x n.
     */
    private void linkBackward(MethodSpec.Builder m, Fusion.Dense d, Fusion.Vectorised v, Fusion.Dense before,
                              String g, Precision t, Mode mode) {
        int s = d.from();
        String bias = names.get("bias" + before.from());
        m.addCode(line(v.function()));
        m.addStatement("float[] $N = $N.requiresGrad() ? $T.gradFloats($N) : null", names.get("biasGrad" + before.from()),
                bias, COMPILED, bias);
        m.addComment("the weight's gradient and the input's, products of one size: side by side on two threads")
                .addCode("$T.sideBySide($N, $N, n, () -> {\n$>", GEMM, features(s + 1), features(s))
                .addCode(line(d.linear()))
                .addCode(weightGradient(d, g, t, mode))
                .addCode("$<}, () -> {\n$>")
                .addCode(activationBackward(d, v, before, g))
                .addCode("$<});\n");
    }

    /**
     * Layer d's input gradient {@code g W} through activation v's derivative, and the bias gradient
     * of layer {@code before}: for one output (a regression head) one pass of an outer product,
     * the derivative and the column sums; otherwise the GEMM, then one pass of the derivative and
     * the sums.
     */
    private CodeBlock activationBackward(Fusion.Dense d, Fusion.Vectorised v, Fusion.Dense before, String g) {
        int s = d.from();
        String in = features(s), out = features(s + 1);
        String function = v.function().kind().unaryFunction();
        return CodeBlock.builder().beginControlFlow("if ($N == 1)", out)
                .add("// one output: the gradient of the layer's input g W through the activation's derivative,\n")
                .add("// and the bias gradient before the activation, in one pass\n")
                .addStatement("$T.outerActivationBackward($T.$L, $N, $N, $N, $N, n, $N, $N)", COMPILED, UNARY_FUNCTION,
                        function, g, names.get("weightData" + s), value(v.to()), grad(v.from()), in,
                        names.get("biasGrad" + before.from()))
                .nextControlFlow("else")
                .add("// the gradient of the layer's input = g W, then the activation's derivative and the\n")
                .add("// bias gradient before the activation in one pass\n")
                .add(inputGradient(d, g, grad(v.to())))
                .addStatement("$T.activationBackward($T.$L, $N, $N, $N, n, $N, $N)", COMPILED, UNARY_FUNCTION, function,
                        value(v.to()), grad(v.to()), grad(v.from()), in, names.get("biasGrad" + before.from()))
                .endControlFlow()
                .build();
    }

    /**
     * Returns early when nothing before operation {@code op} needs a gradient. The training step
     * always goes on: its parameters' own checks skip what is not needed.
     */
    private void stopUnlessNeeded(MethodSpec.Builder m, int op, Mode mode) {
        if (mode == Mode.STEP) {
            return;
        }
        m.beginControlFlow("if (!($L))", earlierNeedGrad(op))
                .addComment("nothing before this operation needs a gradient")
                .addStatement("scratch.release()")
                .addStatement("lease.release()")
                .addStatement("return grads")
                .endControlFlow();
    }

    /**
     * Folds the derivatives of {@code ops} (values from+1 ... to) into the gradient {@code g}, element
     * by element; each value's side gradient joins {@code g} where the fold reaches that value, value
     * {@code from} included only when {@code fromSide} (a block's first value gets its side gradient
     * from the block before it, which adds it where that block's backward starts).
     */
    private void foldChain(CodeBlock.Builder body, int from, List<Op.Elementwise> ops, Precision t, boolean fromSide) {
        List<Integer> sides = sideValues();
        if (sides.contains(from + ops.size())) {
            body.addStatement("g += $N[i]", side(from + ops.size()));
        }
        for (int j = ops.size() - 1; j >= 0; j--) {
            int in = from + j, out = in + 1;
            switch (ops.get(j)) {
                case Op.Dropout d -> body.addStatement("g = $L",
                        Formulas.dropout("g", names.get("keep" + in), names.get("scale" + in), t));
                case Op.Pointwise op -> {
                    String a = "", y = "";
                    if (op.kind().needs() == PointwiseKind.Needs.INPUT) {
                        a = "a" + in;
                        body.addStatement("$T $N = $N[i]", t.element, a, value(in));
                    } else if (op.kind().needs() == PointwiseKind.Needs.OUTPUT) {
                        y = "y" + out;
                        body.addStatement("$T $N = $N[i]", t.element, y, value(out));
                    }
                    body.addStatement("g = $L", Formulas.derivative(op, "g", a, y, t));
                }
                case Op.Binary b -> {
                    String chain = "a" + in, other = "b" + in;
                    if (b.kind().readsOperands()) {
                        body.addStatement("$T $N = $N[i]", t.element, chain, value(in));
                        body.addStatement("$T $N = $N[i]", t.element, other, value(b.other()));
                    }
                    CodeBlock[] d = Formulas.binaryDerivatives(b, "g", chain, other);
                    body.addStatement("$N[i] += $L", side(b.other()), d[1]);
                    body.addStatement("g = $L", d[0]);
                }
            }
            if (sides.contains(in) && (in > from || fromSide)) {
                body.addStatement("g += $N[i]", side(in));
            }
        }
    }

    /** The backward of an elementwise block: the derivatives folded into the gradient in one loop. */
    private void elementwiseBackward(MethodSpec.Builder m, Fusion.Block block, String source, Precision t, Mode mode) {
        int from = block.from();
        if (from == 0 && mode == Mode.STEP) {
            // the step computes no gradient for the input
            return;
        }
        for (Op op : block.pointwise()) {
            m.addCode(line(op));
        }
        CodeBlock.Builder body = CodeBlock.builder().addStatement("$T g = $N[i]", t.element, source);
        foldChain(body, from, block.pointwise(), t, from == 0);
        body.addStatement("$N[i] = g", grad(from));
        if (from == 0) {
            m.beginControlFlow("if (ctx.needsGrad(0))")
                    .addStatement("$T $N = new $T[n * $N]", t.array, grad(0), t.element, features(0))
                    .beginControlFlow("for (int i = 0; i < n * $N; i++)", features(0)).addCode(body.build()).endControlFlow()
                    .addStatement("grads[0] = $T.wrap($N, x.shape().toArray())", COMPILED, grad(0))
                    .endControlFlow();
        } else if (block instanceof Fusion.Vectorised v && derivativeFromOutput(v)
                && !sideValues().contains(v.to())) {
            stopUnlessNeeded(m, from, mode);
            m.addComment("the derivative, from the output, folded in by the provider's vectorised kernel");
            m.addStatement("$T.unaryBackward($T.$L, $N, $N, $N, n * $N)", COMPILED, UNARY_FUNCTION,
                    v.function().kind().unaryFunction(), value(v.to()), source, grad(from), features(from));
        } else {
            stopUnlessNeeded(m, from, mode);
            m.beginControlFlow("for (int i = 0; i < n * $N; i++)", features(from)).addCode(body.build()).endControlFlow();
        }
    }

    /**
     * Layer d's backward from its output's gradient: its weight's gradient unless {@code !withWeight},
     * its bias's gradient unless {@code !withBias}, and its input's gradient unless {@code !withInput}
     * (the caller computes what is left out).
     */
    private void denseBackward(MethodSpec.Builder m, Fusion.Dense d, String source, Precision t, Mode mode,
                               boolean withWeight, boolean withBias, boolean withInput) {
        int s = d.from();
        String in = features(s), out = features(s + 1);
        String g = source;
        if (d.pointwise().isEmpty() && d.to() != last) {
            addSide(m, d.to(), source);
        }
        if (!d.pointwise().isEmpty()) {
            for (Op op : d.pointwise()) {
                m.addCode(line(op));
            }
            m.addComment("activation derivatives folded into the incoming gradient");
            CodeBlock.Builder body = CodeBlock.builder().addStatement("$T g = $N[i]", t.element, source);
            foldChain(body, s + 1, d.pointwise(), t, true);
            body.addStatement("$N[i] = g", grad(d.to()));
            m.beginControlFlow("for (int i = 0; i < n * $N; i++)", out).addCode(body.build()).endControlFlow();
            g = grad(d.to());
        }
        m.addCode(line(d.linear()));
        boolean rows = d.linear().weight().outputsAreRows();
        if (withWeight) {
            m.addCode(weightGradient(d, g, t, mode));
        }
        if (d.linear().bias() && withBias) {
            int b = biasIndex.get(s);
            String bias = names.get("bias" + s);
            m.beginControlFlow("if ($L)", needsGrad(b, bias, mode))
                    .addComment("db = column sums of g, by the kernel the eager sum uses");
            if (mode == Mode.STEP) {
                m.addStatement("$T db = $T.$L($N)", t.array, COMPILED, t.gradArray, bias);
            } else {
                m.addStatement("$T db = new $T[$N]", t.array, t.element, out);
            }
            m.addStatement("$T.columnSums($N, n, $N, db)", COMPILED, g, out);
            if (mode == Mode.NODE) {
                m.addStatement("grads[$L] = $T.wrap(db, $N)", b, COMPILED, out);
            }
            m.endControlFlow();
        }
        if (s == 0 && mode == Mode.STEP || !withInput) {
            // the step computes no gradient for the input; or the caller computes it
            return;
        }
        if (s == 0) {
            m.beginControlFlow("if (ctx.needsGrad(0))")
                    .addComment(rows ? "dx = g W" : "dx = g W^T")
                    .addStatement("$T $N = new $T[n * $N]", t.array, grad(0), t.element, in)
                    .addCode(inputGradient(d, g, grad(0)));
            addSide(m, 0, grad(0));
            m.addStatement("grads[0] = $T.wrap($N, x.shape().toArray())", COMPILED, grad(0))
                    .endControlFlow();
        } else {
            stopUnlessNeeded(m, s, mode);
            m.addComment(rows ? "the gradient of the layer's input = g W"
                    : "the gradient of the product's input = g W^T");
            m.addCode(inputGradient(d, g, grad(s)));
        }
    }

    /** Layer d's weight gradient from its output's gradient g, where it is wanted. */
    private CodeBlock weightGradient(Fusion.Dense d, String g, Precision t, Mode mode) {
        int s = d.from();
        String in = features(s), out = features(s + 1);
        int w = weightIndex.get(s);
        String weight = weight(s);
        boolean rows = d.linear().weight().outputsAreRows();
        CodeBlock.Builder c = CodeBlock.builder().beginControlFlow("if ($L)", needsGrad(w, weight, mode))
                .add("// $L\n", rows ? "dW = g^T input" : "dW = input^T g");
        if (mode == Mode.STEP) {
            c.addStatement("$T dW = $T.$L($N)", t.array, COMPILED, t.gradArray, weight);
        } else {
            c.addStatement("$T dW = new $T[$N * $N]", t.array, t.element, out, in);
        }
        if (rows) {
            c.addStatement("$T.gemm($N, $N, n, $N, 0, 1, $N, $N, 0, $N, 1, dW, 0)", GEMM, out, in, g, out, value(s),
                    in);
        } else {
            c.addStatement("$T.gemm($N, $N, n, $N, 0, 1, $N, $N, 0, $N, 1, dW, 0)", GEMM, in, out, value(s), in, g,
                    out);
        }
        if (mode == Mode.NODE) {
            c.addStatement("grads[$L] = $T.wrap(dW, $N, $N)", w, COMPILED, rows ? out : in, rows ? in : out);
        }
        return c.endControlFlow().build();
    }

    /** {@code target = g W} for a weight stored (out, in), {@code g W^T} for one stored (in, out). */
    private CodeBlock inputGradient(Fusion.Dense d, String g, String target) {
        int s = d.from();
        String in = features(s), out = features(s + 1);
        return d.linear().weight().outputsAreRows()
                ? CodeBlock.of("$T.gemm(n, $N, $N, $N, 0, $N, 1, $N, 0, $N, 1, $N, 0);\n", GEMM, in, out, g, out,
                        names.get("weightData" + s), in, target)
                : CodeBlock.of("$T.gemm(n, $N, $N, $N, 0, $N, 1, $N, 0, 1, $N, $N, 0);\n", GEMM, in, out, g, out,
                        names.get("weightData" + s), out, target);
    }

    /**
     * The backward of a second branch's start: its gradient joins that of the value it starts from
     * (in that value's side buffer); the value before it, the end of the first branch, gets its
     * gradient from the arithmetic that reads it, through its own side buffer, and none from here.
     */
    private void restartBackward(MethodSpec.Builder m, Fusion.Restart r, String source, Precision t) {
        int from = r.branch().value();
        m.addCode(line(r.branch()));
        m.addComment("the second branch's gradient joins that of $N", value(from));
        m.beginControlFlow("for (int i = 0; i < n * $N; i++)", features(r.to()))
                .addStatement("$N[i] += $N[i]", side(from), source)
                .endControlFlow();
        m.addStatement("$T.fill($N, $L)", ARRAYS, grad(r.from()), t.zero);
    }

    private void reductionBackward(MethodSpec.Builder m, Fusion.Reduction r, String source, Precision t, Mode mode) {
        int v = r.from();
        String f = features(v), target = grad(v);
        m.addCode(line(r.reduce()));
        if (v == 0 && mode == Mode.STEP) {
            return;
        }
        if (v == 0) {
            m.beginControlFlow("if (ctx.needsGrad(0))");
            m.addStatement("$T $N = new $T[n * $N]", t.array, target, t.element, f);
        } else {
            stopUnlessNeeded(m, v, mode);
        }
        m.addComment("each element gets its $L's gradient$L", r.reduce().all() ? "total" : "row",
                r.reduce().mean() ? ", over the number of elements averaged" : "");
        String count = r.reduce().all() ? "((double) n * " + f + ")" : "(double) " + f;
        m.beginControlFlow("for (int r = 0; r < n; r++)")
                .beginControlFlow("for (int c = 0; c < $N; c++)", f)
                .addStatement("$N[r * $N + c] = $L", target, f, r.reduce().mean()
                        ? t.round("$N[$L] / $L", source, r.reduce().all() ? "0" : "r", count)
                        : CodeBlock.of("$N[$L]", source, r.reduce().all() ? "0" : "r"))
                .endControlFlow().endControlFlow();
        if (v == 0) {
            addSide(m, 0, target);
            m.addStatement("grads[0] = $T.wrap($N, x.shape().toArray())", COMPILED, target);
            m.endControlFlow();
        }
    }

    private void softmaxBackward(MethodSpec.Builder m, Fusion.RowSoftmax s, String source, Precision t, Mode mode) {
        int v = s.from();
        String f = features(v), y = value(v + 1);
        String target = grad(v);
        m.addCode(line(s.softmax()));
        if (v == 0 && mode == Mode.STEP) {
            return;
        }
        if (v == 0) {
            m.beginControlFlow("if (ctx.needsGrad(0))");
            m.addStatement("$T $N = new $T[n * $N]", t.array, target, t.element, f);
        } else {
            stopUnlessNeeded(m, v, mode);
        }
        m.beginControlFlow("for (int r = 0; r < n; r++)");
        m.addStatement("int row = r * $N", f);
        m.addStatement("double sum = 0");
        if (s.softmax().log()) {
            m.beginControlFlow("for (int c = 0; c < $N; c++)", f).addStatement("sum += $N[row + c]", source)
                    .endControlFlow();
            m.beginControlFlow("for (int c = 0; c < $N; c++)", f)
                    .addStatement("$N[row + c] = $L", target,
                            t.round("$N[row + c] - Math.exp($N[row + c]) * sum", source, y))
                    .endControlFlow();
        } else {
            m.beginControlFlow("for (int c = 0; c < $N; c++)", f)
                    .addStatement("sum += $L$N[row + c] * $N[row + c]", t == Precision.FLOAT32 ? "(double) " : "", source, y)
                    .endControlFlow();
            m.beginControlFlow("for (int c = 0; c < $N; c++)", f)
                    .addStatement("$N[row + c] = $L", target, t.round("$N[row + c] * ($N[row + c] - sum)", y, source))
                    .endControlFlow();
        }
        m.endControlFlow();
        if (v == 0) {
            addSide(m, 0, target);
            m.addStatement("grads[0] = $T.wrap($N, x.shape().toArray())", COMPILED, target);
            m.endControlFlow();
        }
    }
}
