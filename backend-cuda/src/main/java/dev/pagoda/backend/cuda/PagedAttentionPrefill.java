package dev.pagoda.backend.cuda;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import jcuda.driver.CUfunction;

/**
 * Launches PagedAttentionPrefill.cu: prefill attention over the paged KV cache, FlashAttention-2
 * style (a thread block per tile of {@value #BLOCK_M} query rows (128 for the 8-warp instance) of one sequence and one head, K/V
 * tiles of {@value #BLOCK_N} positions read once into shared memory through the block table, online
 * softmax, tensor-core MMA for Q·Kᵀ and P·V). Same worked example and names as backend-cpu's
 * {@code dev.pagoda.backend.cpu.PagedAttention}:
 * <pre>
 *   Worked example: blockSize 4, block table [7, 2].
 *   position 5 → logical block 5 / 4 = 1 → physical block blockTable[1] = 2,
 *                offset 5 % 4 = 1 → slot 2 * 4 + 1 = 9.
 * </pre>
 * The causal mask includes cached context (new token i sees positions 0 ..= contextLen + i), so
 * chunked prefill and prefix-cache hits take it too. The one-pass kernel ({@link PagedAttention#forward})
 * is its oracle, and serves the head sizes this kernel has no instance for ({@link #supports}).
 */
final class PagedAttentionPrefill {
    static final int BLOCK_M = 64, BLOCK_N = 64; // the default instance's, as in PagedAttentionPrefill.cu
    private final CudaContext cuda;
    private final CUfunction h64, h128;

    /** Whether Q enters the tensor cores as two bf16 terms (value and rounding remainder, ~16 bits) or one (8 bits). */
    final boolean splitQuery;
    /** Warps per thread block (4 or 8) and query rows per tile, 16 per warp. */
    final int warps, blockM;

    /** The default instance: {@code -Dpagoda.cuda.prefillSplitQuery=true} picks the split-Q kernels. */
    PagedAttentionPrefill(CudaContext cuda) {
        this(cuda, "true".equals(System.getProperty("pagoda.cuda.prefillSplitQuery")), 4);
    }

    /** {@code warps} 4 (64-row tiles) or 8 (128-row tiles, without split Q). */
    PagedAttentionPrefill(CudaContext cuda, boolean splitQuery, int warps) {
        if (warps != 4 && warps != 8 || warps == 8 && splitQuery) {
            throw new IllegalArgumentException("CUDA prefill attention: no kernel for " + warps + " warps" + (splitQuery ? " with split Q" : ""));
        }
        this.cuda = cuda;
        this.splitQuery = splitQuery;
        this.warps = warps;
        this.blockM = 16 * warps;
        jcuda.driver.CUmodule module = cuda.loadModule("PagedAttentionPrefill");
        String suffix = splitQuery ? "_splitq" : warps == 8 ? "_w8" : "";
        this.h64 = cuda.function(module, "paged_attention_prefill_h64" + suffix);
        this.h128 = cuda.function(module, "paged_attention_prefill_h128" + suffix);
    }

    /** Whether the kernel has an instance for {@code headSize} (64 and 128: Llama, Qwen, Mistral). */
    static boolean supports(int headSize) {
        return headSize == 64 || headSize == 128;
    }

    /**
     * The work list of one launch: a (sequence, first query row) pair per tile of {@value #BLOCK_M}
     * rows, for every sequence with at least one new token, the tiles that see the most positions
     * first (they run longest, so they should not be left for the end of the grid).
     *
     * @param queryStartLoc {@code [numSeqs + 1]}
     * @param seqLens       {@code [numSeqs]}
     * @return {@code [numTiles, 2]} row-major
     */
    static int[] tiles(int[] queryStartLoc, int[] seqLens) {
        return tiles(queryStartLoc, seqLens, BLOCK_M);
    }

    /** {@link #tiles(int[], int[])} for tiles of {@code blockM} rows (this instance's {@link #blockM}). */
    static int[] tiles(int[] queryStartLoc, int[] seqLens, int blockM) {
        List<int[]> tiles = new ArrayList<>(); // {sequence, first row, last visible position}
        for (int s = 0; s < seqLens.length; s++) {
            int queryLen = queryStartLoc[s + 1] - queryStartLoc[s], contextLen = seqLens[s] - queryLen;
            for (int row = 0; row < queryLen; row += blockM) {
                tiles.add(new int[] {s, row, contextLen + Math.min(row + blockM, queryLen) - 1});
            }
        }
        tiles.sort(Comparator.comparingInt((int[] t) -> -t[2]));
        int[] packed = new int[2 * tiles.size()];
        for (int i = 0; i < tiles.size(); i++) {
            packed[2 * i] = tiles.get(i)[0];
            packed[2 * i + 1] = tiles.get(i)[1];
        }
        return packed;
    }

    /**
     * @param out                {@code [numTokens, numHeads, headSize]} bf16, written (rows of the listed sequences)
     * @param query              {@code [numTokens, numHeads, headSize]} fp32, RoPE applied
     * @param keyCache           {@code [numBlocks, blockSize, numKvHeads, headSize]} bf16, one layer's
     * @param valueCache         same layout
     * @param queryStartLoc      {@code [numSeqs + 1]} int32
     * @param seqLens            {@code [numSeqs]} int32, this step's tokens included
     * @param blockTables        {@code [numSeqs, maxNumBlocksPerSeq]} int32, row-major
     * @param prefillTiles       {@code [numPrefillTiles, 2]} int32, {@link #tiles} of this instance's {@link #blockM}
     */
    void forward(long out, long query, long keyCache, long valueCache, long queryStartLoc, long seqLens, long blockTables,
                 long prefillTiles, int numPrefillTiles, int maxNumBlocksPerSeq, int numHeads, int numKvHeads, int headSize,
                 int blockSize, float scale) {
        if (!supports(headSize)) throw new IllegalArgumentException("CUDA prefill attention: no kernel for head size " + headSize + " (64 or 128)");
        if (numPrefillTiles == 0) return;
        if (numPrefillTiles > 65535) throw new IllegalArgumentException("CUDA prefill attention: " + numPrefillTiles + " tiles > 65535 (grid y)");
        cuda.launch(headSize == 64 ? h64 : h128, numHeads, numPrefillTiles, 32 * warps, 0,
                out, query, keyCache, valueCache, queryStartLoc, seqLens, blockTables, prefillTiles,
                maxNumBlocksPerSeq, numHeads, numKvHeads, blockSize, scale);
    }
}
