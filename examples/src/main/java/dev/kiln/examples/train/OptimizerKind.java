package dev.kiln.examples.train;

import dev.kiln.Parameter;
import dev.kiln.optim.Adam;
import dev.kiln.optim.Optimizer;
import dev.kiln.optim.RMSprop;

/** The optimizers {@code kiln train} offers, each with its default learning rate. */
enum OptimizerKind {
    /** Plain SGD; PyTorch has no default rate for it, 0.01 is a common start. */
    SGD(0.01),
    /** Adam with PyTorch's defaults. */
    ADAM(0.001),
    /** RMSprop with PyTorch's defaults. */
    RMSPROP(0.01);

    private final double defaultLr;

    OptimizerKind(double defaultLr) {
        this.defaultLr = defaultLr;
    }

    /** The learning rate used when {@code --lr} is not given. */
    double defaultLr() {
        return defaultLr;
    }

    /** The optimizer over {@code params} with learning rate {@code lr}. */
    Optimizer create(Iterable<Parameter> params, double lr) {
        return switch (this) {
            case SGD -> new dev.kiln.optim.SGD(params, lr);
            case ADAM -> new Adam(params, lr);
            case RMSPROP -> new RMSprop(params, lr);
        };
    }
}
