// Matrix-vector products for decode, launched by Gemv.java: out = x · weightᵀ for a handful of rows
// of x (numRows <= MAX_ROWS), bf16 weights, fp32 accumulation. At a few rows a linear layer is pure
// weight streaming: every weight byte is read once and used numRows times, so the kernel's whole job
// is to keep enough 16-byte loads in flight. Each output feature n is computed by kSplit warps
// (1, 2, 4 or 8, chosen by Gemv.java so that the GPU has enough warps), each warp taking every
// kSplit-th 256-byte stretch of the weight row, then adding up through shared memory.
//
// The same loop serves four steps of a decoder layer, so that decode needs fewer, fuller kernels:
//   gemv_bf16            out  = x · Wᵀ                          (any linear layer)
//   gemv_add_bf16        hidden += x · Wᵀ                       (o_proj, down_proj: the residual add)
//   gemv_norm_bf16       out  = RMSNorm(hidden[rows]) · Wᵀ      (qkv_proj, lm_head: the norm before it)
//   gemv_norm_silu_bf16  act  = silu(n · Wgᵀ) * (n · Wuᵀ), n = RMSNorm(hidden)   (gate_up + SiLU-and-mul)
// The norm is computed by every block for itself (the rows are a few KB, read from L2) into shared
// memory, rounded to bf16 exactly as RmsNorm.cu rounds it: the fused and unfused paths multiply the
// same numbers. The first weight loads are issued before the norm, so its latency hides under them.
#include <cuda_bf16.h>
#include "Common.cuh"

#define MAX_ROWS 8
#define UNROLL 4
#define WARPS 8        // blockDim.x = 256

#define OUT_F32 0      // out[m, n] = v
#define ADD_F32 1      // out[m, n] += v (the residual stream)
#define SILU_MUL_BF16 2 // out[m, n] = bf16(silu(gate) * up), gate = row n, up = row n + outFeatures

namespace {

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

template <int EPILOGUE, bool NORM>
__device__ __forceinline__ void gemv(
        void* __restrict__ out,                     // [numRows, outFeatures] fp32 (OUT_F32, ADD_F32) or bf16 (SILU_MUL_BF16)
        const __nv_bfloat16* __restrict__ x,        // [numRows, inFeatures] bf16 (not NORM)
        const float* __restrict__ hidden,           // [numTokens, inFeatures] fp32 residual stream (NORM)
        const float* __restrict__ normWeight,       // [inFeatures] fp32 (NORM)
        const int* __restrict__ rows,               // [numRows] hidden row of each x row, or null for the identity (NORM)
        const __nv_bfloat16* __restrict__ weight,   // [outFeatures, inFeatures], SILU: [2 * outFeatures, inFeatures] gate | up
        int numRows, int outFeatures, int inFeatures, int kSplit, float eps) {
    extern __shared__ uint4 normed[];                // NORM: [numRows, inFeatures] bf16, 16-byte chunks
    __shared__ float partial[2][WARPS][MAX_ROWS];    // per-warp sums when kSplit > 1 (gate, up)
    __shared__ float scratch[32];
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    int featuresPerBlock = WARPS / kSplit;
    int slice = warp % kSplit;                        // which of the kSplit warps of this feature
    int n = blockIdx.x * featuresPerBlock + warp / kSplit;
    bool active = n < outFeatures;                    // no early return: NORM's reductions need every thread
    int chunks = inFeatures / 8;                      // 16-byte chunks of 8 bf16 per row
    int stride = 32 * kSplit;
    const uint4* w = reinterpret_cast<const uint4*>(weight + (long long) (active ? n : 0) * inFeatures);
    const uint4* u = reinterpret_cast<const uint4*>(weight + (long long) (active ? n + outFeatures : 0) * inFeatures);

    float acc[MAX_ROWS], accUp[MAX_ROWS];
    #pragma unroll
    for (int m = 0; m < MAX_ROWS; m++) acc[m] = accUp[m] = 0.0f;

    // UNROLL loads per lane in flight before any is used (two streams for gate | up).
    uint4 wv[UNROLL], uv[UNROLL];
    int c0 = slice * 32 + lane;
    #pragma unroll
    for (int i = 0; i < UNROLL; i++) {
        int c = c0 + i * stride;
        bool ok = active && c < chunks;
        wv[i] = ok ? __ldg(w + c) : make_uint4(0, 0, 0, 0);
        if (EPILOGUE == SILU_MUL_BF16) uv[i] = ok ? __ldg(u + c) : make_uint4(0, 0, 0, 0);
    }

    if (NORM) { // normed[m] = bf16(normWeight * (hidden[row] / rms(hidden[row]))), as RmsNorm.cu
        __nv_bfloat16* nb = reinterpret_cast<__nv_bfloat16*>(normed);
        for (int m = 0; m < numRows; m++) {
            const float* h = hidden + (long long) (rows == nullptr ? m : rows[m]) * inFeatures;
            float sumOfSquares = 0.0f;
            for (int i = threadIdx.x; i < inFeatures; i += blockDim.x) sumOfSquares += h[i] * h[i];
            sumOfSquares = pagoda::blockSum(sumOfSquares, scratch);
            float inverseRms = 1.0f / sqrtf(sumOfSquares / inFeatures + eps);
            for (int i = threadIdx.x; i < inFeatures; i += blockDim.x) {
                nb[(long long) m * inFeatures + i] = __float2bfloat16(normWeight[i] * (h[i] * inverseRms));
            }
        }
        __syncthreads();
    }

    while (c0 < chunks) {
        #pragma unroll
        for (int i = 0; i < UNROLL; i++) {
            int c = c0 + i * stride;
            if (c < chunks) {
                #pragma unroll
                for (int m = 0; m < MAX_ROWS; m++) {
                    if (m < numRows) {
                        uint4 xv = NORM ? normed[m * chunks + c] : __ldg(reinterpret_cast<const uint4*>(x + (long long) m * inFeatures) + c);
                        acc[m] += dot8(wv[i], xv);
                        if (EPILOGUE == SILU_MUL_BF16) accUp[m] += dot8(uv[i], xv);
                    }
                }
            }
        }
        c0 += UNROLL * stride;
        #pragma unroll
        for (int i = 0; i < UNROLL; i++) {
            int c = c0 + i * stride;
            bool ok = active && c < chunks;
            wv[i] = ok ? __ldg(w + c) : make_uint4(0, 0, 0, 0);
            if (EPILOGUE == SILU_MUL_BF16) uv[i] = ok ? __ldg(u + c) : make_uint4(0, 0, 0, 0);
        }
    }

    // Sums over the warp, then over the kSplit warps of the feature.
    #pragma unroll
    for (int m = 0; m < MAX_ROWS; m++) {
        if (m < numRows) {
            acc[m] = pagoda::warpSum(acc[m]);
            if (EPILOGUE == SILU_MUL_BF16) accUp[m] = pagoda::warpSum(accUp[m]);
        }
    }
    if (kSplit > 1) {
        if (lane == 0) {
            #pragma unroll
            for (int m = 0; m < MAX_ROWS; m++) {
                partial[0][warp][m] = acc[m];
                partial[1][warp][m] = accUp[m];
            }
        }
        __syncthreads();
        if (slice == 0) {
            #pragma unroll
            for (int m = 0; m < MAX_ROWS; m++) {
                float g = 0.0f, up = 0.0f;
                for (int s = 0; s < kSplit; s++) {
                    g += partial[0][warp + s][m];
                    up += partial[1][warp + s][m];
                }
                acc[m] = g;
                accUp[m] = up;
            }
        }
    }
    if (!active || slice != 0) return;
    // Lane m writes row m.
    #pragma unroll
    for (int m = 0; m < MAX_ROWS; m++) {
        if (m < numRows && lane == m) {
            long long o = (long long) m * outFeatures + n;
            if (EPILOGUE == OUT_F32) {
                static_cast<float*>(out)[o] = acc[m];
            } else if (EPILOGUE == ADD_F32) {
                static_cast<float*>(out)[o] += acc[m];
            } else {
                float g = acc[m];
                float silu = g / (1.0f + expf(-g));
                static_cast<__nv_bfloat16*>(out)[o] = __float2bfloat16(silu * accUp[m]);
            }
        }
    }
}

} // namespace

