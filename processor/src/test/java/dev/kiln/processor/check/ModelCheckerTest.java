package dev.kiln.processor.check;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.processor.Report;
import dev.kiln.processor.read.Expr;
import dev.kiln.processor.read.LayerSource;
import dev.kiln.processor.read.ModelSource;
import dev.kiln.processor.read.SizeExpr;
import dev.kiln.processor.read.SourcePosition;
import dev.kiln.processor.read.Statement;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The check stage on source models built by hand: no javac involved. */
class ModelCheckerTest {

    private static SourcePosition at(long line) {
        return SourcePosition.line(line);
    }

    private static LayerSource linear(String name, SizeExpr in, SizeExpr out, long line) {
        return new LayerSource(name, "Linear", false, List.of(in, out), true, List.of(), at(line));
    }

    private static LayerSource layer(String name, String type, long line) {
        return new LayerSource(name, type, false, List.of(), true, List.of(), at(line));
    }

    private static SizeExpr c(long v) {
        return new SizeExpr.Constant(v);
    }

    private static SizeExpr p(String name) {
        return new SizeExpr.Parameter(name);
    }

    private static Expr x() {
        return new Expr.Variable("x", at(20));
    }

    private static Expr call(String layer, Expr arg, long line) {
        return new Expr.LayerCall(layer, arg, at(line));
    }

    private static Expr method(Expr receiver, String name, long line, Expr... args) {
        return new Expr.TensorMethod(receiver, name, List.of(args), at(line));
    }

    private static Report check(List<LayerSource> layers, List<Statement> body) {
        Report report = new Report();
        ModelChecker.check(new ModelSource("Net", List.of("dIn", "h", "dOut"), layers, "x", List.of(), body, at(1)),
                report);
        return report;
    }

    private static List<String> messages(Report report) {
        return report.items().stream().map(Report.Item::message).toList();
    }

    @Test
    void consecutiveLayersThatAgreeSymbolicallyAreClean() {
        Report report = check(List.of(linear("linear1", p("dIn"), p("h"), 11), linear("linear2", p("h"), p("dOut"), 12)),
                List.of(new Statement.Return(call("linear2", method(call("linear1", x(), 20), "clampMin", 20,
                        new Expr.Number(0, at(20))), 20), at(20))));
        assertThat(report.isClean()).isTrue();
    }

    @Test
    void aConstantMismatchIsReportedAtTheSecondLayerNamingBothSizes() {
        Report report = check(List.of(linear("linear1", c(13), c(128), 11), linear("linear2", c(64), c(1), 12)),
                List.of(new Statement.Local("h", method(call("linear1", x(), 20), "relu", 20), at(20)),
                        new Statement.Return(call("linear2", new Expr.Variable("h", at(21)), 21), at(21))));
        assertThat(messages(report)).containsExactly(
                "[KilnSizeMismatch] linear2 expects 64 input features but receives 128 from linear1 (line 11)");
        assertThat(report.items().getFirst().position().line()).isEqualTo(12);
    }

    /** {@code class Block(int dIn, int dOut)} with one Linear(dIn, dOut) and forward returning it applied to x. */
    private static ModelSource block() {
        return new ModelSource("Block", List.of("dIn", "dOut"), List.of(linear("inner", p("dIn"), p("dOut"), 3)), "x",
                List.of(), List.of(new Statement.Return(call("inner", x(), 5), at(5))), at(1));
    }

    private static LayerSource composed(String name, long line, SizeExpr... arguments) {
        return new LayerSource(name, "Block", true, List.of(arguments), true, List.of(), at(line), block());
    }

    @Test
    void aComposedModelsSizesAreBoundToTheArgumentsItIsBuiltWith() {
        Report clean = check(List.of(linear("linear1", c(13), p("h"), 11), composed("block", 12, p("h"), c(4)),
                        linear("linear2", c(4), c(1), 13)),
                List.of(new Statement.Return(call("linear2", call("block", call("linear1", x(), 20), 20), 20), at(20))));
        assertThat(clean.isClean()).isTrue();

        Report wrongInput = check(List.of(linear("linear1", c(13), c(128), 11), composed("block", 12, c(64), c(4))),
                List.of(new Statement.Return(call("block", call("linear1", x(), 20), 20), at(20))));
        assertThat(messages(wrongInput)).containsExactly(
                "[KilnSizeMismatch] block.inner expects 64 input features but receives 128 from linear1 (line 11)");
        assertThat(wrongInput.items().getFirst().position().line()).isEqualTo(12);

        Report wrongOutput = check(List.of(composed("block", 12, p("dIn"), c(4)), linear("linear2", c(5), c(1), 13)),
                List.of(new Statement.Return(call("linear2", call("block", x(), 20), 20), at(20))));
        assertThat(messages(wrongOutput)).containsExactly(
                "[KilnSizeMismatch] linear2 expects 5 input features but receives 4 from block (line 12)");
    }

