package dev.kiln.ops;

import dev.kiln.DType;
import dev.kiln.Shape;
import dev.kiln.Tensor;
import dev.kiln.autograd.Graph;
import dev.kiln.kernels.Gemm;

/**
 * Matrix products. {@code mm} and {@code bmm} are the primitives, with their derivatives;
 * {@code mv}, {@code dot} and {@code matmul} reduce to them or to the same kernel.
 */
public final class LinearAlgebra {
    private LinearAlgebra() {}

    private static void requireSameFloatingType(String op, Tensor a, Tensor b) {
        if (a.dtype() != b.dtype()) {
            throw new IllegalArgumentException(op + ": expected both tensors to have the same dtype, but found "
                    + a.dtype().pytorchName() + " and " + b.dtype().pytorchName() + "; convert one with to(dtype)");
        }
        if (!a.dtype().isFloatingPoint()) {
            throw new IllegalArgumentException(op + ": only float32 and float64 tensors are supported, but found "
                    + a.dtype().pytorchName() + "; convert with toFloat() or toDouble()");
        }
    }

    private static void requireRank(String op, Tensor a, Tensor b, int rankA, int rankB) {
        if (a.dim() != rankA || b.dim() != rankB) {
            throw new IllegalArgumentException(op + ": expected a " + rankA + "-d and a " + rankB + "-d tensor, but got"
                    + " shapes " + Shape.describe(Views.ACCESS.dims(a)) + " and " + Shape.describe(Views.ACCESS.dims(b)));
        }
    }

    private static IllegalArgumentException cannotMultiply(String op, Tensor a, Tensor b) {
        return new IllegalArgumentException(op + ": shapes " + Shape.describe(Views.ACCESS.dims(a)) + " and "
                + Shape.describe(Views.ACCESS.dims(b)) + " cannot be multiplied");
    }

    /**
     * Runs the kernel for {@code batch} products of (m x k) by (k x n), the operands read through
     * their own strides (the batch stride is that of dimension 0 when {@code batched}).
     */
    private static Tensor product(Tensor a, Tensor b, int batch, int m, int n, int k, boolean batched, int[] outDims) {
        int[] as = Views.ACCESS.strides(a), bs = Views.ACCESS.strides(b);
        int r = batched ? 1 : 0;
        int aRs = a.dim() > r + 1 ? as[r] : 0, aCs = as[a.dim() - 1];
        int bRs = bs[b.dim() - (b.dim() > r + 1 ? 2 : 1)], bCs = b.dim() > r + 1 ? bs[b.dim() - 1] : 0;
        int aBatch = batched ? as[0] : 0, bBatch = batched ? bs[0] : 0;
        int aOff = Views.ACCESS.offset(a), bOff = Views.ACCESS.offset(b);
        DType type = a.dtype();
        Object out;
        if (type == DType.FLOAT32) {
            float[] c = new float[batch * m * n];
            float[] x = (float[]) Views.ACCESS.array(a), y = (float[]) Views.ACCESS.array(b);
            for (int s = 0; s < batch; s++) {
                Gemm.gemm(m, n, k, x, aOff + s * aBatch, aRs, aCs, y, bOff + s * bBatch, bRs, bCs, c, s * m * n);
            }
            out = c;
        } else {
            double[] c = new double[batch * m * n];
            double[] x = (double[]) Views.ACCESS.array(a), y = (double[]) Views.ACCESS.array(b);
            for (int s = 0; s < batch; s++) {
                Gemm.gemm(m, n, k, x, aOff + s * aBatch, aRs, aCs, y, bOff + s * bBatch, bRs, bCs, c, s * m * n);
            }
            out = c;
        }
        return Views.wrap(type, out, outDims);
    }

    public static Tensor mm(Tensor a, Tensor b) {
        requireRank("mm", a, b, 2, 2);
        requireSameFloatingType("mm", a, b);
        int m = a.size(0), k = a.size(1), n = b.size(1);
        if (b.size(0) != k) {
            throw cannotMultiply("mm", a, b);
        }
        Tensor y = Dispatch.onCuda("mm", a, b) ? dev.kiln.device.cuda.CudaOps.mm(a, b)
                : product(a, b, 1, m, n, k, false, new int[] {m, n});
        return Graph.record("MmBackward0", y, new Tensor[] {a, b}, new Tensor[] {a, b}, (g, ctx) -> new Tensor[] {
            ctx.needsGrad(0) ? g.mm(ctx.saved(1).t()) : null,
            ctx.needsGrad(1) ? ctx.saved(0).t().mm(g) : null});
    }

    public static Tensor mv(Tensor a, Tensor v) {
        requireRank("mv", a, v, 2, 1);
        requireSameFloatingType("mv", a, v);
        int m = a.size(0), k = a.size(1);
        if (v.size(0) != k) {
            throw cannotMultiply("mv", a, v);
        }
        Tensor y = product(a, v, 1, m, 1, k, false, new int[] {m});
        return Graph.record("MvBackward0", y, new Tensor[] {a, v}, new Tensor[] {a, v}, (g, ctx) -> new Tensor[] {
            ctx.needsGrad(0) ? g.unsqueeze(1).mm(ctx.saved(1).unsqueeze(0)) : null,
            ctx.needsGrad(1) ? ctx.saved(0).t().mv(g) : null});
    }

