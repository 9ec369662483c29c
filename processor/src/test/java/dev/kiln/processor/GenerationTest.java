package dev.kiln.processor;

import static com.google.testing.compile.CompilationSubject.assertThat;
import static com.google.testing.compile.Compiler.javac;

import com.google.testing.compile.Compilation;
import com.google.testing.compile.JavaFileObjects;
import javax.tools.JavaFileObject;
import org.junit.jupiter.api.Test;

/** The stages after check, through javac: the generated source, its warnings, and what is not compiled yet. */
class GenerationTest {

    private static Compilation compile(JavaFileObject... sources) {
        return javac().withProcessors(new ModelProcessor()).withOptions("-Xlint:all", "-Werror").compile(sources);
    }

    private static JavaFileObject source(String name, String... lines) {
        return JavaFileObjects.forSourceLines("test." + name, lines);
    }

    static final JavaFileObject TWO_LAYER_NET = source("TwoLayerNet",
            "package test;",
            "",
            "import dev.kiln.Tensor;",
            "import dev.kiln.annotations.Model;",
            "import dev.kiln.nn.Linear;",
            "import dev.kiln.nn.Module;",
            "",
            "@Model",
            "public class TwoLayerNet extends Module {",
            "    final Linear linear1, linear2;",
            "",
            "    public TwoLayerNet(int dIn, int h, int dOut) {",
            "        linear1 = new Linear(dIn, h, false);",
            "        linear2 = new Linear(h, dOut, false);",
            "    }",
            "",
            "    @Override",
            "    public Tensor forward(Tensor x) {",
            "        return linear2.invoke(linear1.invoke(x).clampMin(0));",
            "    }",
            "}");

    @Test
    void twoLayerNetGeneratesTheGoldenSource() {
        Compilation compilation = compile(TWO_LAYER_NET);
        assertThat(compilation).succeededWithoutWarnings();
        assertThat(compilation).generatedSourceFile("test.TwoLayerNetKiln")
                .hasSourceEquivalentTo(JavaFileObjects.forResource("golden/TwoLayerNetKiln.java"));
    }

    @Test
    void everySupportedConstructCompilesWithoutWarnings() {
        JavaFileObject everything = source("Everything",
                "package test;",
                "import dev.kiln.Tensor;",
                "import dev.kiln.annotations.Model;",
                "import dev.kiln.nn.Dropout;",
                "import dev.kiln.nn.F;",
                "import dev.kiln.nn.Identity;",
                "import dev.kiln.nn.LeakyReLU;",
                "import dev.kiln.nn.Linear;",
                "import dev.kiln.nn.Module;",
                "import dev.kiln.nn.ReLU;",
                "import dev.kiln.nn.Sequential;",
                "import dev.kiln.nn.Sigmoid;",
                "import dev.kiln.nn.Tanh;",
                "@Model",
                "public class Everything extends Module {",
                "    final Linear a = new Linear(5, 6);",
                "    final Sequential b = new Sequential(new ReLU(), new Linear(6, 4, false), new Tanh(), new Identity(),",
                "            new Dropout(0.1), new LeakyReLU(0.3), new Linear(4, 3), new Sigmoid());",
                "    public Everything() {",
                "    }",
                "    public Everything(int ignored) {",
                "        this();",
                "    }",
                "    @Override public Tensor forward(Tensor input) {",
                "        Tensor h = F.tanh(F.sigmoid(F.relu(input.exp().log().unaryMinus().plus(1).minus(2).times(3).div(4))));",
                "        Tensor unused = h.relu();",
                "        Tensor y = b.invoke(a.invoke(h.clamp(-1, 1).clampMin(0).sigmoid().tanh().relu().pow(2).abs().sqrt()));",
                "        return y.softmax(1);",
                "    }",
                "}");
        assertThat(compile(everything)).succeededWithoutWarnings();
    }

    /**
     * A bias and the vectorised activation right after it run as one pass over the GEMM's output,
     * unless something else reads the biased output (here a side path adds it to the result) or the
     * activation's derivative needs its input (log).
     */
    @Test
    void biasAndActivationFuseUnlessTheBiasedOutputIsReadElsewhere() throws Exception {
        JavaFileObject model = source("BiasActivation",
                "package test;",
                "import dev.kiln.Tensor;",
                "import dev.kiln.annotations.Model;",
                "import dev.kiln.nn.Linear;",
                "import dev.kiln.nn.Module;",
                "@Model",
                "public class BiasActivation extends Module {",
                "    final Linear a = new Linear(5, 6);",
                "    final Linear b = new Linear(6, 6);",
                "    final Linear c = new Linear(6, 2);",
                "    public BiasActivation() {",
                "    }",
                "    @Override public Tensor forward(Tensor x) {",
                "        Tensor z = b.invoke(a.invoke(x).sigmoid());",
                "        return c.invoke(z.tanh().plus(z)).log();",
                "    }",
                "}");
        Compilation compilation = compile(model);
        assertThat(compilation).succeededWithoutWarnings();
        org.assertj.core.api.Assertions.assertThat(generated(compilation, "test.BiasActivationKiln"))
                .contains("Gemm.gemmBiasActivation(UnaryFunction.SIGMOID, n, aFeatures, inFeatures, input, 0, "
                        + "inFeatures, 1, aWeightData, 0, 1, inFeatures, aBiasData, aOut, sigmoidOut);")
                .contains("Compiled.biasActivation(UnaryFunction.SIGMOID, aOut, aBiasData, sigmoidOut, n, aFeatures);")
                .contains("Compiled.addBias(bOut, bBiasData, n, bFeatures);", "Compiled.unary(UnaryFunction.TANH, bOut, ")
                .contains("Compiled.addBias(cOut, cBiasData, n, cFeatures);", "Compiled.unary(UnaryFunction.LOG, cOut, ")
                .doesNotContain("biasActivation(UnaryFunction.TANH", "biasActivation(UnaryFunction.LOG");
    }

