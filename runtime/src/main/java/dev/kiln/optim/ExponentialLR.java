package dev.kiln.optim;

/**
 * Multiplies each group's learning rate by γ every epoch, the counterpart of
 * {@code torch.optim.lr_scheduler.ExponentialLR}: {@code lr(e) = lr(e − 1) · γ}, which from a base
 * learning rate η₀ is {@code η₀ · γ^e}.
 */
public final class ExponentialLR extends LRScheduler {
    private final double gamma;

    /**
     * Decays by {@code gamma} every epoch.
     *
     * @throws IllegalArgumentException if {@code gamma} is negative or not finite
     */
    public ExponentialLR(Optimizer optimizer, double gamma) {
        super(checked(optimizer, gamma));
        this.gamma = gamma;
    }

    private static Optimizer checked(Optimizer optimizer, double gamma) {
        if (!(gamma >= 0) || Double.isInfinite(gamma)) {
            throw new IllegalArgumentException("ExponentialLR: gamma must be a finite number >= 0, got " + gamma);
        }
        return optimizer;
    }

    @Override
    protected double computeLr(int epoch, double lr, double baseLr) {
        return lr * gamma;
    }
}
