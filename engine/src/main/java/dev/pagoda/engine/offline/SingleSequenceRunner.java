package dev.pagoda.engine.offline;

import dev.pagoda.engine.backend.ComputeBackend;
import dev.pagoda.engine.backend.ForwardBatch;
import dev.pagoda.engine.backend.Logits;
import dev.pagoda.engine.kvcache.BlockTable;

/**
 * Runs one sequence through a backend, step by step, over a fixed block table: the smallest
 * driver of a {@link ComputeBackend}. The engine loop (scheduler, block manager, batching) does
 * the same for many sequences at once; this class serves the {@code generate} command and tests.
 *
 * <p>Each {@link #append} is one forward pass over new tokens: a prefill (many tokens, or a
 * chunk of them) or a decode step (one token). Their keys and values go to the slots the block
 * table gives; attention reads everything up to them.
 */
public final class SingleSequenceRunner {
    private final ComputeBackend backend;
    private final BlockTable blockTable;
    private int numComputedTokens;

    /** {@code backend} must have its model loaded and a KV cache that holds the table's blocks. */
    public SingleSequenceRunner(ComputeBackend backend, BlockTable blockTable) {
        this.backend = backend;
        this.blockTable = blockTable;
    }

    /** Tokens already in the cache. */
    public int numComputedTokens() {
        return numComputedTokens;
    }

    /**
     * Computes {@code tokenIds} as the next tokens of the sequence.
     *
     * @param logitsForEveryToken true: one logits row per new token (prompt logprobs, conformance);
     *                            false: only the last row (what sampling needs)
     */
    public Logits append(int[] tokenIds, boolean logitsForEveryToken) {
        int numTokens = tokenIds.length;
        if (numTokens == 0) throw new IllegalArgumentException("nothing to append");
        int seqLen = numComputedTokens + numTokens;
        if (seqLen > blockTable.capacity()) {
            throw new IllegalStateException("sequence of " + seqLen + " tokens exceeds its " + blockTable.capacity() + " cache slots");
        }
        int[] positions = new int[numTokens];
        int[] slotMapping = new int[numTokens];
        for (int i = 0; i < numTokens; i++) {
            positions[i] = numComputedTokens + i;
            slotMapping[i] = blockTable.slot(positions[i]);
        }
        int[] logitsIndices;
        if (logitsForEveryToken) {
            logitsIndices = new int[numTokens];
            for (int i = 0; i < numTokens; i++) logitsIndices[i] = i;
        } else {
            logitsIndices = new int[] {numTokens - 1};
        }
        ForwardBatch batch = new ForwardBatch(
                tokenIds.clone(), positions, new int[] {0, numTokens}, new int[] {seqLen},
                new int[][] {blockTable.blockIds()}, slotMapping, logitsIndices);
        Logits logits = backend.forward(batch);
        numComputedTokens = seqLen;
        return logits;
    }
}