// grid: (ceil(outFeatures / (8 / kSplit))), block: 256 threads; inFeatures % 8 == 0, 16-byte aligned rows
extern "C" __global__ void gemv_bf16(
        float* __restrict__ out,                    // [numRows, outFeatures] written
        const __nv_bfloat16* __restrict__ x,        // [numRows, inFeatures]
        const __nv_bfloat16* __restrict__ weight,   // [outFeatures, inFeatures] (PyTorch's layout)
        int numRows, int outFeatures, int inFeatures, int kSplit) {
    gemv<OUT_F32, false>(out, x, nullptr, nullptr, nullptr, weight, numRows, outFeatures, inFeatures, kSplit, 0.0f);
}

// As gemv_bf16, adding into the residual stream instead of overwriting.
extern "C" __global__ void gemv_add_bf16(
        float* __restrict__ hidden,                 // [numRows, outFeatures] fp32, += x · weightᵀ
        const __nv_bfloat16* __restrict__ x,        // [numRows, inFeatures]
        const __nv_bfloat16* __restrict__ weight,   // [outFeatures, inFeatures]
        int numRows, int outFeatures, int inFeatures, int kSplit) {
    gemv<ADD_F32, false>(hidden, x, nullptr, nullptr, nullptr, weight, numRows, outFeatures, inFeatures, kSplit, 0.0f);
}

// RMSNorm of hidden's rows, then the product. dynamic shared memory: numRows * inFeatures * 2 bytes
extern "C" __global__ void gemv_norm_bf16(
        float* __restrict__ out,                    // [numRows, outFeatures] written
        const float* __restrict__ hidden,           // [numTokens, inFeatures] residual stream
        const float* __restrict__ normWeight,       // [inFeatures]
        const int* __restrict__ rows,               // [numRows] hidden row of output row m, or null: row m
        const __nv_bfloat16* __restrict__ weight,   // [outFeatures, inFeatures]
        int numRows, int outFeatures, int inFeatures, int kSplit, float eps) {
    gemv<OUT_F32, true>(out, nullptr, hidden, normWeight, rows, weight, numRows, outFeatures, inFeatures, kSplit, eps);
}

// RMSNorm, gate | up in one pass over the stacked weight, SiLU-and-mul, bf16 out (down_proj's input).
// dynamic shared memory: numRows * inFeatures * 2 bytes
extern "C" __global__ void gemv_norm_silu_bf16(
        __nv_bfloat16* __restrict__ act,            // [numRows, intermediateSize] written
        const float* __restrict__ hidden,           // [numRows, inFeatures] residual stream
        const float* __restrict__ normWeight,       // [inFeatures]
        const __nv_bfloat16* __restrict__ gateUp,   // [2 * intermediateSize, inFeatures]: gate rows, then up rows
        int numRows, int intermediateSize, int inFeatures, int kSplit, float eps) {
    gemv<SILU_MUL_BF16, true>(act, nullptr, hidden, normWeight, nullptr, gateUp, numRows, intermediateSize, inFeatures, kSplit, eps);
}
