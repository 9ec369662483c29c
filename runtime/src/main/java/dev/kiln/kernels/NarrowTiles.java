package dev.kiln.kernels;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * Register tiles of 256-bit vectors for products at most 16 columns wide, for {@link VectorKernels}
 * when its own vectors are 512 bits: six rows of C by one or two vectors of 8 lanes. A tile that
 * narrow needs one broadcast of A per multiply-add whatever its vectors' width, and on a core that
 * runs each 512-bit operation as two 256-bit halves (AMD Zen 4) the 256-bit tile issues those
 * broadcasts and multiply-adds faster: 128x10x100 ({@code dY W}) took 5.3 us in 512-bit vectors and
 * 4.1 in these, 8x13x500 ({@code g^T x}) 3.0 and 2.5, and 500x8x13, whose eight columns fill one such
 * vector exactly, 3.3 and 2.8. A core that runs 512-bit operations whole (Intel's) is faster with
 * the 512-bit tiles: 128x10x100 took 3.8 us in them and 4.5 in these. {@link Choice} says which
 * runs. Each element is the same chain of multiply-adds over k as in every tile, so the bits do not
 * change.
 */
final class NarrowTiles {
    /**
     * Whether these tiles run the narrow products: {@code -Dkiln.narrowTiles=256} or {@code 512}
     * decides; otherwise ({@code auto}) they run on AMD Zen 4 (family 25 in {@code /proc/cpuinfo};
     * Zen 3, the same family, has no 512-bit vectors and never gets here), not elsewhere or where
     * the CPU cannot be read. Read once, when the first narrow product runs.
     */
    static final class Choice {
        /** The system property that overrides the choice. */
        static final String PROPERTY = "kiln.narrowTiles";
        static final boolean PREFERRED = preferred(System.getProperty(PROPERTY), Path.of("/proc/cpuinfo"));

        private Choice() {}

        static boolean preferred(String property, Path cpuinfo) {
            if ("256".equals(property)) {
                return true;
            }
            if ("512".equals(property)) {
                return false;
            }
            if (property != null && !property.equals("auto")) {
                System.getLogger(NarrowTiles.class.getName()).log(System.Logger.Level.WARNING,
                        "unknown value -D" + PROPERTY + "=" + property + " (expected auto, 256 or 512), choosing automatically");
            }
            return splitsWideVectors(cpuinfo);
        }

        /** Whether cpuinfo names an AMD CPU of family 25 (Zen 3 and 4); false where it cannot be read. */
        static boolean splitsWideVectors(Path cpuinfo) {
            String vendor = null, family = null;
            try (BufferedReader in = Files.newBufferedReader(cpuinfo)) {
                for (String line; (vendor == null || family == null) && (line = in.readLine()) != null; ) {
                    int colon = line.indexOf(':');
                    if (colon < 0) {
                        continue;
                    }
                    String key = line.substring(0, colon).trim(), value = line.substring(colon + 1).trim();
                    if (key.equals("vendor_id")) {
                        vendor = value;
                    } else if (key.equals("cpu family")) {
                        family = value;
                    }
                }
            } catch (IOException | RuntimeException e) {
                return false;
            }
            return "AuthenticAMD".equals(vendor) && "25".equals(family);
        }
    }

    private static final VectorSpecies<Float> HS = FloatVector.SPECIES_256;
    private static final int H = HS.length();
    /** The widest product these tiles take. */
    static final int MAX_COLUMNS = 2 * H;

    private NarrowTiles() {}

    /**
     * Rows {@code [0, m)} of C (row stride ldc, nr <= {@link #MAX_COLUMNS} columns from cBase) for k
     * steps of A (through its strides) and B (rows bRs apart, each readable 16 wide from bBase),
     * stored or added ({@code accumulate}) into C, six rows at a time; scratch holds a tile of
     * {@code VectorKernels.NR}-wide rows on its way into C where the stores could leave C's array.
     */
    static void tiles(int kc, float[] a, int aBase, int aRs, int aCs, float[] b, int bBase, int bRs,
                      float[] c, int cBase, int ldc, int m, int nr, boolean accumulate, float[] scratch) {
        for (int i0 = 0; i0 < m; i0 += VectorKernels.MR) {
            int mr = Math.min(VectorKernels.MR, m - i0);
            int aRow = aBase + i0 * aRs, cRow = cBase + i0 * ldc;
            if (nr <= H) {
                one(kc, a, aRow, aRs, aCs, b, bBase, bRs, c, cRow, ldc, mr, nr, accumulate, scratch);
            } else {
                two(kc, a, aRow, aRs, aCs, b, bBase, bRs, c, cRow, ldc, mr, nr, accumulate, scratch);
            }
        }
    }

    /** Six rows by one vector (nr <= 8); rows past mr repeat the last one and are not stored. */
    private static void one(int kc, float[] a, int aBase, int aRs, int aCs, float[] b, int bBase, int bRs,
                            float[] c, int cBase, int ldc, int mr, int nr, boolean accumulate, float[] scratch) {
        int a0 = aBase;
        int a1 = aBase + Math.min(1, mr - 1) * aRs;
        int a2 = aBase + Math.min(2, mr - 1) * aRs;
        int a3 = aBase + Math.min(3, mr - 1) * aRs;
        int a4 = aBase + Math.min(4, mr - 1) * aRs;
        int a5 = aBase + Math.min(5, mr - 1) * aRs;
        FloatVector c0 = FloatVector.zero(HS), c1 = FloatVector.zero(HS), c2 = FloatVector.zero(HS);
        FloatVector c3 = FloatVector.zero(HS), c4 = FloatVector.zero(HS), c5 = FloatVector.zero(HS);
        if (aCs == 1) {
            // as in two()
            for (int p = 0, pb = bBase; p < kc; p++, pb += bRs) {
                FloatVector b0 = FloatVector.fromArray(HS, b, pb);
                c0 = b0.fma(FloatVector.broadcast(HS, a[a0 + p]), c0);
                c1 = b0.fma(FloatVector.broadcast(HS, a[a1 + p]), c1);
                c2 = b0.fma(FloatVector.broadcast(HS, a[a2 + p]), c2);
                c3 = b0.fma(FloatVector.broadcast(HS, a[a3 + p]), c3);
                c4 = b0.fma(FloatVector.broadcast(HS, a[a4 + p]), c4);
                c5 = b0.fma(FloatVector.broadcast(HS, a[a5 + p]), c5);
            }
        } else {
            for (int p = 0, pa = 0, pb = bBase; p < kc; p++, pa += aCs, pb += bRs) {
                FloatVector b0 = FloatVector.fromArray(HS, b, pb);
                c0 = b0.fma(FloatVector.broadcast(HS, a[a0 + pa]), c0);
                c1 = b0.fma(FloatVector.broadcast(HS, a[a1 + pa]), c1);
                c2 = b0.fma(FloatVector.broadcast(HS, a[a2 + pa]), c2);
                c3 = b0.fma(FloatVector.broadcast(HS, a[a3 + pa]), c3);
                c4 = b0.fma(FloatVector.broadcast(HS, a[a4 + pa]), c4);
                c5 = b0.fma(FloatVector.broadcast(HS, a[a5 + pa]), c5);
            }
        }
        if (mr == VectorKernels.MR && !accumulate && cBase + 5 * ldc + H <= c.length) {
            VectorMask<Float> lanes = HS.indexInRange(0, nr);
            c0.intoArray(c, cBase, lanes);
            c1.intoArray(c, cBase + ldc, lanes);
            c2.intoArray(c, cBase + 2 * ldc, lanes);
            c3.intoArray(c, cBase + 3 * ldc, lanes);
            c4.intoArray(c, cBase + 4 * ldc, lanes);
            c5.intoArray(c, cBase + 5 * ldc, lanes);
            return;
        }
        int nr0 = VectorKernels.NR;
        c0.intoArray(scratch, 0);
        c1.intoArray(scratch, nr0);
        c2.intoArray(scratch, 2 * nr0);
        c3.intoArray(scratch, 3 * nr0);
        c4.intoArray(scratch, 4 * nr0);
        c5.intoArray(scratch, 5 * nr0);
        VectorKernels.merge(scratch, c, cBase, ldc, mr, nr, accumulate);
    }

    /** Six rows by two vectors (8 < nr <= 16), the second stored through a lane mask. */
    private static void two(int kc, float[] a, int aBase, int aRs, int aCs, float[] b, int bBase, int bRs,
                            float[] c, int cBase, int ldc, int mr, int nr, boolean accumulate, float[] scratch) {
        int a0 = aBase;
        int a1 = aBase + Math.min(1, mr - 1) * aRs;
        int a2 = aBase + Math.min(2, mr - 1) * aRs;
        int a3 = aBase + Math.min(3, mr - 1) * aRs;
        int a4 = aBase + Math.min(4, mr - 1) * aRs;
        int a5 = aBase + Math.min(5, mr - 1) * aRs;
        FloatVector c00 = FloatVector.zero(HS), c01 = FloatVector.zero(HS), c10 = FloatVector.zero(HS), c11 = FloatVector.zero(HS);
        FloatVector c20 = FloatVector.zero(HS), c21 = FloatVector.zero(HS), c30 = FloatVector.zero(HS), c31 = FloatVector.zero(HS);
        FloatVector c40 = FloatVector.zero(HS), c41 = FloatVector.zero(HS), c50 = FloatVector.zero(HS), c51 = FloatVector.zero(HS);
        if (aCs == 1) {
            // A's rows contiguous: A's indexes step by the constant 1, so C2 moves their range
            // checks out of the loop
            for (int p = 0, pb = bBase; p < kc; p++, pb += bRs) {
                FloatVector b0 = FloatVector.fromArray(HS, b, pb);
                FloatVector b1 = FloatVector.fromArray(HS, b, pb + H);
                FloatVector x0 = FloatVector.broadcast(HS, a[a0 + p]);
                c00 = b0.fma(x0, c00);
                c01 = b1.fma(x0, c01);
                FloatVector x1 = FloatVector.broadcast(HS, a[a1 + p]);
                c10 = b0.fma(x1, c10);
                c11 = b1.fma(x1, c11);
                FloatVector x2 = FloatVector.broadcast(HS, a[a2 + p]);
                c20 = b0.fma(x2, c20);
                c21 = b1.fma(x2, c21);
                FloatVector x3 = FloatVector.broadcast(HS, a[a3 + p]);
                c30 = b0.fma(x3, c30);
                c31 = b1.fma(x3, c31);
                FloatVector x4 = FloatVector.broadcast(HS, a[a4 + p]);
                c40 = b0.fma(x4, c40);
                c41 = b1.fma(x4, c41);
                FloatVector x5 = FloatVector.broadcast(HS, a[a5 + p]);
                c50 = b0.fma(x5, c50);
                c51 = b1.fma(x5, c51);
            }
        } else {
            for (int p = 0, pa = 0, pb = bBase; p < kc; p++, pa += aCs, pb += bRs) {
                FloatVector b0 = FloatVector.fromArray(HS, b, pb);
                FloatVector b1 = FloatVector.fromArray(HS, b, pb + H);
                FloatVector x0 = FloatVector.broadcast(HS, a[a0 + pa]);
                c00 = b0.fma(x0, c00);
                c01 = b1.fma(x0, c01);
                FloatVector x1 = FloatVector.broadcast(HS, a[a1 + pa]);
                c10 = b0.fma(x1, c10);
                c11 = b1.fma(x1, c11);
                FloatVector x2 = FloatVector.broadcast(HS, a[a2 + pa]);
                c20 = b0.fma(x2, c20);
                c21 = b1.fma(x2, c21);
                FloatVector x3 = FloatVector.broadcast(HS, a[a3 + pa]);
                c30 = b0.fma(x3, c30);
                c31 = b1.fma(x3, c31);
                FloatVector x4 = FloatVector.broadcast(HS, a[a4 + pa]);
                c40 = b0.fma(x4, c40);
                c41 = b1.fma(x4, c41);
                FloatVector x5 = FloatVector.broadcast(HS, a[a5 + pa]);
                c50 = b0.fma(x5, c50);
                c51 = b1.fma(x5, c51);
            }
        }
        if (mr == VectorKernels.MR && !accumulate && cBase + 5 * ldc + 2 * H <= c.length) {
            VectorMask<Float> lanes = HS.indexInRange(H, nr);
            c00.intoArray(c, cBase);
            c01.intoArray(c, cBase + H, lanes);
            c10.intoArray(c, cBase + ldc);
            c11.intoArray(c, cBase + ldc + H, lanes);
            c20.intoArray(c, cBase + 2 * ldc);
            c21.intoArray(c, cBase + 2 * ldc + H, lanes);
            c30.intoArray(c, cBase + 3 * ldc);
            c31.intoArray(c, cBase + 3 * ldc + H, lanes);
            c40.intoArray(c, cBase + 4 * ldc);
            c41.intoArray(c, cBase + 4 * ldc + H, lanes);
            c50.intoArray(c, cBase + 5 * ldc);
            c51.intoArray(c, cBase + 5 * ldc + H, lanes);
            return;
        }
        int nr0 = VectorKernels.NR;
        c00.intoArray(scratch, 0);
        c01.intoArray(scratch, H);
        c10.intoArray(scratch, nr0);
        c11.intoArray(scratch, nr0 + H);
        c20.intoArray(scratch, 2 * nr0);
        c21.intoArray(scratch, 2 * nr0 + H);
        c30.intoArray(scratch, 3 * nr0);
        c31.intoArray(scratch, 3 * nr0 + H);
        c40.intoArray(scratch, 4 * nr0);
        c41.intoArray(scratch, 4 * nr0 + H);
        c50.intoArray(scratch, 5 * nr0);
        c51.intoArray(scratch, 5 * nr0 + H);
        VectorKernels.merge(scratch, c, cBase, ldc, mr, nr, accumulate);
    }
}
