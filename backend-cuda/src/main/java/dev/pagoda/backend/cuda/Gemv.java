package dev.pagoda.backend.cuda;

import jcuda.driver.CUfunction;

/** Launches Gemv.cu: the linear layers of decode steps (at most {@link #MAX_ROWS} rows), weight-streaming. */
final class Gemv {
    static final int MAX_ROWS = 8; // as in Gemv.cu
    private static final int THREADS = 256, WARPS = THREADS / 32;
    private final CudaContext cuda;
    private final CUfunction gemv;

    Gemv(CudaContext cuda) {
        this.cuda = cuda;
        this.gemv = cuda.function(cuda.loadModule("Gemv"), "gemv_bf16");
    }

    /** True when this kernel can compute the product: few rows, whole 16-byte chunks per row. */
    static boolean supports(int numRows, int inFeatures) {
        return numRows >= 1 && numRows <= MAX_ROWS && inFeatures % 8 == 0;
    }

    /**
     * @param out    {@code [numRows, outFeatures]} fp32, written
     * @param x      {@code [numRows, inFeatures]} bf16, 16-byte aligned
     * @param weight {@code [outFeatures, inFeatures]} bf16, 16-byte aligned
     */
    void linear(long out, long x, long weight, int numRows, int outFeatures, int inFeatures) {
        if (!supports(numRows, inFeatures) || x % 16 != 0 || weight % 16 != 0) {
            throw new IllegalArgumentException("gemv: " + numRows + " rows of " + inFeatures + " (x @" + x + ", weight @" + weight + ") not supported");
        }
        cuda.launch(gemv, (outFeatures + WARPS - 1) / WARPS, 1, THREADS, 0, out, x, weight, numRows, outFeatures, inFeatures);
    }
}
