package dev.kiln.ops;

import java.util.Arrays;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;

/**
 * Shapes for the gradient-check properties, shared by the {@code GradCheck*Test} classes: random
 * shapes of rank 0 to 3, broadcasting pairs, and the awkward sizes 1, 7, 17 and 1024.
 */
abstract class GradCheckArbitraries {

    /** A dimension size: mostly small, sometimes 1 and sometimes the odd size 7. */
    static Arbitrary<Integer> size() {
        return Arbitraries.frequencyOf(
                Tuple.of(2, Arbitraries.just(1)),
                Tuple.of(6, Arbitraries.integers().between(2, 4)),
                Tuple.of(1, Arbitraries.just(7)));
    }

    static Arbitrary<int[]> shapeOfRank(int minRank, int maxRank) {
        return size().list().ofMinSize(minRank).ofMaxSize(maxRank)
                .map(l -> l.stream().mapToInt(Integer::intValue).toArray());
    }

    /** Any shape of rank 0 to 3. */
    @Provide
    Arbitrary<int[]> shapes() {
        return shapeOfRank(0, 3);
    }

    /** Shapes of rank 1 to 3. */
    @Provide
    Arbitrary<int[]> nonScalarShapes() {
        return shapeOfRank(1, 3);
    }

    /** Shapes of rank 2 to 3. */
    @Provide
    Arbitrary<int[]> matrixShapes() {
        return shapeOfRank(2, 3);
    }

    /**
     * Two shapes that broadcast together: from a result shape of rank 0 to 3, each side drops some
     * leading dimensions and sets some of the rest to 1 (so (a,b) with (b), (a,1) with (1,b), 0-d with
     * anything, and equal shapes all occur).
     */
    @Provide
    Arbitrary<int[][]> broadcastPairs() {
        Arbitrary<int[]> result = Arbitraries.frequencyOf(
                Tuple.of(1, Arbitraries.just(new int[0])),
                Tuple.of(9, shapeOfRank(1, 3)));
        return Combinators.combine(result, Arbitraries.longs()).as((out, seed) -> {
            Random r = new Random(seed);
            return new int[][] {side(out, r), side(out, r)};
        });
    }

    private static int[] side(int[] out, Random r) {
        int mode = r.nextInt(8);
        if (mode == 0) {
            return new int[0]; // 0-d with anything
        }
        if (mode == 1) {
            return out.clone(); // same shape
        }
        int drop = r.nextInt(out.length + 1);
        int[] s = Arrays.copyOfRange(out, drop, out.length);
        for (int i = 0; i < s.length; i++) {
            if (r.nextInt(3) == 0) {
                s[i] = 1;
            }
        }
        return s;
    }

    /** The awkward sizes the issue names. */
    @Provide
    Arbitrary<Integer> awkward() {
        return Arbitraries.of(1, 7, 17, 1024);
    }

    static String str(int[] shape) {
        return Arrays.toString(shape);
    }
}
