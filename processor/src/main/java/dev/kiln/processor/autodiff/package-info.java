/**
 * The differentiate stage: reverse mode on the IR chain. It lists the backward steps, last
 * operation first, and which forward values they read, so the forward knows what to keep.
 */
package dev.kiln.processor.autodiff;
