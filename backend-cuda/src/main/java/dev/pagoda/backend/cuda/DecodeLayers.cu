// Every decoder layer of a one-sequence decode step in one persistent kernel, launched by
// DecodeLayers.java where PersistentDecode picks it (by default for large layers: Llama-3-8B).
// CudaForwardPass.enqueueFused is its specification and oracle: the same five steps a layer (qkv +
// RoPE, attention, o_proj + residual, gate_up + SiLU, down + residual), the same roundings, the same
// weights; here they are stages of one kernel instead of five kernels.
//
// Why. At batch 1 a decode step is weight streaming, and as five kernels a layer each kernel's ramp-up,
// tail and the gap to the next cost time besides its loads. Here one grid (two blocks per
// multiprocessor) stays resident for the whole stack, a grid barrier replaces each kernel boundary,
// and between arriving at a barrier and waiting at it every block issues the next stage's first round
// of weight loads (they need nothing from the others), so they are in flight while it waits.
// Measured on an H100 (docs/benchmarks-cuda.md, "A persistent decode kernel"): 5.74 instead of 6.08 ms
// a token for Llama-3-8B (92 % of the copy-kernel bound), but 0.85 instead of 0.78 ms for
// Qwen2.5-0.5B: a stage costs at least ~3–5 µs here (barrier 1.4 µs, the inputs read back from L2,
// the slowest block), about what a kernel boundary with programmatic dependent launch costs.
// Prefetching the next stage's weights into L2 (cp.async.bulk.prefetch.L2) was tried and was slower.
//
// Stages of layer L (a grid barrier after each; the next stage needs all of the previous one):
//   1. qkv:       xs = RMSNorm(hidden) (every block, into shared memory); pairs of q | k | v rows
//                 → bias, RoPE → query, and K/V into this token's cache slot (RopeStore.cuh)
//   2. attention: decodeAttention (PagedAttentionDecode.cuh) over (kvHead, queryGroup, split) items,
//                 the context cut so that an item is one round of its loop (chosen here from seqLens,
//                 so one graph serves every length); the block finishing a group's last split
//                 combines the splits (combineIfLastSplit)
//   3. o_proj:    xs = attnOut; hidden += xs · Woᵀ
//   4. gate_up:   xs = RMSNorm(hidden); act = silu(xs · Wgᵀ) * (xs · Wuᵀ)
//   5. down:      xs = act; hidden += xs · Wdᵀ
// Each linear stage hands out its units (output features, or row pairs) to warps across the grid:
// kSplit warps of one block per unit (a power of two up to 8, so that every warp of the grid has
// work), each taking every kSplit-th 512-byte stretch of the rows, summed through shared memory.
//
// Memory model. Data written during the kernel (hidden, query, the new K/V, attnOut, partials, act)
// is read with ld.global.cg (L2; L1 is not coherent between multiprocessors) and never through the
// read-only path; weights, the batch and the block tables do not change while it runs (__ldg).
// gridArrive releases each block's writes (__syncthreads, then a release-add by thread 0);
// gridWait acquires everyone's (ld.acquire.gpu of the arrival count).
//
// Residency: the host launches at most as many blocks as fit on the GPU at once (occupancy query),
// so every block reaches every barrier; with programmatic dependent launch, the kernel before this one
// only has to finish, and the kernel after it is let in only once every block of this one runs.
#include "PagedAttentionDecode.cuh"
#include "GridBarrier.cuh"
#include "DecodeLayersLinear.cuh" // THREADS, WARPS, loadNormalized, loadBf16, firstLoads, linearStage

#define MAX_ATTENTION_SPLITS 16 // PagedAttention.MAX_SPLITS

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

