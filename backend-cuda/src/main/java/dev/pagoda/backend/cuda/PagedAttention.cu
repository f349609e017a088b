// PagedAttention on the GPU, launched by PagedAttention.java. The readable specification is
// backend-cpu's PagedAttention.java (dev.pagoda.backend.cpu.PagedAttention): same variable names,
// same order of work (scores in position order, softmax in fp32, values summed in position order).
//
// A sequence's KV cache is cut into fixed-size blocks (pages) of blockSize tokens. The sequence
// owns a list of physical block ids, its block table, in logical order. To find the key of the
// token at position j: logical block j / blockSize, physical block blockTable[j / blockSize],
// offset j % blockSize, slot physicalBlock * blockSize + offset.
//
//   Worked example: blockSize 4, block table [7, 2].
//   position 5 → logical block 5 / 4 = 1 → physical block blockTable[1] = 2,
//                offset 5 % 4 = 1 → slot 2 * 4 + 1 = 9.
//
//   positions   0 1 2 3 | 4 5 6 7
//   block table [   7   |   2   ]
//   slots      28 29 30 31 | 8 9 10 11
//
// One kernel serves prefill and decode: before it runs, qkv_rope_cache has written the K/V of every
// new token into its slot (slotMapping), so each query finds every key it may see in the cache.
// New token i of sequence s sits at position contextLen + i (contextLen = seqLens[s] - queryLen)
// and attends causally to positions 0 ..= contextLen + i: cached context (chunked prefill, prefix
// cache hits) and the new tokens alike. Decode is the case queryLen == 1.
//
// Grouped-query attention: query head h reads kv-head h / (numHeads / numKvHeads).
//
// One block of 256 threads per (query row, head). The visible positions are taken in tiles of
// TILE: scores of a tile in shared memory, then an online softmax (running maximum and sum, earlier
// partial sums rescaled when the maximum grows), so any sequence length fits in fixed shared memory
// and a CUDA graph can replay the kernel whatever seqLens are.
//
// Work split: a "group" of G = headSize / 8 lanes handles one position at a time, each lane 8
// consecutive elements (one 16-byte load of bf16); a warp holds 32 / G groups, the block 8 warps,
// so 256 / G positions are in flight at once (32 for headSize 64) rather than one after another:
// decode is bound by the latency of these loads, not by arithmetic. Each group keeps partial
// output sums over the positions it visited; they are added up at the end.
// Decode steps (one new token per sequence) take PagedAttentionDecode.cu instead: GQA-shared K/V
// reads and the context split over several blocks; this kernel is its oracle in the tests.
#include "Common.cuh"

#define TILE 256      // positions scored per round (shared memory: TILE floats)
#define THREADS 256   // 8 warps

