// Matrix-vector products for decode, launched by Gemv.java: out = x · weightᵀ for a handful of rows
// of x (numRows <= 8), bf16 weights, fp32 accumulation. At a few rows a linear layer is pure weight
// streaming: every weight byte is read once and used numRows times, so the kernel's whole job is to
// keep enough 16-byte loads in flight. Each output feature n is computed by kSplit warps (1, 2, 4 or
// 8, chosen by Gemv.java so that the GPU has enough warps), each warp taking every kSplit-th
// 512-byte stretch of the weight row, then adding up through shared memory.
//
// The same loop serves every linear layer of a decoder layer, with its neighbours fused in, so that
// decode needs fewer, fuller kernels:
//   gemv_bf16            out  = x · Wᵀ                          (any linear layer)
//   gemv_add_bf16        hidden += x · Wᵀ                       (o_proj, down_proj: the residual add)
//   gemv_norm_bf16       out  = RMSNorm(hidden[rows]) · Wᵀ      (lm_head: the final norm before it)
//   gemv_norm_silu_bf16  act  = silu(n · Wgᵀ) * (n · Wuᵀ), n = RMSNorm(hidden)   (gate_up + SiLU-and-mul)
//   gemv_norm_rope_bf16  n = RMSNorm(hidden); q, k, v = n · Wqkvᵀ + bias; RoPE on q and k; q → query,
//                        k and v → their cache slots           (qkv_proj + RotaryKvCache.cu, no q/k norm)
// RMSNorm inside: each warp computes its rows' 1/rms itself (a few KB from L1/L2, while its first
// weight loads are in flight: no block-wide barrier) and normalizes x chunk by chunk, rounded to
// bf16 exactly as RmsNorm.cu rounds it, so the fused and unfused paths multiply the same numbers.
// A warp of the two-row epilogues (SiLU, RoPE) streams two weight rows at once: gate and up rows
// n and n + intermediateSize; the RoPE pair i and i + headSize / 2 of one head.
// ROWS (1 or 8) sizes the per-row registers: batch 1 gets a lean kernel (more blocks per SM).
#include <cuda_bf16.h>
#include "Common.cuh"
#include "RopeStore.cuh"
#include "WeightRound.cuh"

#define UNROLL 4
#define WARPS 8         // blockDim.x = 256

#define OUT_F32 0       // out[m, n] = v
#define ADD_F32 1       // out[m, n] += v (the residual stream)
#define SILU_MUL_BF16 2 // out[m, n] = bf16(silu(gate) * up), gate = row n, up = row n + outFeatures
#define ROPE_QKV 3      // pair n of the q | k | v rows: bias, RoPE, into query or the KV cache

