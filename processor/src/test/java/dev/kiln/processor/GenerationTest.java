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
