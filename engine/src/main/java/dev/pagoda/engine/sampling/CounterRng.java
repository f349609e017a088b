package dev.pagoda.engine.sampling;

/**
 * The random number behind a seeded request's token {@code counter}: a pure function of
 * (seed, counter), so a seeded request draws the same numbers whatever else is in the batch, in
 * whatever row order, and however often it was preempted and recomputed. The counter is the index
 * of the output token being sampled (0 for the first). This is the counter-based idea of
 * Philox/Threefry (what vLLM gets from a per-request torch.Generator), done with two rounds of the
 * SplitMix64 finalizer, which passes BigCrush as a hash of a counter.
 */
public final class CounterRng {
    private static final long GOLDEN_GAMMA = 0x9E3779B97F4A7C15L;

    private CounterRng() {}

    /** A uniform double in [0, 1) for (seed, counter): 53 random bits. */
    public static double uniform(long seed, long counter) {
        long z = mix64(mix64(seed) + (counter + 1) * GOLDEN_GAMMA);
        return (z >>> 11) * 0x1.0p-53;
    }

    /** SplitMix64's finalizer (Stafford's variant 13): a bijection that scrambles every bit. */
    static long mix64(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
