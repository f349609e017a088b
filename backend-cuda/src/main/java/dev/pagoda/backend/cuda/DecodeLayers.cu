// Every decoder layer of a batch-1 decode step in one persistent kernel, launched by DecodeLayers.java.
// CudaForwardPass.enqueueFused is its specification and oracle: the same five steps a layer (qkv +
// RoPE, attention, o_proj + residual, gate_up + SiLU, down + residual), the same roundings, the same
// weights; here they are stages of one kernel instead of five kernels.
//
// Why. At batch 1 a decode step is weight streaming: ~30 MB a layer for Qwen2.5-0.5B, 10.5 µs at the
// H100's bandwidth. As five kernels it takes ~29 µs: each kernel is so short that its ramp-up, its
// tail and the gap to the next one cost as much as its loads. Here one grid of at most two blocks per
// multiprocessor stays resident for the whole stack, and
//   - a grid barrier (gridBarrier) replaces each kernel boundary: ~1 µs instead of launch + drain;
//   - the weights of the stage after next are prefetched into L2 (cp.async.bulk.prefetch.L2) while
//     the current stage runs, so HBM streams through the barriers; each stage reads mostly from L2.
//
// Stages of layer L (one grid barrier after each; the next stage needs all of the previous one):
//   1. qkv:       xs = RMSNorm(hidden) (every block, into shared memory); pairs of q | k | v rows
//                 → bias, RoPE → query, and K/V into this token's cache slot (RopeStore.cuh)
//   2. attention: decodeAttention (PagedAttentionDecode.cuh) over (kvHead, queryGroup, split) items
//   3. o_proj:    xs = attnOut, or the splits combined (as paged_attention_reduce); hidden += xs · Woᵀ
//   4. gate_up:   xs = RMSNorm(hidden); act = silu(xs · Wgᵀ) * (xs · Wuᵀ)
//   5. down:      xs = act; hidden += xs · Wdᵀ
// Each linear stage hands out its units (output features, or row pairs) to warps across the grid:
// kSplit warps of one block per unit (a power of two up to 8, so that every warp of the grid has
// work), each taking every kSplit-th 512-byte stretch of the rows, summed through shared memory.
//
// Memory model. Data written during the kernel (hidden, query, the new K/V, attnOut, partials, act)
// is read with ld.global.cg (L2; L1 is not coherent between multiprocessors) and never through the
// read-only path; weights, the batch and the block tables do not change while it runs (__ldg).
// gridBarrier releases each block's writes (__syncthreads, then a gpu-scope fence by thread 0) and
// acquires everyone's (the generation read with ld.acquire.gpu).
//
// Residency: the host launches at most as many blocks as fit on the GPU at once (occupancy query),
// so every block reaches every barrier; with programmatic dependent launch, the kernel before this one
// only has to finish, and the kernel after it is let in only once every block of this one runs.
#include "PagedAttentionDecode.cuh"
#include "RopeStore.cuh"

#define THREADS 256
#define WARPS 8
#define UNROLL 8        // 16-byte weight loads in flight per lane (per row)

#define LINEAR_ROPE 0   // pair n of the q | k | v rows: bias, RoPE, into query or the KV cache
#define LINEAR_ADD 1    // hidden[n] += v (the residual stream)
#define LINEAR_SILU 2   // act[n] = bf16(silu(gate) * up), gate = row n, up = row n + units

