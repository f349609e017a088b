package dev.pagoda.backend.cuda;

import dev.pagoda.engine.backend.ForwardBatch;

/**
 * Checks a batch against the model and cache before anything reaches the GPU (the same checks as
 * backend-cpu's CpuBackend): on the device a bad slot or block id would silently corrupt another
 * sequence's cache or fault, far from its cause.
 */
final class BatchChecks {
    private BatchChecks() {}

    static void validate(ForwardBatch b, int vocabSize, CudaKvCache cache) {
        int numSlots = cache.numSlots(), blockSize = cache.blockSize;
        for (int t = 0; t < b.numTokens(); t++) {
            int id = b.tokenIds()[t];
            if (id < 0 || id >= vocabSize) {
                throw new IllegalArgumentException("tokenIds[" + t + "] = " + id + " is outside the vocabulary [0, " + vocabSize + ")");
            }
            int slot = b.slotMapping()[t];
            if (slot < 0 || slot >= numSlots) {
                throw new IllegalArgumentException("slotMapping[" + t + "] = " + slot + " is outside the KV cache [0, " + numSlots + ")");
            }
        }
        for (int s = 0; s < b.numSeqs(); s++) {
            int neededBlocks = (b.seqLens()[s] + blockSize - 1) / blockSize;
            int[] table = b.blockTables()[s];
            if (table.length < neededBlocks) {
                throw new IllegalArgumentException("blockTables[" + s + "] has " + table.length + " blocks, seqLen "
                        + b.seqLens()[s] + " needs " + neededBlocks + " of " + blockSize + " tokens");
            }
            for (int i = 0; i < neededBlocks; i++) {
                if (table[i] < 0 || table[i] >= cache.numBlocks) {
                    throw new IllegalArgumentException("blockTables[" + s + "][" + i + "] = " + table[i] + " is not a block id in [0, " + cache.numBlocks + ")");
                }
            }
        }
    }
}
