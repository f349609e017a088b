package dev.pagoda.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.pagoda.engine.backend.ComputeBackend;
import dev.pagoda.engine.backend.ForwardBatch;
import dev.pagoda.engine.backend.Logits;
import dev.pagoda.engine.model.ModelConfig;
import dev.pagoda.engine.model.ModelWeights;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The embeddings backend is made once, its KV cache sized to the longest input so far (not max_model_len), and vectors come back unit-length. */
class EmbeddingRunnerTest {
    /** Records the cache sizes it is given; the "hidden state" is (3, 4) scaled by the input's length. */
    private static final class Recording implements ComputeBackend {
        final List<Integer> cacheBlocks = new ArrayList<>();
        @Override public String name() { return "recording"; }
        @Override public void loadModel(ModelConfig config, ModelWeights weights) {}
        @Override public long kvCacheBytesPerBlock(int blockSize) { return 1; }
        @Override public void allocateKvCache(int numBlocks, int blockSize) { cacheBlocks.add(numBlocks); }
        @Override public Logits forward(ForwardBatch batch) { throw new UnsupportedOperationException(); }
        @Override public float[] forwardHiddenStates(ForwardBatch batch) {
            int[] table = batch.blockTables()[0];
            if (table.length > cacheBlocks.getLast()) throw new IllegalStateException("block table beyond the cache");
            return new float[] {3f * batch.numTokens(), 4f * batch.numTokens()};
        }
        @Override public void close() {}
    }

    @Test
    void oneBackendACacheForTheLongestInput() {
        Recording backend = new Recording();
        int[] made = {0};
        EmbeddingRunner runner = new EmbeddingRunner(() -> { made[0]++; return backend; }, 131072, 16);
        assertArrayEquals(new float[] {0.6f, 0.8f}, runner.embed(new int[] {1, 2, 3}), 1e-6f);
        runner.embed(new int[40]);
        runner.embed(new int[5]);
        runner.embed(new int[33]);
        assertEquals(1, made[0], "the backend is made once");
        assertEquals(List.of(1, 3), backend.cacheBlocks, "1 block for 3 tokens, then 3 for 40; never 8,192 for max_model_len");
        runner.close();
    }
}
