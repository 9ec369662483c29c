package dev.kiln.processor;

import static com.google.testing.compile.CompilationSubject.assertThat;
import static com.google.testing.compile.Compiler.javac;

import com.google.testing.compile.Compilation;
import com.google.testing.compile.JavaFileObjects;
import javax.tools.JavaFileObject;
import org.junit.jupiter.api.Test;

/** The processor inside javac: clean models compile, and each error lands on its line. */
class ModelProcessorTest {

    private static Compilation compile(JavaFileObject... sources) {
        return javac().withProcessors(new ModelProcessor()).withOptions("-Xlint:all", "-Werror").compile(sources);
    }

    private static JavaFileObject source(String name, String... lines) {
        return JavaFileObjects.forSourceLines("test." + name, lines);
    }

    @Test
    void theTutorialModelsCompileCleanly() {
        JavaFileObject twoLayer = source("TwoLayerNet",
                "package test;",
                "import dev.kiln.Tensor;",
                "import dev.kiln.annotations.Model;",
                "import dev.kiln.nn.Linear;",
                "import dev.kiln.nn.Module;",
                "@Model",
                "public class TwoLayerNet extends Module {",
                "    final Linear linear1, linear2;",
                "    public TwoLayerNet(int dIn, int h, int dOut) {",
                "        linear1 = new Linear(dIn, h, false);",
                "        linear2 = new Linear(h, dOut, false);",
                "    }",
                "    @Override public Tensor forward(Tensor x) {",
                "        return linear2.invoke(linear1.invoke(x).clampMin(0));",
                "    }",
                "}");
        assertThat(compile(twoLayer)).succeededWithoutWarnings();

        JavaFileObject classifier = source("Classifier",
                "package test;",
                "import dev.kiln.Tensor;",
                "import dev.kiln.annotations.Model;",
                "import dev.kiln.annotations.Shape;",
                "import dev.kiln.nn.F;",
                "import dev.kiln.nn.Linear;",
                "import dev.kiln.nn.Module;",
                "import dev.kiln.nn.Sequential;",
                "import dev.kiln.nn.Sigmoid;",
                "@Model",
                "public class Classifier extends Module {",
                "    static final int HIDDEN = 13;",
                "    final Linear hidden1 = new Linear(20, HIDDEN);",
                "    final Linear hidden2;",
                "    final Sequential head;",
                "    public Classifier() {",
                "        hidden2 = new Linear(HIDDEN, 8, false);",
                "        this.head = new Sequential(new Sigmoid(), new Linear(2 * 4, 3));",
                "    }",
                "    @Override public Tensor forward(@Shape(\"N, 20\") Tensor x) {",
                "        Tensor h = F.relu(hidden1.invoke(x));",
                "        return head.invoke(hidden2.forward(h));",
                "    }",
                "}");
        assertThat(compile(classifier)).succeededWithoutWarnings();
    }

    @Test
    void aSizeMismatchIsAnErrorOnTheSecondLayersLine() {
        JavaFileObject net = source("Temperature",
                "package test;",
                "import dev.kiln.Tensor;",
                "import dev.kiln.annotations.Model;",
                "import dev.kiln.nn.Linear;",
                "import dev.kiln.nn.Module;",
                "@Model",
                "public class Temperature extends Module {",
                "    final Linear linear1;",
                "    final Linear linear2;",
                "    public Temperature() {",
                "        linear1 = new Linear(13, 128);",
                "        linear2 = new Linear(64, 1);",
                "    }",
                "    @Override public Tensor forward(Tensor x) {",
                "        return linear2.invoke(linear1.invoke(x).sigmoid());",
                "    }",
                "}");
        Compilation compilation = compile(net);
        assertThat(compilation).failed();
        assertThat(compilation).hadErrorCount(1);
        assertThat(compilation)
                .hadErrorContaining("[KilnSizeMismatch] linear2 expects 64 input features but receives 128 from"
                        + " linear1 (line 11)")
                .inFile(net)
                .onLineContaining("linear2 = new Linear(64, 1)");
    }

    private static JavaFileObject encoder(String forwardBody) {
        return source("Encoder",
                "package test;",
                "import dev.kiln.Tensor;",
                "import dev.kiln.annotations.Model;",
                "import dev.kiln.nn.Linear;",
                "import dev.kiln.nn.Module;",
                "@Model",
                "public class Encoder extends Module {",
                "    final Linear linear;",
                "    public Encoder(int dIn, int dOut) {",
                "        linear = new Linear(dIn, dOut);",
                "    }",
                "    @Override public Tensor forward(Tensor x) {",
                "        " + forwardBody,
                "    }",
                "}");
    }

