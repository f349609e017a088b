package dev.pagoda.backend.cuda;

import jcuda.driver.CUdevice_attribute;
import jcuda.driver.CUfunction;
import jcuda.driver.CUmodule;

/**
 * Launches Gemv.cu: the linear layers of decode steps (at most {@link #MAX_ROWS} rows), weight
 * streaming, with the neighbouring element-wise steps fused in (RMSNorm before; residual add,
 * SiLU-and-mul, or bias + RoPE + KV-cache store after); see {@link CudaForwardPass#enqueue}. Each
 * kernel comes in two register sizes: {@code _r1} for one row (single-stream decode), {@code _r8}.
 */
final class Gemv {
    static final int MAX_ROWS = 8; // as in Gemv.cu
    private static final int THREADS = 256, WARPS = THREADS / 32;
    private final CudaContext cuda;
    // [0]: the _r1 kernel (one row), [1]: the _r8 kernel (up to 8 rows)
    private final CUfunction[] gemv, gemvAdd, gemvNorm, gemvNormSilu, gemvNormRope;
    private final int numSms;

    Gemv(CudaContext cuda) {
        this.cuda = cuda;
        CUmodule module = cuda.loadModule("Gemv");
        this.gemv = pair(module, "gemv_bf16");
        this.gemvAdd = pair(module, "gemv_add_bf16");
        this.gemvNorm = pair(module, "gemv_norm_bf16");
        this.gemvNormSilu = pair(module, "gemv_norm_silu_bf16");
        this.gemvNormRope = pair(module, "gemv_norm_rope_bf16");
        this.numSms = cuda.attribute(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT);
    }

    private CUfunction[] pair(CUmodule module, String name) {
        return new CUfunction[] {cuda.function(module, name + "_r1"), cuda.function(module, name + "_r8")};
    }

    /** True when these kernels can compute the product: few rows, whole 16-byte chunks per row. */
    static boolean supports(int numRows, int inFeatures) {
        return numRows >= 1 && numRows <= MAX_ROWS && inFeatures % 8 == 0;
    }

    /**
     * Warps per output feature: enough warps for the whole GPU (32 per multiprocessor, a wave's
     * worth of loads in flight), but at least one 16-byte chunk per lane.
     */
    int kSplit(int outFeatures, int inFeatures) {
        int split = 1;
        while (split < WARPS && (long) outFeatures * split < 32L * numSms && 32 * 2 * split <= inFeatures / 8) split *= 2;
        return split;
    }

    /**
     * {@code out = x · weightᵀ}.
     *
     * @param out    {@code [numRows, outFeatures]} fp32, written
     * @param x      {@code [numRows, inFeatures]} bf16, 16-byte aligned
     * @param weight {@code [outFeatures, inFeatures]} bf16, 16-byte aligned
     */
    void linear(long out, long x, long weight, int numRows, int outFeatures, int inFeatures) {
        check(numRows, inFeatures, x, weight);
        int split = kSplit(outFeatures, inFeatures);
        cuda.launch(gemv[numRows == 1 ? 0 : 1], blocks(outFeatures, split), 1, THREADS, 0, out, x, weight, numRows, outFeatures, inFeatures, split);
    }

    /**
     * {@code hidden += x · weightᵀ}: o_proj and down_proj with the residual add.
     *
     * @param hidden {@code [numRows, outFeatures]} fp32, updated
     * @param x      {@code [numRows, inFeatures]} bf16
     * @param weight {@code [outFeatures, inFeatures]} bf16
     */
    void linearAdd(long hidden, long x, long weight, int numRows, int outFeatures, int inFeatures) {
        check(numRows, inFeatures, x, weight);
        int split = kSplit(outFeatures, inFeatures);
        cuda.launch(gemvAdd[numRows == 1 ? 0 : 1], blocks(outFeatures, split), 1, THREADS, 0, hidden, x, weight, numRows, outFeatures, inFeatures, split);
    }

