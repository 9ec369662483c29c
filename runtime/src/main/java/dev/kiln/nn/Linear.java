package dev.kiln.nn;

import dev.kiln.Parameter;
import dev.kiln.Shape;
import dev.kiln.Tensor;

/**
 * A fully connected layer {@code y = x W^T + b}, the counterpart of {@code torch.nn.Linear}: the
 * weight has PyTorch's layout {@code [out, in]} and is initialised as PyTorch does, Kaiming-uniform
 * with a = sqrt(5) (uniform in ±1/sqrt(in)); the bias is uniform in ±1/sqrt(in).
 *
 * <p>The input may have any number of leading dimensions; its last must be {@code in}.
 */
public class Linear extends Module {
    private final int inFeatures;
    private final int outFeatures;
    private final Parameter weight;
    private final Parameter bias;

    /** A layer with a bias. */
    public Linear(int inFeatures, int outFeatures) {
        this(inFeatures, outFeatures, true);
    }

    /** A layer with or without a bias. */
    public Linear(int inFeatures, int outFeatures, boolean bias) {
        if (inFeatures <= 0 || outFeatures <= 0) {
            throw new IllegalArgumentException("Linear: in_features and out_features must be positive, but got "
                    + inFeatures + " and " + outFeatures);
        }
        this.inFeatures = inFeatures;
        this.outFeatures = outFeatures;
        this.weight = new Parameter(Tensor.zeros(outFeatures, inFeatures));
        Init.kaimingUniform_(weight, Math.sqrt(5), Init.FanMode.FAN_IN, "leaky_relu");
        if (bias) {
            double bound = 1 / Math.sqrt(inFeatures);
            this.bias = new Parameter(Tensor.zeros(outFeatures));
            Init.uniform_(this.bias, -bound, bound);
        } else {
            this.bias = null;
        }
    }

    /** The weight, of shape {@code [out, in]}. */
    public Parameter weight() {
        return weight;
    }

    /** The bias, of shape {@code [out]}, or null for a layer without one. */
    public Parameter bias() {
        return bias;
    }

    /** The size of the input's last dimension. */
    public int inFeatures() {
        return inFeatures;
    }

    /** The size of the output's last dimension. */
    public int outFeatures() {
        return outFeatures;
    }

    @Override
    public Tensor forward(Tensor input) {
        if (input.dim() == 0 || input.size(-1) != inFeatures) {
            throw new IllegalArgumentException(this + ": expected an input whose last dimension has " + inFeatures
                    + " features, but got shape " + Shape.describe(input.shape().toArray()));
        }
        return F.linear(input, weight, bias);
    }

    @Override
    protected String extraRepr() {
        return "in_features=" + inFeatures + ", out_features=" + outFeatures + ", bias=" + (bias != null ? "True" : "False");
    }
}
