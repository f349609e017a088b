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
 * One block of 128 threads per (query row, head); the row's scores live in shared memory, which
 * bounds the longest sequence ({@link #maxSeqLen}). Decode (queryLen 1) and prefill (queryLen &gt; 1,
 * with or without cached context) are the same kernel.
 */
final class PagedAttention {
    private static final int THREADS = 128;
    private static final int STATIC_SHARED_BYTES = 32 * Float.BYTES;
    private final CudaContext cuda;
    private final CUfunction pagedAttention;
    private final int maxDynamicSharedBytes;

    PagedAttention(CudaContext cuda) {
        this.cuda = cuda;
        this.pagedAttention = cuda.function(cuda.loadModule("PagedAttention"), "paged_attention");
        this.maxDynamicSharedBytes = cuda.allowLargeSharedMemory(pagedAttention, STATIC_SHARED_BYTES);
    }

    /** The longest sequence this kernel can attend over for heads of {@code headSize}. */
    int maxSeqLen(int headSize) {
        return maxDynamicSharedBytes / Float.BYTES - headSize;
    }

    /**
     * @param out                {@code [numTokens, numHeads, headSize]} bf16, written
     * @param query              {@code [numTokens, numHeads, headSize]} fp32, RoPE applied
     * @param keyCache           {@code [numBlocks, blockSize, numKvHeads, headSize]} bf16, one layer's
     * @param valueCache         same layout
     * @param queryStartLoc      {@code [numSeqs + 1]} int32
     * @param seqLens            {@code [numSeqs]} int32
     * @param blockTables        {@code [numSeqs, maxNumBlocksPerSeq]} int32, row-major
     * @param maxSeqLen          the largest of {@code seqLens} (sizes the shared memory)
     */
    void forward(long out, long query, long keyCache, long valueCache, long queryStartLoc, long seqLens, long blockTables,
                 int maxNumBlocksPerSeq, int numTokens, int numSeqs, int numHeads, int numKvHeads, int headSize, int blockSize,
                 float scale, int maxSeqLen) {
        if (maxSeqLen > maxSeqLen(headSize)) {
            throw new IllegalArgumentException("CUDA paged attention: sequence of " + maxSeqLen + " tokens exceeds this kernel's "
                    + maxSeqLen(headSize) + " (scores are kept in shared memory; the split-K kernel is not written yet)");
        }
        cuda.launch(pagedAttention, numTokens, numHeads, THREADS, (headSize + maxSeqLen) * Float.BYTES,
                out, query, keyCache, valueCache, queryStartLoc, seqLens, blockTables,
                maxNumBlocksPerSeq, numSeqs, numHeads, numKvHeads, headSize, blockSize, scale);
    }
}