    public static Tensor dot(Tensor a, Tensor b) {
        requireRank("dot", a, b, 1, 1);
        requireSameFloatingType("dot", a, b);
        int k = a.size(0);
        if (b.size(0) != k) {
            throw new IllegalArgumentException("dot: expected 1-d tensors of the same length, but got shapes "
                    + Shape.describe(Views.ACCESS.dims(a)) + " and " + Shape.describe(Views.ACCESS.dims(b)));
        }
        Tensor row;
        try (var noGrad = dev.kiln.Kiln.noGrad()) {
            row = a.unsqueeze(0); // only the kernel reads it: no node for it on the tape
        }
        Tensor y = product(row, b, 1, 1, 1, k, false, new int[0]);
        return Graph.record("DotBackward0", y, new Tensor[] {a, b}, new Tensor[] {a, b}, (g, ctx) -> new Tensor[] {
            ctx.needsGrad(0) ? ctx.saved(1).times(g) : null,
            ctx.needsGrad(1) ? ctx.saved(0).times(g) : null});
    }

    public static Tensor bmm(Tensor a, Tensor b) {
        requireRank("bmm", a, b, 3, 3);
        requireSameFloatingType("bmm", a, b);
        int batch = a.size(0), m = a.size(1), k = a.size(2), n = b.size(2);
        if (b.size(0) != batch || b.size(1) != k) {
            throw new IllegalArgumentException("bmm: shapes " + Shape.describe(Views.ACCESS.dims(a)) + " and "
                    + Shape.describe(Views.ACCESS.dims(b)) + " cannot be multiplied (batch sizes must be equal and"
                    + " the inner sizes must agree)");
        }
        Tensor y = product(a, b, batch, m, n, k, true, new int[] {batch, m, n});
        return Graph.record("BmmBackward0", y, new Tensor[] {a, b}, new Tensor[] {a, b}, (g, ctx) -> new Tensor[] {
            ctx.needsGrad(0) ? g.bmm(ctx.saved(1).transpose(1, 2)) : null,
            ctx.needsGrad(1) ? ctx.saved(0).transpose(1, 2).bmm(g) : null});
    }

    public static Tensor matmul(Tensor a, Tensor b) {
        int ra = a.dim(), rb = b.dim();
        if (ra == 0 || rb == 0) {
            throw new IllegalArgumentException("matmul: both arguments need at least 1 dimension, but got shapes "
                    + Shape.describe(Views.ACCESS.dims(a)) + " and " + Shape.describe(Views.ACCESS.dims(b)));
        }
        if (ra == 1 && rb == 1) {
            return dot(a, b);
        }
        if (ra == 2 && rb == 1) {
            return mv(a, b);
        }
        int k = a.size(-1);
        int bk = rb == 1 ? b.size(0) : b.size(-2);
        if (k != bk) {
            throw cannotMultiply("matmul", a, b);
        }
        if (ra == 1 && rb == 2) {
            return a.unsqueeze(0).mm(b).squeeze(0);
        }
        if (ra == 2 && rb == 2) {
            return mm(a, b);
        }
        if (rb <= 2 && ra >= 3) {
            // Fold the batch into the rows: one matrix product instead of many.
            int[] dims = Views.ACCESS.dims(a);
            Tensor rhs = rb == 1 ? b.unsqueeze(1) : b;
            Tensor flat = a.reshape(-1, k).mm(rhs);
            int[] out = new int[rb == 1 ? ra - 1 : ra];
            System.arraycopy(dims, 0, out, 0, ra - 1);
            if (rb == 2) {
                out[ra - 1] = b.size(1);
            }
            return flat.reshape(out);
        }
        // Batched: broadcast the batch dimensions, then one bmm.
        Tensor x = ra == 1 ? a.unsqueeze(0) : a;
        Tensor y = rb == 1 ? b.unsqueeze(1) : b;
        int[] xd = Views.ACCESS.dims(x), yd = Views.ACCESS.dims(y);
        int[] xBatch = java.util.Arrays.copyOf(xd, xd.length - 2), yBatch = java.util.Arrays.copyOf(yd, yd.length - 2);
        int[] batch = Broadcast.shapes(xBatch, yBatch, "matmul");
        int m = xd[xd.length - 2], n = yd[yd.length - 1];
        int count = 1;
        for (int s : batch) {
            count *= s;
        }
        Tensor xs = x.expand(concat(batch, m, k)).reshape(count, m, k);
        Tensor ys = y.expand(concat(batch, k, n)).reshape(count, k, n);
        Tensor r = xs.bmm(ys).reshape(concat(batch, m, n));
        if (ra == 1) {
            r = r.squeeze(-2);
        }
        if (rb == 1) {
            r = r.squeeze(-1);
        }
        return r;
    }

    private static int[] concat(int[] batch, int rows, int cols) {
        int[] out = java.util.Arrays.copyOf(batch, batch.length + 2);
        out[batch.length] = rows;
        out[batch.length + 1] = cols;
        return out;
    }
}
