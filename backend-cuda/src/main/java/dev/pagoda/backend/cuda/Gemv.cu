// Matrix-vector products for decode, launched by Gemv.java: out = x · weightᵀ for a handful of
// rows of x (M <= MAX_ROWS), bf16 inputs, fp32 accumulation and output. At M = 1 a linear layer is
// pure weight streaming, and cuBLAS's GEMM kernels are not tuned for it; here each warp streams
// one weight row in 16-byte loads and applies it to every row of x.
#include <cuda_bf16.h>
#include "Common.cuh"

#define MAX_ROWS 8
#define UNROLL 4

// grid: (ceil(outFeatures / warpsPerBlock)), block: 256 threads (8 warps), one warp per output feature
// requires inFeatures % 8 == 0 and 16-byte aligned rows (Gemv.java checks)
extern "C" __global__ void gemv_bf16(
        float* __restrict__ out,                    // [numRows, outFeatures] written
        const __nv_bfloat16* __restrict__ x,        // [numRows, inFeatures]
        const __nv_bfloat16* __restrict__ weight,   // [outFeatures, inFeatures] (PyTorch's layout)
        int numRows,                                // <= MAX_ROWS
        int outFeatures,
        int inFeatures) {
    int lane = threadIdx.x & 31;
    int n = blockIdx.x * (blockDim.x >> 5) + (threadIdx.x >> 5);
    if (n >= outFeatures) return;
    const uint4* w = reinterpret_cast<const uint4*>(weight + (long long) n * inFeatures);
    int chunks = inFeatures / 8; // 8 bf16 per 16-byte chunk
    float acc[MAX_ROWS];
    #pragma unroll
    for (int m = 0; m < MAX_ROWS; m++) acc[m] = 0.0f;
    // UNROLL loads in flight per lane before any is used: streaming is bound by memory latency.
    for (int c0 = lane; c0 < chunks; c0 += 32 * UNROLL) {
        uint4 wv[UNROLL];
        #pragma unroll
        for (int u = 0; u < UNROLL; u++) {
            int c = c0 + 32 * u;
            wv[u] = c < chunks ? w[c] : make_uint4(0, 0, 0, 0);
        }
        #pragma unroll
        for (int u = 0; u < UNROLL; u++) {
            int c = c0 + 32 * u;
            if (c >= chunks) break;
            const __nv_bfloat162* w2 = reinterpret_cast<const __nv_bfloat162*>(&wv[u]);
            float2 wf[4];
            #pragma unroll
            for (int i = 0; i < 4; i++) wf[i] = __bfloat1622float2(w2[i]);
            #pragma unroll
            for (int m = 0; m < MAX_ROWS; m++) {
                if (m < numRows) {
                    uint4 xv = reinterpret_cast<const uint4*>(x + (long long) m * inFeatures)[c];
                    const __nv_bfloat162* x2 = reinterpret_cast<const __nv_bfloat162*>(&xv);
                    #pragma unroll
                    for (int i = 0; i < 4; i++) {
                        float2 xf = __bfloat1622float2(x2[i]);
                        acc[m] += wf[i].x * xf.x + wf[i].y * xf.y;
                    }
                }
            }
        }
    }
    #pragma unroll
    for (int m = 0; m < MAX_ROWS; m++) {
        if (m < numRows) {
            float v = pagoda::warpSum(acc[m]);
            if (lane == 0) out[(long long) m * outFeatures + n] = v;
        }
    }
}
