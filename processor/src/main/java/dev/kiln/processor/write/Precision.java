package dev.kiln.processor.write;

import com.palantir.javapoet.ArrayTypeName;
import com.palantir.javapoet.CodeBlock;
import com.palantir.javapoet.TypeName;

/**
 * The element types the generated loops are written for: each names the Java types, the runtime
 * helpers and the rounding of one of them, so the writer emits the same plan once per type.
 */
enum Precision {
    FLOAT32("Float32", TypeName.FLOAT, "floats", "acquire", "0f", "gradFloats"),
    FLOAT64("Float64", TypeName.DOUBLE, "doubles", "acquireDoubles", "0.0", "gradDoubles");

    /** The suffix of the generated methods: {@code forwardFloat32}. */
    final String suffix;
    /** {@code float} or {@code double}. */
    final TypeName element;
    /** {@code float[]} or {@code double[]}. */
    final TypeName array;
    /** The {@code Compiled} and {@code Lease} accessor of the arrays: {@code floats} or {@code doubles}. */
    final String arrays;
    /** The {@code ActivationPool} method handing out a set of these arrays. */
    final String acquire;
    /** Zero as a literal of the element type. */
    final String zero;
    /** The {@code Compiled} method handing out a parameter's gradient storage to overwrite. */
    final String gradArray;

    Precision(String suffix, TypeName element, String arrays, String acquire, String zero, String gradArray) {
        this.suffix = suffix;
        this.element = element;
        this.array = ArrayTypeName.of(element);
        this.arrays = arrays;
        this.acquire = acquire;
        this.zero = zero;
        this.gradArray = gradArray;
    }

    /**
     * {@code expression}, computed in double, as a value of the element type: rounded once to float
     * for float32, as the eager kernels round each operation's result.
     */
    CodeBlock round(String format, Object... args) {
        CodeBlock expression = CodeBlock.of(format, args);
        return this == FLOAT32 ? CodeBlock.of("(float) ($L)", expression) : expression;
    }

    /** The name of the {@code dev.kiln.DType} constant. */
    String dtype() {
        return name();
    }
}
