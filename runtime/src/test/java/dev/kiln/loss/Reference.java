package dev.kiln.loss;

/**
 * PyTorch's documented loss formulas in plain Java doubles, for the expected values of the tests:
 * nothing here calls Kiln.
 */
final class Reference {
    private Reference() {}

    /** log(sum_c e^{x_c}), shifted by the maximum. */
    static double logSumExp(double[] row) {
        double m = Double.NEGATIVE_INFINITY;
        for (double v : row) {
            m = Math.max(m, v);
        }
        double s = 0;
        for (double v : row) {
            s += Math.exp(v - m);
        }
        return m + Math.log(s);
    }

    static double[] logSoftmax(double[] row) {
        double lse = logSumExp(row);
        double[] out = new double[row.length];
        for (int c = 0; c < row.length; c++) {
            out[c] = row[c] - lse;
        }
        return out;
    }

    static double[] softmax(double[] row) {
        double[] l = logSoftmax(row);
        for (int c = 0; c < l.length; c++) {
            l[c] = Math.exp(l[c]);
        }
        return l;
    }

    static double sigmoid(double x) {
        return 1 / (1 + Math.exp(-x));
    }

    static double sum(double[] v) {
        double s = 0;
        for (double x : v) {
            s += x;
        }
        return s;
    }

    static double mean(double[] v) {
        return sum(v) / v.length;
    }

    static double[] flatten(double[][] m) {
        int n = 0;
        for (double[] r : m) {
            n += r.length;
        }
        double[] out = new double[n];
        int k = 0;
        for (double[] r : m) {
            for (double v : r) {
                out[k++] = v;
            }
        }
        return out;
    }
}
