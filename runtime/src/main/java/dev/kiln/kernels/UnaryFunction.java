package dev.kiln.kernels;

/**
 * The elementwise functions with a kernel of their own in every {@link KernelProvider}: the ones a
 * training step applies to whole activations. Each has one definition on doubles here, which the
 * scalar kernels use element by element and the tests hold the vector kernels to.
 */
public enum UnaryFunction {
    EXP {
        @Override
        public double apply(double v) {
            return Math.exp(v);
        }
    },
    LOG {
        @Override
        public double apply(double v) {
            return Math.log(v);
        }
    },
    TANH {
        @Override
        public double apply(double v) {
            return Math.tanh(v);
        }
    },
    /** 1 / (1 + e^-v), written so that exp's argument is never positive and so never overflows. */
    SIGMOID {
        @Override
        public double apply(double v) {
            if (v >= 0) {
                return 1 / (1 + Math.exp(-v));
            }
            double e = Math.exp(v);
            return e / (1 + e);
        }
    },
    /** max(v, 0), with NaN staying NaN as in PyTorch. */
    RELU {
        @Override
        public double apply(double v) {
            return v > 0 || Double.isNaN(v) ? v : 0.0;
        }
    };

    /** The function on one value, exactly (to double rounding): the reference. */
    public abstract double apply(double v);

    /**
     * Whether the derivative is a function of the output alone ({@link #derivativeAt}): all but
     * {@link #LOG}, whose derivative 1/x is read from its input.
     */
    public boolean derivativeFromOutput() {
        return this != LOG;
    }

    /**
     * f'(x) written with the output {@code y = f(x)}: e^x = y, 1 - tanh^2 = 1 - y^2, sigmoid' =
     * y (1 - y), and 1 where relu's output is positive, else 0 (PyTorch's threshold_backward).
     *
     * @throws IllegalStateException for {@link #LOG}
     */
    public double derivativeAt(double y) {
        return switch (this) {
            case EXP -> y;
            case TANH -> 1 - y * y;
            case SIGMOID -> y * (1 - y);
            case RELU -> y > 0 ? 1 : 0;
            case LOG -> throw new IllegalStateException("log's derivative is read from its input");
        };
    }
}
