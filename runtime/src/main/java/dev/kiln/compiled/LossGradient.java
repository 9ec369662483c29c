package dev.kiln.compiled;

import dev.kiln.DType;
import dev.kiln.Parameter;
import dev.kiln.Tensor;
import dev.kiln.device.Device;
import dev.kiln.kernels.KernelProvider;
import dev.kiln.kernels.Kernels;
import dev.kiln.loss.CrossEntropyLoss;
import dev.kiln.loss.L1Loss;
import dev.kiln.loss.Loss;
import dev.kiln.loss.MSELoss;
import dev.kiln.loss.NLLLoss;
import dev.kiln.loss.Reduction;
import dev.kiln.nn.Module;
import java.util.Arrays;
import java.util.Objects;

/**
 * A loss's value and its gradient with respect to the model's output, computed together in one pass
 * over arrays: what a generated training step ({@link FusedStep}) runs between its forward and
 * backward loops instead of the loss's tape nodes.
 *
 * <p>It knows {@link MSELoss}, {@link L1Loss}, {@link CrossEntropyLoss} and {@link NLLLoss} with
 * the mean or sum reduction, class-index targets and no class weights or label smoothing (an ignore
 * index is fine). For anything else, or a target it does not take (one on another device too),
 * {@link #accepts} is false and the step runs {@link #eager}: the loss's own forward and the tape,
 * with its own checks and messages.
 * Sums are taken in double; the float32 cross-entropy runs the provider's row log-softmax and
 * vectorised exp (the eager loss's kernels), the rest computes each gradient element in double and
 * rounds it once to the output's type.
 */
public final class LossGradient {
    private enum Kind { MSE, L1, CROSS_ENTROPY, NLL, NONE }

    /** The eager losses' kernels: the float cross-entropy runs the same row kernels as the eager one. */
    private static final KernelProvider KERNELS = Kernels.provider();

    private final Loss loss;
    private final Kind kind;
    private final boolean mean;
    private final long ignoreIndex;

    private LossGradient(Loss loss, Kind kind, long ignoreIndex) {
        this.loss = loss;
        this.kind = kind;
        this.mean = loss.reduction() == Reduction.MEAN;
        this.ignoreIndex = ignoreIndex;
    }

    /** {@code loss}'s fused form; one that fuses nothing (every step eager) when it is not one this class knows. */
    public static LossGradient of(Loss loss) {
        Objects.requireNonNull(loss, "loss");
        boolean reduced = loss.reduction() != Reduction.NONE;
        return switch (loss) {
            case MSELoss l when reduced -> new LossGradient(l, Kind.MSE, 0);
            case L1Loss l when reduced -> new LossGradient(l, Kind.L1, 0);
            case CrossEntropyLoss l when reduced && l.weight() == null && l.labelSmoothing() == 0 ->
                    new LossGradient(l, Kind.CROSS_ENTROPY, l.ignoreIndex());
            case NLLLoss l when reduced && l.weight() == null -> new LossGradient(l, Kind.NLL, l.ignoreIndex());
            default -> new LossGradient(loss, Kind.NONE, 0);
        };
    }

    /** The loss. */
    public Loss loss() {
        return loss;
    }

    /** Whether {@link #apply} can compute the loss for the loss class and settings alone (targets aside). */
    public boolean fuses() {
        return kind != Kind.NONE;
    }

    /**
     * Whether {@link #apply} computes the loss of an output of type {@code type} against
     * {@code target}, where the output has the sizes of {@code input} but the last, which is
     * {@code features} (a model applied to the rows in the input's leading dimensions): the target has
     * the output's shape and type for the pointwise losses; for the class losses the output is
     * {@code (N, C)} and the target N int64 class indices in {@code [0, C)} or the ignore index, not all
     * ignored. Otherwise the eager loss runs and gives PyTorch's result or message (broadcasting,
     * promotion, a class out of range). Allocates nothing: generated code asks in every training step.
     */
    public boolean accepts(DType type, Tensor input, int features, Tensor target) {
        return accepts(type, input, 0, features, target);
    }

    /** {@link #accepts(DType, Tensor, int, Tensor)} for an output of {@code rows x features}. */
    public boolean accepts(DType type, int rows, int features, Tensor target) {
        return accepts(type, null, rows, features, target);
    }

    /** The output's sizes: input's leading ones and {@code features}, or {@code rows, features} where input is null. */
    private boolean accepts(DType type, Tensor input, int rows, int features, Tensor target) {
        if (!target.device().equals(Device.CPU)) {
            // the generated loops run on the CPU: the eager loss says the devices differ
            return false;
        }
        int rank = input == null ? 2 : input.dim();
        return switch (kind) {
            case NONE -> false;
            case MSE, L1 -> rank > 0 && target.dtype() == type && target.dim() == rank
                    && target.size(rank - 1) == features && sameLeadingSizes(input, rows, target);
            case CROSS_ENTROPY, NLL -> rank == 2 && target.dtype() == DType.INT64 && target.dim() == 1
                    && target.size(0) == (input == null ? rows : input.size(0)) && validClasses(target, features);
        };
    }

    private static boolean sameLeadingSizes(Tensor input, int rows, Tensor target) {
        if (input == null) {
            return target.size(0) == rows;
        }
        for (int i = 0; i < input.dim() - 1; i++) {
            if (target.size(i) != input.size(i)) {
                return false;
            }
        }
        return true;
    }

    private boolean validClasses(Tensor target, int classes) {
        long[] t = Compiled.longs(target);
        boolean any = false;
        for (long c : t) {
            if (c == ignoreIndex) {
                continue;
            }
            if (c < 0 || c >= classes) {
                return false;
            }
            any = true;
        }
        return any;
    }

