/**
 * The fuse stage: groups the IR chain into the loops the writer emits: a GEMM with its bias and the
 * elementwise operations after it as one epilogue pass, other runs of elementwise operations as one
 * loop each, transcendental functions as one pass of the runtime's vectorised kernel, and a row-wise
 * softmax or reduction at the end.
 */
package dev.kiln.processor.fuse;
