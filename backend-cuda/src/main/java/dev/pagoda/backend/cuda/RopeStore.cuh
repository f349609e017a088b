// The epilogue of a q | k | v projection for decode, shared by Gemv.cu (gemv_norm_rope_bf16) and
// DecodeLayers.cu: one rotary pair of one head has been computed (a = row i, b = row i + headSize / 2
// of the head); add the bias, rotate q and k by RoPE (rotate-half, as RotaryKvCache.cu), then store
// q into the query rows and k, v into this token's slot of the paged KV cache.
#pragma once
#include <cuda_bf16.h>

namespace pagoda {

// What the epilogue needs (RotaryKvCache.cu's arguments).
struct Rope {
    const float* qkvBias;        // [(numHeads + 2 * numKvHeads) * headSize], or null
    const float* invFreq;        // [headSize / 2]
    const int* positions;        // [numRows]
    const int* slotMapping;      // [numRows] cache slot of each token; < 0: do not store
    float* query;                // [numRows, numHeads, headSize] written
    __nv_bfloat16* keyCache;     // [numBlocks, blockSize, numKvHeads, headSize] one layer's
    __nv_bfloat16* valueCache;   // [numBlocks, blockSize, numKvHeads, headSize]
    int numHeads, numKvHeads, headSize;
};

// The weight rows of rotary pair n = (head, i): head * headSize + i and that + headSize / 2.
__device__ __forceinline__ void ropePairRows(const Rope& rope, int n, long long& row0, long long& row1) {
    int half = rope.headSize / 2;
    row0 = (long long) (n / half) * rope.headSize + n % half;
    row1 = row0 + half;
}

// Row m's pair n: a, b = the two dot products (bias not yet added).
__device__ __forceinline__ void storeRopePair(const Rope& rope, int m, int n, float a, float b) {
    int half = rope.headSize / 2, head = n / half, i = n % half;
    long long row0, row1;
    ropePairRows(rope, n, row0, row1);
    if (rope.qkvBias != nullptr) {
        a += rope.qkvBias[row0];
        b += rope.qkvBias[row1];
    }
    bool isQuery = head < rope.numHeads, isKey = !isQuery && head < rope.numHeads + rope.numKvHeads;
    if (isQuery || isKey) {
        float angle = rope.invFreq[i] * (float) rope.positions[m];
        float cosA = cosf(angle), sinA = sinf(angle);
        float ra = a * cosA - b * sinA, rb = b * cosA + a * sinA;
        a = ra;
        b = rb;
    }
    if (isQuery) {
        float* q = rope.query + ((long long) m * rope.numHeads + head) * rope.headSize;
        q[i] = a;
        q[i + half] = b;
    } else {
        int slot = rope.slotMapping[m];
        if (slot >= 0) {
            int kvHead = isKey ? head - rope.numHeads : head - rope.numHeads - rope.numKvHeads;
            __nv_bfloat16* dst = (isKey ? rope.keyCache : rope.valueCache) + ((long long) slot * rope.numKvHeads + kvHead) * rope.headSize;
            dst[i] = __float2bfloat16(a);
            dst[i + half] = __float2bfloat16(b);
        }
    }
}

} // namespace pagoda
