package dev.pagoda.backend.cuda;

import jcuda.driver.CUfunction;

/**
 * Launches RotaryKvCache.cu: bias (Qwen2), q/k norm (Qwen3), RoPE, and K/V into their cache slots,
 * one block per (token, q/k/v head).
 */
final class RotaryKvCache {
    private final CudaContext cuda;
    private final CUfunction qkvRopeCache;

    RotaryKvCache(CudaContext cuda) {
        this.cuda = cuda;
        this.qkvRopeCache = cuda.function(cuda.loadModule("RotaryKvCache"), "qkv_rope_cache");
    }

    /**
     * @param qkv         {@code [numTokens, (numHeads + 2 * numKvHeads) * headSize]} fp32 from the fused projection
     * @param qkvBias     {@code [(numHeads + 2 * numKvHeads) * headSize]} fp32, or 0
     * @param qNorm       {@code [headSize]} fp32, or 0 (then kNorm is 0 too)
     * @param kNorm       {@code [headSize]} fp32, or 0
     * @param invFreq     {@code [headSize / 2]} fp32
     * @param positions   {@code [numTokens]} int32
     * @param slotMapping {@code [numTokens]} int32
     * @param query       {@code [numTokens, numHeads, headSize]} fp32, written
     * @param keyCache    {@code [numBlocks, blockSize, numKvHeads, headSize]} bf16, slots written
     * @param valueCache  same layout
     */
    void forward(long qkv, long qkvBias, long qNorm, long kNorm, long invFreq, long positions, long slotMapping,
                 long query, long keyCache, long valueCache, int numTokens, int numHeads, int numKvHeads, int headSize, float eps) {
        int threads = Math.min(128, Math.max(32, (headSize + 31) / 32 * 32));
        cuda.launch(qkvRopeCache, numTokens, numHeads + 2 * numKvHeads, threads, headSize * Float.BYTES,
                qkv, qkvBias, qNorm, kNorm, invFreq, positions, slotMapping, query, keyCache, valueCache,
                numHeads, numKvHeads, headSize, eps);
    }
}
