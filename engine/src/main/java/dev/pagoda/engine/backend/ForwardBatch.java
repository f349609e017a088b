package dev.pagoda.engine.backend;

import java.util.Arrays;

/**
 * One forward pass over a batch of sequences: the new tokens of every scheduled sequence,
 * flattened, plus where their keys and values live in the paged KV cache. Field names follow
 * vLLM ({@code query_start_loc}, {@code seq_lens}, {@code block_tables}, {@code slot_mapping}).
 *
 * <p>Worked example (blockSize 4): a sequence with 5 tokens already cached and block table
 * {@code [7, 2]} decodes one token at position 5 → logical block 5 / 4 = 1 → physical block 2,
 * offset 5 % 4 = 1 → slot 2 * 4 + 1 = 9. Its row has {@code positions = 5},
 * {@code slotMapping = 9}, {@code seqLens = 6}.
 *
 * @param tokenIds      {@code [numTokens]} the new tokens of all sequences, sequence after sequence
 * @param positions     {@code [numTokens]} each token's position within its sequence
 * @param queryStartLoc {@code [numSeqs + 1]} sequence {@code s} owns rows {@code queryStartLoc[s] ..< queryStartLoc[s+1]}
 * @param seqLens       {@code [numSeqs]} tokens of sequence {@code s} in the cache after this step (context + new)
 * @param blockTables   {@code [numSeqs][]} physical block ids of each sequence, logical block order;
 *                      row {@code s} has at least {@code ceil(seqLens[s] / blockSize)} entries
 * @param slotMapping   {@code [numTokens]} cache slot ({@code blockId * blockSize + offset}) each new token's K/V is written to
 * @param logitsIndices {@code [numLogits]} rows whose logits are wanted (usually the last row of each sequence)
 */
public record ForwardBatch(
        int[] tokenIds,
        int[] positions,
        int[] queryStartLoc,
        int[] seqLens,
        int[][] blockTables,
        int[] slotMapping,
        int[] logitsIndices) {

    public ForwardBatch {
        int numTokens = tokenIds.length;
        int numSeqs = seqLens.length;
        if (positions.length != numTokens || slotMapping.length != numTokens) {
            throw new IllegalArgumentException("positions and slotMapping must have numTokens=" + numTokens + " entries");
        }
        if (queryStartLoc.length != numSeqs + 1 || queryStartLoc[0] != 0 || queryStartLoc[numSeqs] != numTokens) {
            throw new IllegalArgumentException("queryStartLoc must be [numSeqs + 1] from 0 to numTokens: "
                    + Arrays.toString(queryStartLoc));
        }
        if (blockTables.length != numSeqs) {
            throw new IllegalArgumentException("blockTables must have numSeqs=" + numSeqs + " rows");
        }
        for (int s = 0; s < numSeqs; s++) {
            int queryLen = queryStartLoc[s + 1] - queryStartLoc[s];
            if (queryLen < 0 || queryLen > seqLens[s]) {
                throw new IllegalArgumentException("sequence " + s + ": " + queryLen + " new tokens but seqLen " + seqLens[s]);
            }
        }
        for (int row : logitsIndices) {
            if (row < 0 || row >= numTokens) throw new IllegalArgumentException("logits index " + row + " out of range");
        }
    }

    public int numTokens() {
        return tokenIds.length;
    }

    public int numSeqs() {
        return seqLens.length;
    }

    /** New tokens of sequence {@code s} in this step. */
    public int queryLen(int s) {
        return queryStartLoc[s + 1] - queryStartLoc[s];
    }

    /** Tokens of sequence {@code s} that were already in the cache before this step. */
    public int contextLen(int s) {
        return seqLens[s] - queryLen(s);
    }

    /**
     * Checks this batch against a model and a KV cache before a backend runs it: token ids in the
     * vocabulary, slots and block ids inside the cache, block tables long enough, and each new
     * token's position equal to {@code contextLen + i} (attention places new token {@code i} there,
     * RoPE uses {@code positions}: the two must agree). A bad slot would silently overwrite another
     * sequence's cache, far from its cause, so every backend calls this first.
     */
    public void checkFits(int vocabSize, int numBlocks, int blockSize) {
        long numSlots = (long) numBlocks * blockSize;
        for (int t = 0; t < numTokens(); t++) {
            int id = tokenIds[t];
            if (id < 0 || id >= vocabSize) {
                throw new IllegalArgumentException("tokenIds[" + t + "] = " + id + " is outside the vocabulary [0, " + vocabSize + ")");
            }
            int slot = slotMapping[t];
            if (slot < 0 || slot >= numSlots) {
                throw new IllegalArgumentException("slotMapping[" + t + "] = " + slot + " is outside the KV cache [0, " + numSlots + ")");
            }
        }
        for (int s = 0; s < numSeqs(); s++) {
            int neededBlocks = (seqLens[s] + blockSize - 1) / blockSize;
            int[] table = blockTables[s];
            if (table.length < neededBlocks) {
                throw new IllegalArgumentException("blockTables[" + s + "] has " + table.length + " blocks, seqLen "
                        + seqLens[s] + " needs " + neededBlocks + " of " + blockSize + " tokens");
            }
            for (int i = 0; i < neededBlocks; i++) {
                if (table[i] < 0 || table[i] >= numBlocks) {
                    throw new IllegalArgumentException("blockTables[" + s + "][" + i + "] = " + table[i] + " is not a block id in [0, " + numBlocks + ")");
                }
            }
            for (int i = 0, row = queryStartLoc[s]; row < queryStartLoc[s + 1]; i++, row++) {
                if (positions[row] != contextLen(s) + i) {
                    throw new IllegalArgumentException("positions[" + row + "] = " + positions[row] + " but sequence " + s
                            + " has " + contextLen(s) + " cached tokens, so its new token " + i + " is at position " + (contextLen(s) + i));
                }
            }
        }
    }
}