namespace {

// One decoder layer's weights and KV cache (DecodeLayers.java writes these nine addresses per layer).
struct LayerPointers {
    const __nv_bfloat16* qkv;          // [(numHeads + 2 * numKvHeads) * headSize, hiddenSize]
    const float* qkvBias;              // [(numHeads + 2 * numKvHeads) * headSize], or null
    const float* inputLayernorm;       // [hiddenSize]
    const __nv_bfloat16* oProj;        // [hiddenSize, numHeads * headSize]
    const float* postAttentionLayernorm; // [hiddenSize]
    const __nv_bfloat16* gateUp;       // [2 * intermediateSize, hiddenSize]: gate rows, then up rows
    const __nv_bfloat16* downProj;     // [hiddenSize, intermediateSize]
    __nv_bfloat16* keyCache;           // [numBlocks, blockSize, numKvHeads, headSize]
    __nv_bfloat16* valueCache;         // [numBlocks, blockSize, numKvHeads, headSize]
};

// Waits until every block of the grid has arrived; what any block wrote before is visible after.
// barrier[0] counts arrivals, barrier[1] is the generation: the last block to arrive resets the count
// and bumps the generation, the others wait for that bump. Self-resetting: zero once, reuse forever.
__device__ __forceinline__ void gridBarrier(unsigned* barrier) {
    __syncthreads();
    if (threadIdx.x == 0) {
        unsigned generation;
        asm volatile("ld.acquire.gpu.global.u32 %0, [%1];" : "=r"(generation) : "l"(barrier + 1) : "memory");
        __threadfence(); // release this block's writes (made visible to thread 0 by __syncthreads)
        if (atomicAdd(barrier, 1u) == gridDim.x - 1) {
            atomicExch(barrier, 0u);
            __threadfence();
            atomicAdd(barrier + 1, 1u);
        } else {
            unsigned now;
            do {
                asm volatile("ld.acquire.gpu.global.u32 %0, [%1];" : "=r"(now) : "l"(barrier + 1) : "memory");
            } while (now == generation);
        }
        __threadfence();
    }
    __syncthreads();
}

// Starts moving this block's share of a weight matrix from HBM into L2 (Hopper's bulk prefetch; a
// hint, no data comes back). bytes: a multiple of 16, like the 16-byte-aligned address.
__device__ __forceinline__ void prefetchToL2(const void* base, long long bytes) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
    constexpr long long PIECE = 16384;
    long long share = ((bytes + gridDim.x - 1) / gridDim.x + 15) & ~15LL;
    long long begin = blockIdx.x * share, end = min(bytes, begin + share);
    const char* p = static_cast<const char*>(base);
    for (long long at = begin + threadIdx.x * PIECE; at < end; at += (long long) THREADS * PIECE) {
        unsigned size = (unsigned) min(PIECE, end - at);
        asm volatile("cp.async.bulk.prefetch.L2.global [%0], %1;" :: "l"(p + at), "r"(size) : "memory");
    }
#endif
}

// xs[i] = bf16(normWeight[i] * (hidden[i] * inverseRms)), as Gemv.cu's NORM path and RmsNorm.cu round it.
__device__ __forceinline__ void loadNormalized(__nv_bfloat16* xs, const float* hidden, const float* normWeight, int size, float eps) {
    __shared__ float scratch[32];
    const float4* h4 = reinterpret_cast<const float4*>(hidden);
    float sumOfSquares = 0.0f;
    for (int i = threadIdx.x; i < size / 4; i += THREADS) {
        float4 v = __ldcg(h4 + i);
        sumOfSquares += v.x * v.x + v.y * v.y + v.z * v.z + v.w * v.w;
    }
    float inverseRms = 1.0f / sqrtf(pagoda::blockSum(sumOfSquares, scratch) / size + eps);
    for (int i = threadIdx.x; i < size; i += THREADS) {
        xs[i] = __float2bfloat16(__ldg(normWeight + i) * (__ldcg(hidden + i) * inverseRms));
    }
    __syncthreads();
}

// xs = src, size bf16 values (size % 8 == 0).
__device__ __forceinline__ void loadBf16(__nv_bfloat16* xs, const __nv_bfloat16* src, int size) {
    for (int i = threadIdx.x; i < size / 8; i += THREADS) reinterpret_cast<uint4*>(xs)[i] = __ldcg(reinterpret_cast<const uint4*>(src) + i);
    __syncthreads();
}

