// The linear stages of DecodeLayers.cu (which explains the kernel; included only there): the input
// row into shared memory (RMSNorm of the residual stream, or a bf16 row written by the previous
// stage), then every unit of xs · weightᵀ over the whole grid with its epilogue.
#pragma once
#include "Common.cuh"
#include "RopeStore.cuh"
#include "WeightRound.cuh"

#define THREADS 256
#define WARPS 8
#define UNROLL 8        // 16-byte weight loads in flight per lane (per row)
#define MAX_ATTENTION_SPLITS 16 // PagedAttention.MAX_SPLITS

#define LINEAR_ROPE 0   // pair n of the q | k | v rows: bias, RoPE, into query or the KV cache
#define LINEAR_ADD 1    // hidden[n] += v (the residual stream)
#define LINEAR_SILU 2   // act[n] = bf16(silu(gate) * up), gate = row n, up = row n + units

namespace {

// xs[i] = bf16(normWeight[i] * (hidden[i] * inverseRms)), as Gemv.cu's NORM path and RmsNorm.cu round it.
// Up to 4,096 values each thread keeps its share in registers: one read of hidden from L2.
__device__ __forceinline__ void loadNormalized(__nv_bfloat16* xs, const float* hidden, const float* normWeight, int size, float eps) {
    constexpr int KEPT = 4; // float4s per thread
    __shared__ float scratch[32];
    const float4* h4 = reinterpret_cast<const float4*>(hidden);
    bool kept = size <= THREADS * 4 * KEPT;
    float4 h[KEPT];
    float sumOfSquares = 0.0f;
    if (kept) {
        #pragma unroll
        for (int k = 0; k < KEPT; k++) {
            int i = threadIdx.x + k * THREADS;
            h[k] = i < size / 4 ? __ldcg(h4 + i) : make_float4(0.0f, 0.0f, 0.0f, 0.0f);
        }
        #pragma unroll
        for (int k = 0; k < KEPT; k++) sumOfSquares += h[k].x * h[k].x + h[k].y * h[k].y + h[k].z * h[k].z + h[k].w * h[k].w;
    } else {
        for (int i = threadIdx.x; i < size / 4; i += THREADS) {
            float4 v = __ldcg(h4 + i);
            sumOfSquares += v.x * v.x + v.y * v.y + v.z * v.z + v.w * v.w;
        }
    }
    float inverseRms = 1.0f / sqrtf(pagoda::blockSum(sumOfSquares, scratch) / size + eps);
    if (kept) {
        #pragma unroll
        for (int k = 0; k < KEPT; k++) {
            int i = threadIdx.x + k * THREADS;
            if (i < size / 4) {
                float4 g = __ldg(reinterpret_cast<const float4*>(normWeight) + i);
                xs[4 * i] = __float2bfloat16(g.x * (h[k].x * inverseRms));
                xs[4 * i + 1] = __float2bfloat16(g.y * (h[k].y * inverseRms));
                xs[4 * i + 2] = __float2bfloat16(g.z * (h[k].z * inverseRms));
                xs[4 * i + 3] = __float2bfloat16(g.w * (h[k].w * inverseRms));
            }
        }
    } else {
        for (int i = threadIdx.x; i < size; i += THREADS) {
            xs[i] = __float2bfloat16(__ldg(normWeight + i) * (__ldcg(hidden + i) * inverseRms));
        }
    }
    __syncthreads();
}

// xs = src, size bf16 values (size % 8 == 0).
__device__ __forceinline__ void loadBf16(__nv_bfloat16* xs, const __nv_bfloat16* src, int size) {
    for (int i = threadIdx.x; i < size / 8; i += THREADS) reinterpret_cast<uint4*>(xs)[i] = __ldcg(reinterpret_cast<const uint4*>(src) + i);
    __syncthreads();
}

__device__ __forceinline__ float dot8(uint4 w, uint4 x) {
    const __nv_bfloat162* w2 = reinterpret_cast<const __nv_bfloat162*>(&w);
    const __nv_bfloat162* x2 = reinterpret_cast<const __nv_bfloat162*>(&x);
    float s = 0.0f;
    #pragma unroll
    for (int i = 0; i < 4; i++) {
        float2 a = __bfloat1622float2(w2[i]), b = __bfloat1622float2(x2[i]);
        s += a.x * b.x + a.y * b.y;
    }
    return s;
}

// How a linear stage hands out its units: kSplit warps per unit (a power of two up to 8, so that every
// warp of the grid has work), WARPS / kSplit units per block item, items strided over the grid.
struct Split {
    int kSplit, unitsPerBlock, numItems;
    __device__ __forceinline__ Split(int units) {
        int totalWarps = gridDim.x * WARPS;
        kSplit = 1;
        while (kSplit < WARPS && (long long) units * kSplit * 2 <= totalWarps) kSplit *= 2;
        unitsPerBlock = WARPS / kSplit;
        numItems = (units + unitsPerBlock - 1) / unitsPerBlock;
    }
};

// The weight rows of this warp's unit in block item `item`; false when the item has no unit for it.
template <int EPILOGUE>
__device__ __forceinline__ bool unitRows(const Split& split, int item, int units, const pagoda::Rope& rope, int& n,
                                         long long& row0, long long& row1) {
    int warp = threadIdx.x >> 5;
    n = item * split.unitsPerBlock + warp / split.kSplit;
    bool active = n < units;
    row0 = active ? n : 0;
    row1 = 0;
    if (EPILOGUE == LINEAR_SILU) row1 = row0 + units;
    if (EPILOGUE == LINEAR_ROPE && active) pagoda::ropePairRows(rope, n, row0, row1);
    return active;
}


// The first round of loads of a linear stage's first block item: weights depend on nothing, so the
// caller issues them before the grid barrier that precedes the stage, and they arrive while it waits.
template <int EPILOGUE>
__device__ __forceinline__ void firstLoads(uint4 (&wv)[UNROLL], uint4 (&uv)[UNROLL], const __nv_bfloat16* weight, int units,
                                           int inFeatures, const pagoda::Rope& rope) {
    Split split(units);
    int n;
    long long row0, row1;
    bool active = blockIdx.x < split.numItems && unitRows<EPILOGUE>(split, blockIdx.x, units, rope, n, row0, row1);
    int lane = threadIdx.x & 31, slice = (threadIdx.x >> 5) % split.kSplit;
    pagoda::loadWeightRound<UNROLL, EPILOGUE != LINEAR_ADD>(wv, uv, reinterpret_cast<const uint4*>(weight + row0 * inFeatures),
            reinterpret_cast<const uint4*>(weight + row1 * inFeatures), active, slice * 32 + lane, 32 * split.kSplit, inFeatures / 8);
}

// One linear stage: every unit of xs · weightᵀ over the whole grid, then the epilogue. wv, uv: the
// first round of the first item, from firstLoads.
//   LINEAR_ROPE: units = (numHeads + 2 * numKvHeads) * headSize / 2 rotary pairs; LINEAR_ADD: units =
//   out features, into hidden; LINEAR_SILU: units = intermediateSize gate/up pairs, into act.
template <int EPILOGUE>
__device__ __forceinline__ void linearStage(
        uint4 (&wv)[UNROLL], uint4 (&uv)[UNROLL],
        const __nv_bfloat16* xs,            // [inFeatures] shared memory
        const __nv_bfloat16* weight,        // [units (×2 for SILU), inFeatures]; ROPE: [qkvWidth, inFeatures]
        int units, int inFeatures,
        float* hidden,                      // ADD: [units] += ·
        __nv_bfloat16* act,                 // SILU: [units] written
        const pagoda::Rope& rope) {         // ROPE
    constexpr bool TWO = EPILOGUE != LINEAR_ADD;
    __shared__ float partial[2][WARPS];
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    Split split(units);
    int kSplit = split.kSplit, slice = warp % kSplit;
    int chunks = inFeatures / 8, stride = 32 * kSplit;
    const uint4* x4 = reinterpret_cast<const uint4*>(xs);
    bool preloaded = true;

    for (int item = blockIdx.x; item < split.numItems; item += gridDim.x) {
        int n;
        long long row0, row1;
        bool active = unitRows<EPILOGUE>(split, item, units, rope, n, row0, row1);
        const uint4* w = reinterpret_cast<const uint4*>(weight + row0 * inFeatures);
        const uint4* u = reinterpret_cast<const uint4*>(weight + row1 * inFeatures);
        bool writer = active && slice == 0 && lane == 0;
        float residual = EPILOGUE == LINEAR_ADD && writer ? __ldcg(hidden + n) : 0.0f; // in flight during the products
        float a = 0.0f, b = 0.0f;
        for (int c0 = slice * 32 + lane; c0 < chunks; c0 += UNROLL * stride) {
            if (!preloaded) pagoda::loadWeightRound<UNROLL, TWO>(wv, uv, w, u, active, c0, stride, chunks); // every load in flight before any is used
            preloaded = false;
            #pragma unroll
            for (int i = 0; i < UNROLL; i++) {
                int c = c0 + i * stride;
                if (c < chunks) {
                    uint4 xv = x4[c];
                    a += dot8(wv[i], xv);
                    if (TWO) b += dot8(uv[i], xv);
                }
            }
        }
        preloaded = false;
        a = pagoda::warpSum(a);
        if (TWO) b = pagoda::warpSum(b);
        if (kSplit > 1) { // the kSplit warps of a unit are neighbours in the block
            if (lane == 0) {
                partial[0][warp] = a;
                partial[1][warp] = b;
            }
            __syncthreads();
            if (slice == 0) {
                a = b = 0.0f;
                for (int s = 0; s < kSplit; s++) {
                    a += partial[0][warp + s];
                    b += partial[1][warp + s];
                }
            }
            __syncthreads(); // partial is rewritten by the next item
        }
        if (!writer) continue;
        if (EPILOGUE == LINEAR_ADD) {
            hidden[n] = residual + a;
        } else if (EPILOGUE == LINEAR_SILU) {
            float silu = a / (1.0f + expf(-a));
            act[n] = __float2bfloat16(silu * b);
        } else {
            pagoda::storeRopePair(rope, 0, n, a, b);
        }
    }
}

} // namespace
