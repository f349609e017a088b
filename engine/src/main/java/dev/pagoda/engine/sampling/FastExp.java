package dev.pagoda.engine.sampling;

/**
 * {@code exp(x)} for {@code x ≤ 0} in plain float arithmetic: the sampler's weights
 * {@code exp(logit - max)} over a whole vocabulary per token, where {@link Math#exp} (a scalar
 * double routine) dominated the cost.
 *
 * <p>Range reduction {@code x = k·ln2 + r} with {@code k = (int) (x·log2 e)} (truncation, so
 * r ∈ (-ln2, 0]) and ln2 split in two (Cody–Waite) so that r is exact; a degree-8 Taylor
 * polynomial for {@code exp(r)} (truncation error ln2⁹/9! ≈ 1e-7, within a few float ulps); and
 * {@code 2^k} built from exponent bits, with the biased exponent clamped at 0: for k ≤ -127
 * (x below about -87.3, including -Infinity, a masked token) the factor is exactly 0, so the
 * result is 0 without a branch and without subnormal arithmetic, which x86 runs in slow
 * microcode.
 *
 * <p>{@link #expShifted} is written as two branch-free loops that C2 compiles to SIMD code (about
 * 3× faster than the scalar form on AVX-512); {@link #exp} computes the same bits one at a time.
 * Plain Java float arithmetic gives the same bits on every machine, which seeded sampling relies on.
 */
final class FastExp {
    private static final float LOG2E = 1.44269504f;
    private static final float LN2_HI = 0.693145751953125f;   // few mantissa bits: k × LN2_HI is exact
    private static final float LN2_LO = 1.428606765330187e-6f; // ln2 - LN2_HI
    /** Inputs are clamped here so that -Infinity becomes a finite k (the result is 0 anyway). */
    private static final float MIN_X = -170f;

    private FastExp() {}

    /** exp(x) for x ≤ 0 (larger x are not supported); exactly 0 below about -87.3 and for -Infinity. */
    static float exp(float x) {
        float y = Math.max(x, MIN_X);
        int k = (int) (y * LOG2E);
        return scale(poly(reduce(y, k)), k);
    }

    /**
     * {@code out[i] = exp(x[i] - max)} for {@code i < n}, the same bits as {@link #exp}, vectorized.
     *
     * @param x    {@code [n]} values ≤ max (or -Infinity)
     * @param out  {@code [n]} results
     * @param ks   {@code [n]} workspace (the exponents between the two loops)
     */
    static void expShifted(float[] x, int n, float max, float[] out, int[] ks) {
        for (int i = 0; i < n; i++) {
            float y = Math.max(x[i] - max, MIN_X);
            int k = (int) (y * LOG2E);
            out[i] = poly(reduce(y, k));
            ks[i] = k;
        }
        for (int i = 0; i < n; i++) out[i] = scale(out[i], ks[i]);
    }

    private static float reduce(float y, int k) {
        float kf = k;
        return (y - kf * LN2_HI) - kf * LN2_LO;
    }

    private static float poly(float r) {
        return 1f + r * (1f + r * (0.5f + r * (1f / 6 + r * (1f / 24 + r * (1f / 120 + r * (1f / 720 + r * (1f / 5040 + r * (1f / 40320))))))));
    }

    /** p · 2^k; 0 for k ≤ -127 (a zero exponent field with a zero mantissa is +0.0). */
    private static float scale(float p, int k) {
        return p * Float.intBitsToFloat(Math.max(k + 127, 0) << 23);
    }
}
