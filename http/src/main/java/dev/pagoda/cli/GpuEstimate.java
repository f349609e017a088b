package dev.pagoda.cli;

import dev.pagoda.backend.cuda.CudaMemoryEstimate;
import dev.pagoda.engine.engine.EngineConfig;
import dev.pagoda.engine.engine.GpuMemoryPlan;
import dev.pagoda.engine.model.ModelConfig;
import java.io.PrintStream;

/**
 * The CUDA memory plan without a GPU. {@code serve --device cuda} measures two numbers that this
 * estimates instead, then applies the same formula ({@link GpuMemoryPlan#of}):
 * <ul>
 *   <li><b>used after loading</b> = the weights as the CUDA backend stores them (bf16 matrices, fp32
 *       norms) + {@link CudaMemoryEstimate#CONTEXT_BYTES} for the CUDA context, kernels and cuBLAS
 *       workspace (measured on an H100; other drivers differ by tens of MiB);</li>
 *   <li><b>activation peak</b> = the workspace of the profiling forward: {@code max_num_batched_tokens}
 *       tokens in sequences of at most {@code max_model_len}, one logits row each (the buffers
 *       {@code CudaWorkspace} allocates; the allocator's rounding is left out).</li>
 * </ul>
 */
final class GpuEstimate {
    private GpuEstimate() {}

    static GpuMemoryPlan plan(ModelConfig model, EngineConfig config, int maxModelLen, Double utilization, long totalBytes, PrintStream out) {
        double u = utilization != null ? utilization : 0.9;
        if (!(u > 0 && u <= 1)) throw new CliException("--gpu-memory-utilization must be in (0, 1], got " + u);
        long weights = CudaMemoryEstimate.weightBytes(model);
        long used = weights + CudaMemoryEstimate.CONTEXT_BYTES;
        int tokens = config.maxNumBatchedTokens();
        int seqs = GpuMemoryPlan.profilingSequences(tokens, maxModelLen);
        long activations = CudaMemoryEstimate.activationBytes(model, tokens, seqs);
        out.println("estimate (serve measures these two): used after loading = " + size(weights) + " of bf16/fp32 weights on the GPU + "
                + size(CudaMemoryEstimate.CONTEXT_BYTES) + " CUDA context and cuBLAS workspace = " + size(used));
        out.println(String.format("estimate: activation peak = the forward workspace for %d tokens (%d sequences of ≤ %d) = %s",
                tokens, seqs, Math.min(tokens, maxModelLen), size(activations)));
        try {
            return GpuMemoryPlan.of(totalBytes, u, used, activations, tokens, CudaMemoryEstimate.kvCacheBytesPerBlock(model, config.blockSize()),
                    config.blockSize());
        } catch (IllegalArgumentException e) {
            throw new CliException(e.getMessage());
        }
    }

    /** GiB from one GiB up, MiB below (a tiny model's weights would read 0.00 GiB). */
    private static String size(long bytes) {
        return bytes >= 1L << 30 ? String.format("%.2f GiB", bytes / (double) (1L << 30)) : String.format("%.1f MiB", bytes / (double) (1L << 20));
    }
}
