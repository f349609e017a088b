package dev.pagoda.conformance;

import dev.pagoda.engine.backend.BackendOptions;
import dev.pagoda.engine.backend.ComputeBackend;
import dev.pagoda.engine.backend.ComputeBackends;
import dev.pagoda.engine.backend.ForwardBatch;
import dev.pagoda.engine.backend.Logits;
import dev.pagoda.engine.model.LoadFormat;
import dev.pagoda.engine.model.LoadedModel;
import dev.pagoda.engine.model.ModelLoader;
import java.nio.file.Path;

/**
 * One Hugging Face model on the CPU backend with a fresh paged KV cache, feeding one sequence
 * through a scrambled block table. Close it to free the cache and unmap the weights.
 */
final class CpuSequenceRunner implements AutoCloseable {
    private final LoadedModel model;
    private final ComputeBackend backend;
    private final SequenceBatches batches;

    /**
     * @param maxTokens the longest the sequence will get; the cache has spare blocks beyond that so
     *                  the block table's ids are scattered over a larger range
     * @param seed      chooses the block table
     */
    CpuSequenceRunner(Path modelDir, int blockSize, int maxTokens, long seed) {
        model = ModelLoader.load(modelDir, LoadFormat.SAFETENSORS);
        ComputeBackend b = null;
        try {
            b = ComputeBackends.create("cpu", BackendOptions.defaults());
            b.loadModel(model.config(), model.weights());
            int needed = SequenceBatches.blocksFor(maxTokens, blockSize);
            int numBlocks = 3 * needed + 1;
            b.allocateKvCache(numBlocks, blockSize);
            batches = SequenceBatches.shuffled(blockSize, needed, numBlocks, seed);
        } catch (RuntimeException | Error e) {
            if (b != null) b.close();
            model.close();
            throw e;
        }
        backend = b;
    }

    int vocabSize() {
        return model.config().vocabSize();
    }

    SequenceBatches batches() {
        return batches;
    }

    Logits forward(ForwardBatch batch) {
        Logits logits = backend.forward(batch);
        if (logits.numRows() != batch.logitsIndices().length || logits.vocabSize() != vocabSize()) {
            throw new AssertionError("backend returned " + logits.numRows() + " x " + logits.vocabSize()
                    + " logits for " + batch.logitsIndices().length + " rows x vocab " + vocabSize());
        }
        return logits;
    }

    /**
     * Feeds {@code tokenIds} in steps of {@code chunkSize} tokens (1 = token by token, ≥ length =
     * one prefill), each step on top of the K/V the earlier ones cached.
     *
     * @return {@code [tokenIds.length][vocabSize]} the logits after every token
     */
    float[][] logitsAtEveryPosition(int[] tokenIds, int chunkSize) {
        float[][] out = new float[tokenIds.length][];
        for (int start = 0; start < tokenIds.length; start += chunkSize) {
            int count = Math.min(chunkSize, tokenIds.length - start);
            Logits logits = forward(batches.step(tokenIds, start, count));
            for (int i = 0; i < count; i++) out[start + i] = logits.row(i);
        }
        return out;
    }

    @Override
    public void close() {
        try {
            backend.close();
        } finally {
            model.close(); // after the backend: it may hold views of the mapped weights
        }
    }
}