    /**
     * {@code out = RMSNorm(hidden[rows]) · weightᵀ}: qkv_proj and lm_head with the norm before them.
     *
     * @param out        {@code [numRows, outFeatures]} fp32, written
     * @param hidden     {@code [numTokens, inFeatures]} fp32 residual stream
     * @param normWeight {@code [inFeatures]} fp32
     * @param rows       {@code [numRows]} int32 hidden row of each output row, or 0 for rows 0 ..< numRows
     * @param weight     {@code [outFeatures, inFeatures]} bf16
     */
    void normLinear(long out, long hidden, long normWeight, long rows, long weight, int numRows, int outFeatures, int inFeatures, float eps) {
        check(numRows, inFeatures, 0, weight);
        int split = kSplit(outFeatures, inFeatures);
        cuda.launch(gemvNorm[numRows == 1 ? 0 : 1], blocks(outFeatures, split), 1, THREADS, 0,
                out, hidden, normWeight, rows, weight, numRows, outFeatures, inFeatures, split, eps);
    }

    /**
     * {@code act = silu(n · gateᵀ) * (n · upᵀ)}, {@code n = RMSNorm(hidden)}: the MLP's first half.
     *
     * @param act        {@code [numRows, intermediateSize]} bf16, written
     * @param hidden     {@code [numRows, inFeatures]} fp32 residual stream
     * @param normWeight {@code [inFeatures]} fp32
     * @param gateUp     {@code [2 * intermediateSize, inFeatures]} bf16: gate_proj rows, then up_proj rows
     */
    void normSiluMul(long act, long hidden, long normWeight, long gateUp, int numRows, int intermediateSize, int inFeatures, float eps) {
        check(numRows, inFeatures, 0, gateUp);
        int split = kSplit(intermediateSize, inFeatures);
        cuda.launch(gemvNormSilu[numRows == 1 ? 0 : 1], blocks(intermediateSize, split), 1, THREADS, 0,
                act, hidden, normWeight, gateUp, numRows, intermediateSize, inFeatures, split, eps);
    }

    /**
     * The attention block's first half for up to 8 tokens: {@code n = RMSNorm(hidden)},
     * {@code q, k, v = n · Wqkvᵀ + bias}, RoPE on q and k (RotaryKvCache.cu's steps 1, 3, 4; no q/k norm),
     * q into {@code query}, k and v into their cache slots. One warp computes the pair of rows
     * {@code i} and {@code i + headSize / 2} of a head.
     *
     * @param hidden      {@code [numRows, inFeatures]} fp32 residual stream
     * @param normWeight  {@code [inFeatures]} fp32 input_layernorm
     * @param qkv         {@code [(numHeads + 2 * numKvHeads) * headSize, inFeatures]} bf16
     * @param qkvBias     {@code [(numHeads + 2 * numKvHeads) * headSize]} fp32, or 0
     * @param invFreq     {@code [headSize / 2]} fp32
     * @param positions   {@code [numRows]} int32
     * @param slotMapping {@code [numRows]} int32
     * @param query       {@code [numRows, numHeads, headSize]} fp32, written
     * @param keyCache    {@code [numBlocks, blockSize, numKvHeads, headSize]} bf16, slots written
     * @param valueCache  same layout
     */
    void normRopeQkv(long hidden, long normWeight, long qkv, long qkvBias, long invFreq, long positions, long slotMapping,
                     long query, long keyCache, long valueCache, int numRows, int numHeads, int numKvHeads, int headSize,
                     int inFeatures, float eps) {
        check(numRows, inFeatures, 0, qkv);
        int pairs = (numHeads + 2 * numKvHeads) * (headSize / 2);
        int split = kSplit(pairs, inFeatures);
        cuda.launch(gemvNormRope[numRows == 1 ? 0 : 1], blocks(pairs, split), 1, THREADS, 0,
                hidden, normWeight, qkv, qkvBias, invFreq, positions, slotMapping, query, keyCache, valueCache,
                numRows, numHeads, numKvHeads, headSize, inFeatures, split, eps);
    }

    private static int blocks(int outFeatures, int split) {
        int featuresPerBlock = WARPS / split;
        return (outFeatures + featuresPerBlock - 1) / featuresPerBlock;
    }

    private static void check(int numRows, int inFeatures, long x, long weight) {
        if (!supports(numRows, inFeatures) || x % 16 != 0 || weight % 16 != 0) {
            throw new IllegalArgumentException("gemv: " + numRows + " rows of " + inFeatures + " (x @" + x + ", weight @" + weight + ") not supported");
        }
    }
}
