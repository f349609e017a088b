package dev.pagoda.conformance.cuda;

/** Every tolerance of the CUDA-vs-CPU conformance tests, each with the reason it is what it is. */
final class CudaTolerances {
    private CudaTolerances() {}

    /**
     * max |Δ| / max |ref| per position: the GPU rounds weights to bf16 (8-bit mantissa, 2^-9
     * relative) and keeps bf16 GEMM inputs and KV cache, so errors of a few 1e-3 per layer add up
     * over 2–5 layers; 5e-2 still catches any indexing or masking bug, which gives O(1) errors.
     */
    static final double BF16_MAX_RELATIVE_ERROR = 5e-2;

    /**
     * KL(p_cpu ‖ p_cuda) per position, in nats: bf16 logit noise of ~1e-2 relative moves the
     * distribution by ~1e-4..1e-3 nats; a wrong key or mask moves it by ~1e-1 or more.
     */
    static final double BF16_MAX_KL = 1e-2;

    /**
     * The CUDA argmax must equal the CPU's unless the CPU's best two logits are closer than this
     * many times the position's max |Δ| (a near tie that bf16 rounding may legitimately flip).
     */
    static final double ARGMAX_TIE_MARGIN_IN_ERRORS = 2.0;
}
