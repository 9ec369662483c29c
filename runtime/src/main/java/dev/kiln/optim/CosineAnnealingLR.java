package dev.kiln.optim;

/**
 * Anneals each group's learning rate along a cosine from its base value η₀ down to
 * {@code etaMin} over {@code tMax} epochs, the counterpart of
 * {@code torch.optim.lr_scheduler.CosineAnnealingLR} (SGDR without restarts). Its values are
 * {@code etaMin + (η₀ − etaMin)(1 + cos(π e / tMax)) / 2}, computed as PyTorch does with the recursive
 * form
 * <pre>
 * lr(e) = etaMin + (lr(e − 1) − etaMin) · (1 + cos(π e / tMax)) / (1 + cos(π (e − 1) / tMax))
 * lr(e) = lr(e − 1) + (η₀ − etaMin)(1 − cos(π / tMax)) / 2       when (e − 1 − tMax) mod 2 tMax = 0
 * </pre>
 * so a learning rate changed by hand is carried on. Past {@code tMax} the learning rate rises again
 * along the same cosine (period 2 tMax), as in PyTorch.
 */
public final class CosineAnnealingLR extends LRScheduler {
    private final int tMax;
    private final double etaMin;

    /** Anneals to 0 over {@code tMax} epochs (PyTorch's default {@code eta_min}). */
    public CosineAnnealingLR(Optimizer optimizer, int tMax) {
        this(optimizer, tMax, 0);
    }

    /**
     * Anneals to {@code etaMin} over {@code tMax} epochs.
     *
     * @throws IllegalArgumentException if {@code tMax} is not positive or {@code etaMin} is negative or
     *     not finite
     */
    public CosineAnnealingLR(Optimizer optimizer, int tMax, double etaMin) {
        super(checked(optimizer, tMax, etaMin));
        this.tMax = tMax;
        this.etaMin = etaMin;
    }

    private static Optimizer checked(Optimizer optimizer, int tMax, double etaMin) {
        if (tMax <= 0) {
            throw new IllegalArgumentException("CosineAnnealingLR: tMax must be positive, got " + tMax);
        }
        if (!(etaMin >= 0) || Double.isInfinite(etaMin)) {
            throw new IllegalArgumentException("CosineAnnealingLR: etaMin must be a finite number >= 0, got " + etaMin);
        }
        return optimizer;
    }

    @Override
    protected double computeLr(int epoch, double lr, double baseLr) {
        if (Math.floorMod(epoch - 1 - tMax, 2 * tMax) == 0) {
            return lr + (baseLr - etaMin) * (1 - Math.cos(Math.PI / tMax)) / 2;
        }
        return (1 + Math.cos(Math.PI * epoch / tMax)) / (1 + Math.cos(Math.PI * (epoch - 1) / tMax))
                * (lr - etaMin) + etaMin;
    }
}