    /**
     * The loss of {@code output} ({@code rows} x {@code cols}, row-major) against {@code target}, which
     * {@link #accepts} took; writes the loss's gradient with respect to each output element into
     * {@code grad}.
     */
    public double apply(float[] output, int rows, int cols, Tensor target, float[] grad) {
        return apply(output, rows, cols, false, target, grad);
    }

    /**
     * {@link #apply(float[], int, int, Tensor, float[])} for an output stored one row per feature:
     * {@code output} is cols x rows, sample r's value j at {@code j * rows + r}, and {@code grad} gets
     * the gradient in the same layout. The target is as {@link #accepts} took it, one row per sample.
     */
    public double applyTransposed(float[] output, int rows, int cols, Tensor target, float[] grad) {
        return apply(output, rows, cols, true, target, grad);
    }

    /** The loss and gradient of output (rows x cols, or cols x rows when {@code transposed}). */
    private double apply(float[] output, int rows, int cols, boolean transposed, Tensor target, float[] grad) {
        int size = rows * cols;
        // where sample r's value j is: one row per sample, or one row per feature
        int rowStride = transposed ? 1 : cols, colStride = transposed ? rows : 1;
        return switch (kind) {
            case MSE, L1 -> {
                float[] t = Compiled.floats(target);
                double scale = mean ? 1.0 / size : 1.0;
                double sum = 0;
                for (int r = 0, i = 0; r < rows; r++) {
                    for (int j = 0; j < cols; j++, i++) {
                        int at = r * rowStride + j * colStride;
                        float d = output[at] - t[i];
                        if (kind == Kind.MSE) {
                            sum += (double) d * d;
                            grad[at] = (float) (2 * d * scale);
                        } else {
                            sum += Math.abs(d);
                            grad[at] = (float) (Math.signum(d) * scale);
                        }
                    }
                }
                yield sum * scale;
            }
            case CROSS_ENTROPY -> {
                // the loss and the softmax's gradient in one pass of the provider's row kernel;
                // accepts() took only targets with a counted row, so the scale is finite
                long[] t = Compiled.longs(target);
                double scale = 1.0 / (mean ? counted(t) : 1);
                double sum = transposed
                        ? KERNELS.crossEntropyColumns(output, cols, rows, t, ignoreIndex, (float) scale, grad)
                        : KERNELS.crossEntropyRows(output, rows, cols, t, ignoreIndex, (float) scale, grad);
                yield sum * scale;
            }
            case NLL -> {
                long[] t = Compiled.longs(target);
                double scale = 1.0 / (mean ? counted(t) : 1);
                double sum = 0;
                Arrays.fill(grad, 0, size, 0f);
                for (int r = 0; r < rows; r++) {
                    if (t[r] != ignoreIndex) {
                        int at = r * rowStride + (int) t[r] * colStride;
                        sum -= output[at];
                        grad[at] = (float) -scale;
                    }
                }
                yield sum * scale;
            }
            case NONE -> throw notFused();
        };
    }

    /** {@link #apply(float[], int, int, Tensor, float[])} for float64 outputs. */
    public double apply(double[] output, int rows, int cols, Tensor target, double[] grad) {
        int size = rows * cols;
        return switch (kind) {
            case MSE, L1 -> {
                double[] t = Compiled.doubles(target);
                double scale = mean ? 1.0 / size : 1.0;
                double sum = 0;
                for (int i = 0; i < size; i++) {
                    double d = output[i] - t[i];
                    if (kind == Kind.MSE) {
                        sum += d * d;
                        grad[i] = 2 * d * scale;
                    } else {
                        sum += Math.abs(d);
                        grad[i] = Math.signum(d) * scale;
                    }
                }
                yield sum * scale;
            }
            case CROSS_ENTROPY, NLL -> {
                long[] t = Compiled.longs(target);
                double scale = 1.0 / (mean ? counted(t) : 1);
                double sum = 0;
                for (int r = 0; r < rows; r++) {
                    int row = r * cols;
                    long c = t[r];
                    Arrays.fill(grad, row, row + cols, 0.0);
                    if (c == ignoreIndex) {
                        continue;
                    }
                    if (kind == Kind.NLL) {
                        sum -= output[row + (int) c];
                        grad[row + (int) c] = -scale;
                        continue;
                    }
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j < cols; j++) {
                        max = Math.max(max, output[row + j]);
                    }
                    double total = 0;
                    for (int j = 0; j < cols; j++) {
                        total += Math.exp(output[row + j] - max);
                    }
                    double logTotal = Math.log(total);
                    sum += max + logTotal - output[row + (int) c];
                    for (int j = 0; j < cols; j++) {
                        double p = Math.exp(output[row + j] - max - logTotal);
                        grad[row + j] = (j == c ? p - 1 : p) * scale;
                    }
                }
                yield sum * scale;
            }
            case NONE -> throw notFused();
        };
    }

    private int counted(long[] target) {
        int n = 0;
        for (long c : target) {
            if (c != ignoreIndex) {
                n++;
            }
        }
        return n;
    }

    private IllegalStateException notFused() {
        return new IllegalStateException(loss + " has no fused gradient; check accepts() first");
    }

    /**
     * The step through the tape: clears the gradients of {@code model}'s parameters, runs its forward
     * and the loss, and backpropagates; returns the loss.
     */
    public double eager(Module model, Tensor x, Tensor y) {
        for (Parameter p : model.parameters()) {
            p.setGrad(null);
        }
        Tensor value = loss.invoke(model.invoke(x), y);
        value.backward();
        return value.item();
    }

    @Override
    public String toString() {
        return "LossGradient[" + loss + (fuses() ? "" : ", not fused") + "]";
    }
}
