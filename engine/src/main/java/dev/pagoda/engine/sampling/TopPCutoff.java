package dev.pagoda.engine.sampling;

import java.util.Arrays;

/**
 * The top-p (nucleus) cutoff of a row of weights without sorting the row. With weights
 * {@code w ≥ 0} (0 = removed) and {@code target = p × sum(w)}, the cutoff is the weight c with
 * {@code mass(w > c) < target ≤ mass(w ≥ c)}: keeping every weight ≥ c keeps the smallest set of
 * most likely tokens whose mass reaches p, plus any ties of the last one (vLLM sorts and keeps
 * tokens while the mass before them is below p; the same set up to ties and rounding).
 *
 * <p>Two ways, the first usually enough:
 * <ol>
 *   <li>the nucleus of a language model is usually small: the {@value Selection#MAX_HEAP_K}
 *       largest weights come from one heap pass ({@link Selection#topValues}), get sorted, and a
 *       walk down them finds c if their mass reaches the target;
 *   <li>otherwise a radix step: one pass adds each weight to a bucket keyed by the float's top bits
 *       (8 exponent + 4 mantissa bits, which order positive floats like their values), a walk
 *       down the buckets finds the one where the mass reaches the target, and only that bucket's
 *       weights go to a quickselect on mass ({@link Selection#massCutoff}).
 * </ol>
 */
final class TopPCutoff {
    /** Buckets of the radix step; weights in (0, 1] use keys up to 0x7F0. */
    static final int NUM_BUCKETS = 2048;
    private static final int BUCKET_SHIFT = 19;

    private final float[] heap = new float[Selection.MAX_HEAP_K];
    private final double[] bucketMass = new double[NUM_BUCKETS];
    private float[] scratch = new float[0];

    /**
     * The cutoff for {@code w[0, n)} and mass {@code p} in (0, 1); 0 when rounding leaves even the
     * whole row short of the target (keep everything).
     */
    float cutoff(float[] w, int n, double p) {
        double total = sum(w, n), target = p * total;
        int m = Selection.topValues(w, n, heap.length, 0f, heap);
        Arrays.sort(heap, 0, m);
        double mass = 0;
        for (int j = m - 1; j >= 0; j--) {
            mass += heap[j];
            if (mass >= target) return heap[j];
        }
        return byBuckets(w, n, target);
    }

    private float byBuckets(float[] w, int n, double target) {
        Arrays.fill(bucketMass, 0.0);
        for (int i = 0; i < n; i++) {
            float v = w[i];
            if (v > 0f) bucketMass[bucket(v)] += v;
        }
        double above = 0;
        int b = NUM_BUCKETS - 1;
        for (; b >= 0; b--) {
            if (above + bucketMass[b] >= target) break;
            above += bucketMass[b];
        }
        if (b < 0) return 0f;
        if (scratch.length < n) scratch = new float[n];
        int m = 0;
        for (int i = 0; i < n; i++) {
            float v = w[i];
            if (v > 0f && bucket(v) == b) scratch[m++] = v;
        }
        return Selection.massCutoff(scratch, m, target - above);
    }

    private static int bucket(float positive) {
        return Math.min(Float.floatToRawIntBits(positive) >>> BUCKET_SHIFT, NUM_BUCKETS - 1);
    }

    /** Sum in double with four independent chains (the adds need not wait on each other). */
    static double sum(float[] w, int n) {
        double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        int i = 0;
        for (; i + 3 < n; i += 4) {
            s0 += w[i];
            s1 += w[i + 1];
            s2 += w[i + 2];
            s3 += w[i + 3];
        }
        for (; i < n; i++) s0 += w[i];
        return (s0 + s1) + (s2 + s3);
    }
}
