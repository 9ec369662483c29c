package dev.kiln.optim;

import static dev.kiln.optim.OptimTesting.THETA0;
import static dev.kiln.optim.OptimTesting.param;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/** The schedulers' learning-rate sequences against PyTorch's documented formulas, computed by hand. */
class LRSchedulerTest {

    /** An SGD optimizer with two groups, at learning rates 0.1 and 0.04. */
    private static SGD twoGroups() {
        return SGD.builder(List.of(ParamGroup.of(param(THETA0)), ParamGroup.of(param(THETA0)).lr(0.04))).lr(0.1).build();
    }

    /**
     * Steps {@code scheduler} {@code epochs} times and checks each group's learning rate (in the group
     * and in {@code lastLr()}) against {@code expected(base, epoch)}.
     */
    private static void assertSequence(LRScheduler scheduler, int epochs, ExpectedLr expected) {
        List<ParamGroup> groups = scheduler.optimizer().paramGroups();
        double[] base = {0.1, 0.04};
        for (int e = 0; e <= epochs; e++) {
            if (e > 0) {
                scheduler.optimizer().step();
                scheduler.step();
            }
            assertThat(scheduler.lastEpoch()).isEqualTo(e);
            for (int i = 0; i < groups.size(); i++) {
                double want = expected.lr(base[i], e);
                double tolerance = 1e-12 * Math.max(Math.abs(want), 1e-3);
                assertThat(groups.get(i).lr()).as("group %d at epoch %d", i, e).isCloseTo(want, within(tolerance));
                assertThat(scheduler.lastLr().get(i)).as("lastLr %d at epoch %d", i, e).isEqualTo(groups.get(i).lr());
            }
        }
    }

    @FunctionalInterface
    interface ExpectedLr {
        double lr(double base, int epoch);
    }

    @Test
    void stepLRDecaysEveryStepSizeEpochs() {
        // lr = base * gamma^floor(epoch / step_size)
        assertSequence(new StepLR(twoGroups(), 3, 0.5), 10, (base, e) -> base * Math.pow(0.5, e / 3));
    }

    @Test
    void stepLRDefaultsToGammaOneTenth() {
        assertSequence(new StepLR(twoGroups(), 2), 7, (base, e) -> base * Math.pow(0.1, e / 2));
    }

    @Test
    void exponentialLRDecaysEveryEpoch() {
        assertSequence(new ExponentialLR(twoGroups(), 0.9), 12, (base, e) -> base * Math.pow(0.9, e));
    }

    @Test
    void cosineAnnealingFollowsTheCosineAndRisesAgainPastTMax() {
        // eta_t = eta_min + (eta_max - eta_min)(1 + cos(pi t / T_max)) / 2, for t past T_max too.
        double etaMin = 0.001;
        assertSequence(new CosineAnnealingLR(twoGroups(), 5, etaMin), 23,
                (base, e) -> etaMin + (base - etaMin) * (1 + Math.cos(Math.PI * e / 5)) / 2);
    }

    @Test
    void cosineAnnealingReachesZeroByDefault() {
        SGD sgd = new SGD(List.of(param(THETA0)), 0.1);
        CosineAnnealingLR scheduler = new CosineAnnealingLR(sgd, 4);
        List<Double> lrs = new ArrayList<>();
        for (int e = 1; e <= 4; e++) {
            scheduler.step();
            lrs.add(scheduler.lastLr().get(0));
        }
        assertThat(lrs.get(0)).isCloseTo(0.1 * (1 + Math.cos(Math.PI / 4)) / 2, within(1e-16));
        assertThat(lrs.get(1)).isCloseTo(0.05, within(1e-16));
        assertThat(lrs.get(3)).isCloseTo(0.0, within(1e-17));
    }

    @Test
    void theRecursiveFormsCarryOnALearningRateSetByHand() {
        SGD sgd = new SGD(List.of(param(THETA0)), 0.1);
        StepLR scheduler = new StepLR(sgd, 2, 0.5);
        scheduler.step();
        sgd.paramGroups().get(0).lr(1.0);
        scheduler.step();
        assertThat(scheduler.lastLr()).containsExactly(0.5);
        scheduler.step();
        assertThat(scheduler.lastLr()).containsExactly(0.5);
    }

    @Test
    void schedulersChainOnOneOptimizer() {
        SGD sgd = new SGD(List.of(param(THETA0)), 1.0);
        ExponentialLR exponential = new ExponentialLR(sgd, 0.9);
        StepLR step = new StepLR(sgd, 2, 0.5);
        double expected = 1.0;
        for (int e = 1; e <= 6; e++) {
            exponential.step();
            step.step();
            expected *= 0.9;
            if (e % 2 == 0) {
                expected *= 0.5;
            }
            assertThat(sgd.paramGroups().get(0).lr()).isCloseTo(expected, within(1e-15));
        }
    }