    private static JavaFileObject autoencoder(String encoderSizes) {
        return source("Autoencoder",
                "package test;",
                "import dev.kiln.Tensor;",
                "import dev.kiln.annotations.Model;",
                "import dev.kiln.nn.Linear;",
                "import dev.kiln.nn.Module;",
                "@Model",
                "public class Autoencoder extends Module {",
                "    final Linear input = new Linear(13, 32);",
                "    final Encoder encoder;",
                "    final Linear output;",
                "    public Autoencoder(int code) {",
                "        encoder = new Encoder(" + encoderSizes + ");",
                "        output = new Linear(code, 13);",
                "    }",
                "    @Override public Tensor forward(Tensor x) {",
                "        return output.invoke(encoder.invoke(input.invoke(x).relu()).tanh());",
                "    }",
                "}");
    }

    @Test
    void aComposedModelIsCompiledInlineWithItsSizesBoundByTheCaller() {
        Compilation compilation = compile(encoder("return linear.invoke(x).sigmoid();"), autoencoder("32, code"));
        assertThat(compilation).succeededWithoutWarnings();
        assertThat(compilation).generatedSourceFile("test.AutoencoderKiln").contentsAsUtf8String()
                .contains("Compiled.layer(this, \"encoder.linear\", Linear.class)");
        assertThat(compilation).generatedSourceFile("test.AutoencoderKiln").contentsAsUtf8String()
                .contains("linear.invoke(x).sigmoid() (in Encoder.forward, as encoder)");
    }

    @Test
    void aComposedModelThatCannotAcceptItsInputIsAnErrorWhereItIsBuilt() {
        JavaFileObject outer = autoencoder("64, code");
        Compilation compilation = compile(encoder("return linear.invoke(x);"), outer);
        assertThat(compilation).hadErrorCount(1);
        assertThat(compilation)
                .hadErrorContaining("[KilnSizeMismatch] encoder.linear expects 64 input features but receives 32"
                        + " from input (line 8)")
                .inFile(outer)
                .onLineContaining("encoder = new Encoder(64, code)");
    }

    @Test
    void aComposedModelWhoseForwardIsNotCompiledIsAnErrorAtTheCall() {
        JavaFileObject inner = source("Encoder",
                "package test;",
                "import dev.kiln.Tensor;",
                "import dev.kiln.annotations.Model;",
                "import dev.kiln.nn.Linear;",
                "import dev.kiln.nn.Module;",
                "@Model(compile = false)",
                "public class Encoder extends Module {",
                "    final Linear linear;",
                "    public Encoder(int dIn, int dOut) {",
                "        linear = new Linear(dIn, dOut);",
                "    }",
                "    @Override public Tensor forward(Tensor x) {",
                "        Tensor y = linear.invoke(x);",
                "        for (int i = 0; i < 2; i++) {",
                "            y = linear.invoke(y);",
                "        }",
                "        return y;",
                "    }",
                "}");
        JavaFileObject outer = autoencoder("32, code");
        Compilation compilation = compile(inner, outer);
        assertThat(compilation).hadErrorCount(1);
        assertThat(compilation)
                .hadErrorContaining("[KilnNotCompiled] calling the @Model field encoder whose forward cannot be compiled"
                        + " (a for loop is checked but not yet compiled)")
                .inFile(outer)
                .onLineContaining("return output.invoke(encoder.invoke(");
    }

    private static JavaFileObject parameterNet(String forward) {
        return source("ParameterNet",
                "package test;",
                "import dev.kiln.Parameter;",
                "import dev.kiln.Tensor;",
                "import dev.kiln.annotations.Model;",
                "import dev.kiln.nn.Module;",
                "@Model",
                "public class ParameterNet extends Module {",
                "    final Parameter w1, w2;",
                "    final Parameter b = new Parameter(Tensor.zeros(8));",
                "    public ParameterNet(int dIn) {",
                "        w1 = new Parameter(Tensor.randn(dIn, 16));",
                "        w2 = new Parameter(Tensor.randn(8, 16).times(0.1));",
                "    }",
                "    @Override public Tensor forward(Tensor x) {",
                "        " + forward,
                "    }",
                "}");
    }

    @Test
    void parameterFieldsAreWeightsOfMmAndMatmul() {
        assertThat(compile(parameterNet("return x.mm(w1).relu().matmul(this.w2.t());"))).succeededWithoutWarnings();
    }

    @Test
    void aProductWhoseWeightDoesNotFitIsAnErrorAtTheCall() {
        JavaFileObject net = parameterNet("return x.mm(w1).relu().mm(w2);");
        Compilation compilation = compile(net);
        assertThat(compilation).hadErrorCount(1);
        assertThat(compilation)
                .hadErrorContaining("[KilnSizeMismatch] w2 expects 8 input features but receives 16 from w1 (line 15)")
                .inFile(net)
                .onLineContaining("return x.mm(w1).relu().mm(w2);");
    }

