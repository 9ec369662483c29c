package dev.kiln.optim;

import dev.kiln.Tensor;
import dev.kiln.autograd.GradMode;
import dev.kiln.compiled.FusedStep;
import dev.kiln.compiled.LossGradient;
import dev.kiln.loss.Loss;
import dev.kiln.nn.Module;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * A model, a loss and an optimizer bound into one training step: {@link #step} is
 * {@code optimizer.zeroGrad(); loss(model(x), y).backward(); optimizer.step()}, returning the loss.
 *
 * <pre>{@code
 * TrainingStep train = TrainingStep.of(new TwoLayerNetKiln(1000, 100, 10), new MSELoss(Reduction.SUM), sgd);
 * for (int t = 0; t < 500; t++) {
 *     double loss = train.step(x, y);
 * }
 * }</pre>
 *
 * <p>For a model the {@code @Model} processor generated ({@code <Model>Kiln}), the step runs with no
 * tape at all: the generated forward loops, the loss and its gradient with respect to the output in
 * one pass ({@link LossGradient}: MSE, L1, cross-entropy and NLL with the mean or sum), the generated
 * backward loops writing each gradient straight into the parameter's existing {@code grad()}, and the
 * optimizer's fused update. The result is the eager step's within rounding. Any other model, loss or
 * input (an input that requires grad, grad mode off, other element types, a target the fused loss
 * does not take) takes the eager path, which gives the same numbers and PyTorch's messages.
 *
 * <p>Gradients are left in {@code grad()} after the step, as after the eager sequence, so they can be
 * inspected; the fused path reuses their storage from step to step.
 */
public final class TrainingStep {
    private final Module model;
    private final LossGradient loss;
    private final Optimizer optimizer;
    private final FusedStep fused;
    private final List<Tensor> others;

    private TrainingStep(Module model, Loss loss, Optimizer optimizer) {
        this.model = Objects.requireNonNull(model, "model");
        this.loss = LossGradient.of(loss);
        this.optimizer = Objects.requireNonNull(optimizer, "optimizer");
        this.fused = model instanceof FusedStep f ? f : null;
        Set<Tensor> owned = Collections.newSetFromMap(new IdentityHashMap<>());
        owned.addAll(model.parameters());
        List<Tensor> outside = new ArrayList<>();
        for (ParamGroup group : optimizer.paramGroups()) {
            for (Tensor p : group.params()) {
                if (!owned.contains(p)) {
                    outside.add(p);
                }
            }
        }
        this.others = List.copyOf(outside);
    }

    /**
     * The step of {@code model} trained with {@code loss} and {@code optimizer}. The optimizer may
     * hold parameters of other models too: their gradients are cleared at each step as
     * {@code zeroGrad()} would.
     */
    public static TrainingStep of(Module model, Loss loss, Optimizer optimizer) {
        return new TrainingStep(model, loss, optimizer);
    }

    /**
     * Whether steps of this model and loss can run the generated, tape-free code: inputs permitting,
     * which means CPU tensors of one floating type that the fused loss takes (a model on a GPU takes
     * the eager step, whose forward is the generated device code).
     */
    public boolean fused() {
        return fused != null && loss.fuses();
    }

    /**
     * One step on the batch {@code x} with targets {@code y}: clears the gradients, runs the forward,
     * the loss and the backward, and updates the parameters; returns the loss before the update.
     */
    public double step(Tensor x, Tensor y) {
        Objects.requireNonNull(x, "x");
        Objects.requireNonNull(y, "y");
        for (Tensor p : others) {
            p.setGrad(null);
        }
        double value = fused() && GradMode.isEnabled() && !x.requiresGrad()
                ? fused.trainingStep(x, y, loss)
                : loss.eager(model, x, y);
        optimizer.step();
        return value;
    }

    /** The model. */
    public Module model() {
        return model;
    }

    /** The optimizer. */
    public Optimizer optimizer() {
        return optimizer;
    }

    /** The loss. */
    public Loss loss() {
        return loss.loss();
    }

    @Override
    public String toString() {
        return "TrainingStep[" + model.getClass().getSimpleName() + ", " + loss.loss() + ", " + optimizer.name()
                + (fused() ? ", fused" : "") + "]";
    }
}
