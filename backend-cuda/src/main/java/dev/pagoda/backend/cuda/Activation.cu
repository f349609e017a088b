// SiLU-and-mul, launched by Activation.java: act = silu(gate) * up, silu(g) = g / (1 + e^-g),
// as backend-cpu's VectorOps.siluAndMul.
#include <cuda_bf16.h>
#include "Common.cuh"

// grid: (numTokens, ceil(intermediateSize / blockDim.x))
extern "C" __global__ void silu_and_mul(
        __nv_bfloat16* __restrict__ act,     // [numTokens, intermediateSize] written, down_proj's input
        const float* __restrict__ gateUp,    // [numTokens, 2 * intermediateSize]: gate | up of each row
        int intermediateSize) {
    pagoda::allowNextKernel();
    pagoda::waitForPriorKernels(); // before any read of an earlier kernel's output (Common.cuh)
    int t = blockIdx.x;
    int i = blockIdx.y * blockDim.x + threadIdx.x;
    if (i >= intermediateSize) return;
    const float* row = gateUp + (long long) t * 2 * intermediateSize;
    float g = row[i];
    float silu = g / (1.0f + expf(-g));
    act[(long long) t * intermediateSize + i] = __float2bfloat16(silu * row[intermediateSize + i]);
}