    @Test
    void aParameterUsedOtherThanAsAWeightIsNotCompiled() {
        JavaFileObject net = parameterNet("return x.mm(w1).matmul(w2.t()).plus(b);");
        Compilation compilation = compile(net);
        assertThat(compilation).hadErrorCount(1);
        assertThat(compilation)
                .hadErrorContaining("[KilnNotCompiled] the Parameter field b used other than as the weight of a product")
                .inFile(net)
                .onLineContaining("plus(b)");
    }

    @Test
    void aReshapeOfTheInputToRowsOfFeaturesIsCheckedAndOtherReshapesAreNotCompiled() {
        JavaFileObject mismatch = parameterNet("return x.reshape(-1, 7).matmul(w2.t());");
        Compilation compilation = compile(mismatch);
        assertThat(compilation).hadErrorCount(1);
        assertThat(compilation)
                .hadErrorContaining("[KilnSizeMismatch] w2.t() expects 16 input features but receives 7 from Tensor.reshape")
                .inFile(mismatch).onLineContaining("return x.reshape(-1, 7)");
        JavaFileObject other = parameterNet("return x.mm(w1).reshape(4, -1);");
        compilation = compile(other);
        assertThat(compilation).hadErrorCount(1);
        assertThat(compilation)
                .hadErrorContaining("[KilnNotCompiled] Tensor.reshape other than reshape(-1, features) of the input")
                .inFile(other).onLineContaining("return x.mm(w1).reshape(4, -1)");
    }

    @Test
    void unsupportedConstructsAreErrorsAtTheirPosition() {
        JavaFileObject net = source("Looping",
                "package test;",
                "import dev.kiln.Tensor;",
                "import dev.kiln.annotations.Model;",
                "import dev.kiln.nn.Linear;",
                "import dev.kiln.nn.Module;",
                "@Model",
                "public class Looping extends Module {",
                "    final Linear linear = new Linear(4, 4);",
                "    @Override public Tensor forward(Tensor x) {",
                "        Tensor y = x;",
                "        for (int i = 0; i < 3; i++) {",
                "            y = linear.invoke(y);",
                "        }",
                "        Tensor z = y.frobnicate();",
                "        return z;",
                "    }",
                "    public Looping() {}",
                "}");
        Compilation compilation = compile(net);
        assertThat(compilation).hadErrorCount(2);
        assertThat(compilation)
                .hadErrorContaining("[KilnUnsupported] a for loop is not supported")
                .inFile(net)
                .onLineContaining("for (int i = 0");
        assertThat(compilation)
                .hadErrorContaining("remove @Model or write @Model(compile = false)")
                .inFile(net)
                .onLineContaining("for (int i = 0");
        // javac reports the unknown method itself; the processor adds nothing on that line.
    }

    @Test
    void anUnknownTensorMethodIsNamedWithTheSupportedOnes() {
        JavaFileObject net = source("Odd",
                "package test;",
                "import dev.kiln.Tensor;",
                "import dev.kiln.annotations.Model;",
                "import dev.kiln.nn.Linear;",
                "import dev.kiln.nn.Module;",
                "@Model",
                "public class Odd extends Module {",
                "    final Linear linear = new Linear(4, 4);",
                "    public Odd() {}",
                "    @Override public Tensor forward(Tensor x) {",
                "        return linear.invoke(x).argmax(1);",
                "    }",
                "}");
        assertThat(compile(net))
                .hadErrorContaining("[KilnUnknownMethod] Tensor.argmax is not supported in a @Model forward method;"
                        + " the supported methods are abs, clamp, clampMax, clampMin")
                .inFile(net)
                .onLineContaining("argmax");
    }

    @Test
    void compileFalseKeepsTheModelEagerAndUnchecked() {
        JavaFileObject net = source("Eager",
                "package test;",
                "import dev.kiln.Tensor;",
                "import dev.kiln.annotations.Model;",
                "import dev.kiln.nn.Linear;",
                "import dev.kiln.nn.Module;",
                "@Model(compile = false)",
                "public class Eager extends Module {",
                "    final Linear linear = new Linear(4, 4);",
                "    public Eager() {}",
                "    @Override public Tensor forward(Tensor x) {",
                "        Tensor y = x;",
                "        for (int i = 0; i < 3; i++) {",
                "            y = linear.invoke(y);",
                "        }",
                "        return y;",
                "    }",
                "}");
        assertThat(compile(net)).succeededWithoutWarnings();
    }

    @Test
    void aModelMustBeAModuleWithAForwardMethod() {
        JavaFileObject notModule = source("NotModule",
                "package test;",
                "import dev.kiln.annotations.Model;",
                "@Model",
                "public class NotModule {",
                "}");
        assertThat(compile(notModule))
                .hadErrorContaining("[KilnNotAModule] @Model class NotModule must extend dev.kiln.nn.Module")
                .inFile(notModule)
                .onLineContaining("public class NotModule");
    }
}
