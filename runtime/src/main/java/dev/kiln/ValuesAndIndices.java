package dev.kiln;

/**
 * The result of {@link Tensor#max(int)} and {@link Tensor#min(int)}: the extreme values along a
 * dimension and their int64 indices, as PyTorch's {@code torch.return_types.max}.
 *
 * @param values the maxima (or minima)
 * @param indices where each value was found along the reduced dimension
 */
public record ValuesAndIndices(Tensor values, Tensor indices) {}
