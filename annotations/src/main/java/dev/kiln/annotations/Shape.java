package dev.kiln.annotations;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Pins the symbolic shape of a {@code forward} parameter of a {@link Model} class, for example
 * {@code @Shape("N, dIn")}: comma-separated sizes, each a constructor parameter name, an integer
 * constant or {@code N} for the batch dimension.
 */
@Documented
@Retention(RetentionPolicy.CLASS)
@Target(ElementType.PARAMETER)
public @interface Shape {
    /** The comma-separated sizes, outermost first. */
    String value();
}
