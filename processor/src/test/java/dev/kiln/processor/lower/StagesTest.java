package dev.kiln.processor.lower;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.processor.Report;
import dev.kiln.processor.autodiff.Backward;
import dev.kiln.processor.fuse.Fusion;
import dev.kiln.processor.ir.ModelGraph;
import dev.kiln.processor.ir.Op;
import dev.kiln.processor.ir.PointwiseKind;
import dev.kiln.processor.read.Expr;
import dev.kiln.processor.read.LayerSource;
import dev.kiln.processor.read.ModelSource;
import dev.kiln.processor.read.SizeExpr;
import dev.kiln.processor.read.SourcePosition;
import dev.kiln.processor.read.Statement;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Lower, differentiate and fuse on source models built by hand, without javac. */
class StagesTest {
    private static final SourcePosition AT = SourcePosition.line(1);

    private static LayerSource linear(String name, long in, long out, boolean bias) {
        return new LayerSource(name, "Linear", false, List.of(new SizeExpr.Constant(in), new SizeExpr.Constant(out)),
                bias, List.of(), SourcePosition.line(2));
    }

    private static Expr call(String layer, Expr argument) {
        return new Expr.LayerCall(layer, argument, AT);
    }

    private static Expr method(Expr receiver, String name, Expr... arguments) {
        return new Expr.TensorMethod(receiver, name, List.of(arguments), AT);
    }

    private static ModelSource model(List<LayerSource> layers, Statement... body) {
        return new ModelSource("Net", List.of(), layers, "x", List.of(), List.of(body), AT);
    }

    /** relu(l1(x)) then sigmoid(l2(h)) then logSoftmax: a local, two dense blocks and a softmax. */
    private static ModelGraph classifier(Report report) {
        Expr x = new Expr.Variable("x", AT);
        ModelSource source = model(List.of(linear("l1", 4, 3, true), linear("l2", 3, 2, false)),
                new Statement.Local("h", method(call("l1", x), "relu"), AT),
                new Statement.Return(method(method(call("l2", new Expr.Variable("h", AT)), "sigmoid"), "logSoftmax",
                        new Expr.Number(1, AT)), AT));
        return Lowering.lower(source, "p", report);
    }

    @Test
    void localsBecomeOneChain() {
        Report report = new Report();
        ModelGraph graph = classifier(report);
        assertThat(report.isClean()).isTrue();
        assertThat(graph.ops()).hasSize(5);
        assertThat(graph.ops().get(0)).isInstanceOf(Op.Linear.class);
        assertThat(((Op.Pointwise) graph.ops().get(1)).kind()).isEqualTo(PointwiseKind.RELU);
        assertThat(graph.ops().get(4)).isInstanceOf(Op.Softmax.class);
    }

    @Test
    void theBackwardKeepsWhatItsDerivativesRead() {
        ModelGraph graph = classifier(new Report());
        Backward backward = Backward.of(graph);
        assertThat(backward.steps()).extracting(Backward.Step::op).containsExactly(4, 3, 2, 1, 0);
        // x and relu's output for the GEMMs (relu's output also for its own derivative),
        // sigmoid's output, the log-softmax output.
        assertThat(backward.saved()).containsExactly(0, 2, 4, 5);
    }

    @Test
    void fusionRunsActivationsWithAVectorisedKernelAsWholeArrayPasses() {
        ModelGraph graph = classifier(new Report());
        Fusion fusion = Fusion.of(graph, Backward.of(graph));
        assertThat(fusion.blocks()).extracting(b -> b.getClass().getSimpleName())
                .containsExactly("Dense", "Vectorised", "Dense", "Vectorised", "RowSoftmax");
        assertThat(fusion.blocks().get(2).from()).isEqualTo(2);
        // block boundaries, and what the derivatives read
        assertThat(fusion.stored()).containsExactly(0, 1, 2, 3, 4, 5);
    }

