package dev.pagoda.backend.cuda;

import dev.pagoda.engine.model.CheckpointLayout;
import dev.pagoda.engine.model.ModelConfig;

/**
 * What the CUDA backend will hold on the device, computed from {@link ModelConfig} alone (no GPU,
 * no weights): the numbers {@code ./pagoda explain-memory --device cuda} plans with. At start-up
 * {@code serve} measures instead (GpuMemoryPlan.profile); these are the same formulas the backend
 * allocates by, so the estimate differs from the measurement only by the driver's own overheads.
 */
public final class CudaMemoryEstimate {
    /**
     * CUDA context, module images and cuBLAS workspace: what an H100 (driver 13.0) had in use after
     * loading stories260K, whose weights are a megabyte (0.62 GiB, docs/benchmarks-cuda.md).
     */
    public static final long CONTEXT_BYTES = 635L << 20;

    private CudaMemoryEstimate() {}

    /** One KV block (bf16), every layer, K and V: what {@code CudaBackend.kvCacheBytesPerBlock} returns. */
    public static long kvCacheBytesPerBlock(ModelConfig config, int blockSize) {
        return config.numHiddenLayers() * CudaKvCache.bytesPerBlockPerLayer(blockSize, config.numKeyValueHeads(), config.headDim());
    }

    /** Weights on the device: matrices and embeddings in bf16, norms and biases in fp32 (see {@link CudaWeights}). */
    public static long weightBytes(ModelConfig config) {
        long bytes = 0;
        for (CheckpointLayout.TensorSpec t : CheckpointLayout.tensors(config)) {
            boolean matrix = t.role() == CheckpointLayout.Role.LINEAR || t.role() == CheckpointLayout.Role.EMBEDDING;
            bytes += t.numElements() * (matrix ? 2 : 4);
        }
        return bytes;
    }

    /** The activations of a forward pass of {@code tokens} tokens with {@code logitRows} sampled rows ({@link CudaWorkspace}). */
    public static long activationBytes(ModelConfig config, int tokens, int logitRows) {
        return CudaWorkspace.bytes(config, tokens, logitRows);
    }
}
