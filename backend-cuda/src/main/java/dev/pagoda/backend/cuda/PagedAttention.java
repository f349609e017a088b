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
 *
 * <p>{@link #decode} is the decode-only kernel (PagedAttentionDecode.cu): the query heads of a GQA
 * group share one block's K/V reads, and long contexts are split over several blocks
 * (flash-decoding) and combined; {@link #numSplits} is the rule. The one-pass kernel is its oracle.
 * Where {@link #usesTensorCores} holds (head size 64 or 128, at most 8 query heads per kv head) the
 * decode step takes PagedAttentionDecodeMma.cu instead: the same inputs, outputs and splits, the
 * group's dot products and weighted sums on the tensor cores; PagedAttentionDecode.cu stays its
 * fallback and, with the one-pass kernel, its oracle in the tests.
 */
final class PagedAttention {
    static final int THREADS = 256; // as in PagedAttention.cu
    static final int TILE = 256;    // as in PagedAttention.cu
    /** Most splits of one sequence's context in the decode kernel, and fewest positions per split. */
    static final int MAX_SPLITS = 16, MIN_POSITIONS_PER_SPLIT = 256;
    private final CudaContext cuda;
    private final CUfunction pagedAttention;
    private final CUfunction[] decode = new CUfunction[5]; // [qpb]: paged_attention_decode_q1 … _q4
    private final CUfunction reduce;
    private final CUfunction decodeMma64, decodeMma128; // paged_attention_decode_mma_h64, _h128 (null without tensorCores)
    private final int numSms;

    /** The most query heads one decode block takes (4, or fewer to trade K/V re-reads from L2 for registers). */
    final int maxQueryHeadsPerBlock;

    /** Positions per lane group per tile in the decode kernel (4, or 8 for at most 2 query heads per block). */
    final int unroll;

    /** Whether decode steps take the tensor-core kernel where it applies ({@link #usesTensorCores}). */
    final boolean tensorCores;

    /** Blocks of the tensor-core kernel: 4 warps, two stages of 16 keys and 16 values each. */
    static final int MMA_THREADS = 128, MMA_GROUP_LIMIT = 8;

    PagedAttention(CudaContext cuda) {
        this(cuda, 4, 4, true);
    }

    PagedAttention(CudaContext cuda, int maxQueryHeadsPerBlock, int unroll, boolean tensorCores) {
        if (unroll != 4 && unroll != 8 || unroll == 8 && maxQueryHeadsPerBlock > 2 || maxQueryHeadsPerBlock < 1 || maxQueryHeadsPerBlock > 4) {
            throw new IllegalArgumentException("decode attention: no kernel for " + maxQueryHeadsPerBlock + " query heads per block at unroll " + unroll);
        }
        this.cuda = cuda;
        this.maxQueryHeadsPerBlock = maxQueryHeadsPerBlock;
        this.unroll = unroll;
        this.pagedAttention = cuda.function(cuda.loadModule("PagedAttention"), "paged_attention");
        jcuda.driver.CUmodule decodeModule = cuda.loadModule("PagedAttentionDecode");
        for (int q = 1; q <= maxQueryHeadsPerBlock; q++) {
            decode[q] = cuda.function(decodeModule, "paged_attention_decode_q" + q + (unroll == 8 ? "_u8" : ""));
        }
        this.reduce = cuda.function(decodeModule, "paged_attention_reduce");
        this.tensorCores = tensorCores;
        if (tensorCores) {
            jcuda.driver.CUmodule mmaModule = cuda.loadModule("PagedAttentionDecodeMma");
            decodeMma64 = cuda.function(mmaModule, "paged_attention_decode_mma_h64");
            decodeMma128 = cuda.function(mmaModule, "paged_attention_decode_mma_h128");
            // 64 KiB of buffers at head size 128: past the 48 KiB a launch gets without asking.
            jcuda.driver.JCudaDriver.cuFuncSetAttribute(decodeMma128,
                    jcuda.driver.CUfunction_attribute.CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, mmaSharedBytes(128));
        } else {
            decodeMma64 = decodeMma128 = null;
        }
        this.numSms = cuda.attribute(jcuda.driver.CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT);
    }

    /** Query heads per block of the decode kernel: the largest divisor of the GQA group size up to {@link #maxQueryHeadsPerBlock}. */
    int queryHeadsPerBlock(int numHeads, int numKvHeads) {
        int group = numHeads / numKvHeads;
        for (int q = maxQueryHeadsPerBlock; q > 1; q--) if (group % q == 0) return q;
        return 1;
    }

    /** Whether decode steps of this shape take the tensor-core kernel (PagedAttentionDecodeMma.cu). */
    boolean usesTensorCores(int numHeads, int numKvHeads, int headSize) {
        return tensorCores && (headSize == 64 || headSize == 128) && numHeads / numKvHeads <= MMA_GROUP_LIMIT;
    }

    /** Dynamic shared memory of the tensor-core kernel: 4 warps × 2 stages × (16 keys + 16 values) of bf16. */
    static int mmaSharedBytes(int headSize) {
        return 4 * 2 * 2 * 16 * headSize * 2;
    }

    /**
     * How many ranges the decode kernel cuts each context into: 1 while the blocks without splits
     * (one per sequence and kv head for the tensor-core kernel, per sequence and head group for the
     * other) already outnumber the multiprocessors, or the context is short; otherwise the first power
     * of two at which the blocks outnumber the multiprocessors, with at least
     * {@value #MIN_POSITIONS_PER_SPLIT} positions per split and at most {@value #MAX_SPLITS}. (On the
     * H100 this picks, for the tensor-core kernel, a split count within 4% of the fastest measured
     * one for every shape of PagedAttentionBenchmark; docs/benchmarks-cuda.md.) Powers of two keep the
     * number of CUDA graphs per batch size small (one per split count).
     */
    int numSplits(int numSeqs, int maxSeqLen, int numHeads, int numKvHeads, int headSize) {
        int blocks = usesTensorCores(numHeads, numKvHeads, headSize)
                ? numSeqs * numKvHeads
                : numSeqs * numKvHeads * (numHeads / numKvHeads / queryHeadsPerBlock(numHeads, numKvHeads));
        int splits = 1;
        while (splits < MAX_SPLITS && (long) splits * blocks <= numSms && 2L * splits * MIN_POSITIONS_PER_SPLIT <= maxSeqLen) splits *= 2;
        return splits;
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

    /**
     * Decode attention (every sequence has one new token, row s = sequence s), its context cut into
     * {@code numSplits} ranges (PagedAttentionDecode.cu), then the ranges combined.
     *
     * @param out         {@code [numSeqs, numHeads, headSize]} bf16, written
     * @param partials    {@code [numSeqs, numHeads, numSplits, headSize + 2]} fp32 scratch (unused when numSplits is 1):
     *                    each split's output, then its softmax maxima and sums, see {@link #partialFloats}
     * @param query       {@code [numSeqs, numHeads, headSize]} fp32, RoPE applied
     * @param keyCache    {@code [numBlocks, blockSize, numKvHeads, headSize]} bf16, one layer's
     * @param valueCache  same layout
     * @param seqLens     {@code [numSeqs]} int32, this step's token included
     * @param blockTables {@code [numSeqs, maxNumBlocksPerSeq]} int32, row-major
     */
    void decode(long out, long partials, long query, long keyCache, long valueCache, long seqLens, long blockTables,
                int maxNumBlocksPerSeq, int numSeqs, int numHeads, int numKvHeads, int headSize, int blockSize,
                int numSplits, float scale) {
        if (headSize < 8 || headSize > 256 || Integer.bitCount(headSize) != 1) {
            throw new IllegalArgumentException("CUDA paged attention: head size " + headSize + " is not a power of two from 8 to 256");
        }
        if (numSplits < 1 || numSplits > MAX_SPLITS) throw new IllegalArgumentException("numSplits " + numSplits + " not in 1.." + MAX_SPLITS);
        long tmpOut = partials, maxLogits = tmpOut + 4L * numSeqs * numHeads * numSplits * headSize;
        long expSums = maxLogits + 4L * numSeqs * numHeads * numSplits;
        if (usesTensorCores(numHeads, numKvHeads, headSize)) {
            cuda.launch(headSize == 64 ? decodeMma64 : decodeMma128, numKvHeads * numSplits, numSeqs, MMA_THREADS, mmaSharedBytes(headSize),
                    out, tmpOut, maxLogits, expSums, query, keyCache, valueCache, seqLens, blockTables,
                    maxNumBlocksPerSeq, numHeads, numKvHeads, blockSize, numSplits, scale);
        } else {
            launchDecode(out, tmpOut, maxLogits, expSums, query, keyCache, valueCache, seqLens, blockTables,
                    maxNumBlocksPerSeq, numSeqs, numHeads, numKvHeads, headSize, blockSize, numSplits, scale);
        }
        if (numSplits > 1) {
            cuda.launch(reduce, numHeads, numSeqs, 128, 0, out, tmpOut, maxLogits, expSums, numHeads, headSize, numSplits);
        }
    }

    /** PagedAttentionDecode.cu (CUDA cores): any power-of-two head size, any group size. */
    private void launchDecode(long out, long tmpOut, long maxLogits, long expSums, long query, long keyCache, long valueCache, long seqLens,
                              long blockTables, int maxNumBlocksPerSeq, int numSeqs, int numHeads, int numKvHeads, int headSize,
                              int blockSize, int numSplits, float scale) {
        int qpb = queryHeadsPerBlock(numHeads, numKvHeads);
        int sharedFloats = 8 * qpb * headSize; // each warp's partial output
        cuda.launch(decode[qpb], numKvHeads * (numHeads / numKvHeads / qpb) * numSplits, numSeqs, THREADS, sharedFloats * Float.BYTES,
                out, tmpOut, maxLogits, expSums, query, keyCache, valueCache, seqLens, blockTables,
                maxNumBlocksPerSeq, numHeads, numKvHeads, headSize, blockSize, numSplits, scale);
    }

    /** fp32 elements of {@link #decode}'s {@code partials}. */
    static long partialFloats(int numSeqs, int numSplits, int numHeads, int headSize) {
        return (long) numSeqs * numHeads * numSplits * (headSize + 2);
    }
}