// After one split of a query-head group: the block that finishes the group's last split combines the
// splits into attnOut, as paged_attention_reduce does (out = Σ_z w_z · tmpOut_z / Σ_z w_z, w_z =
// expSums_z · e^(maxLogits_z − max)). splitsDone[group] counts finished splits; the last resets it.
template <int QPB>
__device__ __forceinline__ void combineIfLastSplit(unsigned* splitsDone, int group, int head0, __nv_bfloat16* attnOut,
                                                   const float* tmpOut, const float* maxLogits, const float* expSums,
                                                   int headSize, int numSplits) {
    __shared__ bool last;
    __shared__ float weights[QPB][MAX_ATTENTION_SPLITS + 1]; // [head][split], then their sum
    __syncthreads(); // every thread's partial outputs are written
    if (threadIdx.x == 0) {
        __threadfence(); // release them before counting this split as done
        last = atomicAdd(splitsDone + group, 1u) == (unsigned) numSplits - 1;
        if (last) atomicExch(splitsDone + group, 0u);
        __threadfence(); // acquire the other splits' outputs
    }
    __syncthreads();
    if (!last) return;
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    if (warp < QPB) { // warp i: head head0 + i, lane z: splits z, z + 32
        long long row = (long long) (head0 + warp) * numSplits;
        float globalMax = -INFINITY;
        for (int z = lane; z < numSplits; z += 32) globalMax = fmaxf(globalMax, __ldcg(maxLogits + row + z));
        globalMax = pagoda::warpMax(globalMax);
        float sum = 0.0f;
        for (int z = lane; z < numSplits; z += 32) {
            float w = pagoda::splitWeight(__ldcg(expSums + row + z), __ldcg(maxLogits + row + z), globalMax);
            weights[warp][z] = w;
            sum += w;
        }
        sum = pagoda::warpSum(sum);
        if (lane == 0) weights[warp][numSplits] = sum;
    }
    __syncthreads();
    for (int i = threadIdx.x; i < QPB * headSize; i += THREADS) {
        int q = i / headSize, d = i % headSize;
        long long row = (long long) (head0 + q) * numSplits;
        float o = 0.0f;
        #pragma unroll 8
        for (int z = 0; z < numSplits; z++) { // unrolled: eight loads in flight, not one
            if (weights[q][z] != 0.0f) o += weights[q][z] * __ldcg(tmpOut + (row + z) * headSize + d);
        }
        attnOut[(long long) (head0 + q) * headSize + d] = __float2bfloat16(o / weights[q][numSplits]);
    }
}

// Block 0 notes the time (ns) at each stage boundary when profiling (DecodeLayers.java reads it).
__device__ __forceinline__ void note(unsigned long long* profile, int at) {
    if (profile == nullptr || blockIdx.x != 0 || threadIdx.x != 0) return;
    unsigned long long t;
    asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(t));
    profile[at] = t;
}

