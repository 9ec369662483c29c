package dev.kiln.optim;

import java.util.List;
import java.util.Objects;

/**
 * A learning-rate scheduler's progress as plain data, PyTorch's {@code scheduler.state_dict()}
 * reduced to what the schedule depends on: what {@link LRScheduler#stateDict()} returns and
 * {@link LRScheduler#loadStateDict} takes. The schedule's own settings (step size, γ, ...) are
 * constructor arguments and not part of it.
 *
 * @param lastEpoch the number of {@link LRScheduler#step()} calls so far (PyTorch's {@code last_epoch};
 *     0 right after construction)
 * @param stepCount PyTorch's {@code _step_count}: {@code lastEpoch + 1} for a scheduler built in Kiln
 * @param baseLrs each group's initial learning rate (PyTorch's {@code base_lrs})
 * @param lastLr each group's learning rate after the last step (PyTorch's {@code _last_lr})
 */
public record SchedulerState(int lastEpoch, int stepCount, List<Double> baseLrs, List<Double> lastLr) {

    /**
     * Copies the lists into unmodifiable ones.
     *
     * @throws NullPointerException if a list or an element is null
     * @throws IllegalArgumentException if the lists differ in length
     */
    public SchedulerState {
        baseLrs = List.copyOf(Objects.requireNonNull(baseLrs, "baseLrs"));
        lastLr = List.copyOf(Objects.requireNonNull(lastLr, "lastLr"));
        if (baseLrs.size() != lastLr.size()) {
            throw new IllegalArgumentException("baseLrs has " + baseLrs.size() + " learning rates but lastLr has "
                    + lastLr.size() + "; both have one per parameter group");
        }
    }
}