namespace {

using pagoda::Rope;

__device__ __forceinline__ float dot8(uint4 w, const float (&x)[8]) {
    const __nv_bfloat162* w2 = reinterpret_cast<const __nv_bfloat162*>(&w);
    float s = 0.0f;
    #pragma unroll
    for (int i = 0; i < 4; i++) {
        float2 a = __bfloat1622float2(w2[i]);
        s += a.x * x[2 * i] + a.y * x[2 * i + 1];
    }
    return s;
}

// x[0 ..< 8] = elements 8c ..< 8c + 8 of row m: bf16 from x, or RMSNorm(hidden[row]) rounded to bf16.
template <bool NORM>
__device__ __forceinline__ void loadX(float (&out)[8], const __nv_bfloat16* x, const float* hiddenRow, const float* normWeight,
                                      float inverseRms, long long rowOffset, int c) {
    if (NORM) {
        const float4* h = reinterpret_cast<const float4*>(hiddenRow) + 2 * c;
        const float4* g = reinterpret_cast<const float4*>(normWeight) + 2 * c;
        float4 h0 = h[0], h1 = h[1], g0 = g[0], g1 = g[1];
        float hv[8] = {h0.x, h0.y, h0.z, h0.w, h1.x, h1.y, h1.z, h1.w};
        float gv[8] = {g0.x, g0.y, g0.z, g0.w, g1.x, g1.y, g1.z, g1.w};
        #pragma unroll
        for (int e = 0; e < 8; e++) out[e] = __bfloat162float(__float2bfloat16(gv[e] * (hv[e] * inverseRms)));
    } else {
        uint4 raw = __ldg(reinterpret_cast<const uint4*>(x + rowOffset) + c);
        const __nv_bfloat162* x2 = reinterpret_cast<const __nv_bfloat162*>(&raw);
        #pragma unroll
        for (int i = 0; i < 4; i++) {
            float2 f = __bfloat1622float2(x2[i]);
            out[2 * i] = f.x;
            out[2 * i + 1] = f.y;
        }
    }
}

template <int EPILOGUE, bool NORM, int ROWS>
__device__ __forceinline__ void gemv(
        void* __restrict__ out,                     // [numRows, outFeatures] fp32 (OUT_F32, ADD_F32) or bf16 (SILU_MUL_BF16); ROPE: unused
        const __nv_bfloat16* __restrict__ x,        // [numRows, inFeatures] bf16 (not NORM)
        const float* __restrict__ hidden,           // [numTokens, inFeatures] fp32 residual stream (NORM)
        const float* __restrict__ normWeight,       // [inFeatures] fp32 (NORM)
        const int* __restrict__ rows,               // [numRows] hidden row of each x row, or null for the identity (NORM)
        const __nv_bfloat16* __restrict__ weight,   // [outFeatures, inFeatures]; SILU: [2 * outFeatures, …]; ROPE: [qkvWidth, …]
        int numRows, int outFeatures, int inFeatures, int kSplit, float eps, Rope rope) {
    __shared__ float partial[2][WARPS][ROWS];       // per-warp sums when kSplit > 1 (first row, second row)
    constexpr bool TWO = EPILOGUE == SILU_MUL_BF16 || EPILOGUE == ROPE_QKV;
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    int featuresPerBlock = WARPS / kSplit;
    int slice = warp % kSplit;                        // which of the kSplit warps of this feature
    int n = blockIdx.x * featuresPerBlock + warp / kSplit;
    bool active = n < outFeatures;                    // no early return: the kSplit sum has a barrier
    int chunks = inFeatures / 8;                      // 16-byte chunks of 8 bf16 per row
    int stride = 32 * kSplit;

    // The weight rows of feature n.
    long long row0 = n, row1 = 0;
    if (EPILOGUE == SILU_MUL_BF16) row1 = (long long) n + outFeatures;
    if (EPILOGUE == ROPE_QKV) pagoda::ropePairRows(rope, n, row0, row1); // pair n = (head, i)
    if (!active) row0 = row1 = 0;
    const uint4* w = reinterpret_cast<const uint4*>(weight + row0 * inFeatures);
    const uint4* u = reinterpret_cast<const uint4*>(weight + row1 * inFeatures);

    // UNROLL loads per lane in flight before any is used (two streams for the two-row epilogues).
    uint4 wv[UNROLL], uv[UNROLL];
    int c0 = slice * 32 + lane;
    pagoda::loadWeightRound<UNROLL, TWO>(wv, uv, w, u, active, c0, stride, chunks);
    // Programmatic dependent launch (Common.cuh): the weight loads above need nothing from the kernel
    // before this one, so they were issued while it finished; x, hidden and the outputs wait for it.
    pagoda::allowNextKernel();
    pagoda::waitForPriorKernels();

    // While they fly: each row's 1 / rms (NORM).
    float inverseRms[ROWS];
    const float* hiddenRow[ROWS];
    // One row whose every chunk this feature's warps load in one round (Qwen2.5-0.5B's 896): each lane
    // keeps its chunks of hidden in registers, so the sum of squares and the normalization read them
    // once; the kSplit warps add their sums through shared memory.
    bool cached = NORM && ROWS == 1 && chunks <= UNROLL * stride;
    float hCache[UNROLL][8];
    __shared__ float squares[WARPS];
    if (cached) {
        hiddenRow[0] = hidden + (long long) (rows == nullptr ? 0 : rows[0]) * inFeatures;
        float sumOfSquares = 0.0f;
        #pragma unroll
        for (int i = 0; i < UNROLL; i++) {
            int c = c0 + i * stride;
            float4 h0 = make_float4(0.0f, 0.0f, 0.0f, 0.0f), h1 = h0;
            if (c < chunks) {
                h0 = reinterpret_cast<const float4*>(hiddenRow[0])[2 * c];
                h1 = reinterpret_cast<const float4*>(hiddenRow[0])[2 * c + 1];
            }
            float v[8] = {h0.x, h0.y, h0.z, h0.w, h1.x, h1.y, h1.z, h1.w};
            #pragma unroll
            for (int e = 0; e < 8; e++) {
                hCache[i][e] = v[e];
                sumOfSquares += v[e] * v[e];
            }
        }
        sumOfSquares = pagoda::warpSum(sumOfSquares);
        if (kSplit > 1) {
            if (lane == 0) squares[warp] = sumOfSquares;
            __syncthreads();
            sumOfSquares = 0.0f;
            for (int s = 0; s < kSplit; s++) sumOfSquares += squares[warp - slice + s];
        }
        inverseRms[0] = 1.0f / sqrtf(sumOfSquares / inFeatures + eps);
    }
    #pragma unroll
    for (int m = 0; m < ROWS; m++) {
        if (cached) break;
        inverseRms[m] = 0.0f;
        hiddenRow[m] = nullptr;
        if (NORM && m < numRows) {
            hiddenRow[m] = hidden + (long long) (rows == nullptr ? m : rows[m]) * inFeatures;
            const float4* h4 = reinterpret_cast<const float4*>(hiddenRow[m]);
            float sumOfSquares = 0.0f;
            for (int i = lane; i < inFeatures / 4; i += 32) {
                float4 v = h4[i];
                sumOfSquares += v.x * v.x + v.y * v.y + v.z * v.z + v.w * v.w;
            }
            inverseRms[m] = 1.0f / sqrtf(pagoda::warpSum(sumOfSquares) / inFeatures + eps);
        }
    }

    float acc[ROWS], accTwo[ROWS];
    #pragma unroll
    for (int m = 0; m < ROWS; m++) acc[m] = accTwo[m] = 0.0f;
    while (c0 < chunks) {
        #pragma unroll
        for (int i = 0; i < UNROLL; i++) {
            int c = c0 + i * stride;
            if (c < chunks) {
                #pragma unroll
                for (int m = 0; m < ROWS; m++) {
                    if (m < numRows) {
                        float xv[8];
                        if (cached) { // x = bf16(normWeight * (h * inverseRms)), h from registers
                            const float4* g = reinterpret_cast<const float4*>(normWeight) + 2 * c;
                            float4 g0 = g[0], g1 = g[1];
                            float gv[8] = {g0.x, g0.y, g0.z, g0.w, g1.x, g1.y, g1.z, g1.w};
                            #pragma unroll
                            for (int e = 0; e < 8; e++) xv[e] = __bfloat162float(__float2bfloat16(gv[e] * (hCache[i][e] * inverseRms[0])));
                        } else {
                            loadX<NORM>(xv, x, hiddenRow[m], normWeight, inverseRms[m], (long long) m * inFeatures, c);
                        }
                        acc[m] += dot8(wv[i], xv);
                        if (TWO) accTwo[m] += dot8(uv[i], xv);
                    }
                }
            }
        }
        c0 += UNROLL * stride;
        pagoda::loadWeightRound<UNROLL, TWO>(wv, uv, w, u, active, c0, stride, chunks);
    }

    // Sums over the warp, then over the kSplit warps of the feature.
    #pragma unroll
    for (int m = 0; m < ROWS; m++) {
        acc[m] = pagoda::warpSum(acc[m]);
        if (TWO) accTwo[m] = pagoda::warpSum(accTwo[m]);
    }
    if (kSplit > 1) {
        if (lane == 0) {
            #pragma unroll
            for (int m = 0; m < ROWS; m++) {
                partial[0][warp][m] = acc[m];
                partial[1][warp][m] = accTwo[m];
            }
        }
        __syncthreads();
        if (slice == 0) {
            #pragma unroll
            for (int m = 0; m < ROWS; m++) {
                float a = 0.0f, b = 0.0f;
                for (int s = 0; s < kSplit; s++) {
                    a += partial[0][warp + s][m];
                    b += partial[1][warp + s][m];
                }
                acc[m] = a;
                accTwo[m] = b;
            }
        }
    }
    if (!active || slice != 0) return;
    // Lane m writes row m.
    #pragma unroll
    for (int m = 0; m < ROWS; m++) {
        if (m < numRows && lane == m) {
            long long o = (long long) m * outFeatures + n;
            if (EPILOGUE == OUT_F32) {
                static_cast<float*>(out)[o] = acc[m];
            } else if (EPILOGUE == ADD_F32) {
                static_cast<float*>(out)[o] += acc[m];
            } else if (EPILOGUE == SILU_MUL_BF16) {
                float g = acc[m];
                float silu = g / (1.0f + expf(-g));
                static_cast<__nv_bfloat16*>(out)[o] = __float2bfloat16(silu * accTwo[m]);
            } else { // ROPE_QKV: bias, RoPE, store (RopeStore.cuh)
                pagoda::storeRopePair(rope, m, n, acc[m], accTwo[m]);
            }
        }
    }
}

} // namespace

