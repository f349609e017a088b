package dev.pagoda.backend.cpu;

import java.lang.foreign.MemorySegment;

/**
 * PagedAttention: attention whose keys and values are found through a block table instead of
 * lying contiguously in memory.
 *
 * <p>A sequence's KV cache is cut into fixed-size blocks (pages) of {@code blockSize} tokens. The
 * sequence owns a list of physical block ids, its <em>block table</em>, in logical order. To find
 * the key of the token at position {@code j}: logical block {@code j / blockSize}, physical block
 * {@code blockTable[j / blockSize]}, offset {@code j % blockSize}, slot
 * {@code physicalBlock * blockSize + offset}.
 * <pre>
 *   Worked example: blockSize 4, block table [7, 2].
 *   position 5 → logical block 5 / 4 = 1 → physical block blockTable[1] = 2,
 *                offset 5 % 4 = 1 → slot 2 * 4 + 1 = 9.
 *
 *   positions   0 1 2 3 | 4 5 6 7
 *   block table [   7   |   2   ]
 *   slots      28 29 30 31 | 8 9 10 11
 * </pre>
 * Blocks need not be contiguous or in order, and two sequences may share a block (a cached
 * prefix): nothing here cares, which is the point of paging.
 *
 * <p>One kernel serves prefill and decode. Before it runs, the forward pass has written the K/V of
 * every new token into its slot ({@code slotMapping}), so each query finds all the keys it may see
 * in the cache: the context computed in earlier steps (chunked prefill, prefix-cache hits) and the
 * new tokens of this step. New token {@code i} of sequence {@code s} sits at position
 * {@code contextLen + i} (with {@code contextLen = seqLens[s] - queryLen}) and attends causally to
 * positions {@code 0 ..= contextLen + i}. Decode is the case {@code queryLen == 1}.
 *
 * <p>Grouped-query attention: query head {@code h} reads kv-head {@code h / (numHeads / numKvHeads)}.
 *
 * <p>Work is split across threads by (sequence, head); within one, every query row is computed
 * in the same order whatever else is in the batch: scores in position order, a softmax, then the
 * values summed in position order.
 *
 * <p>See also backend-cuda's PagedAttention.cu, the GPU twin (same names, same worked example).
 */
final class PagedAttention {
    private PagedAttention() {}

    /**
     * @param query         {@code [numTokens, numHeads, headSize]} (RoPE applied)
     * @param out           {@code [numTokens, numHeads, headSize]} written
     * @param keyCache      one layer's keys {@code [numBlocks, blockSize, numKvHeads, headSize]} fp32
     * @param valueCache    one layer's values, same layout
     * @param queryStartLoc {@code [numSeqs + 1]} query rows of sequence {@code s}: {@code queryStartLoc[s] ..< queryStartLoc[s+1]}
     * @param seqLens       {@code [numSeqs]} tokens in the cache for each sequence, this step's included
     * @param blockTables   {@code [numSeqs][>= ceil(seqLens[s] / blockSize)]} physical block ids
     * @param scale         multiplier of {@code q · k}, usually {@code 1 / sqrt(headSize)}
     * @param scores        per-worker scratch {@code [numThreads][]}, grown here as needed
     */
    static void forward(
            WorkerPool pool,
            float[] query,
            float[] out,
            MemorySegment keyCache,
            MemorySegment valueCache,
            int[] queryStartLoc,
            int[] seqLens,
            int[][] blockTables,
            int numHeads,
            int numKvHeads,
            int headSize,
            int blockSize,
            float scale,
            float[][] scores) {
        int numSeqs = seqLens.length;
        pool.parallelFor(numSeqs * numHeads, 1, (worker, start, end) -> {
            for (int item = start; item < end; item++) {
                int seq = item / numHeads, head = item % numHeads;
                int maxSeqLen = seqLens[seq];
                if (scores[worker] == null || scores[worker].length < maxSeqLen) scores[worker] = new float[maxSeqLen];
                attendOneHead(query, out, keyCache, valueCache, queryStartLoc[seq], queryStartLoc[seq + 1],
                        seqLens[seq], blockTables[seq], head, numHeads, numKvHeads, headSize, blockSize, scale, scores[worker]);
            }
        });
    }

    /** All query rows of one sequence for one query head. */
    private static void attendOneHead(
            float[] query, float[] out, MemorySegment keyCache, MemorySegment valueCache,
            int queryStart, int queryEnd, int seqLen, int[] blockTable,
            int head, int numHeads, int numKvHeads, int headSize, int blockSize, float scale, float[] scores) {
        // region: attend-one-head
        int kvHead = head / (numHeads / numKvHeads);
        int contextLen = seqLen - (queryEnd - queryStart);
        for (int row = queryStart; row < queryEnd; row++) {
            int qOff = (row * numHeads + head) * headSize;
            int numVisible = contextLen + (row - queryStart) + 1; // causal: positions 0 ..= this token's

            // 1. Scores: q · k_j * scale for every visible position j, keys found through the block table.
            for (int j = 0; j < numVisible; j++) {
                long kByte = kvByteOffset(j, blockTable, blockSize, numKvHeads, kvHead, headSize);
                scores[j] = Dot.dotF32(query, qOff, keyCache, kByte, headSize) * scale;
            }

            // 2. Attention weights: softmax over the visible positions.
            VectorOps.softmax(scores, 0, numVisible);

            // 3. Output: the weighted sum of values, in position order.
            java.util.Arrays.fill(out, qOff, qOff + headSize, 0f);
            for (int j = 0; j < numVisible; j++) {
                long vByte = kvByteOffset(j, blockTable, blockSize, numKvHeads, kvHead, headSize);
                VectorOps.fmaInto(out, qOff, scores[j], valueCache, vByte, headSize);
            }
        }
        // endregion
    }

    // region: kv-offset
    /** Byte offset of kv-head {@code kvHead} of the token at {@code position} in a layer's K cache (and, equally, its V cache). */
    static long kvByteOffset(int position, int[] blockTable, int blockSize, int numKvHeads, int kvHead, int headSize) {
        int physicalBlock = blockTable[position / blockSize];
        int slot = physicalBlock * blockSize + position % blockSize;
        return ((long) slot * numKvHeads + kvHead) * headSize * Float.BYTES;
    }
    // endregion
}
