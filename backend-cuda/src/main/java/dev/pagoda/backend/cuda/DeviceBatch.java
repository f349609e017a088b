package dev.pagoda.backend.cuda;

/**
 * Where one forward pass's batch lies in device memory (int32 arrays), and its sizes. The eager
 * path uploads a {@link dev.pagoda.engine.backend.ForwardBatch} into one; a CUDA graph is captured
 * against one at fixed addresses ({@link DecodeGraphs}).
 *
 * @param tokenIds           {@code [numTokens]}
 * @param positions          {@code [numTokens]}
 * @param slotMapping        {@code [numTokens]}
 * @param queryStartLoc      {@code [numSeqs + 1]}
 * @param seqLens            {@code [numSeqs]}
 * @param logitsIndices      {@code [numLogits]} rows whose logits are computed
 * @param blockTables        {@code [numSeqs, maxNumBlocksPerSeq]} row-major
 * @param maxNumBlocksPerSeq the row stride of {@code blockTables}
 * @param numKvSplits        0: attention by the one-pass kernel (any query lengths); n &gt; 0: a decode
 *                           step (one new token per sequence, row s = sequence s), attention by the
 *                           decode kernel with each context cut into n ranges ({@link PagedAttention#numSplits})
 */
record DeviceBatch(long tokenIds, long positions, long slotMapping, long queryStartLoc, long seqLens, long logitsIndices,
                   long blockTables, int maxNumBlocksPerSeq, int numTokens, int numSeqs, int numLogits, int numKvSplits) {

    /** A batch whose attention runs the one-pass kernel. */
    DeviceBatch(long tokenIds, long positions, long slotMapping, long queryStartLoc, long seqLens, long logitsIndices,
                long blockTables, int maxNumBlocksPerSeq, int numTokens, int numSeqs, int numLogits) {
        this(tokenIds, positions, slotMapping, queryStartLoc, seqLens, logitsIndices, blockTables, maxNumBlocksPerSeq,
                numTokens, numSeqs, numLogits, 0);
    }

    /** This batch with attention by the decode kernel at {@code numKvSplits} splits. */
    DeviceBatch withKvSplits(int numKvSplits) {
        return new DeviceBatch(tokenIds, positions, slotMapping, queryStartLoc, seqLens, logitsIndices, blockTables,
                maxNumBlocksPerSeq, numTokens, numSeqs, numLogits, numKvSplits);
    }
}