// Every kernel: grid (ceil(outFeatures / (8 / kSplit))), block 256 threads; inFeatures % 8 == 0,
// 16-byte aligned rows (Gemv.java checks). Suffix _r1: numRows == 1; _r8: numRows <= 8.
#define GEMV_KERNELS(R)                                                                                            \
extern "C" __global__ void gemv_bf16_r##R(                                                                         \
        float* __restrict__ out,                    /* [numRows, outFeatures] written */                          \
        const __nv_bfloat16* __restrict__ x,        /* [numRows, inFeatures] */                                   \
        const __nv_bfloat16* __restrict__ weight,   /* [outFeatures, inFeatures] (PyTorch's layout) */            \
        int numRows, int outFeatures, int inFeatures, int kSplit) {                                               \
    gemv<OUT_F32, false, R>(out, x, nullptr, nullptr, nullptr, weight, numRows, outFeatures, inFeatures, kSplit, 0.0f, Rope{}); \
}                                                                                                                  \
extern "C" __global__ void gemv_add_bf16_r##R(                                                                     \
        float* __restrict__ hidden,                 /* [numRows, outFeatures] fp32, += x · weightᵀ */             \
        const __nv_bfloat16* __restrict__ x,        /* [numRows, inFeatures] */                                   \
        const __nv_bfloat16* __restrict__ weight,   /* [outFeatures, inFeatures] */                               \
        int numRows, int outFeatures, int inFeatures, int kSplit) {                                               \
    gemv<ADD_F32, false, R>(hidden, x, nullptr, nullptr, nullptr, weight, numRows, outFeatures, inFeatures, kSplit, 0.0f, Rope{}); \
}                                                                                                                  \
extern "C" __global__ void gemv_norm_bf16_r##R(                                                                    \
        float* __restrict__ out,                    /* [numRows, outFeatures] written */                          \
        const float* __restrict__ hidden,           /* [numTokens, inFeatures] residual stream */                 \
        const float* __restrict__ normWeight,       /* [inFeatures] */                                            \
        const int* __restrict__ rows,               /* [numRows] hidden row of output row m, or null: row m */    \
        const __nv_bfloat16* __restrict__ weight,   /* [outFeatures, inFeatures] */                               \
        int numRows, int outFeatures, int inFeatures, int kSplit, float eps) {                                    \
    gemv<OUT_F32, true, R>(out, nullptr, hidden, normWeight, rows, weight, numRows, outFeatures, inFeatures, kSplit, eps, Rope{}); \
}                                                                                                                  \
extern "C" __global__ void gemv_norm_silu_bf16_r##R(                                                               \
        __nv_bfloat16* __restrict__ act,            /* [numRows, intermediateSize] written */                     \
        const float* __restrict__ hidden,           /* [numRows, inFeatures] residual stream */                   \
        const float* __restrict__ normWeight,       /* [inFeatures] */                                            \
        const __nv_bfloat16* __restrict__ gateUp,   /* [2 * intermediateSize, inFeatures]: gate rows, up rows */  \
        int numRows, int intermediateSize, int inFeatures, int kSplit, float eps) {                               \
    gemv<SILU_MUL_BF16, true, R>(act, nullptr, hidden, normWeight, nullptr, gateUp, numRows, intermediateSize, inFeatures, kSplit, eps, Rope{}); \
}                                                                                                                  \
extern "C" __global__ void gemv_norm_rope_bf16_r##R(                                                               \
        const float* __restrict__ hidden,           /* [numRows, inFeatures] residual stream */                   \
        const float* __restrict__ normWeight,       /* [inFeatures] input_layernorm */                            \
        const __nv_bfloat16* __restrict__ qkv,      /* [(numHeads + 2 * numKvHeads) * headSize, inFeatures] */    \
        const float* __restrict__ qkvBias,          /* [(numHeads + 2 * numKvHeads) * headSize], or null */       \
        const float* __restrict__ invFreq,          /* [headSize / 2] */                                          \
        const int* __restrict__ positions,          /* [numRows] */                                               \
        const int* __restrict__ slotMapping,        /* [numRows] cache slot of each token; < 0: do not store */   \
        float* __restrict__ query,                  /* [numRows, numHeads, headSize] written */                   \
        __nv_bfloat16* __restrict__ keyCache,       /* [numBlocks, blockSize, numKvHeads, headSize] one layer's */ \
        __nv_bfloat16* __restrict__ valueCache,     /* [numBlocks, blockSize, numKvHeads, headSize] */            \
        int numRows, int numHeads, int numKvHeads, int headSize, int inFeatures, int kSplit, float eps) {         \
    pagoda::Rope rope{qkvBias, invFreq, positions, slotMapping, query, keyCache, valueCache, numHeads, numKvHeads, headSize}; \
    gemv<ROPE_QKV, true, R>(nullptr, nullptr, hidden, normWeight, nullptr, qkv, numRows,                           \
            (numHeads + 2 * numKvHeads) * (headSize / 2), inFeatures, kSplit, eps, rope);                          \
}
GEMV_KERNELS(1)
GEMV_KERNELS(8)
