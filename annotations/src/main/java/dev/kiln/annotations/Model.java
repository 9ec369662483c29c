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
 *
 * <p>At compile time the processor reads the layer fields, the constructor and {@code forward}, and
 * reports at their exact source positions what it cannot accept: layers whose sizes do not agree,
 * and constructs it does not support (loops, branches, unknown calls) in {@code forward}.
 */
@Documented
@Retention(RetentionPolicy.CLASS)
@Target(ElementType.TYPE)
public @interface Model {
    /**
     * Whether the processor compiles the class. With {@code false} the class stays an ordinary eager
     * module and the processor neither checks nor generates anything for it.
     */
    boolean compile() default true;
}
