package dev.kiln.kernels;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;

import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link NarrowTiles}: which cores run them, and that they give the bits of the 512-bit tiles, which
 * the vector provider runs on a core that does not choose them (so each kind of core tests the
 * other's tiles here).
 */
class NarrowTilesTest {
    @TempDir
    Path dir;

    private Path cpuinfo(String vendor, int family) throws IOException {
        Path file = dir.resolve(vendor + family);
        Files.writeString(file, "processor\t: 0\nvendor_id\t: " + vendor + "\ncpu family\t: " + family
                + "\nmodel\t\t: 17\nflags\t\t: fpu avx512f\n\nprocessor\t: 1\nvendor_id\t: " + vendor + "\n");
        return file;
    }

    @Test
    void theyRunOnCoresThatSplitWideVectorsOrWhenTheyAreAskedFor() throws IOException {
        assertThat(NarrowTiles.Choice.preferred(null, cpuinfo("AuthenticAMD", 25))).as("Zen 4").isTrue();
        assertThat(NarrowTiles.Choice.preferred("auto", cpuinfo("AuthenticAMD", 26))).as("Zen 5").isFalse();
        assertThat(NarrowTiles.Choice.preferred(null, cpuinfo("GenuineIntel", 6))).as("Intel").isFalse();
        assertThat(NarrowTiles.Choice.preferred(null, dir.resolve("missing"))).as("no cpuinfo").isFalse();
        assertThat(NarrowTiles.Choice.preferred("256", cpuinfo("GenuineIntel", 6))).isTrue();
        assertThat(NarrowTiles.Choice.preferred("512", cpuinfo("AuthenticAMD", 25))).isFalse();
        // an unknown value is logged and ignored
        assertThat(NarrowTiles.Choice.preferred("narrow", cpuinfo("AuthenticAMD", 25))).isTrue();
    }

    @Test
    void theyGiveTheBitsOfTheProvidersTiles() {
        assumeTrue(FloatVector.SPECIES_PREFERRED.length() == NarrowTiles.MAX_COLUMNS,
                "NarrowTiles serve 512-bit vectors only; this JVM's are " + FloatVector.SPECIES_PREFERRED.vectorBitSize());
        KernelProvider provider = Kernels.choose("auto").provider();
        SplittableRandom rnd = new SplittableRandom(3);
        // depth within one block of k, as a tile's call gets it; no shape the provider would run as
        // dot products (B's rows are contiguous) or transposed (A's are)
        for (int[] s : new int[][] {{128, 10, 100}, {500, 8, 13}, {37, 16, 50}, {200, 3, 128}, {5, 9, 1}, {13, 1, 7}}) {
            int m = s[0], n = s[1], k = s[2];
            float[] a = new float[m * k], b = new float[k * n + NarrowTiles.MAX_COLUMNS];
            for (int i = 0; i < a.length; i++) {
                a[i] = (float) rnd.nextGaussian();
            }
            for (int i = 0; i < k * n; i++) {
                b[i] = (float) rnd.nextGaussian();
            }
            float[] expected = new float[m * n], got = new float[m * n];
            provider.sgemm(m, n, k, a, 0, k, 1, b, 0, n, 1, expected, 0, n);
            NarrowTiles.tiles(k, a, 0, k, 1, b, 0, n, got, 0, n, m, n, false,
                    new float[VectorKernels.MR * VectorKernels.NR]);
            assertThat(got).as("%dx%dx%d", m, n, k).containsExactly(expected);
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    double exact = 0;
                    for (int p = 0; p < k; p++) {
                        exact += (double) a[i * k + p] * b[p * n + j];
                    }
                    assertThat((double) got[i * n + j]).isCloseTo(exact, within(1e-4 * (1 + Math.abs(exact))));
                }
            }
        }
    }
}
