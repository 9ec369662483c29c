package dev.kiln.loss;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.kiln.DType;
import dev.kiln.Shape;
import dev.kiln.Tensor;
import org.junit.jupiter.api.Test;

/**
 * CrossEntropyLoss against PyTorch's documented formulas: log_softmax then NLL for class targets,
 * label smoothing as (1 - eps) nll + eps / C * smooth, and -sum_c w_c t_c log_softmax(x)_c for
 * probability targets.
 */
class CrossEntropyLossTest {
    private static final double[][] X = {{1, 2, 3}, {1, -1, 0.5}, {0, 0, 0}, {2, 0.5, -1}};
    private static final long[] Y = {0, 2, 1, 0};
    private static final double[] W = {0.5, 2.0, 1.5};
    private static final double[][] P = {{0.2, 0.3, 0.5}, {1, 0, 0}, {0, 0.5, 0.5}, {0.25, 0.25, 0.5}};

    private static Tensor x() {
        return Tensor.of(X);
    }

    private static Tensor y() {
        return Tensor.of(Y);
    }

    /** -w[y_n] log_softmax(x_n)[y_n] per sample, 0 where ignored. */
    private static double[] perSample(double[] w, long ignore) {
        double[] l = new double[X.length];
        for (int n = 0; n < X.length; n++) {
            if (Y[n] != ignore) {
                l[n] = -(w == null ? 1 : w[(int) Y[n]]) * Reference.logSoftmax(X[n])[(int) Y[n]];
            }
        }
        return l;
    }

    private static double totalWeight(double[] w, long ignore) {
        double s = 0;
        for (long c : Y) {
            if (c != ignore) {
                s += w == null ? 1 : w[(int) c];
            }
        }
        return s;
    }

    @Test
    void handValues() {
        // Row 0, target 0: log(e + e^2 + e^3) - 1; row 2, target 1: log 3.
        double[] l = perSample(null, -100);
        assertThat(l[0]).isCloseTo(2.40760596444438, within(1e-13));
        assertThat(l[2]).isCloseTo(Math.log(3), within(1e-15));
        assertThat(new CrossEntropyLoss().invoke(x(), y()).item()).isCloseTo(Reference.mean(l), within(1e-15));
        assertThat(new CrossEntropyLoss(Reduction.SUM).invoke(x(), y()).item()).isCloseTo(Reference.sum(l), within(1e-14));
        Tensor none = Losses.crossEntropy(x(), y(), Reduction.NONE);
        assertThat(none.shape()).isEqualTo(Shape.of(4));
        assertThat(none.toDoubleArray()).containsExactly(l, within(1e-15));
        Tensor f = Losses.crossEntropy(x().toFloat(), y());
        assertThat(f.dtype()).isEqualTo(DType.FLOAT32);
        assertThat(f.item()).isCloseTo(Reference.mean(l), within(1e-6));
    }

    @Test
    void classWeightsAndIgnoreIndex() {
        Tensor w = Tensor.of(W);
        double[] lw = perSample(W, -100);
        assertThat(new CrossEntropyLoss(w).invoke(x(), y()).item())
                .isCloseTo(Reference.sum(lw) / totalWeight(W, -100), within(1e-15));
        double[] li = perSample(W, 0);
        CrossEntropyLoss ignoring = CrossEntropyLoss.builder().weight(w).ignoreIndex(0).build();
        assertThat(ignoring.invoke(x(), y()).item()).isCloseTo(Reference.sum(li) / totalWeight(W, 0), within(1e-15));
        assertThat(new CrossEntropyLoss(w, 0, 0, Reduction.NONE).invoke(x(), y()).toDoubleArray())
                .containsExactly(li, within(1e-15));
        assertThat(ignoring.ignoreIndex()).isZero();
        assertThat(ignoring.weight()).isSameAs(w);
    }

    /** PyTorch's formula: (1 - eps) nll + eps / C * smooth, smooth_n = -sum_c w_c log_softmax(x_n)_c. */
    private static double smoothed(double eps, double[] w, long ignore, Reduction r, double[] noneOut) {
        double nll = 0, smooth = 0;
        for (int n = 0; n < X.length; n++) {
            double[] lp = Reference.logSoftmax(X[n]);
            double s = 0;
            for (int c = 0; c < 3; c++) {
                s -= (w == null ? 1 : w[c]) * lp[c];
            }
            double a = 0;
            if (Y[n] != ignore) {
                a = -(w == null ? 1 : w[(int) Y[n]]) * lp[(int) Y[n]];
            } else {
                s = 0;
            }
            nll += a;
            smooth += s;
            if (noneOut != null) {
                noneOut[n] = (1 - eps) * a + eps / 3 * s;
            }
        }
        double div = r == Reduction.MEAN ? totalWeight(w, ignore) : 1;
        return (1 - eps) * nll / div + eps / 3 * smooth / div;
    }

