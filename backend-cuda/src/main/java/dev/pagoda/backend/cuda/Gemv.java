package dev.pagoda.backend.cuda;

import static jcuda.driver.JCudaDriver.cuFuncSetAttribute;

import jcuda.driver.CUdevice_attribute;
import jcuda.driver.CUfunction;
import jcuda.driver.CUfunction_attribute;
import jcuda.driver.CUmodule;

/**
 * Launches Gemv.cu: the linear layers of decode steps (at most {@link #MAX_ROWS} rows), weight
 * streaming, with the neighbouring element-wise steps fused in (RMSNorm before, residual add or
 * SiLU-and-mul after); see {@link CudaForwardPass#enqueue}.
 */
final class Gemv {
    static final int MAX_ROWS = 8; // as in Gemv.cu
    private static final int THREADS = 256, WARPS = THREADS / 32;
    /** Shared memory the norm kernels may ask for ({@code numRows * inFeatures} bf16): 8 rows of 8,192. */
    static final int MAX_NORM_SHARED_BYTES = 128 << 10;
    private final CudaContext cuda;
    private final CUfunction gemv, gemvAdd, gemvNorm, gemvNormSilu;
    private final int numSms;

    Gemv(CudaContext cuda) {
        this.cuda = cuda;
        CUmodule module = cuda.loadModule("Gemv");
        this.gemv = cuda.function(module, "gemv_bf16");
        this.gemvAdd = cuda.function(module, "gemv_add_bf16");
        this.gemvNorm = cuda.function(module, "gemv_norm_bf16");
        this.gemvNormSilu = cuda.function(module, "gemv_norm_silu_bf16");
        for (CUfunction f : new CUfunction[] {gemvNorm, gemvNormSilu}) { // past the default 48 KB of dynamic shared memory
            cuFuncSetAttribute(f, CUfunction_attribute.CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, MAX_NORM_SHARED_BYTES);
        }
        this.numSms = cuda.attribute(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT);
    }

    /** True when these kernels can compute the product: few rows, whole 16-byte chunks per row. */
    static boolean supports(int numRows, int inFeatures) {
        return numRows >= 1 && numRows <= MAX_ROWS && inFeatures % 8 == 0;
    }

    /** True when the norm kernels' shared copy of the normalized rows fits. */
    static boolean supportsNorm(int numRows, int inFeatures) {
        return supports(numRows, inFeatures) && (long) numRows * inFeatures * 2 <= MAX_NORM_SHARED_BYTES;
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
        cuda.launch(gemv, blocks(outFeatures, split), 1, THREADS, 0, out, x, weight, numRows, outFeatures, inFeatures, split);
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
        cuda.launch(gemvAdd, blocks(outFeatures, split), 1, THREADS, 0, hidden, x, weight, numRows, outFeatures, inFeatures, split);
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
        checkNorm(numRows, inFeatures, weight);
        int split = kSplit(outFeatures, inFeatures);
        cuda.launch(gemvNorm, blocks(outFeatures, split), 1, THREADS, numRows * inFeatures * 2,
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
        checkNorm(numRows, inFeatures, gateUp);
        int split = kSplit(intermediateSize, inFeatures);
        cuda.launch(gemvNormSilu, blocks(intermediateSize, split), 1, THREADS, numRows * inFeatures * 2,
                act, hidden, normWeight, gateUp, numRows, intermediateSize, inFeatures, split, eps);
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

    private static void checkNorm(int numRows, int inFeatures, long weight) {
        if (!supportsNorm(numRows, inFeatures) || weight % 16 != 0) {
            throw new IllegalArgumentException("gemv with RMSNorm: " + numRows + " rows of " + inFeatures + " (weight @" + weight + ") not supported");
        }
    }
}
