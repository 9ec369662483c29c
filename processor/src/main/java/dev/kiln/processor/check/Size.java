package dev.kiln.processor.check;

import dev.kiln.processor.read.SizeExpr;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A layer size as a polynomial in the constructor's parameters with integer coefficients, so that
 * {@code h}, {@code h * 2} and {@code 2 * h} compare as the processor's reader means them. Two sizes
 * provably differ only when their difference is a non-zero constant: {@code 128} and {@code 64}, or
 * {@code h + 1} and {@code h}; {@code h} and {@code 64} may be equal for some arguments and are left
 * to the run-time check.
 */
public final class Size {
    /** Monomials (sorted parameter names joined by '*', "" for the constant) to coefficients. */
    private final TreeMap<String, Long> terms;

    private Size(TreeMap<String, Long> terms) {
        terms.values().removeIf(c -> c == 0);
        this.terms = terms;
    }

    /** The size a source expression denotes, or null when the processor cannot evaluate it. */
    public static Size of(SizeExpr expr) {
        return switch (expr) {
            case SizeExpr.Constant c -> constant(c.value());
            case SizeExpr.Parameter p -> {
                TreeMap<String, Long> t = new TreeMap<>();
                t.put(p.name(), 1L);
                yield new Size(t);
            }
            case SizeExpr.Binary b -> {
                Size l = of(b.left()), r = of(b.right());
                yield l == null || r == null ? null : switch (b.op()) {
                    case '+' -> l.plus(r, 1);
                    case '-' -> l.plus(r, -1);
                    case '*' -> l.times(r);
                    case '/' -> l.dividedBy(r);
                    default -> null;
                };
            }
            case SizeExpr.Opaque o -> null;
        };
    }

    /** A constant size. */
    public static Size constant(long value) {
        TreeMap<String, Long> t = new TreeMap<>();
        t.put("", value);
        return new Size(t);
    }

    private Size plus(Size other, long sign) {
        TreeMap<String, Long> t = new TreeMap<>(terms);
        other.terms.forEach((m, c) -> t.merge(m, sign * c, Long::sum));
        return new Size(t);
    }

    private Size times(Size other) {
        TreeMap<String, Long> t = new TreeMap<>();
        terms.forEach((m1, c1) -> other.terms.forEach((m2, c2) -> t.merge(multiply(m1, m2), c1 * c2, Long::sum)));
        return new Size(t);
    }

    private static String multiply(String m1, String m2) {
        List<String> factors = new ArrayList<>();
        for (String m : new String[] {m1, m2}) {
            if (!m.isEmpty()) {
                factors.addAll(List.of(m.split("\\*")));
            }
        }
        factors.sort(null);
        return String.join("*", factors);
    }

    /** Exact division by a non-zero constant that divides every coefficient; otherwise unknown. */
    private Size dividedBy(Size other) {
        Long d = other.constantValue();
        if (d == null || d == 0) {
            return null;
        }
        TreeMap<String, Long> t = new TreeMap<>();
        for (Map.Entry<String, Long> e : terms.entrySet()) {
            if (e.getValue() % d != 0) {
                return null;
            }
            t.put(e.getKey(), e.getValue() / d);
        }
        return new Size(t);
    }

    /** The value when the size is a constant, else null. */
    public Long constantValue() {
        if (terms.isEmpty()) {
            return 0L;
        }
        return terms.size() == 1 && terms.containsKey("") ? terms.get("") : null;
    }

    /** True when the two sizes differ for every choice of the constructor's arguments. */
    public boolean provablyDiffers(Size other) {
        Long difference = plus(other, -1).constantValue();
        return difference != null && difference != 0;
    }

    /** As the source would write it: {@code 128}, {@code h}, {@code 2*h + 1}. */
    @Override
    public String toString() {
        if (terms.isEmpty()) {
            return "0";
        }
        StringBuilder out = new StringBuilder();
        for (Map.Entry<String, Long> e : terms.descendingMap().entrySet()) {
            long c = e.getValue();
            String m = e.getKey();
            if (!out.isEmpty()) {
                out.append(c < 0 ? " - " : " + ");
            } else if (c < 0) {
                out.append('-');
            }
            long abs = Math.abs(c);
            if (m.isEmpty()) {
                out.append(abs);
            } else {
                out.append(abs == 1 ? "" : abs + "*").append(m);
            }
        }
        return out.toString();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Size s && s.terms.equals(terms);
    }

    @Override
    public int hashCode() {
        return terms.hashCode();
    }
}
