package dev.pagoda.engine.engine;

import dev.pagoda.engine.backend.ComputeBackend;
import dev.pagoda.engine.backend.ForwardBatch;
import dev.pagoda.engine.backend.Logits;
import dev.pagoda.engine.model.ModelConfig;
import dev.pagoda.engine.model.ModelWeights;
import java.util.Arrays;

/**
 * A backend whose "model" is a hash: the next token after {@code t0 .. tk} is {@link #nextToken}.
 * Its "KV cache" stores each token id and position in its slot, and attention is replaced by
 * reading the whole context back through the block table — checking that every slot holds the
 * position it should. So wrong slot mappings, stale prefix-cache blocks or a block shared by
 * mistake show up as an exception or a different token, exactly as garbage attention would.
 */
final class FakeBackend implements ComputeBackend {
    private final int vocabSize;
    private int blockSize;
    private int[] slotToken;    // [numSlots] token id written to each slot, -1 = never written
    private int[] slotPosition; // [numSlots] its position
    int numForwardCalls;

    FakeBackend(int vocabSize) {
        this.vocabSize = vocabSize;
    }

    /** The reference model: next token of the sequence {@code tokens[0 ..< len]}. */
    static int nextToken(int[] tokens, int len, int vocabSize) {
        long h = 1125899906842597L;
        for (int i = 0; i < len; i++) h = 31 * h + tokens[i];
        h ^= h >>> 29;
        h *= 0xBF58476D1CE4E5B9L;
        h ^= h >>> 32;
        return (int) Math.floorMod(h, (long) vocabSize);
    }

    @Override public String name() { return "fake"; }
    @Override public void loadModel(ModelConfig config, ModelWeights weights) {}
    @Override public long kvCacheBytesPerBlock(int blockSize) { return 8L * blockSize; }

    @Override
    public void allocateKvCache(int numBlocks, int blockSize) {
        this.blockSize = blockSize;
        slotToken = new int[numBlocks * blockSize];
        slotPosition = new int[numBlocks * blockSize];
        Arrays.fill(slotToken, -1);
    }

    @Override
    public Logits forward(ForwardBatch b) {
        numForwardCalls++;
        // 1. Write every new token to its slot (all before any read, as a real layer does).
        for (int t = 0; t < b.numTokens(); t++) {
            slotToken[b.slotMapping()[t]] = b.tokenIds()[t];
            slotPosition[b.slotMapping()[t]] = b.positions()[t];
        }
        // 2. For each logits row, read the context back through the block table.
        float[] values = new float[b.logitsIndices().length * vocabSize];
        for (int i = 0; i < b.logitsIndices().length; i++) {
            int row = b.logitsIndices()[i];
            int s = 0;
            while (b.queryStartLoc()[s + 1] <= row) s++;
            int len = b.positions()[row] + 1;
            int[] context = new int[len];
            for (int p = 0; p < len; p++) {
                int slot = b.blockTables()[s][p / blockSize] * blockSize + p % blockSize;
                if (slotPosition[slot] != p || slotToken[slot] < 0) {
                    throw new IllegalStateException("sequence " + s + " position " + p + ": slot " + slot + " holds position " + slotPosition[slot]);
                }
                context[p] = slotToken[slot];
            }
            values[i * vocabSize + nextToken(context, len, vocabSize)] = 1f;
        }
        return new Logits(b.logitsIndices().length, vocabSize, values);
    }

    @Override public void close() {}
}
