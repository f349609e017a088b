// Embedding gather, launched by Embedding.java: each new token's row of embed_tokens, widened
// from bf16 to the fp32 residual stream.
#include <cuda_bf16.h>
#include "Common.cuh"

// grid: (numTokens), block: any multiple of 32
extern "C" __global__ void embedding_gather(
        float* __restrict__ hidden,                      // [numTokens, hiddenSize] written
        const __nv_bfloat16* __restrict__ embedTokens,   // [vocabSize, hiddenSize]
        const int* __restrict__ tokenIds,                // [numTokens]
        int hiddenSize) {
    pagoda::allowNextKernel();
    pagoda::waitForPriorKernels(); // before any read of an earlier kernel's output (Common.cuh)
    int t = blockIdx.x;
    const __nv_bfloat16* row = embedTokens + (long long) tokenIds[t] * hiddenSize;
    float* dst = hidden + (long long) t * hiddenSize;
    for (int i = threadIdx.x; i < hiddenSize; i += blockDim.x) dst[i] = __bfloat162float(row[i]);
}
