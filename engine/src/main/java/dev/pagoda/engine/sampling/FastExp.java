package dev.pagoda.engine.sampling;

/**
 * {@code exp(x)} for {@code x ≤ 0} in plain float arithmetic: the sampler's weights
 * {@code exp(logit - max)} over a whole vocabulary per token, where {@link Math#exp} (a double
 * routine) dominated the cost. Range reduction {@code x = k·ln2 + r}, |r| ≤ ln2/2, with ln2 split in
 * two (Cody–Waite) so that r is exact, then a degree-6 Taylor polynomial (truncation error
 * r⁷/7! ≈ 1.2e-7, about one float ulp) and a 2^k scale built from the exponent bits. Being plain
 * Java arithmetic it gives the same bits on every machine, which seeded sampling relies on.
 */
final class FastExp {
    private static final float LOG2E = 1.44269504f;
    private static final float LN2_HI = 0.693145751953125f;   // few mantissa bits: k × LN2_HI is exact
    private static final float LN2_LO = 1.428606765330187e-6f; // ln2 - LN2_HI
    /** Below this, exp(x) is subnormal in float: treated as 0. Also catches -Infinity. */
    private static final float MIN_X = -87.3f;

    private FastExp() {}

    /** exp(x) for x ≤ 0 (larger x are not supported); 0 below about -87.3, and for -Infinity. */
    static float exp(float x) {
        if (!(x >= MIN_X)) return 0f;
        int k = Math.round(x * LOG2E);
        float r = (x - k * LN2_HI) - k * LN2_LO;
        float p = 1f + r * (1f + r * (0.5f + r * (1f / 6 + r * (1f / 24 + r * (1f / 120 + r * (1f / 720))))));
        return p * Float.intBitsToFloat((k + 127) << 23);
    }
}
