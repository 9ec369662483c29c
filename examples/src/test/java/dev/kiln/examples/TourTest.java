package dev.kiln.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

/** Runs the tour end to end: a smoke test of the runtime's public surface as a user meets it. */
class TourTest {

    static ExampleRunner.CliResult tour(String... extra) {
        String[] args = new String[extra.length + 2];
        args[0] = "run";
        args[1] = "tour";
        System.arraycopy(extra, 0, args, 2, extra.length);
        return ExampleRunner.kiln(args);
    }

    /**
     * The first number in a printed value: {@code tensor(2.)}, {@code tensor([2.0])} and
     * {@code tensor(2., grad_fn=...)} all give 2, so the test does not pin the tensor format.
     */
    static double numberIn(String value) {
        Matcher m = NUMBER.matcher(value);
        assertThat(m.find()).as("a number in '%s'", value).isTrue();
        return Double.parseDouble(m.group());
    }

    private static final Pattern NUMBER = Pattern.compile("-?\\d+(\\.\\d*)?([eE][-+]?\\d+)?");

    /** The line printed right after the REPL-style line {@code >>> code}. */
    static String valueOf(String output, String code) {
        var lines = output.lines().toList();
        int i = lines.indexOf(">>> " + code);
        assertThat(i).as("'>>> %s' in the output", code).isNotNegative();
        return lines.get(i + 1);
    }

    @Test
    void runsAndPrintsTheGradientsOfWxPlusB() {
        var r = tour();
        assertThat(r.err()).isEmpty();
        assertThat(r.exit()).isZero();
        // y = w*x + b at x=1, w=2, b=3: dy/dx = w = 2, dy/dw = x = 1, dy/db = 1.
        assertThat(numberIn(valueOf(r.out(), "x.grad()"))).isEqualTo(2.0);
        assertThat(numberIn(valueOf(r.out(), "w.grad()"))).isEqualTo(1.0);
        assertThat(numberIn(valueOf(r.out(), "b.grad()"))).isEqualTo(1.0);
        // d(u^3)/du at u=3.
        assertThat(numberIn(valueOf(r.out(), "Autograd.grad(f, u)[0]"))).isEqualTo(27.0);
        assertThat(valueOf(r.out(), "w.times(x).gradFn()   // inside noGrad()")).isEqualTo("null");
        assertThat(valueOf(r.out(), "w.times(x).gradFn()   // outside")).isNotEqualTo("null");
        assertThat(valueOf(r.out(), "a.sum().item()")).isEqualTo("21.0");
    }

    @Test
    void sameSeedSameOutputOtherSeedOtherRandn() {
        String first = tour("--seed", "7").out();
        assertThat(tour("--seed", "7").out()).isEqualTo(first);
        assertThat(valueOf(tour("--seed", "8").out(), "Tensor.randn(2, 3)"))
                .isNotEqualTo(valueOf(first, "Tensor.randn(2, 3)"));
    }

    @Test
    void quietDropsCommentaryButKeepsResults() {
        String loud = tour().out();
        String quiet = tour("--quiet").out();
        assertThat(loud).contains("== Autograd");
        assertThat(quiet).doesNotContain("== ").doesNotContain("# ").contains(">>> x.grad()");
    }
}
