/**
 * The write stage: emits the generated {@code <Model>Kiln} class with JavaPoet from the IR, its
 * backward and its fused plan.
 */
package dev.kiln.processor.write;