    @Test
    void creatingASchedulerKeepsTheLearningRatesAndRecordsThem() {
        SGD sgd = twoGroups();
        StepLR scheduler = new StepLR(sgd, 10);
        assertThat(scheduler.lastEpoch()).isZero();
        assertThat(scheduler.lastLr()).containsExactly(0.1, 0.04);
        assertThat(scheduler.baseLrs()).containsExactly(0.1, 0.04);
        assertThat(sgd.paramGroups().get(1).options()).containsEntry("initial_lr", 0.04);
        assertThat(sgd.stateDict().paramGroups().get(1)).containsEntry("initial_lr", 0.04);
    }

    @Test
    void anExistingInitialLrIsTheBase() {
        // As when an optimizer restored from a checkpoint gets a new scheduler.
        SGD sgd = new SGD(List.of(param(THETA0)), 0.1);
        sgd.paramGroups().get(0).set("initial_lr", 0.4);
        ExponentialLR scheduler = new ExponentialLR(sgd, 0.5);
        assertThat(scheduler.baseLrs()).containsExactly(0.4);
        assertThat(scheduler.lastLr()).containsExactly(0.1);
    }

    @Test
    void savedProgressContinuesAsAnUninterruptedRun() {
        Function<SGD, LRScheduler> make = sgd -> new CosineAnnealingLR(sgd, 6, 0.01);
        SGD sgd = twoGroups();
        LRScheduler scheduler = make.apply(sgd);
        for (int e = 0; e < 4; e++) {
            scheduler.step();
        }
        OptimizerState optimizerState = sgd.stateDict();
        SchedulerState schedulerState = scheduler.stateDict();
        assertThat(schedulerState.lastEpoch()).isEqualTo(4);
        assertThat(schedulerState.stepCount()).isEqualTo(5);
        assertThat(schedulerState.baseLrs()).containsExactly(0.1, 0.04);

        SGD sgd2 = twoGroups();
        sgd2.loadStateDict(optimizerState);
        LRScheduler scheduler2 = make.apply(sgd2);
        scheduler2.loadStateDict(schedulerState);
        assertThat(scheduler2.lastLr()).isEqualTo(scheduler.lastLr());
        for (int e = 0; e < 10; e++) {
            scheduler.step();
            scheduler2.step();
            assertThat(scheduler2.lastLr()).isEqualTo(scheduler.lastLr());
        }
        assertThat(scheduler2.lastEpoch()).isEqualTo(14);
    }

    @Test
    void invalidArgumentsAreRejected() {
        SGD sgd = new SGD(List.of(param(THETA0)), 0.1);
        assertThatThrownBy(() -> new StepLR(sgd, 0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("StepLR: stepSize must be positive, got 0");
        assertThatThrownBy(() -> new StepLR(sgd, 1, -0.1)).hasMessageContaining("gamma must be a finite number >= 0");
        assertThatThrownBy(() -> new ExponentialLR(sgd, Double.NaN)).hasMessageContaining("gamma must be");
        assertThatThrownBy(() -> new CosineAnnealingLR(sgd, 0)).hasMessage("CosineAnnealingLR: tMax must be positive, got 0");
        assertThatThrownBy(() -> new CosineAnnealingLR(sgd, 5, -1)).hasMessageContaining("etaMin must be");
        // A rejected scheduler leaves the optimizer as it was.
        assertThat(sgd.paramGroups().get(0).has("initial_lr")).isFalse();
        StepLR scheduler = new StepLR(sgd, 2);
        assertThatThrownBy(() -> scheduler.loadStateDict(new SchedulerState(1, 2, List.of(0.1, 0.2), List.of(0.1, 0.2))))
                .hasMessage("loaded scheduler state has learning rates for 2 parameter groups, but the optimizer has 1");
        assertThatThrownBy(() -> new SchedulerState(1, 2, List.of(0.1), List.of()))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void addingAGroupAfterTheSchedulerIsAnError() {
        SGD sgd = new SGD(List.of(param(THETA0)), 0.1);
        StepLR scheduler = new StepLR(sgd, 2);
        sgd.addParamGroup(ParamGroup.of(param(THETA0)));
        assertThatThrownBy(scheduler::step).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("the optimizer has 2 parameter groups but the scheduler was created for 1");
    }
}
