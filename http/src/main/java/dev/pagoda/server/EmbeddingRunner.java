package dev.pagoda.server;

import dev.pagoda.engine.backend.ComputeBackend;
import dev.pagoda.engine.backend.ForwardBatch;
import dev.pagoda.engine.kvcache.BlockTable;
import java.util.function.Supplier;

/**
 * Embeddings for /v1/embeddings: one prefill pass over the input and its last token's final-norm
 * hidden state, L2-normalized (vLLM's default pooling for a decoder-only model: LAST, normalize).
 *
 * <p>It runs on a backend of its own, created on first use, so that it never touches the generation
 * engine's thread or cache: always the CPU reference (the only backend that returns hidden states),
 * reading the same memory-mapped weights, so a GPU server spends no device memory on it (before,
 * a second CUDA backend loaded a second copy of the weights and then could not answer). Its KV
 * cache holds one input and grows with the longest seen, rather than {@code max_model_len} up front
 * (an 8B model's 128k positions would be 32 GiB of fp32 cache). One input at a time.
 */
public final class EmbeddingRunner {
    private final Supplier<ComputeBackend> backendFactory; // loads the model into a fresh backend
    private final int maxModelLen;
    private final int blockSize;
    private ComputeBackend backend; // guarded by this
    private int numCacheBlocks;     // blocks its KV cache has now

    public EmbeddingRunner(Supplier<ComputeBackend> backendFactory, int maxModelLen, int blockSize) {
        this.backendFactory = backendFactory;
        this.maxModelLen = maxModelLen;
        this.blockSize = blockSize;
    }

    /** @param tokenIds {@code [numTokens]}, 1 ≤ numTokens ≤ maxModelLen; returns {@code [hiddenSize]} with unit length */
    public synchronized float[] embed(int[] tokenIds) {
        int n = tokenIds.length;
        if (n < 1 || n > maxModelLen) throw new IllegalArgumentException(n + " tokens: an input must have 1 to " + maxModelLen);
        if (backend == null) backend = backendFactory.get();
        int blocks = BlockTable.blocksNeeded(n, blockSize);
        if (blocks > numCacheBlocks) {
            backend.allocateKvCache(blocks, blockSize);
            numCacheBlocks = blocks;
        }
        int[] positions = new int[n], slots = new int[n];
        for (int i = 0; i < n; i++) {
            positions[i] = i;
            slots[i] = i; // block table [0, 1, 2, ...]: position i lives in slot i
        }
        int[] table = new int[BlockTable.blocksNeeded(n, blockSize)];
        for (int b = 0; b < table.length; b++) table[b] = b;
        ForwardBatch batch = new ForwardBatch(tokenIds, positions, new int[] {0, n}, new int[] {n}, new int[][] {table},
                slots, new int[] {n - 1});
        float[] hidden = backend.forwardHiddenStates(batch);
        double norm = 0;
        for (float v : hidden) norm += (double) v * v;
        float scale = (float) (1.0 / Math.max(Math.sqrt(norm), 1e-12));
        for (int i = 0; i < hidden.length; i++) hidden[i] *= scale;
        return hidden;
    }

    public synchronized void close() {
        if (backend != null) backend.close();
        backend = null;
    }
}
