// Decode attention over the paged KV cache, split along the context (flash-decoding, vLLM's
// paged_attention_v2): launched by PagedAttention.java for steps where every sequence has exactly
// one new token. The readable specification is backend-cpu's PagedAttention.java; PagedAttention.cu
// (one pass, any query length) computes the same and is this kernel's oracle in the tests. For head
// sizes 64 and 128 with at most 8 query heads per kv head, PagedAttentionDecodeMma.cu (tensor cores)
// runs instead, and this kernel is its fallback and oracle.
//
//   Worked example: blockSize 4, block table [7, 2].
//   position 5 → logical block 5 / 4 = 1 → physical block blockTable[1] = 2,
//                offset 5 % 4 = 1 → slot 2 * 4 + 1 = 9.
//
// Why another kernel. Decode reads the whole context's K and V for one query per head, so it is
// bound by memory, and two things waste it in the one-pass kernel:
//   - grouped-query attention: the numHeads / numKvHeads query heads of one kv-head each read the
//     same K/V. Here one block takes QPB query heads of a kv-head (QPB = the largest divisor of the
//     group size up to 4: more would not fit the registers of 2 blocks per SM) and reads each key
//     and value once for all of them.
//   - few blocks: one block per (sequence, head) leaves most of the GPU idle at batch 1 with a long
//     context. Here the visible positions 0 ..< seqLen are cut into numSplits contiguous ranges, one
//     block each; every block writes its range's output, softmax maximum and sum, and
//     paged_attention_reduce combines them (out = Σ w_z · out_z / Σ w_z, w_z = sum_z · e^(max_z − max)).
//     With numSplits = 1 the block writes the final output itself and no reduce runs.
// The split count is chosen on the host from the batch and the longest context (PagedAttention.java);
// within a CUDA graph it is fixed and the ranges follow seqLens, which are read on the device.
//
// Work split inside a block: as in PagedAttention.cu, a group of G = headSize / 8 lanes takes one
// position, each lane 8 consecutive elements (one 16-byte load). Unlike it, each warp keeps its own
// online softmax over its own positions, so the loop has no block-wide barrier: a warp takes tiles of
// U positions per group (tile T of the block's range goes to warp T % 8), issues all U key loads and
// U value loads of the tile before using any, then: the scores of every query head (each key
// widened once; sums over the group's lanes), each head's maximum over the tile (over the warp's
// groups), e^(s − max) and the running sums, rescaled by e^(oldMax − newMax) when the maximum grows,
// and weight × value (each value widened once). At the end the warps' maxima, sums and
// partial outputs are combined through shared memory, once.
#include "PagedAttentionDecode.cuh"

#define THREADS DECODE_THREADS

// Kernels paged_attention_decode_q<QPB> (U = 4) and _q<QPB>_u8 (U = 8).
// grid: (numKvHeads * (numHeads / numKvHeads / QPB) * numSplits, numSeqs), block: 256 threads
// dynamic shared memory: 8 * QPB * headSize floats
// headSize: a power of two from 16 to 256; numHeads / numKvHeads divisible by QPB (PagedAttention.java checks)
#define DECODE_KERNEL(QPB_VALUE, U_VALUE, SUFFIX)                                                                                  \
extern "C" __global__ void __launch_bounds__(THREADS, 2) paged_attention_decode_q##QPB_VALUE##SUFFIX(                        \
        __nv_bfloat16* __restrict__ out,              /* [numSeqs, numHeads, headSize] written when numSplits == 1 */ \
        float* __restrict__ tmpOut,                   /* [numSeqs, numHeads, numSplits, headSize] each split's output */ \
        float* __restrict__ maxLogits,                /* [numSeqs, numHeads, numSplits] each split's softmax maximum */ \
        float* __restrict__ expSums,                  /* [numSeqs, numHeads, numSplits] each split's sum of e^(s - max) */ \
        const float* __restrict__ query,              /* [numSeqs, numHeads, headSize] RoPE applied, one row per sequence */ \
        const __nv_bfloat16* __restrict__ keyCache,   /* [numBlocks, blockSize, numKvHeads, headSize] one layer's */ \
        const __nv_bfloat16* __restrict__ valueCache, /* [numBlocks, blockSize, numKvHeads, headSize] */       \
        const int* __restrict__ seqLens,              /* [numSeqs] tokens in the cache, this step's included */ \
        const int* __restrict__ blockTables,          /* [numSeqs, maxNumBlocksPerSeq] physical block ids */   \
        int maxNumBlocksPerSeq, int numHeads, int numKvHeads, int headSize, int blockSize, int numSplits,     \
        float scale) {                                /* multiplier of q · k, usually 1 / sqrt(headSize) */     \
    pagoda::allowNextKernel();                                                                                  \
    pagoda::waitForPriorKernels(); /* Common.cuh */                                                             \
    pagoda::decodeAttention<QPB_VALUE, U_VALUE, false>(blockIdx.x, blockIdx.y, out, tmpOut, maxLogits, expSums, query, keyCache, valueCache, seqLens, blockTables,       \
            maxNumBlocksPerSeq, numHeads, numKvHeads, headSize, blockSize, numSplits, scale);                   \
}
DECODE_KERNEL(1, 4, )
DECODE_KERNEL(2, 4, )
DECODE_KERNEL(3, 4, )
DECODE_KERNEL(4, 4, )
// U = 8: twice the loads in flight per warp, for one or two query heads per block (registers)
DECODE_KERNEL(1, 8, _u8)
DECODE_KERNEL(2, 8, _u8)

// Combines the splits of paged_attention_decode: out = Σ_z w_z · tmpOut_z / Σ_z w_z with
// w_z = expSums_z · e^(maxLogits_z − max_z' maxLogits_z'), i.e. the softmax over all positions.
// grid: (numHeads, numSeqs), block: 128 threads
extern "C" __global__ void paged_attention_reduce(
        __nv_bfloat16* __restrict__ out,        // [numSeqs, numHeads, headSize] written
        const float* __restrict__ tmpOut,       // [numSeqs, numHeads, numSplits, headSize]
        const float* __restrict__ maxLogits,    // [numSeqs, numHeads, numSplits]
        const float* __restrict__ expSums,      // [numSeqs, numHeads, numSplits]
        int numHeads, int headSize, int numSplits) {
    pagoda::allowNextKernel();
    pagoda::waitForPriorKernels(); // before any read of an earlier kernel's output (Common.cuh)
    long long rowHead = (long long) blockIdx.y * numHeads + blockIdx.x;
    const float* m = maxLogits + rowHead * numSplits;
    const float* l = expSums + rowHead * numSplits;
    float globalMax = -INFINITY;
    for (int z = 0; z < numSplits; z++) globalMax = fmaxf(globalMax, m[z]);
    float weightSum = 0.0f;
    for (int z = 0; z < numSplits; z++) weightSum += pagoda::splitWeight(l[z], m[z], globalMax);
    for (int d = threadIdx.x; d < headSize; d += blockDim.x) {
        float o = 0.0f;
        for (int z = 0; z < numSplits; z++) {
            if (l[z] != 0.0f) o += pagoda::splitWeight(l[z], m[z], globalMax) * tmpOut[(rowHead * numSplits + z) * headSize + d];
        }
        out[rowHead * headSize + d] = __float2bfloat16(o / weightSum);
    }
}