    @Test
    void sizesThatMayBeEqualAreLeftToTheRunTimeCheck() {
        Report report = check(List.of(linear("linear1", p("dIn"), p("h"), 11), linear("linear2", c(64), c(1), 12)),
                List.of(new Statement.Return(call("linear2", call("linear1", x(), 20), 20), at(20))));
        assertThat(report.isClean()).isTrue();
    }

    @Test
    void sequentialElementsAreCheckedInOrder() {
        LayerSource seq = new LayerSource("layers", "Sequential", false, List.of(), true, List.of(
                linear("layers[0]", c(20), c(13), 5), layer("layers[1]", "ReLU", 5),
                linear("layers[2]", c(12), c(3), 5)), at(5));
        Report report = check(List.of(seq), List.of(new Statement.Return(call("layers", x(), 20), at(20))));
        assertThat(messages(report)).containsExactly(
                "[KilnSizeMismatch] layers[2] expects 12 input features but receives 13 from layers[0] (line 5)");
    }

    @Test
    void everyProblemIsReportedInOneRun() {
        Report report = check(List.of(linear("linear1", c(4), c(4), 11), layer("conv", "Conv2d", 12)),
                List.of(new Statement.Unsupported("a for loop", at(20)),
                        new Statement.Local("y", method(x(), "frobnicate", 21), at(21)),
                        new Statement.Local("z", call("missing", x(), 22), at(22)),
                        new Statement.Local("w", call("conv", x(), 23), at(23)),
                        new Statement.Local("v", new Expr.StaticCall("Math", "abs", List.of(x()), at(24)), at(24))));
        assertThat(messages(report)).hasSize(6);
        assertThat(messages(report).get(0)).startsWith("[KilnUnsupported] a for loop is not supported");
        assertThat(messages(report).get(1)).startsWith("[KilnUnknownMethod] Tensor.frobnicate is not supported");
        assertThat(messages(report).get(2)).isEqualTo(
                "[KilnUnknownLayer] missing is not a layer field of Net built in its constructor (field = new Layer(...))");
        assertThat(messages(report).get(3)).startsWith("[KilnUnsupportedLayer] conv is a Conv2d");
        assertThat(messages(report).get(4)).startsWith("[KilnUnsupported] a call of Math.abs is not supported");
        assertThat(messages(report).get(5)).startsWith("[KilnNoReturn]");
        assertThat(messages(report).get(0)).endsWith("to keep Net eager, remove @Model or write @Model(compile = false)");
    }

    @Test
    void theInputShapeIsCheckedAgainstTheFirstLayer() {
        Report report = new Report();
        ModelChecker.check(new ModelSource("Net", List.of(), List.of(linear("linear1", c(13), c(8), 7)), "x",
                List.of(new SizeExpr.Opaque("N"), c(12)),
                List.of(new Statement.Return(call("linear1", x(), 9), at(9))), at(3)), report);
        assertThat(messages(report)).containsExactly(
                "[KilnSizeMismatch] linear1 expects 13 input features but receives 12 from the input (line 3)");
    }

    @Test
    void tensorArithmeticOnOperandsOfProvablyDifferentSizesIsReported() {
        List<LayerSource> layers = List.of(linear("linear1", c(13), c(128), 11), linear("linear2", c(128), c(64), 12),
                linear("linear3", c(128), c(1), 13));
        Expr h = new Expr.Variable("h", at(20));
        Report mismatch = check(layers, List.of(new Statement.Local("h", call("linear1", x(), 20), at(20)),
                new Statement.Return(method(call("linear2", h, 21), "plus", 21, h), at(21))));
        assertThat(messages(mismatch)).containsExactly(
                "[KilnSizeMismatch] plus combines 64 features from linear2 (line 12) with 128 features from linear1"
                        + " (line 11)");
        assertThat(mismatch.items().getFirst().position().line()).isEqualTo(21);

        Report broadcast = check(layers, List.of(new Statement.Local("h", call("linear1", x(), 20), at(20)),
                new Statement.Return(method(h, "times", 21, call("linear3", h, 21)), at(21))));
        assertThat(messages(broadcast)).singleElement().asString()
                .startsWith("[KilnNotCompiled] times of 128 and 1 features broadcasts");

        Report same = check(layers, List.of(new Statement.Local("h", call("linear1", x(), 20), at(20)),
                new Statement.Return(method(call("linear1", x(), 21), "minus", 21, h), at(21))));
        assertThat(same.isClean()).isTrue();
    }
}
