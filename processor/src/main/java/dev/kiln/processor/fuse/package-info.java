/**
 * The fuse stage: groups the IR chain into the loops the writer emits: a GEMM with its bias and the
 * elementwise operations after it as one epilogue pass, an elementwise prologue on the input, and a
 * row-wise softmax at the end.
 */
package dev.kiln.processor.fuse;
