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
 * @param prefillTiles       {@code [numPrefillTiles, 2]} (sequence, first query row) per tile of the prefill
 *                           kernel ({@link PagedAttentionPrefill#tiles}); 0 when it does not run
 * @param numPrefillTiles    &gt; 0: attention by the prefill kernel (PagedAttentionPrefill.cu) instead of the one-pass kernel
 */
record DeviceBatch(long tokenIds, long positions, long slotMapping, long queryStartLoc, long seqLens, long logitsIndices,
                   long blockTables, int maxNumBlocksPerSeq, int numTokens, int numSeqs, int numLogits, int numKvSplits,
                   long prefillTiles, int numPrefillTiles) {

    /** A batch whose attention runs the decode kernel ({@code numKvSplits > 0}) or the one-pass kernel (0). */
    DeviceBatch(long tokenIds, long positions, long slotMapping, long queryStartLoc, long seqLens, long logitsIndices,
                long blockTables, int maxNumBlocksPerSeq, int numTokens, int numSeqs, int numLogits, int numKvSplits) {
        this(tokenIds, positions, slotMapping, queryStartLoc, seqLens, logitsIndices, blockTables, maxNumBlocksPerSeq,
                numTokens, numSeqs, numLogits, numKvSplits, 0, 0);
    }

    /** A batch whose attention runs the one-pass kernel. */
    DeviceBatch(long tokenIds, long positions, long slotMapping, long queryStartLoc, long seqLens, long logitsIndices,
                long blockTables, int maxNumBlocksPerSeq, int numTokens, int numSeqs, int numLogits) {
        this(tokenIds, positions, slotMapping, queryStartLoc, seqLens, logitsIndices, blockTables, maxNumBlocksPerSeq,
                numTokens, numSeqs, numLogits, 0);
    }

    /** This batch with attention by the decode kernel at {@code numKvSplits} splits. */
    DeviceBatch withKvSplits(int numKvSplits) {
        return new DeviceBatch(tokenIds, positions, slotMapping, queryStartLoc, seqLens, logitsIndices, blockTables,
                maxNumBlocksPerSeq, numTokens, numSeqs, numLogits, numKvSplits, prefillTiles, numPrefillTiles);
    }
}
