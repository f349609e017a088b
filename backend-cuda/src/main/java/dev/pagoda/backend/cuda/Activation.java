package dev.pagoda.backend.cuda;

import jcuda.driver.CUfunction;

/** Launches Activation.cu: {@code act = silu(gate) * up}. */
final class Activation {
    private static final int THREADS = 256;
    private final CudaContext cuda;
    private final CUfunction siluAndMul;

    Activation(CudaContext cuda) {
        this.cuda = cuda;
        this.siluAndMul = cuda.function(cuda.loadModule("Activation"), "silu_and_mul");
    }

    /**
     * @param act    {@code [numTokens, intermediateSize]} bf16, written
     * @param gateUp {@code [numTokens, 2 * intermediateSize]} fp32: gate | up
     */
    void siluAndMul(long act, long gateUp, int numTokens, int intermediateSize) {
        cuda.launch(siluAndMul, numTokens, (intermediateSize + THREADS - 1) / THREADS, THREADS, 0, act, gateUp, intermediateSize);
    }
}
