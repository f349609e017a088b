package dev.pagoda.conformance;

/** Every numeric tolerance of the conformance tests, each with the reason it is what it is. */
final class Tolerances {
    private Tolerances() {}

    /**
     * CPU vs Hugging Face, max |Δ| / max |ref| per position: both compute in fp32 from the same
     * weights, so only summation order differs (a few ulps through 2–5 layers); more is a bug.
     */
    static final double CPU_VS_HF_MAX_RELATIVE_ERROR = 1e-5;
}
