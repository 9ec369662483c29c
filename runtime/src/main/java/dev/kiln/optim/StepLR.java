package dev.kiln.optim;

/**
 * Multiplies each group's learning rate by γ every {@code stepSize} epochs, the counterpart of
 * {@code torch.optim.lr_scheduler.StepLR}: at epoch e the learning rate is
 * {@code lr(e) = lr(e − 1) · γ} when e is a positive multiple of {@code stepSize}, else
 * {@code lr(e − 1)}; from a base learning rate η₀ that is {@code η₀ · γ^⌊e / stepSize⌋}.
 */
public final class StepLR extends LRScheduler {
    private final int stepSize;
    private final double gamma;

    /** Decays by 0.1 every {@code stepSize} epochs (PyTorch's default γ). */
    public StepLR(Optimizer optimizer, int stepSize) {
        this(optimizer, stepSize, 0.1);
    }

    /**
     * Decays by {@code gamma} every {@code stepSize} epochs.
     *
     * @throws IllegalArgumentException if {@code stepSize} is not positive or {@code gamma} is negative
     *     or not finite
     */
    public StepLR(Optimizer optimizer, int stepSize, double gamma) {
        super(checked(optimizer, stepSize, gamma));
        this.stepSize = stepSize;
        this.gamma = gamma;
    }

    private static Optimizer checked(Optimizer optimizer, int stepSize, double gamma) {
        if (stepSize <= 0) {
            throw new IllegalArgumentException("StepLR: stepSize must be positive, got " + stepSize);
        }
        if (!(gamma >= 0) || Double.isInfinite(gamma)) {
            throw new IllegalArgumentException("StepLR: gamma must be a finite number >= 0, got " + gamma);
        }
        return optimizer;
    }

    @Override
    protected double computeLr(int epoch, double lr, double baseLr) {
        return epoch % stepSize != 0 ? lr : lr * gamma;
    }
}
