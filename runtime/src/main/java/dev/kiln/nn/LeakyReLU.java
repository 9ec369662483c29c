package dev.kiln.nn;

import dev.kiln.Tensor;

/** Elementwise x for x &gt; 0, else {@code negativeSlope * x}: the counterpart of {@code torch.nn.LeakyReLU}. */
public class LeakyReLU extends Module {
    private final double negativeSlope;

    /** With PyTorch's default slope of 0.01. */
    public LeakyReLU() {
        this(0.01);
    }

    /** With the given slope for negative inputs. */
    public LeakyReLU(double negativeSlope) {
        this.negativeSlope = negativeSlope;
    }

    @Override
    public Tensor forward(Tensor input) {
        return F.leakyRelu(input, negativeSlope);
    }

    @Override
    protected String extraRepr() {
        return "negative_slope=" + F.pythonFloat(negativeSlope);
    }
}
