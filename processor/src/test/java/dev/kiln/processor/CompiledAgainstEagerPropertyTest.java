package dev.kiln.processor;

import static com.google.testing.compile.Compiler.javac;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.testing.compile.Compilation;
import com.google.testing.compile.JavaFileObjects;
import dev.kiln.DType;
import dev.kiln.Generator;
import dev.kiln.Kiln;
import dev.kiln.Parameter;
import dev.kiln.Tensor;
import dev.kiln.compiled.FusedStep;
import dev.kiln.loss.Loss;
import dev.kiln.loss.MSELoss;
import dev.kiln.loss.NLLLoss;
import dev.kiln.nn.Module;
import dev.kiln.optim.SGD;
import dev.kiln.optim.TrainingStep;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.tools.JavaFileObject;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Random MLPs (depth 1 to 4, sizes including 1 and odd ones, random activations, with and without
 * bias, Linear layers and products with Parameter fields) compiled by the processor at test time,
 * loaded from the compilation's class files, and run against their own eager forward: same outputs
 * and same gradients of the input and every parameter, and the same training steps.
 */
class CompiledAgainstEagerPropertyTest {

    /**
     * One layer of a random MLP: a {@code Linear} layer, or a product with a {@code Parameter} field
     * ({@code "mm"}: {@code x.mm(p)}; {@code "matmulT"}: {@code x.matmul(p.t())}), which has no bias.
     */
    record Layer(int out, boolean bias, String activation, String product) {}

    /**
     * A random MLP: input features, layers, what it ends with (logSoftmax(1), a sum or a mean, or
     * nothing: {@code head} is the method call appended to the last layer's output), the batch size,
     * how many of its first layers sit in a composed {@code @Model} class {@code Block} (0: none), and
     * whether it is built in float64.
     */
    record Mlp(int in, List<Layer> layers, String head, int batch, int composed, boolean float64) {
        /** The number of layers in {@code Block}. */
        int split() {
            return Math.min(composed, layers.size());
        }

        /** The sources: {@code test.Mlp} and, when layers are composed, {@code test.Block}. */
        List<JavaFileObject> sources() {
            List<JavaFileObject> files = new ArrayList<>();
            files.add(JavaFileObjects.forSourceString("test.Mlp", source("Mlp", split(), layers.size(),
                    split() > 0 ? "    final Block block = new Block(" + in + ");\n" : "")));
            if (split() > 0) {
                files.add(JavaFileObjects.forSourceString("test.Block", source("Block", 0, split(), "")));
            }
            return files;
        }

        /**
         * The class holding layers {@code from} until {@code to}; the Block's first layer takes its
         * input size from the constructor parameter {@code dIn}, so its sizes are bound at the caller.
         */
        private String source(String name, int from, int to, String blockField) {
            StringBuilder s = new StringBuilder();
            s.append("package test;\n")
                    .append("import dev.kiln.Parameter;\n")
                    .append("import dev.kiln.Tensor;\n")
                    .append("import dev.kiln.annotations.Model;\n")
                    .append("import dev.kiln.nn.Dropout;\n")
                    .append("import dev.kiln.nn.F;\n")
                    .append("import dev.kiln.nn.Linear;\n")
                    .append("import dev.kiln.nn.Module;\n")
                    .append("@Model\npublic class ").append(name).append(" extends Module {\n")
                    .append(blockField);
            boolean block = name.equals("Block");
            int features = from == 0 ? in : layers.get(from - 1).out();
            StringBuilder constructor = new StringBuilder();
            for (int i = from; i < to; i++) {
                Layer layer = layers.get(i);
                String size = block && i == 0 ? "dIn" : String.valueOf(features);
                if (layer.activation().equals("branch")) {
                    // a second branch from the same input, meeting the first in a product
                    s.append("    final Linear m").append(i).append(";\n");
                    constructor.append("        m").append(i).append(" = new Linear(").append(size).append(", ")
                            .append(layer.out()).append(");\n");
                }
                if (!layer.product().equals("linear")) {
                    s.append("    final Parameter l").append(i).append(";\n");
                    constructor.append("        l").append(i).append(" = new Parameter(Tensor.randn(")
                            .append(layer.product().equals("mm") ? size + ", " + layer.out() : layer.out() + ", " + size)
                            .append(").times(0.4));\n");
                    if (layer.activation().equals("dropout")) {
                        s.append("    final Dropout d").append(i).append(" = new Dropout(0.3);\n");
                    }
                    features = layer.out();
                    continue;
                }
                s.append("    final Linear l").append(i).append(";\n");
                if (layer.activation().equals("dropout")) {
                    s.append("    final Dropout d").append(i).append(" = new Dropout(0.3);\n");
                }
                constructor.append("        l").append(i).append(" = new Linear(")
                        .append(block && i == 0 ? "dIn" : String.valueOf(features)).append(", ")
                        .append(layer.out()).append(", ").append(layer.bias()).append(");\n");
                features = layer.out();
            }
            s.append("    public ").append(name).append(block ? "(int dIn)" : "()").append(" {\n")
                    .append(constructor).append("    }\n");
            s.append("    @Override public Tensor forward(Tensor x) {\n");
            String previous = "x";
            if (from > 0) {
                s.append("        Tensor fromBlock = block.invoke(x);\n");
                previous = "fromBlock";
            }
            for (int i = from; i < to; i++) {
                String z = "z" + i;
                String call = switch (layers.get(i).product()) {
                    case "mm" -> previous + ".mm(l" + i + ")";
                    case "matmulT" -> previous + ".matmul(l" + i + ".t())";
                    default -> "l" + i + ".invoke(" + previous + ")";
                };
                s.append("        Tensor ").append(z).append(" = ").append(call).append(";\n");
                boolean square = layers.get(i).out() == (i == 0 ? in : layers.get(i - 1).out());
                String expression = switch (layers.get(i).activation()) {
                    case "relu" -> z + ".relu()";
                    case "sigmoid" -> "F.sigmoid(" + z + ")";
                    case "tanh" -> z + ".tanh()";
                    case "leakyRelu" -> "F.leakyRelu(" + z + ", 0.2)";
                    case "clampMin" -> z + ".clampMin(0)";
                    case "dropout" -> "d" + i + ".invoke(" + z + ")";
                    case "pow" -> z + ".pow(2)";
                    case "sqrtAbs" -> z + ".abs().plus(1).sqrt()";
                    case "gate" -> z + ".times(" + z + ".sigmoid())";
                    case "softsign" -> z + ".div(" + z + ".abs().plus(1))";
                    // a residual connection where the sizes allow one
                    case "residual" -> square ? z + ".tanh().plus(" + previous + ")" : z + ".tanh()";
                    case "difference" -> square ? previous + ".minus(" + z + ".relu()).times(" + z + ")" : z;
                    case "branch" -> z + ".tanh().times(m" + i + ".invoke(" + previous + ").sigmoid())";
                    default -> z;
                };
                s.append("        Tensor h").append(i).append(" = ").append(expression).append(";\n");
                previous = "h" + i;
            }
            s.append("        return ").append(previous).append(block ? "" : head)
                    .append(";\n    }\n}\n");
            return s.toString();
        }
    }

