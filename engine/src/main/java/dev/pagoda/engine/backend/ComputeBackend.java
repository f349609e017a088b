package dev.pagoda.engine.backend;

import dev.pagoda.engine.model.ModelConfig;
import dev.pagoda.engine.model.ModelWeights;

/**
 * The seam between the engine and the hardware. The engine decides what to compute
 * ({@link ForwardBatch}); a backend computes it. Implementations: {@code cpu} (the readable
 * reference, backend-cpu) and {@code cuda} (backend-cuda). Found by name through
 * {@link ComputeBackends}.
 *
 * <p>Life cycle: {@link #loadModel}, then {@link #allocateKvCache} (sized by the engine from
 * {@link #kvCacheBytesPerBlock}) and {@link #warmUp}, then any number of {@link #forward} calls, then
 * {@link #close}.
 */
public interface ComputeBackend extends AutoCloseable {

    /** The name this backend is found by, e.g. {@code cpu}. */
    String name();

    /** Takes the model's weights (may keep views of them or copy them to a device). */
    void loadModel(ModelConfig config, ModelWeights weights);

    /** Bytes one KV-cache block of {@code blockSize} tokens takes across all layers, K and V. */
    long kvCacheBytesPerBlock(int blockSize);

    /**
     * Allocates the paged KV cache: per layer, K and V each {@code [numBlocks, blockSize, numKvHeads, headDim]}.
     * Slot {@code blockId * blockSize + offset} holds one token's keys/values.
     */
    void allocateKvCache(int numBlocks, int blockSize);

    /**
     * Prepares, after {@link #allocateKvCache} and before any request, what would otherwise be
     * prepared on first use in the middle of serving (vLLM's {@code compile_or_warm_up_model}): the
     * CUDA backend captures its decode graphs here. Nothing by default.
     *
     * @param maxNumSeqs  the most sequences one step can hold
     * @param maxModelLen the longest sequence, prompt and output
     */
    default void warmUp(int maxNumSeqs, int maxModelLen) {}

    /** Runs the model over the batch, writing new K/V into the cache, and returns logits for {@code batch.logitsIndices()}. */
    Logits forward(ForwardBatch batch);

    /**
     * Like {@link #forward}, but returns the final-norm hidden states of the rows
     * {@code batch.logitsIndices()} instead of their logits (what the lm_head would read), for
     * embeddings: {@code [numLogits, hiddenSize]} row-major fp32. Backends that cannot do it throw.
     */
    default float[] forwardHiddenStates(ForwardBatch batch) {
        throw new UnsupportedOperationException("the " + name() + " backend does not return hidden states (embeddings)");
    }

    /**
     * The device's memory right now, for sizing the KV cache from a utilization fraction (vLLM's
     * {@code --gpu-memory-utilization}); empty for backends whose memory is the host's (the CPU).
     */
    default java.util.Optional<DeviceMemory> deviceMemory() {
        return java.util.Optional.empty();
    }

    /**
     * Sampling on the device, where the backend offers it (vLLM samples on the GPU): the engine then
     * gets token ids and logprobs instead of logits for steps whose rows it {@link DeviceSampler#supports
     * supports}. Empty (the default) means the engine samples the logits on the host.
     */
    default java.util.Optional<DeviceSampler> deviceSampler() {
        return java.util.Optional.empty();
    }

    /** Frees weights copies and the cache. */
    @Override
    void close();
}