// grid: (numTokens, numHeads), block: THREADS
// dynamic shared memory: (TILE + THREADS * 8) floats
// headSize: a power of two from 8 to 256 (PagedAttention.java checks)
extern "C" __global__ void paged_attention(
        __nv_bfloat16* __restrict__ out,              // [numTokens, numHeads, headSize] written, o_proj's input
        const float* __restrict__ query,              // [numTokens, numHeads, headSize] RoPE applied
        const __nv_bfloat16* __restrict__ keyCache,   // [numBlocks, blockSize, numKvHeads, headSize] one layer's
        const __nv_bfloat16* __restrict__ valueCache, // [numBlocks, blockSize, numKvHeads, headSize]
        const int* __restrict__ queryStartLoc,        // [numSeqs + 1] rows of sequence s: queryStartLoc[s] ..< queryStartLoc[s+1]
        const int* __restrict__ seqLens,              // [numSeqs] tokens in the cache for each sequence, this step's included
        const int* __restrict__ blockTables,          // [numSeqs, maxNumBlocksPerSeq] physical block ids, row-major
        int maxNumBlocksPerSeq,
        int numSeqs,
        int numHeads,
        int numKvHeads,
        int headSize,
        int blockSize,
        float scale) {                                // multiplier of q · k, usually 1 / sqrt(headSize)
    extern __shared__ float shared[];
    float* scores = shared;           // [TILE]
    float* partial = shared + TILE;   // [numGroups, headSize] each group's output sums, at the end
    __shared__ float scratch[32];
    int row = blockIdx.x, head = blockIdx.y;
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, numWarps = blockDim.x >> 5;
    int G = headSize / 8;                      // lanes per group
    int groupsPerWarp = 32 / G;
    int groupInWarp = lane / G, laneInGroup = lane % G;
    int group = warp * groupsPerWarp + groupInWarp, numGroups = numWarps * groupsPerWarp;
    int d0 = laneInGroup * 8;                  // this lane's 8 elements: d0 ..< d0 + 8

    // Which sequence owns this row: the last s with queryStartLoc[s] <= row (binary search).
    int lo = 0, hi = numSeqs - 1;
    while (lo < hi) {
    pagoda::allowNextKernel();
    pagoda::waitForPriorKernels(); // before any read of an earlier kernel's output (Common.cuh)
        int mid = (lo + hi + 1) >> 1;
        if (queryStartLoc[mid] <= row) lo = mid; else hi = mid - 1;
    }
    int seq = lo;
    int queryStart = queryStartLoc[seq], queryEnd = queryStartLoc[seq + 1];
    int seqLen = seqLens[seq];
    int contextLen = seqLen - (queryEnd - queryStart);
    int numVisible = contextLen + (row - queryStart) + 1; // causal: positions 0 ..= this token's
    const int* blockTable = blockTables + (long long) seq * maxNumBlocksPerSeq;
    int kvHead = head / (numHeads / numKvHeads);

    float q[8]; // this lane's elements of the query
    const float* qRow = query + ((long long) row * numHeads + head) * headSize + d0;
    #pragma unroll
    for (int i = 0; i < 8; i++) q[i] = qRow[i];

    float acc[8]; // output elements d0 ..< d0 + 8 over this group's positions, not yet divided by the sum
    #pragma unroll
    for (int i = 0; i < 8; i++) acc[i] = 0.0f;
    float runningMax = -INFINITY, runningSum = 0.0f;

    for (int tileStart = 0; tileStart < numVisible; tileStart += TILE) {
        int tileLen = min(TILE, numVisible - tileStart);

        // 1. Scores: q · k_j * scale for the tile's positions j, one group per position, keys found
        //    through the block table. (The loop bound is the warp's, so that every lane shuffles.)
        for (int t0 = warp * groupsPerWarp; t0 < tileLen; t0 += numGroups) {
            int t = t0 + groupInWarp;
            float dot = 0.0f;
            if (t < tileLen) {
                int j = tileStart + t;
                // region: cuda-key-lookup
                int physicalBlock = blockTable[j / blockSize];
                long long slot = (long long) physicalBlock * blockSize + j % blockSize;
                uint4 raw = *reinterpret_cast<const uint4*>(keyCache + (slot * numKvHeads + kvHead) * headSize + d0);
                // endregion
                const __nv_bfloat162* k2 = reinterpret_cast<const __nv_bfloat162*>(&raw);
                #pragma unroll
                for (int i = 0; i < 4; i++) {
                    float2 k = __bfloat1622float2(k2[i]);
                    dot += q[2 * i] * k.x + q[2 * i + 1] * k.y;
                }
            }
            for (int o = G / 2; o > 0; o >>= 1) dot += __shfl_xor_sync(0xffffffffu, dot, o);
            if (t < tileLen && laneInGroup == 0) scores[t] = dot * scale;
        }
        __syncthreads();

        // 2. Softmax weights, online: exponentiate against the running maximum; what was summed
        //    under a smaller maximum is rescaled by e^(oldMax - newMax) (0 on the first tile).
        float localMax = -INFINITY;
        for (int t = threadIdx.x; t < tileLen; t += blockDim.x) localMax = fmaxf(localMax, scores[t]);
        float newMax = fmaxf(runningMax, pagoda::blockMax(localMax, scratch));
        float correction = expf(runningMax - newMax);
        float localSum = 0.0f;
        for (int t = threadIdx.x; t < tileLen; t += blockDim.x) {
            float e = expf(scores[t] - newMax);
            scores[t] = e;
            localSum += e;
        }
        runningSum = runningSum * correction + pagoda::blockSum(localSum, scratch); // its barriers publish scores
        runningMax = newMax;

        // 3. Output: each group adds weight * value of its positions to its partial sums.
        #pragma unroll
        for (int i = 0; i < 8; i++) acc[i] *= correction;
        for (int t = group; t < tileLen; t += numGroups) {
            int j = tileStart + t;
            int physicalBlock = blockTable[j / blockSize];
            long long slot = (long long) physicalBlock * blockSize + j % blockSize;
            uint4 raw = *reinterpret_cast<const uint4*>(valueCache + (slot * numKvHeads + kvHead) * headSize + d0);
            const __nv_bfloat162* v2 = reinterpret_cast<const __nv_bfloat162*>(&raw);
            float p = scores[t];
            #pragma unroll
            for (int i = 0; i < 4; i++) {
                float2 v = __bfloat1622float2(v2[i]);
                acc[2 * i] += p * v.x;
                acc[2 * i + 1] += p * v.y;
            }
        }
        __syncthreads(); // every thread is done with this tile's scores before the next overwrites them
    }

    // The groups' partial sums, added up; divided by the softmax's sum.
    #pragma unroll
    for (int i = 0; i < 8; i++) partial[group * headSize + d0 + i] = acc[i];
    __syncthreads();
    __nv_bfloat16* outRow = out + ((long long) row * numHeads + head) * headSize;
    float inverseSum = 1.0f / runningSum;
    for (int d = threadIdx.x; d < headSize; d += blockDim.x) {
        float sum = 0.0f;
        for (int g = 0; g < numGroups; g++) sum += partial[g * headSize + d];
        outRow[d] = __float2bfloat16(sum * inverseSum);
    }
}
