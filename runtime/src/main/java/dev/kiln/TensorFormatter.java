package dev.kiln;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes tensors exactly as PyTorch's {@code repr(tensor)} does with the default print options
 * (precision 4, threshold 1000, edge items 3, line width 80), so that output can be compared
 * character for character with a PyTorch session.
 *
 * <p>The rules follow {@code torch/_tensor_str.py}: one element format is chosen for the whole
 * tensor (integers-as-floats, fixed point or scientific) from the elements that are shown, every
 * element is padded to a common width, rows wrap at the line width, and tensors with more than
 * {@link #THRESHOLD} elements show only the first and last {@link #EDGE_ITEMS} entries of each
 * dimension.
 */
final class TensorFormatter {
    private static final int PRECISION = 4;
    private static final int THRESHOLD = 1000;
    private static final int EDGE_ITEMS = 3;
    private static final int LINE_WIDTH = 80;
    private static final String PREFIX = "tensor(";
    /** Everything after the first line is aligned one column past the opening parenthesis. */
    private static final int INDENT = PREFIX.length();

    private TensorFormatter() {}

    static String format(Tensor tensor) {
        List<String> suffixes = new ArrayList<>();
        Tensor t = tensor;
        if (tensor.device().isCuda()) {
            // PyTorch prints a device tensor from a host copy, the device first among the suffixes.
            t = dev.kiln.device.cuda.CudaOps.download(tensor);
            suffixes.add("device='" + tensor.device() + "'");
        }
        String body;
        if (t.numel() == 0) {
            // Nothing to read the shape or the type from, so PyTorch spells them out.
            if (t.dim() != 1) {
                suffixes.add("size=" + pythonTuple(t.shape().toArray()));
            }
            if (t.dtype() != DType.FLOAT32) {
                suffixes.add("dtype=" + t.dtype().pytorchName());
            }
            body = "[]";
        } else {
            // int64 and bool are recognisable from their elements; float32 is the default type.
            if (t.dtype() == DType.FLOAT64) {
                suffixes.add("dtype=" + t.dtype().pytorchName());
            }
            body = new Layout(t).render();
        }
        if (tensor.gradFn() != null) {
            suffixes.add("grad_fn=<" + tensor.gradFn().name() + ">");
        } else if (tensor.requiresGrad()) {
            suffixes.add("requires_grad=True");
        }
        return appendSuffixes(PREFIX + body, suffixes);
    }

    /**
     * Adds {@code , suffix} pieces and the closing parenthesis, moving a suffix to its own line when
     * it would pass the line width.
     */
    private static String appendSuffixes(String text, List<String> suffixes) {
        StringBuilder out = new StringBuilder(text);
        // PyTorch measures the last line as length - rfind('\n') + 1, which counts two characters
        // more than the line holds; reproduced as is so suffixes wrap where PyTorch's do.
        int lastLineLength = text.length() - text.lastIndexOf('\n') + 1;
        for (String suffix : suffixes) {
            if (lastLineLength + suffix.length() + 2 > LINE_WIDTH) {
                out.append(",\n").append(" ".repeat(INDENT)).append(suffix);
                lastLineLength = INDENT + suffix.length();
            } else {
                out.append(", ").append(suffix);
                lastLineLength += suffix.length() + 2;
            }
        }
        return out.append(')').toString();
    }

    /** A shape as Python prints a tuple: {@code (0, 3)}, {@code (0,)}, {@code ()}. */
    private static String pythonTuple(int[] dims) {
        if (dims.length == 1) {
            return "(" + dims[0] + ",)";
        }
        StringBuilder out = new StringBuilder("(");
        for (int i = 0; i < dims.length; i++) {
            out.append(i == 0 ? "" : ", ").append(dims[i]);
        }
        return out.append(')').toString();
    }

    /** The nested-bracket text of a non-empty tensor, read from its row-major elements. */
    private static final class Layout {
        private final int[] shape;
        private final int[] strides;
        private final boolean summarize;
        private final Elements elements;

        Layout(Tensor t) {
            shape = t.shape().toArray();
            strides = rowMajorStrides(shape);
            summarize = t.numel() > THRESHOLD;
            // The element format depends only on what is shown, as PyTorch formats the summarised data.
            int[] shown = shownIndices(0, 0);
            elements = Elements.of(t, shown);
        }

        String render() {
            return shape.length == 0 ? elements.cell(0) : renderDim(0, 0, INDENT);
        }

        private String renderDim(int dim, int offset, int indent) {
            return dim == shape.length - 1 ? renderRow(offset, indent) : renderBlocks(dim, offset, indent);
        }

        /** The innermost dimension: as many cells per line as fit in the width left after the indent. */
        private String renderRow(int offset, int indent) {
            int size = shape[shape.length - 1];
            List<String> cells = new ArrayList<>();
            for (int i : visible(size)) {
                // " ..." is one cell wide in PyTorch's line count, so it goes in the same list.
                cells.add(i < 0 ? " ..." : elements.cell(offset + i));
            }
            int perLine = Math.max(1, (LINE_WIDTH - indent) / (elements.width() + 2));
            List<String> lines = new ArrayList<>();
            for (int from = 0; from < cells.size(); from += perLine) {
                lines.add(String.join(", ", cells.subList(from, Math.min(cells.size(), from + perLine))));
            }
            return "[" + String.join(",\n" + " ".repeat(indent + 1), lines) + "]";
        }

        /** An outer dimension: sub-blocks one per line, with a blank line more for each level above 2-d. */
        private String renderBlocks(int dim, int offset, int indent) {
            List<String> blocks = new ArrayList<>();
            for (int i : visible(shape[dim])) {
                blocks.add(i < 0 ? "..." : renderDim(dim + 1, offset + i * strides[dim], indent + 1));
            }
            int depth = shape.length - dim;
            String separator = "," + "\n".repeat(depth - 1) + " ".repeat(indent + 1);
            return "[" + String.join(separator, blocks) + "]";
        }

        /**
         * The positions shown along a dimension of the given size: all of them, or when summarising a
         * long dimension the edges around a -1 that stands for the ellipsis.
         */
        private int[] visible(int size) {
            if (!summarize || size <= 2 * EDGE_ITEMS) {
                int[] all = new int[size];
                for (int i = 0; i < size; i++) {
                    all[i] = i;
                }
                return all;
            }
            int[] edges = new int[2 * EDGE_ITEMS + 1];
            for (int i = 0; i < EDGE_ITEMS; i++) {
                edges[i] = i;
                edges[EDGE_ITEMS + 1 + i] = size - EDGE_ITEMS + i;
            }
            edges[EDGE_ITEMS] = -1;
            return edges;
        }

        /** Flat indices of every element that will be printed, in row-major order. */
        private int[] shownIndices(int dim, int offset) {
            if (dim == shape.length) {
                return new int[] {offset};
            }
            List<int[]> parts = new ArrayList<>();
            int total = 0;
            for (int i : visible(shape[dim])) {
                if (i >= 0) {
                    int[] part = shownIndices(dim + 1, offset + i * strides[dim]);
                    parts.add(part);
                    total += part.length;
                }
            }
            int[] all = new int[total];
            int at = 0;
            for (int[] part : parts) {
                System.arraycopy(part, 0, all, at, part.length);
                at += part.length;
            }
            return all;
        }

        private static int[] rowMajorStrides(int[] shape) {
            int[] strides = new int[shape.length];
            int stride = 1;
            for (int d = shape.length - 1; d >= 0; d--) {
                strides[d] = stride;
                stride *= shape[d];
            }
            return strides;
        }
    }

    /** The text of single elements, all right-aligned to one width. */
    private abstract static class Elements {
        private final int width;

        Elements(int width) {
            this.width = width;
        }

        static Elements of(Tensor t, int[] shown) {
            return switch (t.dtype()) {
                case FLOAT32, FLOAT64 -> FloatElements.of(t.toDoubleArray(), shown);
                case INT64 -> new PlainElements(longTexts(t.toLongArray()), shown);
                case BOOL -> new PlainElements(boolTexts(t.toBooleanArray()), shown);
            };
        }

        /** The unpadded text of the element at a row-major index. */
        abstract String text(int index);

        final int width() {
            return width;
        }

        /** The element padded on the left to the common width (never cut when it is wider). */
        final String cell(int index) {
            String text = text(index);
            return " ".repeat(Math.max(0, width - text.length())) + text;
        }

        private static String[] longTexts(long[] values) {
            String[] texts = new String[values.length];
            for (int i = 0; i < values.length; i++) {
                texts[i] = Long.toString(values[i]);
            }
            return texts;
        }

        private static String[] boolTexts(boolean[] values) {
            String[] texts = new String[values.length];
            for (int i = 0; i < values.length; i++) {
                texts[i] = values[i] ? "True" : "False";
            }
            return texts;
        }
    }

    /** int64 and bool elements: Python's {@code str} of the value; width over the shown ones. */
    private static final class PlainElements extends Elements {
        private final String[] texts;

        PlainElements(String[] texts, int[] shown) {
            super(maxLength(texts, shown));
            this.texts = texts;
        }

        @Override
        String text(int index) {
            return texts[index];
        }

        private static int maxLength(String[] texts, int[] shown) {
            int width = 1;
            for (int i : shown) {
                width = Math.max(width, texts[i].length());
            }
            return width;
        }
    }

    /**
     * Floating-point elements in the one style PyTorch's {@code _Formatter} picks for the tensor. Only
     * shown elements that are finite and non-zero decide the style and the width: zeros, nan and inf
     * fit any style and simply get padded.
     */
    private static final class FloatElements extends Elements {
        private enum Style { INTEGRAL, FIXED, SCIENTIFIC }

        private final double[] values;
        private final Style style;

        private FloatElements(double[] values, Style style, int width) {
            super(width);
            this.values = values;
            this.style = style;
        }

        static FloatElements of(double[] values, int[] shown) {
            List<Double> deciding = new ArrayList<>();
            for (int i : shown) {
                if (Double.isFinite(values[i]) && values[i] != 0) {
                    deciding.add(values[i]);
                }
            }
            Style style = chooseStyle(deciding);
            int width = 1;
            for (double v : deciding) {
                width = Math.max(width, text(v, style).length());
            }
            return new FloatElements(values, style, width);
        }

        /**
         * Whole numbers print as {@code 2.}; scientific notation takes over when fixed point with four
         * decimals would hide the smallest values or waste width on the largest (a spread over 1000,
         * magnitudes past 1e8 or, for non-integral values, below 1e-4).
         */
        private static Style chooseStyle(List<Double> deciding) {
            if (deciding.isEmpty()) {
                return Style.INTEGRAL;
            }
            boolean integral = true;
            double min = Double.POSITIVE_INFINITY;
            double max = 0;
            for (double v : deciding) {
                integral &= v == Math.ceil(v);
                min = Math.min(min, Math.abs(v));
                max = Math.max(max, Math.abs(v));
            }
            boolean wide = max / min > 1000.0 || max > 1.0e8 || (!integral && min < 1.0e-4);
            return wide ? Style.SCIENTIFIC : integral ? Style.INTEGRAL : Style.FIXED;
        }

        @Override
        String text(int index) {
            return text(values[index], style);
        }

        private static String text(double v, Style style) {
            if (Double.isNaN(v)) {
                return "nan";
            }
            if (Double.isInfinite(v)) {
                return v > 0 ? "inf" : "-inf";
            }
            return switch (style) {
                case INTEGRAL -> fixed(v, 0) + ".";
                case FIXED -> fixed(v, PRECISION);
                case SCIENTIFIC -> scientific(v, PRECISION);
            };
        }

        /**
         * Python's {@code "{:.Nf}"}: the exact binary value rounded half-to-even, keeping the sign of
         * negative zero and of negatives that round to zero ({@code -0.0000}).
         */
        private static String fixed(double v, int decimals) {
            String digits = new BigDecimal(Math.abs(v)).setScale(decimals, RoundingMode.HALF_EVEN).toPlainString();
            return sign(v) + digits;
        }

        /** Python's {@code "{:.Ne}"}: {@code d.dddde±XX} with at least two exponent digits. */
        private static String scientific(double v, int decimals) {
            String mantissa;
            int exponent;
            if (v == 0) {
                mantissa = "0".repeat(decimals + 1);
                exponent = 0;
            } else {
                BigDecimal rounded = new BigDecimal(Math.abs(v)).round(new MathContext(decimals + 1, RoundingMode.HALF_EVEN));
                String unscaled = rounded.unscaledValue().toString();
                // value = unscaled * 10^-scale, so the leading digit sits at 10^(length - 1 - scale).
                exponent = unscaled.length() - 1 - rounded.scale();
                mantissa = (unscaled + "0".repeat(decimals)).substring(0, decimals + 1);
            }
            String expText = String.format("%c%02d", exponent < 0 ? '-' : '+', Math.abs(exponent));
            return sign(v) + mantissa.charAt(0) + (decimals > 0 ? "." + mantissa.substring(1) : "") + "e" + expText;
        }

        private static String sign(double v) {
            return Math.copySign(1.0, v) < 0 ? "-" : "";
        }
    }
}
