package dev.pagoda.backend.cuda;

import jcuda.driver.CUfunction;

/** Launches RmsNorm.cu: residual add fused with RMSNorm, output in bf16 for the next matmul. */
final class RmsNorm {
    private final CudaContext cuda;
    private final CUfunction addRmsNorm;

    RmsNorm(CudaContext cuda) {
        this.cuda = cuda;
        this.addRmsNorm = cuda.function(cuda.loadModule("RmsNorm"), "add_rms_norm");
    }

    /**
     * {@code x = hidden[r] (+ delta[r])}; {@code out[i] = weight * x / rms(x)}.
     *
     * @param hidden    {@code [numTokens, hiddenSize]} fp32 residual stream
     * @param delta     {@code [numTokens, hiddenSize]} fp32 added first, or 0
     * @param weight    {@code [hiddenSize]} fp32
     * @param out       {@code [numRows, hiddenSize]} bf16, written
     * @param rows      {@code [numRows]} int32 hidden row of each output row, or 0 for the identity
     * @param writeBack store {@code hidden + delta} back into {@code hidden}
     */
    void forward(long hidden, long delta, long weight, long out, long rows, int numRows, int hiddenSize, float eps, boolean writeBack) {
        cuda.launch(addRmsNorm, numRows, 1, 256, 0, hidden, delta, weight, out, rows, hiddenSize, eps, writeBack ? 1 : 0);
    }
}