template <int QPB>
__device__ __forceinline__ void decodeLayers(
        const LayerPointers* __restrict__ layers, int numLayers, float* hidden, float* query, __nv_bfloat16* attnOut,
        float* partials, __nv_bfloat16* act, const float* __restrict__ invFreq, const int* __restrict__ positions,
        const int* __restrict__ slotMapping, const int* __restrict__ seqLens, const int* __restrict__ blockTables, unsigned* counters,
        unsigned long long* profile,
        int hiddenSize, int intermediateSize, int numHeads, int numKvHeads, int headSize, int blockSize, int maxNumBlocksPerSeq,
        int maxSplits, float eps, float scale) {
    extern __shared__ uint4 dynamicShared[]; // xs; in the attention stage decodeAttention's partial sums
    __nv_bfloat16* xs = reinterpret_cast<__nv_bfloat16*>(dynamicShared);
    unsigned* arrivals = counters, *exits = counters + 1; // gridBarrier's, leaveGrid's
    unsigned target = 0;                     // thread 0: arrivals the next barrier waits for
    unsigned* splitsDone = counters + 32;    // [numHeads / QPB] combineIfLastSplit's, a cache line further
    int qSize = numHeads * headSize;
    // Attention splits: as many as make each item one round of decodeAttention's loop (8 warps × 32 / (headSize / 8)
    // groups × 4 positions), at most maxSplits. Chosen here from the context, so one CUDA graph serves every length.
    int positionsPerRound = DECODE_WARPS * (32 / (headSize / 8)) * 4;
    int numSplits = min(maxSplits, max(1, (__ldg(seqLens) + positionsPerRound - 1) / positionsPerRound));
    float* tmpOut = partials;                                       // [numHeads, numSplits, headSize]
    float* maxLogits = tmpOut + (long long) numHeads * numSplits * headSize; // [numHeads, numSplits]
    float* expSums = maxLogits + numHeads * numSplits;              // [numHeads, numSplits]
    int pairs = (numHeads + 2 * numKvHeads) * headSize / 2;
    int queryGroupsPerKv = numHeads / numKvHeads / QPB;
    int attentionItems = numKvHeads * queryGroupsPerKv * numSplits;
    uint4 wv[UNROLL], uv[UNROLL]; // the next linear stage's first loads (firstLoads)
    pagoda::Rope rope{layers[0].qkvBias, invFreq, positions, slotMapping, query, layers[0].keyCache, layers[0].valueCache,
                      numHeads, numKvHeads, headSize};

    // The first layer's weights need nothing from the kernel before this one.
    firstLoads<LINEAR_ROPE>(wv, uv, layers[0].qkv, pairs, hiddenSize, rope);
    pagoda::allowNextKernel();
    pagoda::waitForPriorKernels(); // Common.cuh: the embedding in hidden
    note(profile, 0);

    for (int layer = 0; layer < numLayers; layer++) {
        const LayerPointers& w = layers[layer];
        bool last = layer + 1 == numLayers;
        rope.qkvBias = w.qkvBias;
        rope.keyCache = w.keyCache;
        rope.valueCache = w.valueCache;
        // The end of stage `stage` (0–4) of this layer: arrive, issue the next stage's first weight loads
        // (they need nothing from the other blocks), wait; block 0 notes its own work's end and the barrier's.
        auto endStage = [&](int stage, auto issueNextLoads) {
            note(profile, 5 * numLayers + 1 + 5 * layer + stage);
            pagoda::gridArrive(arrivals, target);
            issueNextLoads();
            pagoda::gridWait(arrivals, target);
            note(profile, 1 + stage + 5 * layer);
        };
        // 1. qkv: normed = RMSNorm(hidden); q, k, v = normed · Wqkvᵀ + bias; RoPE; q → query, K/V → cache.
        loadNormalized(xs, hidden, w.inputLayernorm, hiddenSize, eps);
        linearStage<LINEAR_ROPE>(wv, uv, xs, w.qkv, pairs, hiddenSize, nullptr, nullptr, rope);
        endStage(0, [] {}); // attention has no weights to load ahead
        // 2. attention over the paged KV cache.   attnOut: [numHeads, headSize]
        for (int item = blockIdx.x; item < attentionItems; item += gridDim.x) {
            pagoda::decodeAttention<QPB, 4, true>(item, 0, attnOut, tmpOut, maxLogits, expSums, query, w.keyCache, w.valueCache,
                    seqLens, blockTables, maxNumBlocksPerSeq, numHeads, numKvHeads, headSize, blockSize, numSplits, scale);
            if (numSplits > 1) {
                int group = item / numSplits, head0 = (group / queryGroupsPerKv) * (numHeads / numKvHeads) + (group % queryGroupsPerKv) * QPB;
                combineIfLastSplit<QPB>(splitsDone, group, head0, attnOut, tmpOut, maxLogits, expSums, headSize, numSplits);
            }
            __syncthreads(); // its shared memory is reused by the next item
        }
        endStage(1, [&] { firstLoads<LINEAR_ADD>(wv, uv, w.oProj, hiddenSize, qSize, rope); });
        // 3. hidden += attnOut · Woᵀ
        loadBf16(xs, attnOut, qSize);
        linearStage<LINEAR_ADD>(wv, uv, xs, w.oProj, hiddenSize, qSize, hidden, nullptr, rope);
        endStage(2, [&] { firstLoads<LINEAR_SILU>(wv, uv, w.gateUp, intermediateSize, hiddenSize, rope); });
        // 4. normed = RMSNorm(hidden); act = silu(normed · Wgᵀ) * (normed · Wuᵀ)
        loadNormalized(xs, hidden, w.postAttentionLayernorm, hiddenSize, eps);
        linearStage<LINEAR_SILU>(wv, uv, xs, w.gateUp, intermediateSize, hiddenSize, nullptr, act, rope);
        endStage(3, [&] { firstLoads<LINEAR_ADD>(wv, uv, w.downProj, hiddenSize, intermediateSize, rope); });
        // 5. hidden += act · Wdᵀ
        loadBf16(xs, act, intermediateSize);
        linearStage<LINEAR_ADD>(wv, uv, xs, w.downProj, hiddenSize, intermediateSize, hidden, nullptr, rope);
        if (last) break; // after the last layer the kernel's end is the barrier
        endStage(4, [&] { firstLoads<LINEAR_ROPE>(wv, uv, layers[layer + 1].qkv, pairs, hiddenSize, rope); });
    }
    note(profile, 5 * numLayers);
    pagoda::leaveGrid(arrivals, exits);
}

} // namespace

