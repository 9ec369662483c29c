/**
 * Optimizers and learning-rate schedulers, the counterparts of {@code torch.optim} and
 * {@code torch.optim.lr_scheduler}: {@link dev.kiln.optim.SGD}, {@link dev.kiln.optim.Adam},
 * {@link dev.kiln.optim.AdamW}, {@link dev.kiln.optim.RMSprop} and {@link dev.kiln.optim.Adagrad} on
 * the common base {@link dev.kiln.optim.Optimizer}, with {@link dev.kiln.optim.ParamGroup parameter
 * groups} and state that can be saved and restored ({@link dev.kiln.optim.OptimizerState}); and
 * {@link dev.kiln.optim.StepLR}, {@link dev.kiln.optim.ExponentialLR} and
 * {@link dev.kiln.optim.CosineAnnealingLR} on {@link dev.kiln.optim.LRScheduler}.
 *
 * <p>Update rules, defaults, hyperparameter names, validation messages and state names are
 * PyTorch's, so that a training loop ported from PyTorch gives the same numbers (within float
 * rounding) and the saved state maps onto PyTorch's {@code state_dict()} layout.
 */
package dev.kiln.optim;
