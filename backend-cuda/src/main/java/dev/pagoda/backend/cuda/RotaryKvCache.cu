// The step between the fused q/k/v projection and attention, launched by RotaryKvCache.java, one
// block per (token, head) of q, k and v:
//   1. + bias                          (Qwen2: attention_bias)
//   2. per-head RMSNorm of q and k     (Qwen3: q_norm / k_norm)
//   3. RoPE on q and k, "rotate half"  (angle = invFreq[i] * position in fp32, as transformers;
//                                       llama3 scaling is already in invFreq, see RotaryEmbedding.java)
//   4. q → query; k, v → their cache slot (slotMapping), bf16
// The same steps as backend-cpu's LlamaForwardPass 3a–3d.
#include "Common.cuh"

// grid: (numTokens, numHeads + 2 * numKvHeads), block: any multiple of 32
// dynamic shared memory: headSize floats
extern "C" __global__ void qkv_rope_cache(
        const float* __restrict__ qkv,         // [numTokens, (numHeads + 2 * numKvHeads) * headSize]: q | k | v of each row
        const float* __restrict__ qkvBias,     // [(numHeads + 2 * numKvHeads) * headSize], or null
        const float* __restrict__ qNorm,       // [headSize], or null
        const float* __restrict__ kNorm,       // [headSize], or null (null exactly when qNorm is)
        const float* __restrict__ invFreq,     // [headSize / 2]
        const int* __restrict__ positions,     // [numTokens]
        const int* __restrict__ slotMapping,   // [numTokens] cache slot of each token; < 0: do not store
        float* __restrict__ query,             // [numTokens, numHeads, headSize] written
        __nv_bfloat16* __restrict__ keyCache,  // [numBlocks, blockSize, numKvHeads, headSize] one layer's
        __nv_bfloat16* __restrict__ valueCache,// [numBlocks, blockSize, numKvHeads, headSize]
        int numHeads,
        int numKvHeads,
        int headSize,
        float eps) {
    pagoda::allowNextKernel();
    pagoda::waitForPriorKernels(); // before any read of an earlier kernel's output (Common.cuh)
    extern __shared__ float x[]; // [headSize] this head's vector
    __shared__ float scratch[32];
    int t = blockIdx.x, h = blockIdx.y; // h: q heads first, then k heads, then v heads
    int width = (numHeads + 2 * numKvHeads) * headSize;
    const float* src = qkv + (long long) t * width + h * headSize;
    for (int i = threadIdx.x; i < headSize; i += blockDim.x) {
        x[i] = src[i] + (qkvBias == nullptr ? 0.0f : qkvBias[h * headSize + i]);
    }
    bool isQuery = h < numHeads, isKey = !isQuery && h < numHeads + numKvHeads;
    const float* norm = isQuery ? qNorm : (isKey ? kNorm : nullptr);
    if (norm != nullptr) {
        float sumOfSquares = 0.0f;
        for (int i = threadIdx.x; i < headSize; i += blockDim.x) sumOfSquares += x[i] * x[i];
        sumOfSquares = pagoda::blockSum(sumOfSquares, scratch); // its barriers also publish x
        float inverseRms = 1.0f / sqrtf(sumOfSquares / headSize + eps);
        for (int i = threadIdx.x; i < headSize; i += blockDim.x) x[i] = norm[i] * (x[i] * inverseRms);
    }
    __syncthreads();
    int half = headSize / 2;
    if (isQuery || isKey) {
        int position = positions[t];
        for (int i = threadIdx.x; i < half; i += blockDim.x) {
            float angle = invFreq[i] * (float) position;
            float c = cosf(angle), s = sinf(angle);
            float a = x[i], b = x[i + half];
            x[i] = a * c - b * s;
            x[i + half] = b * c + a * s;
        }
        __syncthreads();
    }
    if (isQuery) {
        float* dst = query + ((long long) t * numHeads + h) * headSize;
        for (int i = threadIdx.x; i < headSize; i += blockDim.x) dst[i] = x[i];
        return;
    }
    // region: cuda-cache-write
    int slot = slotMapping[t];
    if (slot < 0) return;
    int kvHead = isKey ? h - numHeads : h - numHeads - numKvHeads;
    __nv_bfloat16* dst = (isKey ? keyCache : valueCache) + ((long long) slot * numKvHeads + kvHead) * headSize;
    // endregion
    for (int i = threadIdx.x; i < headSize; i += blockDim.x) dst[i] = __float2bfloat16(x[i]);
}