    @Test
    void labelSmoothingOfClassTargets() {
        for (Reduction r : new Reduction[] {Reduction.MEAN, Reduction.SUM}) {
            CrossEntropyLoss plain = CrossEntropyLoss.builder().labelSmoothing(0.1).reduction(r).build();
            assertThat(plain.invoke(x(), y()).item()).as("%s", r)
                    .isCloseTo(smoothed(0.1, null, -100, r, null), within(1e-14));
            CrossEntropyLoss weighted = new CrossEntropyLoss(Tensor.of(W), 2, 0.25, r);
            assertThat(weighted.invoke(x(), y()).item()).as("weighted %s", r)
                    .isCloseTo(smoothed(0.25, W, 2, r, null), within(1e-14));
        }
        double[] none = new double[4];
        smoothed(0.3, W, 1, Reduction.NONE, none);
        assertThat(new CrossEntropyLoss(Tensor.of(W), 1, 0.3, Reduction.NONE).invoke(x(), y()).toDoubleArray())
                .containsExactly(none, within(1e-14));
        // Hand value for one row: x = (0, 0, 0), y = 1, eps = 0.1: every log-probability is -log 3, so the
        // loss is 0.9 log 3 + 0.1 / 3 * 3 log 3 = log 3.
        assertThat(Losses.crossEntropy(Tensor.of(new double[][] {{0, 0, 0}}), Tensor.of(1L), null, -100, 0.1,
                Reduction.MEAN).item()).isCloseTo(Math.log(3), within(1e-15));
        Tensor leaf = x().requiresGrad(true);
        assertThat(new CrossEntropyLoss(null, -100, 0.1, Reduction.MEAN).invoke(leaf, y()).gradFn().name())
                .isEqualTo("AddBackward0");
    }

    @Test
    void probabilityTargets() {
        for (double eps : new double[] {0, 0.2}) {
            for (double[] w : new double[][] {null, W}) {
                double[] l = new double[4];
                for (int n = 0; n < 4; n++) {
                    double[] lp = Reference.logSoftmax(X[n]);
                    for (int c = 0; c < 3; c++) {
                        double t = P[n][c] * (1 - eps) + eps / 3;
                        l[n] -= (w == null ? 1 : w[c]) * t * lp[c];
                    }
                }
                Tensor wt = w == null ? null : Tensor.of(w);
                String what = "eps " + eps + (w == null ? "" : " weighted");
                // The mean divides by the number of samples, not by the weights.
                assertThat(Losses.crossEntropy(x(), Tensor.of(P), wt, -100, eps, Reduction.MEAN).item()).as(what)
                        .isCloseTo(Reference.mean(l), within(1e-14));
                assertThat(Losses.crossEntropy(x(), Tensor.of(P), wt, -100, eps, Reduction.SUM).item()).as(what)
                        .isCloseTo(Reference.sum(l), within(1e-14));
                assertThat(Losses.crossEntropy(x(), Tensor.of(P), wt, -100, eps, Reduction.NONE).toDoubleArray()).as(what)
                        .containsExactly(l, within(1e-14));
            }
        }
        // One-hot probabilities give the class-index loss.
        double[][] oneHot = new double[4][3];
        for (int n = 0; n < 4; n++) {
            oneHot[n][(int) Y[n]] = 1;
        }
        assertThat(new CrossEntropyLoss().invoke(x(), Tensor.of(oneHot)).item())
                .isCloseTo(Reference.mean(perSample(null, -100)), within(1e-15));
    }

    @Test
    void probabilityTargetsGetAGradient() {
        Tensor input = x().requiresGrad(true), target = Tensor.of(P).requiresGrad(true);
        Tensor loss = Losses.crossEntropy(input, target, Reduction.SUM);
        assertThat(loss.gradFn().name()).isEqualTo("NegBackward0");
        assertThat(Losses.crossEntropy(x().requiresGrad(true), Tensor.of(P)).gradFn().name()).isEqualTo("DivBackward0");
        loss.backward();
        double[] gx = new double[12], gt = new double[12];
        for (int n = 0; n < 4; n++) {
            double[] sm = Reference.softmax(X[n]), lp = Reference.logSoftmax(X[n]);
            double mass = Reference.sum(P[n]);
            for (int c = 0; c < 3; c++) {
                gx[n * 3 + c] = mass * sm[c] - P[n][c];
                gt[n * 3 + c] = -lp[c];
            }
        }
        assertThat(input.grad().toDoubleArray()).containsExactly(gx, within(1e-15));
        assertThat(target.grad().toDoubleArray()).containsExactly(gt, within(1e-15));
    }

