package dev.kiln.examples.support;

import java.math.BigDecimal;

/**
 * Numbers printed as Python prints them, so that an example's output reads like its tutorial's:
 * {@code repr(0.0332)} is {@code 0.0332}, {@code repr(35016824.0)} is {@code 35016824.0},
 * {@code repr(7.7e-07)} is {@code 7.7e-07}. Java's {@link Double#toString} picks the same shortest
 * digits but switches to scientific notation at other thresholds ({@code 3.5016824E7}).
 */
public final class PyFormat {

    private PyFormat() {
    }

    /**
     * Python's {@code repr(float)}: the shortest digits that read back to the same double,
     * positional when the decimal exponent is in [-4, 16), otherwise {@code d.ddde-XX}.
     */
    public static String repr(double v) {
        if (Double.isNaN(v)) {
            return "nan";
        }
        if (Double.isInfinite(v)) {
            return v > 0 ? "inf" : "-inf";
        }
        if (v == 0) {
            return 1 / v < 0 ? "-0.0" : "0.0";
        }
        BigDecimal d = new BigDecimal(Double.toString(v)).stripTrailingZeros();
        String sign = d.signum() < 0 ? "-" : "";
        String digits = d.unscaledValue().abs().toString();
        int exponent = digits.length() - 1 - d.scale();   // v = d.ddd x 10^exponent
        if (exponent >= -4 && exponent < 16) {
            String plain = d.abs().toPlainString();
            return sign + (plain.contains(".") ? plain : plain + ".0");
        }
        String mantissa = digits.length() == 1 ? digits : digits.charAt(0) + "." + digits.substring(1);
        return sign + mantissa + "e" + (exponent < 0 ? "-" : "+") + String.format("%02d", Math.abs(exponent));
    }

    /** {@link #repr(double)} of a float widened to double, as Python prints {@code tensor.item()}. */
    public static String repr(float v) {
        return repr((double) v);
    }
}
