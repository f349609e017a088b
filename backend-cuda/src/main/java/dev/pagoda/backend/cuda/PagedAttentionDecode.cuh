// The body of the decode attention kernel (PagedAttentionDecode.cu, which explains it): one block's
// share of one sequence's attention, as a device function so that DecodeLayers.cu (the persistent
// decode kernel) runs the same code inside its attention stage. The caller says which block it is
// (blockX = (kvHead, queryGroup, split), seq) and whether the query and K/V may have been written
// during this kernel (COHERENT: read through L2 with ld.global.cg; the standalone kernel reads them
// through the read-only path, which is only valid for data that does not change while it runs).
#pragma once
#include "Common.cuh"

#define DECODE_THREADS 256   // 8 warps
#define DECODE_WARPS 8

namespace pagoda {

// The weight of one split when the splits are combined (paged_attention_reduce, DecodeLayers.cu):
// expSum · e^(maxLogit − globalMax), 0 for a split without positions.
__device__ __forceinline__ float splitWeight(float expSum, float maxLogit, float globalMax) {
    return expSum == 0.0f ? 0.0f : expSum * expf(maxLogit - globalMax);
}

template <int QPB, int U, bool COHERENT>   // U: positions per group per tile
__device__ __forceinline__ void decodeAttention(
        int blockX, int seq,
        __nv_bfloat16* __restrict__ out, float* __restrict__ tmpOut, float* __restrict__ maxLogits, float* __restrict__ expSums,
        const float* __restrict__ query, const __nv_bfloat16* __restrict__ keyCache, const __nv_bfloat16* __restrict__ valueCache,
        const int* __restrict__ seqLens, const int* __restrict__ blockTables, int maxNumBlocksPerSeq,
        int numHeads, int numKvHeads, int headSize, int blockSize, int numSplits, float scale) {
    extern __shared__ float partial[];        // [DECODE_WARPS, QPB, headSize] each warp's output sums
    __shared__ float warpMax[DECODE_WARPS][QPB], warpSum[DECODE_WARPS][QPB];
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    int G = headSize / 8;                      // lanes per group
    int groupsPerWarp = 32 / G;
    int groupInWarp = lane / G, laneInGroup = lane % G;
    int d0 = laneInGroup * 8;                  // this lane's elements d0 ..< d0 + 8
    int tile = groupsPerWarp * U;              // positions per warp tile

    // blockX = (kvHead, queryGroup, split) with split fastest; seq = the sequence (= its one row).
    int queryGroupsPerKv = numHeads / numKvHeads / QPB;
    int split = blockX % numSplits;
    int queryGroup = (blockX / numSplits) % queryGroupsPerKv;
    int kvHead = blockX / numSplits / queryGroupsPerKv;
    int head0 = kvHead * (numHeads / numKvHeads) + queryGroup * QPB; // query heads head0 ..< head0 + QPB
    int numVisible = seqLens[seq];             // decode: the new token sees the whole sequence, itself included
    int perSplit = (numVisible + numSplits - 1) / numSplits;
    int start = min(numVisible, split * perSplit), end = min(numVisible, start + perSplit);
    const int* blockTable = blockTables + (long long) seq * maxNumBlocksPerSeq;

    float q[QPB][8]; // this lane's elements of each query, pre-multiplied by scale
    #pragma unroll
    for (int i = 0; i < QPB; i++) {
        const float4* qRow = reinterpret_cast<const float4*>(query + ((long long) seq * numHeads + head0 + i) * headSize + d0);
        float4 a = COHERENT ? __ldcg(qRow) : qRow[0], b = COHERENT ? __ldcg(qRow + 1) : qRow[1];
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

    for (int tileStart = start + warp * tile; tileStart < end; tileStart += DECODE_WARPS * tile) {
        // 1. Loads: position tileStart + k * groupsPerWarp + groupInWarp for k < U, keys and values.
        uint4 rawKey[U], rawValue[U];
        #pragma unroll
        for (int k = 0; k < U; k++) {
            int j = tileStart + k * groupsPerWarp + groupInWarp;
            rawKey[k] = rawValue[k] = make_uint4(0, 0, 0, 0);
            if (j < end) {
                long long slot = (long long) blockTable[j / blockSize] * blockSize + j % blockSize;
                long long at = (slot * numKvHeads + kvHead) * headSize + d0;
                const uint4* key = reinterpret_cast<const uint4*>(keyCache + at);
                const uint4* value = reinterpret_cast<const uint4*>(valueCache + at);
                rawKey[k] = COHERENT ? __ldcg(key) : __ldg(key);
                rawValue[k] = COHERENT ? __ldcg(value) : __ldg(value);
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
        for (int w = 0; w < DECODE_WARPS; w++) blockMax = fmaxf(blockMax, warpMax[w][i]);
        float weight[DECODE_WARPS], blockSum = 0.0f;
        #pragma unroll
        for (int w = 0; w < DECODE_WARPS; w++) {
            weight[w] = warpMax[w][i] == -INFINITY ? 0.0f : expf(warpMax[w][i] - blockMax); // a warp without positions: 0
            blockSum += weight[w] * warpSum[w][i];
        }
        long long rowHead = (long long) seq * numHeads + head0 + i;
        for (int d = threadIdx.x; d < headSize; d += DECODE_THREADS) {
            float o = 0.0f;
            #pragma unroll
            for (int w = 0; w < DECODE_WARPS; w++) o += weight[w] * partial[(w * QPB + i) * headSize + d];
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

} // namespace pagoda