    @Provide
    Arbitrary<Mlp> mlps() {
        Arbitrary<Integer> sizes = Arbitraries.of(1, 2, 3, 5, 7, 8, 13);
        Arbitrary<Layer> layer = Combinators.combine(sizes, Arbitraries.of(true, false),
                Arbitraries.of("relu", "sigmoid", "tanh", "leakyRelu", "clampMin", "dropout", "pow",
                        "sqrtAbs", "gate", "softsign", "residual", "difference", "branch", "none"),
                Arbitraries.of("linear", "linear", "linear", "mm", "matmulT")).as(Layer::new);
        return Combinators.combine(sizes, layer.list().ofMinSize(1).ofMaxSize(4),
                Arbitraries.of("", "", ".logSoftmax(1)", ".sum()", ".mean()", ".sum(1)", ".mean(-1)"),
                Arbitraries.integers().between(1, 6), Arbitraries.of(0, 0, 1, 2, 4), Arbitraries.of(true, false))
                .as(Mlp::new);
    }

    @Property(tries = 25)
    void aCompiledMlpComputesWhatItsEagerForwardComputes(@ForAll("mlps") Mlp mlp) throws Exception {
        List<JavaFileObject> sources = mlp.sources();
        Compilation compilation = javac().withProcessors(new ModelProcessor()).withOptions("-Xlint:all", "-Werror")
                .compile(sources);
        assertThat(compilation.status()).as(mlp + "\n" + compilation.diagnostics()).isEqualTo(Compilation.Status.SUCCESS);
        ClassLoader loader = new CompiledClasses(compilation.generatedFiles(), getClass().getClassLoader());
        Module eager, compiled;
        Kiln.setDefaultDtype(mlp.float64() ? DType.FLOAT64 : DType.FLOAT32);
        try {
            eager = (Module) loader.loadClass("test.Mlp").getConstructor().newInstance();
            compiled = (Module) loader.loadClass("test.MlpKiln").getConstructor().newInstance();
        } finally {
            Kiln.setDefaultDtype(DType.FLOAT32);
        }
        compiled.loadStateDict(eager.stateDict(), true);
        double tolerance = mlp.float64() ? 1e-12 : 1e-5;

        Generator g = new Generator(mlp.hashCode());
        Tensor x = Tensor.randn(g, mlp.batch(), mlp.in()).to(eager.parameters().getFirst().dtype());
        // Dropout layers draw their masks from the default generator: the same seed, the same masks.
        for (int step = 0; step < 2; step++) {
            Tensor xe = x.detach().requiresGrad(true);
            Tensor xc = x.detach().requiresGrad(true);
            Kiln.manualSeed(step);
            Tensor ye = eager.invoke(xe);
            Kiln.manualSeed(step);
            Tensor yc = compiled.invoke(xc);
            assertThat(yc.dtype()).isEqualTo(ye.dtype());
            assertClose(yc, ye, "output", tolerance);
            Tensor weights = Tensor.randn(g, ye.shape().toArray()).to(ye.dtype());
            ye.times(weights).sum().backward();
            yc.times(weights).sum().backward();
            assertClose(xc.grad(), xe.grad(), "x.grad", tolerance);
            Map<String, Parameter> compiledParams = compiled.namedParameters();
            for (Map.Entry<String, Parameter> e : eager.namedParameters().entrySet()) {
                assertClose(compiledParams.get(e.getKey()).grad(), e.getValue().grad(), e.getKey() + ".grad", tolerance);
            }
        }
        if (!mlp.head().startsWith(".sum") && !mlp.head().startsWith(".mean")) {
            trainingStepsAgree(mlp, eager, compiled, x, g, tolerance);
        }
    }