    @Test
    void gradientIsSoftmaxMinusOneHot() {
        Tensor leaf = x().requiresGrad(true);
        Tensor loss = new CrossEntropyLoss().invoke(leaf, y());
        assertThat(loss.gradFn().name()).isEqualTo("NllLossBackward0");
        assertThat(loss.gradFn().nextFunctions().get(0).name()).isEqualTo("LogSoftmaxBackward0");
        loss.backward();
        double[] g = new double[12];
        for (int n = 0; n < 4; n++) {
            double[] sm = Reference.softmax(X[n]);
            for (int c = 0; c < 3; c++) {
                g[n * 3 + c] = (sm[c] - (c == Y[n] ? 1 : 0)) / 4;
            }
        }
        assertThat(leaf.grad().toDoubleArray()).containsExactly(g, within(1e-15));
    }

    @Test
    void largeLogitsAreStable() {
        Tensor x = Tensor.of(new float[][] {{1000, 0, -1000}, {1000, 0, -1000}, {-500, 500, 0}});
        Tensor y = Tensor.of(0L, 2L, 1L);
        assertThat(Losses.crossEntropy(x, y, Reduction.NONE).toDoubleArray()).containsExactly(new double[] {0, 2000, 0}, within(0.0));
        Tensor leaf = x.clone().requiresGrad(true);
        Losses.crossEntropy(leaf, y, Reduction.SUM).backward();
        assertThat(leaf.grad().toDoubleArray()).containsExactly(new double[] {0, 0, 0, 1, 0, -1, 0, 0, 0}, within(1e-7));
        assertThat(Losses.crossEntropy(x.toDouble(), y, null, -100, 0.1, Reduction.MEAN).item()).isFinite();
    }

    @Test
    void unbatchedAndSpatialInputs() {
        Tensor one = Losses.crossEntropy(Tensor.of(1.0, 2.0, 3.0), Tensor.scalar(0L), Reduction.NONE);
        assertThat(one.dim()).isZero();
        assertThat(one.item()).isCloseTo(2.40760596444438, within(1e-13));
        assertThat(Losses.crossEntropy(Tensor.of(1.0, 2.0, 3.0), Tensor.of(0.0, 0.0, 1.0)).item())
                .isCloseTo(Reference.logSumExp(new double[] {1, 2, 3}) - 3, within(1e-15));
        // (N=2, C=3, d=2): classes along dimension 1.
        double[][][] x3 = {{{1, 0}, {2, 0}, {3, 0}}, {{0, 1}, {0, -1}, {0, 0.5}}};
        long[][] y2 = {{0, 1}, {2, 0}};
        Tensor none = Losses.crossEntropy(Tensor.of(x3), Tensor.of(y2), Reduction.NONE);
        assertThat(none.shape()).isEqualTo(Shape.of(2, 2));
        double[] expected = {
            Reference.logSumExp(new double[] {1, 2, 3}) - 1,
            Math.log(3),
            Reference.logSumExp(new double[] {0, 0, 0}),
            Reference.logSumExp(new double[] {1, -1, 0.5}) - 1};
        assertThat(none.toDoubleArray()).containsExactly(expected, within(1e-15));
        double eps = 0.2;
        double smooth = 0;
        double[][] rows = {{1, 2, 3}, {0, 0, 0}, {0, 0, 0}, {1, -1, 0.5}};
        for (double[] row : rows) {
            for (double lp : Reference.logSoftmax(row)) {
                smooth -= lp;
            }
        }
        assertThat(Losses.crossEntropy(Tensor.of(x3), Tensor.of(y2), null, -100, eps, Reduction.MEAN).item())
                .isCloseTo((1 - eps) * Reference.mean(expected) + eps / 3 * smooth / 4, within(1e-14));
    }

    @Test
    void finiteDifferences() {
        Tensor w = Tensor.of(W);
        for (Reduction r : Reduction.values()) {
            FiniteDifferences.check("ce " + r, xs -> Losses.crossEntropy(xs[0], y(), r), x());
            FiniteDifferences.check("ce weighted smoothed ignore " + r,
                    xs -> Losses.crossEntropy(xs[0], y(), w, 1, 0.15, r), x());
            FiniteDifferences.check("ce probabilities " + r,
                    xs -> Losses.crossEntropy(xs[0], xs[1], w, -100, 0.1, r), x(), Tensor.of(P));
            FiniteDifferences.check("ce unbatched " + r,
                    xs -> Losses.crossEntropy(xs[0], Tensor.scalar(1L), w, -100, 0.2, r), Tensor.of(0.3, -0.2, 1.1));
        }
    }

    @Test
    void printsAsPyTorch() {
        assertThat(new CrossEntropyLoss()).hasToString("CrossEntropyLoss()");
        assertThat(CrossEntropyLoss.builder().labelSmoothing(0.1).build()).hasToString("CrossEntropyLoss()");
        assertThat(CrossEntropyLoss.builder().labelSmoothing(0.1).build().labelSmoothing()).isEqualTo(0.1);
        assertThat(new CrossEntropyLoss().weight()).isNull();
    }
}