// xs = the attention output from its splits, as paged_attention_reduce combines them:
// out = Σ_z w_z · tmpOut_z / Σ_z w_z, w_z = expSums_z · e^(maxLogits_z − max). weights: [numHeads, numSplits + 1] shared floats.
__device__ __forceinline__ void loadCombinedSplits(__nv_bfloat16* xs, float* weights, const float* tmpOut, const float* maxLogits,
                                                   const float* expSums, int numHeads, int headSize, int numSplits) {
    for (int head = threadIdx.x; head < numHeads; head += THREADS) {
        float globalMax = -INFINITY;
        for (int z = 0; z < numSplits; z++) globalMax = fmaxf(globalMax, __ldcg(maxLogits + head * numSplits + z));
        float weightSum = 0.0f;
        for (int z = 0; z < numSplits; z++) {
            float w = pagoda::splitWeight(__ldcg(expSums + head * numSplits + z), __ldcg(maxLogits + head * numSplits + z), globalMax);
            weights[head * (numSplits + 1) + z] = w;
            weightSum += w;
        }
        weights[head * (numSplits + 1) + numSplits] = weightSum;
    }
    __syncthreads();
    for (int i = threadIdx.x; i < numHeads * headSize; i += THREADS) {
        int head = i / headSize, d = i % headSize;
        const float* w = weights + head * (numSplits + 1);
        float o = 0.0f;
        for (int z = 0; z < numSplits; z++) {
            if (w[z] != 0.0f) o += w[z] * __ldcg(tmpOut + ((long long) head * numSplits + z) * headSize + d);
        }
        xs[i] = __float2bfloat16(o / w[numSplits]);
    }
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

// One linear stage: every unit of xs · weightᵀ over the whole grid, then the epilogue.
//   LINEAR_ROPE: units = (numHeads + 2 * numKvHeads) * headSize / 2 rotary pairs; LINEAR_ADD: units =
//   out features, into hidden; LINEAR_SILU: units = intermediateSize gate/up pairs, into act.
template <int EPILOGUE>
__device__ __forceinline__ void linearStage(
        const __nv_bfloat16* xs,            // [inFeatures] shared memory
        const __nv_bfloat16* weight,        // [units (×2 for SILU), inFeatures]; ROPE: [qkvWidth, inFeatures]
        int units, int inFeatures,
        float* hidden,                      // ADD: [units] += ·
        __nv_bfloat16* act,                 // SILU: [units] written
        const pagoda::Rope& rope) {         // ROPE
    constexpr bool TWO = EPILOGUE != LINEAR_ADD;
    __shared__ float partial[2][WARPS];
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    int totalWarps = gridDim.x * WARPS;
    int kSplit = 1;
    while (kSplit < WARPS && (long long) units * kSplit * 2 <= totalWarps) kSplit *= 2;
    int unitsPerBlock = WARPS / kSplit, slice = warp % kSplit;
    int numItems = (units + unitsPerBlock - 1) / unitsPerBlock;
    int chunks = inFeatures / 8, stride = 32 * kSplit;
    const uint4* x4 = reinterpret_cast<const uint4*>(xs);

    for (int item = blockIdx.x; item < numItems; item += gridDim.x) {
        int n = item * unitsPerBlock + warp / kSplit;
        bool active = n < units;
        long long row0 = active ? n : 0, row1 = 0;
        if (EPILOGUE == LINEAR_SILU) row1 = row0 + units;
        if (EPILOGUE == LINEAR_ROPE && active) pagoda::ropePairRows(rope, n, row0, row1);
        const uint4* w = reinterpret_cast<const uint4*>(weight + row0 * inFeatures);
        const uint4* u = reinterpret_cast<const uint4*>(weight + row1 * inFeatures);
        float a = 0.0f, b = 0.0f;
        for (int c0 = slice * 32 + lane; c0 < chunks; c0 += UNROLL * stride) {
            uint4 wv[UNROLL], uv[UNROLL];
            #pragma unroll
            for (int i = 0; i < UNROLL; i++) { // every load of the round in flight before any is used
                int c = c0 + i * stride;
                bool ok = active && c < chunks;
                wv[i] = ok ? __ldg(w + c) : make_uint4(0, 0, 0, 0);
                if (TWO) uv[i] = ok ? __ldg(u + c) : make_uint4(0, 0, 0, 0);
            }
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
        if (!active || slice != 0 || lane != 0) continue;
        if (EPILOGUE == LINEAR_ADD) {
            hidden[n] = __ldcg(hidden + n) + a;
        } else if (EPILOGUE == LINEAR_SILU) {
            float silu = a / (1.0f + expf(-a));
            act[n] = __float2bfloat16(silu * b);
        } else {
            pagoda::storeRopePair(rope, 0, n, a, b);
        }
    }
}

template <int QPB>
__device__ __forceinline__ void decodeLayers(
        const LayerPointers* __restrict__ layers, int numLayers, float* hidden, float* query, __nv_bfloat16* attnOut,
        float* partials, __nv_bfloat16* act, const float* __restrict__ invFreq, const int* __restrict__ positions,
        const int* __restrict__ slotMapping, const int* __restrict__ seqLens, const int* __restrict__ blockTables, unsigned* barrier,
        int hiddenSize, int intermediateSize, int numHeads, int numKvHeads, int headSize, int blockSize, int maxNumBlocksPerSeq,
        int numSplits, float eps, float scale) {
    extern __shared__ uint4 dynamicShared[]; // xs, then the split weights; in the attention stage decodeAttention's partial sums
    __nv_bfloat16* xs = reinterpret_cast<__nv_bfloat16*>(dynamicShared);
    int qSize = numHeads * headSize, maxIn = max(max(hiddenSize, intermediateSize), qSize);
    float* splitWeights = reinterpret_cast<float*>(xs + maxIn);
    float* tmpOut = partials;                                       // [numHeads, numSplits, headSize]
    float* maxLogits = tmpOut + (long long) numHeads * numSplits * headSize; // [numHeads, numSplits]
    float* expSums = maxLogits + numHeads * numSplits;              // [numHeads, numSplits]
    int pairs = (numHeads + 2 * numKvHeads) * headSize / 2;
    long long qkvBytes = 2LL * pairs * hiddenSize * 2, oBytes = (long long) hiddenSize * qSize * 2;
    long long gateUpBytes = 4LL * intermediateSize * hiddenSize, downBytes = 2LL * hiddenSize * intermediateSize;
    int attentionItems = numKvHeads * (numHeads / numKvHeads / QPB) * numSplits;

    // The first layer's weights need nothing from the kernel before this one.
    prefetchToL2(layers[0].qkv, qkvBytes);
    prefetchToL2(layers[0].oProj, oBytes);
    pagoda::allowNextKernel();
    pagoda::waitForPriorKernels(); // Common.cuh: the embedding in hidden

    for (int layer = 0; layer < numLayers; layer++) {
        const LayerPointers& w = layers[layer];
        bool last = layer + 1 == numLayers;
        // 1. qkv: normed = RMSNorm(hidden); q, k, v = normed · Wqkvᵀ + bias; RoPE; q → query, K/V → cache.
        prefetchToL2(w.gateUp, gateUpBytes);
        loadNormalized(xs, hidden, w.inputLayernorm, hiddenSize, eps);
        pagoda::Rope rope{w.qkvBias, invFreq, positions, slotMapping, query, w.keyCache, w.valueCache, numHeads, numKvHeads, headSize};
        linearStage<LINEAR_ROPE>(xs, w.qkv, pairs, hiddenSize, nullptr, nullptr, rope);
        gridBarrier(barrier);
        // 2. attention over the paged KV cache.   attnOut: [numHeads, headSize] (or the splits' partials)
        for (int item = blockIdx.x; item < attentionItems; item += gridDim.x) {
            pagoda::decodeAttention<QPB, 4, true>(item, 0, attnOut, tmpOut, maxLogits, expSums, query, w.keyCache, w.valueCache,
                    seqLens, blockTables, maxNumBlocksPerSeq, numHeads, numKvHeads, headSize, blockSize, numSplits, scale);
            __syncthreads(); // its shared memory is reused by the next item
        }
        gridBarrier(barrier);
        // 3. hidden += attnOut · Woᵀ
        prefetchToL2(w.downProj, downBytes);
        if (numSplits == 1) loadBf16(xs, attnOut, qSize);
        else loadCombinedSplits(xs, splitWeights, tmpOut, maxLogits, expSums, numHeads, headSize, numSplits);
        linearStage<LINEAR_ADD>(xs, w.oProj, hiddenSize, qSize, hidden, nullptr, rope);
        gridBarrier(barrier);
        // 4. normed = RMSNorm(hidden); act = silu(normed · Wgᵀ) * (normed · Wuᵀ)
        if (!last) prefetchToL2(layers[layer + 1].qkv, qkvBytes);
        loadNormalized(xs, hidden, w.postAttentionLayernorm, hiddenSize, eps);
        linearStage<LINEAR_SILU>(xs, w.gateUp, intermediateSize, hiddenSize, nullptr, act, rope);
        gridBarrier(barrier);
        // 5. hidden += act · Wdᵀ
        if (!last) prefetchToL2(layers[layer + 1].oProj, oBytes);
        loadBf16(xs, act, intermediateSize);
        linearStage<LINEAR_ADD>(xs, w.downProj, hiddenSize, intermediateSize, hidden, nullptr, rope);
        if (!last) gridBarrier(barrier); // after the last layer the kernel's end is the barrier
    }
}

} // namespace

// decode_layers_q<QPB>: QPB query heads per attention item, the largest divisor of the GQA group size up
// to 2 (DecodeLayers.java; at 3 or 4 the registers of two blocks per multiprocessor spill).
// grid: (numBlocks) with every block resident at once (DecodeLayers.java), block: 256 threads,
// dynamic shared memory: max(maxIn * 2 + numHeads * (numSplits + 1) * 4, 8 * QPB * headSize * 4) bytes,
// maxIn = max(hiddenSize, intermediateSize, numHeads * headSize). One sequence, one new token.
#define DECODE_LAYERS_KERNEL(QPB_VALUE)                                                                            \
extern "C" __global__ void __launch_bounds__(THREADS, 2) decode_layers_q##QPB_VALUE(                               \
        const LayerPointers* __restrict__ layers, /* [numLayers] */                                                \
        int numLayers,                                                                                             \
        float* hidden,                            /* [hiddenSize] the residual stream: embedding in, last layer out */ \
        float* query,                             /* [numHeads, headSize] */                                       \
        __nv_bfloat16* attnOut,                   /* [numHeads, headSize] (numSplits == 1) */                      \
        float* partials,                          /* [numHeads, numSplits, headSize + 2] (numSplits > 1) */        \
        __nv_bfloat16* act,                       /* [intermediateSize] */                                         \
        const float* __restrict__ invFreq,        /* [headSize / 2] */                                             \
        const int* __restrict__ positions,        /* [1] */                                                        \
        const int* __restrict__ slotMapping,      /* [1] the new token's cache slot; < 0: do not store */          \
        const int* __restrict__ seqLens,          /* [1] tokens in the cache, this one included */                 \
        const int* __restrict__ blockTables,      /* [1, maxNumBlocksPerSeq] */                                    \
        unsigned* barrier,                        /* [2] arrivals, generation (gridBarrier); zeroed once */        \
        int hiddenSize, int intermediateSize, int numHeads, int numKvHeads, int headSize, int blockSize,          \
        int maxNumBlocksPerSeq, int numSplits, float eps, float scale) {                                           \
    decodeLayers<QPB_VALUE>(layers, numLayers, hidden, query, attnOut, partials, act, invFreq, positions, slotMapping, \
            seqLens, blockTables, barrier, hiddenSize, intermediateSize, numHeads, numKvHeads, headSize, blockSize,  \
            maxNumBlocksPerSeq, numSplits, eps, scale);                                                            \
}
DECODE_LAYERS_KERNEL(1)
DECODE_LAYERS_KERNEL(2)
