/**
 * The IR: a model's forward as a small graph of typed operations with symbolic sizes. The
 * operations the compiled path supports have unary data flow, so the graph is a chain from the
 * input to the output: value 0 is the input and operation {@code i} maps value {@code i} to value
 * {@code i + 1}. Plain records and sealed interfaces, built by {@code lower}, read by
 * {@code autodiff}, {@code fuse} and {@code write}.
 */
package dev.kiln.processor.ir;
