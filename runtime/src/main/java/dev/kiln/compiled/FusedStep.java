package dev.kiln.compiled;

import dev.kiln.Tensor;

/**
 * A model whose training step the processor generated: forward, the loss's gradient and backward in
 * one method, with no tape. {@link dev.kiln.optim.TrainingStep} calls it; users do not.
 */
public interface FusedStep {
    /**
     * Runs the forward on {@code x}, the loss against {@code y} and the backward, and writes every
     * parameter's gradient that requires one into its {@code grad()} (replacing what was there, as
     * {@code zeroGrad(false)} followed by {@code backward()} would); returns the loss. Inputs the
     * generated loops do not take (other element types, a loss or target {@code loss} cannot fuse)
     * run {@link LossGradient#eager} instead, with the same result.
     */
    double trainingStep(Tensor x, Tensor y, LossGradient loss);
}
