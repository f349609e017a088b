package dev.pagoda.server;

import dev.pagoda.engine.backend.ComputeBackend;
import dev.pagoda.engine.backend.ForwardBatch;
import dev.pagoda.engine.kvcache.BlockTable;
import java.util.function.Supplier;

/**
 * Embeddings for /v1/embeddings: one prefill pass over the input and its last token's final-norm
 * hidden state, L2-normalized (vLLM's default pooling for a decoder-only model: LAST, normalize).
 *
 * <p>It runs on a backend of its own (same weights, a KV cache for one sequence), created on first
 * use, so that it never touches the generation engine's thread or cache. One input at a time.
 */
public final class EmbeddingRunner {
    private final Supplier<ComputeBackend> backendFactory; // loads the model into a fresh backend
    private final int maxModelLen;
    private final int blockSize;
    private ComputeBackend backend; // guarded by this

    public EmbeddingRunner(Supplier<ComputeBackend> backendFactory, int maxModelLen, int blockSize) {
        this.backendFactory = backendFactory;
        this.maxModelLen = maxModelLen;
        this.blockSize = blockSize;
    }

    /** @param tokenIds {@code [numTokens]}, 1 ≤ numTokens ≤ maxModelLen; returns {@code [hiddenSize]} with unit length */
    public synchronized float[] embed(int[] tokenIds) {
        if (backend == null) {
            backend = backendFactory.get();
            backend.allocateKvCache(BlockTable.blocksNeeded(maxModelLen, blockSize), blockSize);
        }
        int n = tokenIds.length;
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
