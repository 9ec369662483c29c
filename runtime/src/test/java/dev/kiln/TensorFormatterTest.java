package dev.kiln;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.stream.IntStream;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * Golden strings for {@link Tensor#toString()}: each expected value is what PyTorch 2.x prints for
 * {@code repr} of the same tensor with the default print options (the PyTorch expression is in the
 * comment above each assertion).
 */
class TensorFormatterTest {
    private static final float NAN = Float.NaN;
    private static final float INF = Float.POSITIVE_INFINITY;

    @Nested
    class FloatStyles {
        @Test
        void randomMatrixRequiringGrad() {
            // torch.manual_seed(0); torch.randn(2, 2, requires_grad=True)
            Tensor t = Tensor.of(new float[][] {{1.5409961f, -0.2934289f}, {-1.0845224f, -1.3985955f}})
                    .requiresGrad(true);
            assertThat(t.toString()).isEqualTo("""
                    tensor([[ 1.5410, -0.2934],
                            [-1.0845, -1.3986]], requires_grad=True)""");
        }

        @Test
        void wholeNumbersPrintWithATrailingPoint() {
            // torch.tensor([1., 2., 3.]); torch.tensor([1., -2.])
            assertThat(Tensor.of(1f, 2f, 3f).toString()).isEqualTo("tensor([1., 2., 3.])");
            assertThat(Tensor.of(1f, -2f).toString()).isEqualTo("tensor([ 1., -2.])");
            // torch.zeros(2, 3)
            assertThat(Tensor.zeros(2, 3).toString()).isEqualTo("""
                    tensor([[0., 0., 0.],
                            [0., 0., 0.]])""");
        }

        @Test
        void fixedPointUsesFourDecimalsAndAlignsWidths() {
            // torch.tensor(0.1)
            assertThat(Tensor.of(0.1f).reshape().toString()).isEqualTo("tensor(0.1000)");
            // torch.tensor([[1.5, -10.25], [100.125, 0.]])
            assertThat(Tensor.of(new float[][] {{1.5f, -10.25f}, {100.125f, 0f}}).toString()).isEqualTo("""
                    tensor([[  1.5000, -10.2500],
                            [100.1250,   0.0000]])""");
        }

        @Test
        void roundsExactTiesHalfToEvenAsPythonDoes() {
            // torch.tensor([1.03125, 2.]): 1.03125 is exact in binary, so "{:.4f}" gives 1.0312
            assertThat(Tensor.of(1.03125f, 2f).toString()).isEqualTo("tensor([1.0312, 2.0000])");
        }

        @Test
        void scientificForTinyHugeOrSpreadValues() {
            // torch.tensor([1e-5, 1.])
            assertThat(Tensor.of(1e-5f, 1f).toString()).isEqualTo("tensor([1.0000e-05, 1.0000e+00])");
            // torch.tensor([1e-5])
            assertThat(Tensor.of(1e-5f).toString()).isEqualTo("tensor([1.0000e-05])");
            // torch.tensor([1e10]): whole, but past 1e8
            assertThat(Tensor.of(1e10f).toString()).isEqualTo("tensor([1.0000e+10])");
            // torch.tensor([0.1, 1000., 123456.]): max / min > 1000
            assertThat(Tensor.of(0.1f, 1000f, 123456f).toString())
                    .isEqualTo("tensor([1.0000e-01, 1.0000e+03, 1.2346e+05])");
        }

        @Test
        void nanAndInfinity() {
            // torch.tensor([1., nan, inf, -inf])
            assertThat(Tensor.of(1f, NAN, INF, -INF).toString()).isEqualTo("tensor([1., nan, inf, -inf])");
            // torch.tensor([1.5, nan, -inf])
            assertThat(Tensor.of(1.5f, NAN, -INF).toString()).isEqualTo("tensor([1.5000,    nan,   -inf])");
            // torch.tensor([nan, nan])
            assertThat(Tensor.of(NAN, NAN).toString()).isEqualTo("tensor([nan, nan])");
            // torch.tensor([1e-5, nan, -inf, 0.])
            assertThat(Tensor.of(1e-5f, NAN, -INF, 0f).toString())
                    .isEqualTo("tensor([1.0000e-05,        nan,       -inf, 0.0000e+00])");
        }

        @Test
        void negativeZeroKeepsItsSign() {
            // torch.tensor([-0., 1.])
            assertThat(Tensor.of(-0f, 1f).toString()).isEqualTo("tensor([-0., 1.])");
            // torch.tensor([-0., 1.5]): zeros do not count towards the width, so -0.0000 is not padded
            assertThat(Tensor.of(-0f, 1.5f).toString()).isEqualTo("tensor([-0.0000, 1.5000])");
        }
    }

    @Nested
    class Types {
        @Test
        void float64IsNamed() {
            // torch.tensor([1.5, 2.25], dtype=torch.float64)
            assertThat(Tensor.of(1.5, 2.25).toString()).isEqualTo("tensor([1.5000, 2.2500], dtype=torch.float64)");
            // torch.arange(3).double()
            assertThat(Tensor.arange(3).toDouble().toString()).isEqualTo("tensor([0., 1., 2.], dtype=torch.float64)");
        }

        @Test
        void int64PrintsPlainValues() {
            // torch.tensor([1, -20, 300])
            assertThat(Tensor.of(1L, -20L, 300L).toString()).isEqualTo("tensor([  1, -20, 300])");
            // torch.arange(8).reshape(2, 2, 2)
            assertThat(Tensor.arange(8).reshape(2, 2, 2).toString()).isEqualTo("""
                    tensor([[[0, 1],
                             [2, 3]],

                            [[4, 5],
                             [6, 7]]])""");
        }

        @Test
        void boolPrintsPythonNames() {
            // torch.tensor([True, False])
            assertThat(Tensor.of(true, false).toString()).isEqualTo("tensor([ True, False])");
            // torch.tensor([[True, False, True], [False, False, True]])
            assertThat(Tensor.of(new boolean[][] {{true, false, true}, {false, false, true}}).toString())
                    .isEqualTo("""
                            tensor([[ True, False,  True],
                                    [False, False,  True]])""");
        }
    }

    @Nested
    class Shapes {
        @Test
        void zeroDimensional() {
            // torch.tensor(1.5); torch.tensor(2.); torch.tensor(0.); torch.tensor(3)
            assertThat(Tensor.scalar(1.5).toString()).isEqualTo("tensor(1.5000)");
            assertThat(Tensor.scalar(2.0).toString()).isEqualTo("tensor(2.)");
            assertThat(Tensor.scalar(0.0).toString()).isEqualTo("tensor(0.)");
            assertThat(Tensor.scalar(3L).toString()).isEqualTo("tensor(3)");
            // torch.tensor(1.5, dtype=torch.float64)
            assertThat(Tensor.scalar(1.5, DType.FLOAT64).toString()).isEqualTo("tensor(1.5000, dtype=torch.float64)");
        }

        @Test
        void emptyTensorsSpellOutShapeAndType() {
            // torch.tensor([])
            assertThat(Tensor.of(new float[0]).toString()).isEqualTo("tensor([])");
            // torch.zeros(0, 3); torch.zeros(2, 0, 3)
            assertThat(Tensor.zeros(0, 3).toString()).isEqualTo("tensor([], size=(0, 3))");
            assertThat(Tensor.zeros(2, 0, 3).toString()).isEqualTo("tensor([], size=(2, 0, 3))");
            // torch.zeros(0, dtype=torch.int64); torch.zeros(0, dtype=torch.bool)
            assertThat(Tensor.zeros(DType.INT64, 0).toString()).isEqualTo("tensor([], dtype=torch.int64)");
            assertThat(Tensor.zeros(DType.BOOL, 0).toString()).isEqualTo("tensor([], dtype=torch.bool)");
            // torch.zeros(2, 0, dtype=torch.float64)
            assertThat(Tensor.zeros(DType.FLOAT64, 2, 0).toString())
                    .isEqualTo("tensor([], size=(2, 0), dtype=torch.float64)");
        }

        @Test
        void threeDimensionalBlocksAreSeparatedByABlankLine() {
            // torch.arange(24.).reshape(2, 3, 4)
            assertThat(Tensor.arange(24).toFloat().reshape(2, 3, 4).toString()).isEqualTo("""
                    tensor([[[ 0.,  1.,  2.,  3.],
                             [ 4.,  5.,  6.,  7.],
                             [ 8.,  9., 10., 11.]],

                            [[12., 13., 14., 15.],
                             [16., 17., 18., 19.],
                             [20., 21., 22., 23.]]])""");
        }
    }

    @Nested
    class LineWrapping {
        @Test
        void longRowWrapsAtEightyColumns() {
            // torch.arange(30.)
            assertThat(Tensor.arange(30).toFloat().toString()).isEqualTo("""
                    tensor([ 0.,  1.,  2.,  3.,  4.,  5.,  6.,  7.,  8.,  9., 10., 11., 12., 13.,
                            14., 15., 16., 17., 18., 19., 20., 21., 22., 23., 24., 25., 26., 27.,
                            28., 29.])""");
        }

        @Test
        void nestedRowsWrapWithTheirOwnIndent() {
            // torch.arange(40.).reshape(2, 20) / 4
            Tensor t = Tensor.arange(40).toFloat().reshape(2, 20).div(4.0);
            assertThat(t.toString()).isEqualTo("""
                    tensor([[0.0000, 0.2500, 0.5000, 0.7500, 1.0000, 1.2500, 1.5000, 1.7500, 2.0000,
                             2.2500, 2.5000, 2.7500, 3.0000, 3.2500, 3.5000, 3.7500, 4.0000, 4.2500,
                             4.5000, 4.7500],
                            [5.0000, 5.2500, 5.5000, 5.7500, 6.0000, 6.2500, 6.5000, 6.7500, 7.0000,
                             7.2500, 7.5000, 7.7500, 8.0000, 8.2500, 8.5000, 8.7500, 9.0000, 9.2500,
                             9.5000, 9.7500]])""");
        }

        @Test
        void suffixMovesToItsOwnLineWhenItWouldPassTheWidth() {
            // torch.arange(11, dtype=torch.float64).add(0.5).requires_grad_()
            assertThat(halves(11).toString()).isEqualTo("""
                    tensor([ 0.5000,  1.5000,  2.5000,  3.5000,  4.5000,  5.5000,  6.5000,  7.5000,
                             8.5000,  9.5000, 10.5000], dtype=torch.float64, requires_grad=True)""");
            // torch.arange(12, dtype=torch.float64).add(0.5).requires_grad_()
            assertThat(halves(12).toString()).isEqualTo("""
                    tensor([ 0.5000,  1.5000,  2.5000,  3.5000,  4.5000,  5.5000,  6.5000,  7.5000,
                             8.5000,  9.5000, 10.5000, 11.5000], dtype=torch.float64,
                           requires_grad=True)""");
        }

        private Tensor halves(int n) {
            return Tensor.of(IntStream.range(0, n).mapToDouble(i -> i + 0.5).toArray()).requiresGrad(true);
        }
    }

    @Nested
    class Summarisation {
        @Test
        void longVectorShowsThreeEdgeItems() {
            // torch.arange(2000)
            assertThat(Tensor.arange(2000).toString()).isEqualTo("tensor([   0,    1,    2,  ..., 1997, 1998, 1999])");
            // torch.arange(-500, 1000)
            assertThat(Tensor.arange(-500, 1000).toString())
                    .isEqualTo("tensor([-500, -499, -498,  ...,  997,  998,  999])");
        }

        @Test
        void matrixSummarisesRowsAndColumns() {
            // torch.ones(100, 100)
            assertThat(Tensor.ones(100, 100).toString()).isEqualTo("""
                    tensor([[1., 1., 1.,  ..., 1., 1., 1.],
                            [1., 1., 1.,  ..., 1., 1., 1.],
                            [1., 1., 1.,  ..., 1., 1., 1.],
                            ...,
                            [1., 1., 1.,  ..., 1., 1., 1.],
                            [1., 1., 1.,  ..., 1., 1., 1.],
                            [1., 1., 1.,  ..., 1., 1., 1.]])""");
            // torch.arange(1200).reshape(30, 40): widths come from the shown elements only
            assertThat(Tensor.arange(1200).reshape(30, 40).toString()).isEqualTo("""
                    tensor([[   0,    1,    2,  ...,   37,   38,   39],
                            [  40,   41,   42,  ...,   77,   78,   79],
                            [  80,   81,   82,  ...,  117,  118,  119],
                            ...,
                            [1080, 1081, 1082,  ..., 1117, 1118, 1119],
                            [1120, 1121, 1122,  ..., 1157, 1158, 1159],
                            [1160, 1161, 1162,  ..., 1197, 1198, 1199]])""");
        }

        @Test
        void shortDimensionsOfASummarisedTensorAreShownWhole() {
            // torch.arange(1001.).reshape(1001, 1)
            assertThat(Tensor.arange(1001).toFloat().reshape(1001, 1).toString()).isEqualTo("""
                    tensor([[   0.],
                            [   1.],
                            [   2.],
                            ...,
                            [ 998.],
                            [ 999.],
                            [1000.]])""");
        }

        @Test
        void summarisedThreeDimensionalScientific() {
            // torch.arange(2000.).reshape(2, 10, 100): shown values span more than 1000x
            assertThat(Tensor.arange(2000).toFloat().reshape(2, 10, 100).toString()).isEqualTo("""
                    tensor([[[0.0000e+00, 1.0000e+00, 2.0000e+00,  ..., 9.7000e+01,
                              9.8000e+01, 9.9000e+01],
                             [1.0000e+02, 1.0100e+02, 1.0200e+02,  ..., 1.9700e+02,
                              1.9800e+02, 1.9900e+02],
                             [2.0000e+02, 2.0100e+02, 2.0200e+02,  ..., 2.9700e+02,
                              2.9800e+02, 2.9900e+02],
                             ...,
                             [7.0000e+02, 7.0100e+02, 7.0200e+02,  ..., 7.9700e+02,
                              7.9800e+02, 7.9900e+02],
                             [8.0000e+02, 8.0100e+02, 8.0200e+02,  ..., 8.9700e+02,
                              8.9800e+02, 8.9900e+02],
                             [9.0000e+02, 9.0100e+02, 9.0200e+02,  ..., 9.9700e+02,
                              9.9800e+02, 9.9900e+02]],

                            [[1.0000e+03, 1.0010e+03, 1.0020e+03,  ..., 1.0970e+03,
                              1.0980e+03, 1.0990e+03],
                             [1.1000e+03, 1.1010e+03, 1.1020e+03,  ..., 1.1970e+03,
                              1.1980e+03, 1.1990e+03],
                             [1.2000e+03, 1.2010e+03, 1.2020e+03,  ..., 1.2970e+03,
                              1.2980e+03, 1.2990e+03],
                             ...,
                             [1.7000e+03, 1.7010e+03, 1.7020e+03,  ..., 1.7970e+03,
                              1.7980e+03, 1.7990e+03],
                             [1.8000e+03, 1.8010e+03, 1.8020e+03,  ..., 1.8970e+03,
                              1.8980e+03, 1.8990e+03],
                             [1.9000e+03, 1.9010e+03, 1.9020e+03,  ..., 1.9970e+03,
                              1.9980e+03, 1.9990e+03]]])""");
        }
    }

    @Nested
    class Autograd {
        @Test
        void nonLeafShowsItsGradFn() {
            // torch.tensor([1., 2., 3.], requires_grad=True) * 2
            Tensor t = Tensor.of(1f, 2f, 3f).requiresGrad(true).times(2);
            assertThat(t.toString()).isEqualTo("tensor([2., 4., 6.], grad_fn=<MulBackward0>)");
        }

        @Test
        void dtypeComesBeforeGradFn() {
            // torch.tensor([[0.25, 0.625]], dtype=torch.float64, requires_grad=True) * 2
            Tensor t = Tensor.of(new double[][] {{0.25, 0.625}}).requiresGrad(true).times(2);
            assertThat(t.toString()).isEqualTo("tensor([[0.5000, 1.2500]], dtype=torch.float64, grad_fn=<MulBackward0>)");
        }
    }
}
