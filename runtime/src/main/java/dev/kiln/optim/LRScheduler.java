package dev.kiln.optim;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The base of the learning-rate schedulers, the counterpart of
 * {@code torch.optim.lr_scheduler.LRScheduler}: each {@link #step()} (usually once per epoch, after
 * the optimizer's steps) sets every parameter group's {@code "lr"} to the schedule's next value.
 *
 * <pre>{@code
 * var optimizer = new SGD(model.parameters(), 0.1);
 * var scheduler = new StepLR(optimizer, 30, 0.1);
 * for (int epoch = 0; epoch < 100; epoch++) {
 *     train(model, optimizer);
 *     scheduler.step();
 * }
 * }</pre>
 *
 * <p>The schedules are PyTorch's chainable (recursive) forms: each new learning rate is computed from
 * the group's current one, so a value set by hand, or by another scheduler on the same optimizer, is
 * carried on, and the values equal PyTorch's step for step.
 *
 * <p>When created, a scheduler records each group's learning rate as {@code "initial_lr"} in the
 * group (as PyTorch does; a group that already has one, such as a group restored from a checkpoint,
 * keeps it) and takes those as the base learning rates. The learning rate at epoch 0 is the group's
 * current one: constructing a scheduler does not change it.
 *
 * <p>To write another schedule, extend this class and implement {@link #computeLr}.
 */
public abstract class LRScheduler {
    private final Optimizer optimizer;
    private List<Double> baseLrs;
    private List<Double> lastLr;
    private int lastEpoch;
    private int stepCount;

    /** A scheduler for {@code optimizer}'s groups, at epoch 0. */
    protected LRScheduler(Optimizer optimizer) {
        this.optimizer = Objects.requireNonNull(optimizer, "optimizer");
        List<Double> base = new ArrayList<>();
        for (ParamGroup group : optimizer.paramGroups()) {
            if (!group.has(Optimizer.INITIAL_LR)) {
                group.set(Optimizer.INITIAL_LR, group.lr());
            }
            base.add(group.getDouble(Optimizer.INITIAL_LR));
        }
        this.baseLrs = List.copyOf(base);
        // PyTorch's initial step: last_epoch -1 -> 0, keeping each group's learning rate.
        this.lastEpoch = 0;
        this.stepCount = 1;
        this.lastLr = currentLrs();
    }

    /**
     * The learning rate of one group at {@code epoch} (at least 1), from the group's learning rate at
     * the previous epoch {@code lr} and its base learning rate.
     */
    protected abstract double computeLr(int epoch, double lr, double baseLr);

    /** Advances one epoch: sets each group's learning rate to the schedule's next value. */
    public void step() {
        List<ParamGroup> groups = groups();
        int epoch = lastEpoch + 1;
        double[] lrs = new double[groups.size()];
        for (int i = 0; i < lrs.length; i++) {
            lrs[i] = computeLr(epoch, groups.get(i).lr(), baseLrs.get(i));
        }
        for (int i = 0; i < lrs.length; i++) {
            groups.get(i).lr(lrs[i]);
        }
        lastEpoch = epoch;
        stepCount++;
        lastLr = currentLrs();
    }

    /** The learning rate of each group after the last {@link #step()} (or at creation), as PyTorch's {@code get_last_lr()}. */
    public List<Double> lastLr() {
        return lastLr;
    }

    /** The number of steps taken: PyTorch's {@code last_epoch}. */
    public int lastEpoch() {
        return lastEpoch;
    }

    /** Each group's base (initial) learning rate. */
    public List<Double> baseLrs() {
        return baseLrs;
    }

    /** The optimizer whose learning rates this scheduler sets. */
    public Optimizer optimizer() {
        return optimizer;
    }

    /** The scheduler's progress, to save with the optimizer's {@link Optimizer#stateDict()}. */
    public SchedulerState stateDict() {
        return new SchedulerState(lastEpoch, stepCount, baseLrs, lastLr);
    }

    /**
     * Restores progress saved by {@link #stateDict()}; the optimizer's learning rates are not changed
     * (they are restored with the optimizer's own state), as in PyTorch.
     *
     * @throws IllegalArgumentException if the state is for another number of parameter groups, or its
     *     epoch is negative
     */
    public void loadStateDict(SchedulerState state) {
        Objects.requireNonNull(state, "state");
        int groups = optimizer.paramGroups().size();
        if (state.baseLrs().size() != groups) {
            throw new IllegalArgumentException("loaded scheduler state has learning rates for " + state.baseLrs().size()
                    + " parameter groups, but the optimizer has " + groups);
        }
        if (state.lastEpoch() < 0) {
            throw new IllegalArgumentException("loaded scheduler state has a negative epoch: " + state.lastEpoch());
        }
        baseLrs = state.baseLrs();
        lastLr = state.lastLr();
        lastEpoch = state.lastEpoch();
        stepCount = state.stepCount();
    }

    private List<ParamGroup> groups() {
        List<ParamGroup> groups = optimizer.paramGroups();
        if (groups.size() != baseLrs.size()) {
            throw new IllegalStateException("the optimizer has " + groups.size() + " parameter groups but the scheduler"
                    + " was created for " + baseLrs.size() + "; create the scheduler after adding every group");
        }
        return groups;
    }

    private List<Double> currentLrs() {
        return groups().stream().map(ParamGroup::lr).toList();
    }

    /** The class name, epoch and last learning rates. */
    @Override
    public String toString() {
        return getClass().getSimpleName() + "{lastEpoch=" + lastEpoch + ", lastLr=" + lastLr + "}";
    }
}