    private static String generated(Compilation compilation, String className) throws java.io.IOException {
        return compilation.generatedSourceFile(className).orElseThrow().getCharContent(true).toString();
    }

    @Test
    void everyOperationWithADeviceKernelGetsTheCudaVariantWithoutWarnings() throws Exception {
        JavaFileObject mlp = source("DeviceMlp",
                "package test;",
                "import dev.kiln.Parameter;",
                "import dev.kiln.Tensor;",
                "import dev.kiln.annotations.Model;",
                "import dev.kiln.nn.F;",
                "import dev.kiln.nn.Linear;",
                "import dev.kiln.nn.Module;",
                "import dev.kiln.nn.ReLU;",
                "import dev.kiln.nn.Sequential;",
                "import dev.kiln.nn.Sigmoid;",
                "import dev.kiln.nn.Tanh;",
                "@Model",
                "public class DeviceMlp extends Module {",
                "    final Linear a = new Linear(5, 6);",
                "    final Sequential b = new Sequential(new ReLU(), new Linear(6, 4, false), new Tanh(), new Sigmoid());",
                "    final Parameter w = new Parameter(Tensor.randn(4, 3));",
                "    final Parameter v = new Parameter(Tensor.randn(2, 3));",
                "    public DeviceMlp() {",
                "    }",
                "    @Override public Tensor forward(Tensor x) {",
                "        Tensor h = F.relu(x.exp().log().unaryMinus().plus(1).minus(2).times(3).div(4)).abs().plus(1).sqrt();",
                "        Tensor y = b.invoke(a.invoke(h.clamp(-1, 1).clampMax(0.5).pow(2))).mm(w).tanh();",
                "        return y.matmul(v.t()).logSoftmax(1);",
                "    }",
                "}");
        Compilation compilation = compile(mlp);
        assertThat(compilation).succeededWithoutWarnings();
        String kiln = generated(compilation, "test.DeviceMlpKiln");
        org.assertj.core.api.Assertions.assertThat(kiln)
                .contains("if (CudaCompiled.commonType(x, layers.a().weight(), Compiled.bias(layers.a()),")
                .contains("private Tensor forwardCuda(Tensor x, Layers layers)", "private Tensor[] backwardCuda(")
                .contains("cuda.exp(input, expOut, n * inFeatures);", "cuda.add(addOut, (-2.0), addOut_, n * inFeatures);")
                .contains("cuda.clamp(sqrtOut, clampOut, (-1.0), 1.0, n * inFeatures);")
                .contains("cuda.gemm(false, true, n, aFeatures, inFeatures, powOut, aWeightData, aOut);")
                .contains("cuda.addBias(aOut, aBiasData, n, aFeatures);")
                .contains("cuda.gemm(false, false, n, wFeatures, b1Features, sigmoidOut, wWeightData, wOut);")
                .contains("cuda.gemm(false, true, n, vFeatures, wFeatures, tanhOut_, vWeightData, vOut);")
                .contains("cuda.logSoftmax(vOut, logSoftmaxOut, n, vFeatures);")
                .contains("scratch.logSoftmaxBackward(logSoftmaxOut, gradOut, vGrad, n, vFeatures);")
                .contains("scratch.powBackward(clampOut_, 2.0, powGrad, clampGrad_, n * inFeatures);")
                .contains("scratch.sumColumns(aGrad, db, n, aFeatures);")
                .contains("When the input and every parameter are on one CUDA device")
                .doesNotContain("has no device kernel");
    }

