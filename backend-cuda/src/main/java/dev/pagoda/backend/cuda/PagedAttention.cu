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
// One block of 128 threads per (query row, head). The visible positions are taken in tiles of
// TILE: scores of a tile in shared memory, then an online softmax (running maximum and sum, earlier
// partial sums rescaled when the maximum grows), so any sequence length fits in fixed shared memory
// and a CUDA graph can replay the kernel whatever seqLens are. A split-K decode variant for long
// contexts (several blocks per row, then a reduction) is the next step.
#include "Common.cuh"

#define TILE 256             // positions scored per round (shared memory: TILE floats)
#define MAX_D_PER_THREAD 4   // output elements per thread: headSize <= 4 * blockDim.x

// grid: (numTokens, numHeads), block: 128 threads (4 warps)
// dynamic shared memory: (headSize + TILE) floats
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
    float* q = shared;                 // [headSize]
    float* scores = shared + headSize; // [TILE]
    __shared__ float scratch[32];
    int row = blockIdx.x, head = blockIdx.y;
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, numWarps = blockDim.x >> 5;

    // Which sequence owns this row: the last s with queryStartLoc[s] <= row (binary search).
    int lo = 0, hi = numSeqs - 1;
    while (lo < hi) {
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

    const float* qRow = query + ((long long) row * numHeads + head) * headSize;
    for (int d = threadIdx.x; d < headSize; d += blockDim.x) q[d] = qRow[d];
    __syncthreads();

    float acc[MAX_D_PER_THREAD]; // output element threadIdx.x + k * blockDim.x, not yet divided by the sum
    for (int k = 0; k < MAX_D_PER_THREAD; k++) acc[k] = 0.0f;
    float runningMax = -INFINITY, runningSum = 0.0f;

    for (int tileStart = 0; tileStart < numVisible; tileStart += TILE) {
        int tileLen = min(TILE, numVisible - tileStart);

        // 1. Scores: q · k_j * scale for the tile's positions j, one warp per position, keys found
        //    through the block table.
        for (int t = warp; t < tileLen; t += numWarps) {
            int j = tileStart + t;
            int physicalBlock = blockTable[j / blockSize];
            long long slot = (long long) physicalBlock * blockSize + j % blockSize;
            const __nv_bfloat16* k = keyCache + (slot * numKvHeads + kvHead) * headSize;
            float dot = 0.0f;
            for (int d = lane; d < headSize; d += 32) dot += q[d] * __bfloat162float(k[d]);
            dot = pagoda::warpSum(dot);
            if (lane == 0) scores[t] = dot * scale;
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

        // 3. Output: the weighted sum of values, in position order; thread d owns output element d.
        #pragma unroll
        for (int k = 0; k < MAX_D_PER_THREAD; k++) {
            int d = threadIdx.x + k * blockDim.x;
            if (d < headSize) {
                float a = acc[k] * correction;
                for (int t = 0; t < tileLen; t++) {
                    int j = tileStart + t;
                    int physicalBlock = blockTable[j / blockSize];
                    long long slot = (long long) physicalBlock * blockSize + j % blockSize;
                    a += scores[t] * __bfloat162float(valueCache[(slot * numKvHeads + kvHead) * headSize + d]);
                }
                acc[k] = a;
            }
        }
        __syncthreads(); // every thread is done with this tile's scores before the next overwrites them
    }

    __nv_bfloat16* outRow = out + ((long long) row * numHeads + head) * headSize;
    float inverseSum = 1.0f / runningSum;
    #pragma unroll
    for (int k = 0; k < MAX_D_PER_THREAD; k++) {
        int d = threadIdx.x + k * blockDim.x;
        if (d < headSize) outRow[d] = __float2bfloat16(acc[k] * inverseSum);
    }
}
