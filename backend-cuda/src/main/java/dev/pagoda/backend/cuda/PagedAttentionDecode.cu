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
#include "Common.cuh"

#define THREADS 256   // 8 warps
#define WARPS 8

namespace {

template <int QPB, int U>   // U: positions per group per tile
__device__ __forceinline__ void decode(
        __nv_bfloat16* __restrict__ out, float* __restrict__ tmpOut, float* __restrict__ maxLogits, float* __restrict__ expSums,
        const float* __restrict__ query, const __nv_bfloat16* __restrict__ keyCache, const __nv_bfloat16* __restrict__ valueCache,
        const int* __restrict__ seqLens, const int* __restrict__ blockTables, int maxNumBlocksPerSeq,
        int numHeads, int numKvHeads, int headSize, int blockSize, int numSplits, float scale) {
    extern __shared__ float partial[];        // [WARPS, QPB, headSize] each warp's output sums
    __shared__ float warpMax[WARPS][QPB], warpSum[WARPS][QPB];
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    int G = headSize / 8;                      // lanes per group
    int groupsPerWarp = 32 / G;
    int groupInWarp = lane / G, laneInGroup = lane % G;
    int d0 = laneInGroup * 8;                  // this lane's elements d0 ..< d0 + 8
    int tile = groupsPerWarp * U;              // positions per warp tile

    // blockIdx.x = (kvHead, queryGroup, split) with split fastest; blockIdx.y = the sequence (= its one row).
    int queryGroupsPerKv = numHeads / numKvHeads / QPB;
    int split = blockIdx.x % numSplits;
    int queryGroup = (blockIdx.x / numSplits) % queryGroupsPerKv;
    int kvHead = blockIdx.x / numSplits / queryGroupsPerKv;
    int head0 = kvHead * (numHeads / numKvHeads) + queryGroup * QPB; // query heads head0 ..< head0 + QPB
    int seq = blockIdx.y;
    int numVisible = seqLens[seq];             // decode: the new token sees the whole sequence, itself included
    int perSplit = (numVisible + numSplits - 1) / numSplits;
    int start = min(numVisible, split * perSplit), end = min(numVisible, start + perSplit);
    const int* blockTable = blockTables + (long long) seq * maxNumBlocksPerSeq;

    float q[QPB][8]; // this lane's elements of each query, pre-multiplied by scale
    #pragma unroll
    for (int i = 0; i < QPB; i++) {
        const float4* qRow = reinterpret_cast<const float4*>(query + ((long long) seq * numHeads + head0 + i) * headSize + d0);
        float4 a = qRow[0], b = qRow[1];
        q[i][0] = a.x * scale; q[i][1] = a.y * scale; q[i][2] = a.z * scale; q[i][3] = a.w * scale;
        q[i][4] = b.x * scale; q[i][5] = b.y * scale; q[i][6] = b.z * scale; q[i][7] = b.w * scale;
    }
    float acc[QPB][8];                  // this group's Σ e^(s − runningMax) · v over its positions, elements d0 ..< d0 + 8
    float runningMax[QPB], sum[QPB];    // the warp's maximum so far (same in every lane); this group's Σ e^(s − runningMax)
    #pragma unroll
    for (int i = 0; i < QPB; i++) {
        runningMax[i] = -INFINITY;
        sum[i] = 0.0f;
        #pragma unroll
        for (int e = 0; e < 8; e++) acc[i][e] = 0.0f;
    }

    for (int tileStart = start + warp * tile; tileStart < end; tileStart += WARPS * tile) {
        // 1. Loads: position tileStart + k * groupsPerWarp + groupInWarp for k < U, keys and values.
        uint4 rawKey[U], rawValue[U];
        #pragma unroll
        for (int k = 0; k < U; k++) {
            int j = tileStart + k * groupsPerWarp + groupInWarp;
            rawKey[k] = rawValue[k] = make_uint4(0, 0, 0, 0);
            if (j < end) {
                long long slot = (long long) blockTable[j / blockSize] * blockSize + j % blockSize;
                long long at = (slot * numKvHeads + kvHead) * headSize + d0;
                rawKey[k] = __ldg(reinterpret_cast<const uint4*>(keyCache + at));
                rawValue[k] = __ldg(reinterpret_cast<const uint4*>(valueCache + at));
            }
        }
        // 2. Scores q · k * scale for every head (each key widened once, summed over the group's
        //    lanes); -inf past the end. Then each head's maximum over the warp's tile.
        float score[QPB][U], tileMax[QPB];
        #pragma unroll
        for (int i = 0; i < QPB; i++) tileMax[i] = -INFINITY;
        #pragma unroll
        for (int k = 0; k < U; k++) {
            const __nv_bfloat162* k2 = reinterpret_cast<const __nv_bfloat162*>(&rawKey[k]);
            float kf[8];
            #pragma unroll
            for (int e = 0; e < 4; e++) {
                float2 f = __bfloat1622float2(k2[e]);
                kf[2 * e] = f.x;
                kf[2 * e + 1] = f.y;
            }
            bool inside = tileStart + k * groupsPerWarp + groupInWarp < end;
            #pragma unroll
            for (int i = 0; i < QPB; i++) {
                float dot = 0.0f;
                #pragma unroll
                for (int e = 0; e < 8; e++) dot += q[i][e] * kf[e];
                for (int o = G / 2; o > 0; o >>= 1) dot += __shfl_xor_sync(0xffffffffu, dot, o);
                score[i][k] = inside ? dot : -INFINITY;
                tileMax[i] = fmaxf(tileMax[i], score[i][k]);
            }
        }
        // 3. Online softmax per head: the warp's new maximum, earlier sums rescaled by e^(oldMax − newMax),
        //    the tile's weights e^(s − newMax).
        #pragma unroll
        for (int i = 0; i < QPB; i++) {
            for (int o = G; o < 32; o <<= 1) tileMax[i] = fmaxf(tileMax[i], __shfl_xor_sync(0xffffffffu, tileMax[i], o));
            float newMax = fmaxf(runningMax[i], tileMax[i]);
            float correction = __expf(runningMax[i] - newMax); // 0 on the warp's first tile
            runningMax[i] = newMax;
            sum[i] *= correction;
            #pragma unroll
            for (int e = 0; e < 8; e++) acc[i][e] *= correction;
            #pragma unroll
            for (int k = 0; k < U; k++) {
                score[i][k] = __expf(score[i][k] - newMax);
                sum[i] += score[i][k];
            }
        }
        // 4. Values: each value widened once, weight times value into every head's sums.
        #pragma unroll
        for (int k = 0; k < U; k++) {
            const __nv_bfloat162* v2 = reinterpret_cast<const __nv_bfloat162*>(&rawValue[k]);
            #pragma unroll
            for (int e = 0; e < 4; e++) {
                float2 vf = __bfloat1622float2(v2[e]);
                #pragma unroll
                for (int i = 0; i < QPB; i++) {
                    acc[i][2 * e] += score[i][k] * vf.x;
                    acc[i][2 * e + 1] += score[i][k] * vf.y;
                }
            }
        }
    }

    // The warp's groups share its maximum: their sums add up (lanes holding the same elements).
    #pragma unroll
    for (int i = 0; i < QPB; i++) {
        for (int o = G; o < 32; o <<= 1) {
            sum[i] += __shfl_xor_sync(0xffffffffu, sum[i], o);
            #pragma unroll
            for (int e = 0; e < 8; e++) acc[i][e] += __shfl_xor_sync(0xffffffffu, acc[i][e], o);
        }
    }
    if (groupInWarp == 0) {
        #pragma unroll
        for (int i = 0; i < QPB; i++) {
            #pragma unroll
            for (int e = 0; e < 8; e++) partial[(warp * QPB + i) * headSize + d0 + e] = acc[i][e];
            if (laneInGroup == 0) {
                warpMax[warp][i] = runningMax[i];
                warpSum[warp][i] = sum[i];
            }
        }
    }
    __syncthreads();
    // The warps' results, each rescaled to the block's maximum: out = Σ_w e^(m_w − M) acc_w / Σ_w e^(m_w − M) sum_w.
    #pragma unroll
    for (int i = 0; i < QPB; i++) {
        float blockMax = -INFINITY;
        for (int w = 0; w < WARPS; w++) blockMax = fmaxf(blockMax, warpMax[w][i]);
        float weight[WARPS], blockSum = 0.0f;
        #pragma unroll
        for (int w = 0; w < WARPS; w++) {
            weight[w] = warpMax[w][i] == -INFINITY ? 0.0f : expf(warpMax[w][i] - blockMax); // a warp without positions: 0
            blockSum += weight[w] * warpSum[w][i];
        }
        long long rowHead = (long long) seq * numHeads + head0 + i;
        for (int d = threadIdx.x; d < headSize; d += THREADS) {
            float o = 0.0f;
            #pragma unroll
            for (int w = 0; w < WARPS; w++) o += weight[w] * partial[(w * QPB + i) * headSize + d];
            if (numSplits == 1) {
                out[rowHead * headSize + d] = __float2bfloat16(o / blockSum);
            } else {
                tmpOut[(rowHead * numSplits + split) * headSize + d] = blockSum > 0.0f ? o / blockSum : 0.0f;
            }
        }
        if (numSplits > 1 && threadIdx.x == 0) {
            maxLogits[rowHead * numSplits + split] = blockMax; // -inf for an empty split
            expSums[rowHead * numSplits + split] = blockSum;   // 0 for an empty split
        }
    }
}

} // namespace

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
    decode<QPB_VALUE, U_VALUE>(out, tmpOut, maxLogits, expSums, query, keyCache, valueCache, seqLens, blockTables,       \
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
    for (int z = 0; z < numSplits; z++) weightSum += l[z] == 0.0f ? 0.0f : l[z] * expf(m[z] - globalMax);
    for (int d = threadIdx.x; d < headSize; d += blockDim.x) {
        float o = 0.0f;
        for (int z = 0; z < numSplits; z++) {
            if (l[z] != 0.0f) o += l[z] * expf(m[z] - globalMax) * tmpOut[(rowHead * numSplits + z) * headSize + d];
        }
        out[rowHead * headSize + d] = __float2bfloat16(o / weightSum);
    }
}
