/**
 * The lower stage: turns the checked source model into the IR chain, and reports every construct
 * the check stage accepts but the compiled path does not generate yet ({@code [KilnNotCompiled]}).
 */
package dev.kiln.processor.lower;