    /**
     * The generated training step ({@link TrainingStep} of the compiled class, no tape) against the
     * eager step: the loss, every gradient and every parameter after two SGD updates.
     */
    private static void trainingStepsAgree(Mlp mlp, Module eager, Module compiled, Tensor x, Generator g,
                                           double tolerance) {
        assertThat(compiled).isInstanceOf(FusedStep.class);
        int classes = mlp.layers().getLast().out();
        boolean logProbabilities = mlp.head().equals(".logSoftmax(1)");
        Loss loss = logProbabilities ? new NLLLoss() : new MSELoss();
        Tensor y = logProbabilities ? Tensor.randint(0, classes, g, mlp.batch())
                : Tensor.randn(g, mlp.batch(), classes).to(x.dtype());
        SGD eagerSgd = new SGD(eager.parameters(), 0.01);
        TrainingStep step = TrainingStep.of(compiled, loss, new SGD(compiled.parameters(), 0.01));
        assertThat(step.fused()).isTrue();
        for (int t = 0; t < 2; t++) {
            Kiln.manualSeed(10 + t);
            eagerSgd.zeroGrad();
            Tensor value = loss.invoke(eager.invoke(x), y);
            value.backward();
            eagerSgd.step();
            Kiln.manualSeed(10 + t);
            double fused = step.step(x, y);
            assertThat(Math.abs(fused - value.item())).as("loss " + fused + " vs " + value.item())
                    .isLessThanOrEqualTo(tolerance * Math.max(1, Math.abs(value.item())));
            Map<String, Parameter> compiledParams = compiled.namedParameters();
            for (Map.Entry<String, Parameter> e : eager.namedParameters().entrySet()) {
                assertClose(compiledParams.get(e.getKey()).grad(), e.getValue().grad(), e.getKey() + ".grad (step)", tolerance);
                assertClose(compiledParams.get(e.getKey()), e.getValue(), e.getKey() + " after a step", tolerance);
            }
        }
    }

    /**
     * Every element within {@code tolerance} of the largest expected magnitude, or of 0.01 where all
     * are smaller: a bias gradient sums a column of the gradient, and where values near 0.3 cancel
     * to 0.002 (4 rows), one rounding of an addend, 3e-8, is already 1.5e-5 of the sum.
     */
    private static void assertClose(Tensor actual, Tensor expected, String what, double tolerance) {
        assertThat(actual.shape()).as(what).isEqualTo(expected.shape());
        double[] a = actual.contiguous().toDoubleArray();
        double[] e = expected.contiguous().toDoubleArray();
        double scale = 0, error = 0;
        for (int i = 0; i < e.length; i++) {
            scale = Math.max(scale, Math.abs(e[i]));
            error = Math.max(error, Math.abs(a[i] - e[i]));
        }
        assertThat(error).as(what).isLessThanOrEqualTo(tolerance * Math.max(scale, 1e-2));
    }

    /** Defines the classes javac wrote into the compilation's class output. */
    private static final class CompiledClasses extends ClassLoader {
        private final Map<String, byte[]> classes = new HashMap<>();

        CompiledClasses(List<JavaFileObject> files, ClassLoader parent) {
            super(parent);
            List<JavaFileObject> classFiles = new ArrayList<>();
            for (JavaFileObject file : files) {
                if (file.getKind() == JavaFileObject.Kind.CLASS) {
                    classFiles.add(file);
                }
            }
            for (JavaFileObject file : classFiles) {
                String path = file.toUri().getPath();
                String name = path.substring(path.indexOf("/test/") + 1, path.length() - ".class".length())
                        .replace('/', '.');
                try (InputStream in = file.openInputStream()) {
                    classes.put(name, in.readAllBytes());
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
        }

        @Override
        protected Class<?> findClass(String name) throws ClassNotFoundException {
            byte[] bytes = classes.get(name);
            if (bytes == null) {
                throw new ClassNotFoundException(name);
            }
            return defineClass(name, bytes, 0, bytes.length);
        }
    }
}