    @Test
    void elementwiseOperationsBetweenVectorisedOnesShareALoop() {
        Expr x = new Expr.Variable("x", AT);
        ModelGraph graph = Lowering.lower(model(List.of(linear("l1", 4, 4, true)),
                new Statement.Return(method(method(method(method(method(call("l1", x), "exp"), "abs"), "times",
                        new Expr.Number(2, AT)), "tanh"), "abs"), AT)), "p", new Report());
        Fusion fusion = Fusion.of(graph, Backward.of(graph));
        assertThat(fusion.blocks()).extracting(b -> b.getClass().getSimpleName())
                .containsExactly("Dense", "Vectorised", "Elementwise", "Vectorised", "Elementwise");
        assertThat(fusion.blocks().get(2).pointwise()).hasSize(2);
    }

    @Test
    void uncheckedConstructsAreReportedNotDropped() {
        Expr x = new Expr.Variable("x", AT);
        Report report = new Report();
        ModelGraph graph = Lowering.lower(model(List.of(linear("l1", 4, 4, true)),
                new Statement.Return(method(call("l1", x), "mm", x), SourcePosition.line(7))), "p", report);
        assertThat(graph).isNull();
        assertThat(report.items()).singleElement().satisfies(item -> {
            assertThat(item.message()).startsWith("[KilnNotCompiled] Tensor.mm of two computed values");
            assertThat(item.position().line()).isEqualTo(1);
        });
    }

    @Test
    void arithmeticBetweenAValueAndOneComputedFromItContinuesTheChain() {
        Expr x = new Expr.Variable("x", AT);
        Expr h = new Expr.Variable("h", AT);
        Report report = new Report();
        ModelGraph graph = Lowering.lower(model(List.of(linear("l1", 4, 4, true)),
                new Statement.Local("h", method(call("l1", x), "tanh"), AT),
                new Statement.Return(method(x, "minus", h), AT)), "p", report);
        assertThat(report.isClean()).isTrue();
        assertThat(graph.ops()).hasSize(3);
        assertThat(graph.ops().get(2)).isEqualTo(new Op.Binary(Op.Binary.Kind.MINUS, 0, true, AT, "x.minus(h)"));
        Backward backward = Backward.of(graph);
        assertThat(backward.saved()).contains(0);
    }

    @Test
    void arithmeticBetweenTwoBranchesRunsTheSecondFromTheValueBothShare() {
        Expr x = new Expr.Variable("x", AT);
        Expr h = new Expr.Variable("h", AT);
        Report report = new Report();
        // h = l1(x).relu(); return l2(h).tanh().times(h.sigmoid())
        ModelGraph graph = Lowering.lower(model(List.of(linear("l1", 4, 4, true), linear("l2", 4, 4, true)),
                new Statement.Local("h", method(call("l1", x), "relu"), AT),
                new Statement.Return(method(method(call("l2", h), "tanh"), "times", method(h, "sigmoid")),
                        SourcePosition.line(9))), "p", report);
        assertThat(report.isClean()).isTrue();
        assertThat(graph.ops()).extracting(op -> op.getClass().getSimpleName())
                .containsExactly("Linear", "Pointwise", "Linear", "Pointwise", "Branch", "Pointwise", "Binary");
        assertThat(((Op.Branch) graph.ops().get(4)).value()).as("the branch starts from h, value 2").isEqualTo(2);
        assertThat(((Op.Binary) graph.ops().get(6)).other()).as("the left operand, value 4").isEqualTo(4);
        Backward backward = Backward.of(graph);
        assertThat(backward.saved()).contains(2, 4);
        Fusion fusion = Fusion.of(graph, backward);
        assertThat(fusion.blocks()).extracting(b -> b.getClass().getSimpleName())
                .containsExactly("Dense", "Vectorised", "Dense", "Vectorised", "Restart", "Vectorised", "Elementwise");
    }
}