    @Test
    void reductionsGetTheCudaVariantToo() throws Exception {
        for (String head : new String[] {"sum()", "mean(1)"}) {
            JavaFileObject net = source("Reduced",
                    "package test;",
                    "import dev.kiln.Tensor;",
                    "import dev.kiln.annotations.Model;",
                    "import dev.kiln.nn.Linear;",
                    "import dev.kiln.nn.Module;",
                    "@Model",
                    "public class Reduced extends Module {",
                    "    final Linear a = new Linear(5, 6);",
                    "    public Reduced() {",
                    "    }",
                    "    @Override public Tensor forward(Tensor x) {",
                    "        return a.invoke(x).sigmoid()." + head + ";",
                    "    }",
                    "}");
            Compilation compilation = compile(net);
            assertThat(compilation).succeededWithoutWarnings();
            org.assertj.core.api.Assertions.assertThat(generated(compilation, "test.ReducedKiln"))
                    .contains(head.equals("sum()") ? "cuda.sum(sigmoidOut, sumOut, n * aFeatures, false)"
                            : "cuda.sumRows(sigmoidOut, meanOut, n, aFeatures, true)")
                    .contains(head.equals("sum()") ? "scratch.sumBackward(gradOut, sigmoidGrad, n * aFeatures, false)"
                            : "scratch.sumRowsBackward(gradOut, sigmoidGrad, n, aFeatures, true)");
        }
    }

    @Test
    void aModelWithAnOperationWithoutADeviceKernelHasNoCudaVariantAndSaysWhy() throws Exception {
        String[][] cases = {
                {"return F.leakyRelu(a.invoke(x), 0.2);", "F.leakyRelu(a.invoke(x), 0.2)"},
                {"return drop.invoke(a.invoke(x));", "drop.invoke(a.invoke(x))"},
                {"Tensor z = a.invoke(x); return z.times(z.sigmoid());", "z.times(z.sigmoid())"},
        };
        for (String[] c : cases) {
            JavaFileObject net = source("Eager",
                    "package test;",
                    "import dev.kiln.Tensor;",
                    "import dev.kiln.annotations.Model;",
                    "import dev.kiln.nn.Dropout;",
                    "import dev.kiln.nn.F;",
                    "import dev.kiln.nn.Linear;",
                    "import dev.kiln.nn.Module;",
                    "@Model",
                    "public class Eager extends Module {",
                    "    final Linear a = new Linear(5, 5);",
                    "    final Dropout drop = new Dropout(0.5);",
                    "    public Eager() {",
                    "    }",
                    "    @Override public Tensor forward(Tensor x) {",
                    "        " + c[0],
                    "    }",
                    "}");
            Compilation compilation = compile(net);
            assertThat(compilation).succeededWithoutWarnings();
            String kiln = generated(compilation, "test.EagerKiln");
            org.assertj.core.api.Assertions.assertThat(kiln).as(c[0])
                    .doesNotContain("forwardCuda", "backwardCuda", "CudaCompiled")
                    .contains("On a CUDA device this model runs the eager {@code forward} of {@link Eager}")
                    .contains("{@code " + c[1] + "} (line 15) has no device kernel, so no device variant was generated.");
        }
    }

    @Test
    void aCheckedButUncompiledConstructIsAnErrorAtItsPosition() {
        JavaFileObject net = source("Matmul",
                "package test;",
                "import dev.kiln.Tensor;",
                "import dev.kiln.annotations.Model;",
                "import dev.kiln.nn.Linear;",
                "import dev.kiln.nn.Module;",
                "@Model",
                "public class Matmul extends Module {",
                "    final Linear linear = new Linear(4, 4);",
                "    public Matmul() {",
                "    }",
                "    @Override public Tensor forward(Tensor x) {",
                "        Tensor y = linear.invoke(x);",
                "        Tensor z = y.relu().t();",
                "        return y.matmul(z).relu();",
                "    }",
                "}");
        Compilation compilation = compile(net);
        assertThat(compilation).failed();
        assertThat(compilation).hadErrorCount(2);
        assertThat(compilation).hadErrorContaining("[KilnNotCompiled] Tensor.matmul of two computed values (a compiled"
                + " forward multiplies by a Parameter field w: x.matmul(w) or x.matmul(w.t())) is checked but not yet"
                + " compiled; to keep Matmul eager, remove @Model or write @Model(compile = false)")
                .inFile(net).onLineContaining("return y.matmul(z)");
        assertThat(compilation).hadErrorContaining("[KilnNotCompiled] Tensor.t is checked but not yet compiled")
                .inFile(net).onLineContaining("Tensor z = y.relu().t();");
    }

    @Test
    void softmaxMustBeTheLastOperation() {
        JavaFileObject net = source("Early",
                "package test;",
                "import dev.kiln.Tensor;",
                "import dev.kiln.annotations.Model;",
                "import dev.kiln.nn.Linear;",
                "import dev.kiln.nn.Module;",
                "@Model",
                "public class Early extends Module {",
                "    final Linear linear = new Linear(4, 4);",
                "    public Early() {",
                "    }",
                "    @Override public Tensor forward(Tensor x) {",
                "        Tensor p = x.softmax(1);",
                "        return linear.invoke(p);",
                "    }",
                "}");
        Compilation compilation = compile(net);
        assertThat(compilation).failed();
        assertThat(compilation).hadErrorContaining("[KilnNotCompiled] x.softmax(1) followed by other operations")
                .inFile(net).onLineContaining("x.softmax(1)");
    }
}
