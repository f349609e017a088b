package dev.pagoda.backend.cuda;

import jcuda.driver.CUfunction;

/**
 * Launches PagedAttention.cu, the GPU twin of backend-cpu's {@code dev.pagoda.backend.cpu.PagedAttention}
 * (the readable specification: same names, same worked example, same order of work).
 * <pre>
 *   Worked example: blockSize 4, block table [7, 2].
 *   position 5 → logical block 5 / 4 = 1 → physical block blockTable[1] = 2,
 *                offset 5 % 4 = 1 → slot 2 * 4 + 1 = 9.
 * </pre>
 * One block of 256 threads per (query row, head), positions taken in tiles of {@value #TILE} with an
 * online softmax, several positions in flight at once (a group of headSize / 8 lanes each), so shared memory does not depend on the sequence length (and a CUDA graph can
 * replay the launch for any {@code seqLens}). Decode (queryLen 1) and prefill (queryLen &gt; 1, with
 * or without cached context) are the same kernel.
 */
final class PagedAttention {
    static final int THREADS = 256; // as in PagedAttention.cu
    static final int TILE = 256;    // as in PagedAttention.cu
    private final CudaContext cuda;
    private final CUfunction pagedAttention;

    PagedAttention(CudaContext cuda) {
        this.cuda = cuda;
        this.pagedAttention = cuda.function(cuda.loadModule("PagedAttention"), "paged_attention");
    }

    /**
     * @param out                {@code [numTokens, numHeads, headSize]} bf16, written
     * @param query              {@code [numTokens, numHeads, headSize]} fp32, RoPE applied
     * @param keyCache           {@code [numBlocks, blockSize, numKvHeads, headSize]} bf16, one layer's
     * @param valueCache         same layout
     * @param queryStartLoc      {@code [numSeqs + 1]} int32
     * @param seqLens            {@code [numSeqs]} int32
     * @param blockTables        {@code [numSeqs, maxNumBlocksPerSeq]} int32, row-major
     */
    void forward(long out, long query, long keyCache, long valueCache, long queryStartLoc, long seqLens, long blockTables,
                 int maxNumBlocksPerSeq, int numTokens, int numSeqs, int numHeads, int numKvHeads, int headSize, int blockSize,
                 float scale) {
        if (headSize < 8 || headSize > 256 || Integer.bitCount(headSize) != 1) {
            throw new IllegalArgumentException("CUDA paged attention: head size " + headSize + " is not a power of two from 8 to 256");
        }
        cuda.launch(pagedAttention, numTokens, numHeads, THREADS, (TILE + THREADS * 8) * Float.BYTES,
                out, query, keyCache, valueCache, queryStartLoc, seqLens, blockTables,
                maxNumBlocksPerSeq, numSeqs, numHeads, numKvHeads, headSize, blockSize, scale);
    }
}
