package dev.kiln.annotations;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a {@code Module} subclass whose layer fields, constructor and {@code forward} method the
 * Kiln annotation processor compiles into a specialised subclass named {@code <Class>Kiln}.
 *
 * <p>The annotated class keeps working eagerly as written; the generated subclass is a drop-in
 * replacement with the same constructors whose forward and backward passes are fused loops.
 */
@Documented
@Retention(RetentionPolicy.CLASS)
@Target(ElementType.TYPE)
public @interface Model {}