// decode_layers_q<QPB>: QPB query heads per attention item, the largest divisor of the GQA group size up
// to 2 (DecodeLayers.java; at 3 or 4 the registers of two blocks per multiprocessor spill).
// grid: (numBlocks) with every block resident at once (DecodeLayers.java), block: 256 threads,
// dynamic shared memory: max(maxIn * 2, 8 * QPB * headSize * 4) bytes,
// maxIn = max(hiddenSize, intermediateSize, numHeads * headSize). One sequence, one new token.
#define DECODE_LAYERS_KERNEL(QPB_VALUE)                                                                            \
extern "C" __global__ void __launch_bounds__(THREADS, 2) decode_layers_q##QPB_VALUE(                               \
        const LayerPointers* __restrict__ layers, /* [numLayers] */                                                \
        int numLayers,                                                                                             \
        float* hidden,                            /* [hiddenSize] the residual stream: embedding in, last layer out */ \
        float* query,                             /* [numHeads, headSize] */                                       \
        __nv_bfloat16* attnOut,                   /* [numHeads, headSize] */                                       \
        float* partials,                          /* [numHeads, maxSplits, headSize + 2] */                        \
        __nv_bfloat16* act,                       /* [intermediateSize] */                                         \
        const float* __restrict__ invFreq,        /* [headSize / 2] */                                             \
        const int* __restrict__ positions,        /* [1] */                                                        \
        const int* __restrict__ slotMapping,      /* [1] the new token's cache slot; < 0: do not store */          \
        const int* __restrict__ seqLens,          /* [1] tokens in the cache, this one included */                 \
        const int* __restrict__ blockTables,      /* [1, maxNumBlocksPerSeq] */                                    \
        unsigned* counters,                       /* [32 + numHeads] barrier, exits, splits done; zeroed once */   \
        unsigned long long* profile,              /* [10 * numLayers + 1] stage boundaries, then block 0's work ends (ns), or null */ \
        int hiddenSize, int intermediateSize, int numHeads, int numKvHeads, int headSize, int blockSize,          \
        int maxNumBlocksPerSeq, int maxSplits, float eps, float scale) {                                           \
    decodeLayers<QPB_VALUE>(layers, numLayers, hidden, query, attnOut, partials, act, invFreq, positions, slotMapping, \
            seqLens, blockTables, counters, profile, hiddenSize, intermediateSize, numHeads, numKvHeads, \
            headSize, blockSize, maxNumBlocksPerSeq, maxSplits, eps, scale);                                                \
}
DECODE_LAYERS_KERNEL(1)
DECODE_LAYERS_KERNEL(2)

// rounds grid barriers back to back, nothing else: what one costs (DecodeLayers.barrierMicros).
extern "C" __global__ void grid_barrier_bench(unsigned* counters, int rounds) {
    unsigned target = 0;
    for (int r = 0; r < rounds; r++) {
        pagoda::gridArrive(counters, target);
        pagoda::gridWait(counters, target);
    }
    pagoda::leaveGrid(counters, counters + 1);
}
