package dev.kiln.examples.support;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.OptionalInt;

import org.junit.jupiter.api.Test;

import dev.kiln.examples.ExampleOptions;

class ProgressTest {

    final StringWriter buffer = new StringWriter();

    ExampleOptions options(boolean quiet) {
        return new ExampleOptions(1, OptionalInt.empty(), Path.of("unused"), quiet, false, new PrintWriter(buffer));
    }

    @Test
    void plainLinesEveryIntervalAndAtTheEnd() {
        try (var p = Progress.lines(options(false), "epoch", 25, 10)) {
            for (int i = 1; i <= 25; i++) {
                p.step(1.0 / i);
            }
            assertThat(p.current()).isEqualTo(25);
        }
        assertThat(buffer.toString().lines().toList()).containsExactly(
                "epoch 10/25  loss 0.1000", "epoch 20/25  loss 0.0500", "epoch 25/25  loss 0.0400");
    }

    @Test
    void aDetailFollowsTheLoss() {
        try (var p = Progress.lines(options(false), "epoch", 2, 1)) {
            p.step(0.5, "train_accuracy 0.7500");
            p.step(0.25, "");
        }
        assertThat(buffer.toString().lines().toList()).containsExactly(
                "epoch 1/2  loss 0.5000  train_accuracy 0.7500", "epoch 2/2  loss 0.2500");
    }

    @Test
    void startOffATerminalPrintsAboutTenLines() {
        // Tests do not run on a terminal, so start() chooses plain lines.
        try (var p = Progress.start(options(false), "iteration", 100)) {
            for (int i = 1; i <= 100; i++) {
                p.step(Double.NaN);
            }
        }
        assertThat(buffer.toString().lines().toList()).hasSize(10).startsWith("iteration 10/100");
    }

    @Test
    void quietPrintsNothing() {
        try (var p = Progress.start(options(true), "epoch", 5)) {
            for (int i = 1; i <= 5; i++) {
                p.step(0.5);
            }
        }
        assertThat(buffer.toString()).isEmpty();
    }

    @Test
    void stepsOutsideTheRangeAreRejected() {
        try (var p = Progress.lines(options(false), "epoch", 2, 1)) {
            assertThatThrownBy(() -> p.stepTo(3, 0)).isInstanceOf(IllegalArgumentException.class);
        }
    }
}
