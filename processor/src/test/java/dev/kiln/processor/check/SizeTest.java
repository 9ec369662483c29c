package dev.kiln.processor.check;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.processor.read.SizeExpr;
import dev.kiln.processor.read.SizeExpr.Binary;
import dev.kiln.processor.read.SizeExpr.Constant;
import dev.kiln.processor.read.SizeExpr.Parameter;
import org.junit.jupiter.api.Test;

class SizeTest {
    private static final SizeExpr H = new Parameter("h");

    @Test
    void normalisesArithmetic() {
        Size twoH = Size.of(new Binary('*', new Constant(2), H));
        assertThat(Size.of(new Binary('+', H, H))).isEqualTo(twoH);
        assertThat(Size.of(new Binary('*', H, new Constant(2)))).isEqualTo(twoH);
        assertThat(Size.of(new Binary('/', new Binary('*', new Constant(4), H), new Constant(2)))).isEqualTo(twoH);
        assertThat(twoH.toString()).isEqualTo("2*h");
        assertThat(Size.of(new Binary('-', new Binary('+', H, new Constant(1)), new Constant(0))).toString())
                .isEqualTo("h + 1");
        assertThat(Size.of(new Binary('/', H, new Constant(2)))).isNull();
        assertThat(Size.of(new SizeExpr.Opaque("size()"))).isNull();
    }

    @Test
    void differsOnlyWhenTheDifferenceIsANonZeroConstant() {
        assertThat(Size.constant(128).provablyDiffers(Size.constant(64))).isTrue();
        assertThat(Size.constant(64).provablyDiffers(Size.constant(64))).isFalse();
        assertThat(Size.of(H).provablyDiffers(Size.constant(64))).isFalse();
        assertThat(Size.of(new Binary('+', H, new Constant(1))).provablyDiffers(Size.of(H))).isTrue();
        assertThat(Size.of(new Binary('*', H, H)).provablyDiffers(Size.of(H))).isFalse();
    }
}
