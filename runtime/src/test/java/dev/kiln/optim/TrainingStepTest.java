package dev.kiln.optim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.Generator;
import dev.kiln.Kiln;
import dev.kiln.Parameter;
import dev.kiln.Tensor;
import dev.kiln.loss.CrossEntropyLoss;
import dev.kiln.loss.MSELoss;
import dev.kiln.nn.Linear;
import dev.kiln.nn.ReLU;
import dev.kiln.nn.Sequential;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@link TrainingStep} on eager modules: the same numbers as the tutorials' four lines. The fused
 * path of generated models is checked against these in the examples' and processor's tests.
 */
class TrainingStepTest {
    private static Sequential net(long seed) {
        Kiln.manualSeed(seed);
        return new Sequential(new Linear(6, 8), new ReLU(), new Linear(8, 3));
    }

    @Test
    void anEagerModelStepsAsZeroGradBackwardStep() {
        Generator g = new Generator(3);
        Tensor x = Tensor.randn(g, 10, 6);
        Tensor y = Tensor.randint(0, 3, g, 10);
        Sequential a = net(1), b = net(1);
        SGD sgdA = SGD.builder(a.parameters()).lr(0.1).momentum(0.9).build();
        SGD sgdB = SGD.builder(b.parameters()).lr(0.1).momentum(0.9).build();
        TrainingStep step = TrainingStep.of(b, new CrossEntropyLoss(), sgdB);
        assertThat(step.fused()).isFalse();
        CrossEntropyLoss ce = new CrossEntropyLoss();
        for (int t = 0; t < 4; t++) {
            sgdA.zeroGrad();
            Tensor loss = ce.invoke(a.invoke(x), y);
            loss.backward();
            sgdA.step();
            assertThat(step.step(x, y)).as("loss at step " + t).isEqualTo(loss.item());
        }
        List<Parameter> pa = a.parameters(), pb = b.parameters();
        for (int i = 0; i < pa.size(); i++) {
            assertThat(pb.get(i).toFloatArray()).isEqualTo(pa.get(i).toFloatArray());
            assertThat(pb.get(i).grad().toFloatArray()).isEqualTo(pa.get(i).grad().toFloatArray());
        }
    }

    @Test
    void parametersOfTheOptimizerOutsideTheModelHaveTheirGradientsCleared() {
        Sequential model = net(2);
        Parameter other = new Parameter(Tensor.ones(3));
        other.setGrad(Tensor.ones(3));
        List<Tensor> params = new ArrayList<>(model.parameters());
        params.add(other);
        TrainingStep step = TrainingStep.of(model, new MSELoss(), new SGD(params, 0.1));
        step.step(Tensor.ones(4, 6), Tensor.zeros(4, 3));
        assertThat(other.grad()).as("cleared as zeroGrad() does, so the step leaves it alone").isNull();
        assertThat(other.toFloatArray()).containsExactly(1f, 1f, 1f);
    }

    @Test
    void badTargetsGetTheLossesOwnMessage() {
        Sequential model = net(3);
        TrainingStep step = TrainingStep.of(model, new CrossEntropyLoss(), new SGD(model.parameters(), 0.1));
        assertThatThrownBy(() -> step.step(Tensor.ones(4, 6), Tensor.of(0, 1, 7, 0)))
                .isInstanceOf(IndexOutOfBoundsException.class).hasMessageContaining("target 7 at position [2] is out of range");
        assertThatThrownBy(() -> step.step(null, Tensor.of(0))).isInstanceOf(NullPointerException.class)
                .hasMessage("x");
    }

    @Test
    void describesItself() {
        Sequential model = net(4);
        TrainingStep step = TrainingStep.of(model, new MSELoss(), new Adam(model.parameters()));
        assertThat(step.toString()).startsWith("TrainingStep[Sequential, MSELoss").endsWith("Adam]");
        assertThat(step.model()).isSameAs(model);
        assertThat(step.loss()).isInstanceOf(MSELoss.class);
    }
}
