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
#include "RopeStore.cuh"

#define THREADS 256
#define WARPS 8
#define UNROLL 8        // 16-byte weight loads in flight per lane (per row)
#define MAX_ATTENTION_SPLITS 16 // PagedAttention.MAX_SPLITS

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

// A grid barrier in two halves, so that a block can issue loads that need nothing from the others
// (the next stage's first weights) between arriving and waiting. arrivals counts up through the
// launch (target: the count this block waits for, gridDim.x more at each barrier): arriving is one
// release-add (__syncthreads first, so the whole block's writes are ordered before it, as CUTLASS's
// semaphore does), waiting one polled acquire-load. The last block to leave zeroes it (leaveGrid).
__device__ __forceinline__ void gridArrive(unsigned* arrivals, unsigned& target) {
    __syncthreads();
    if (threadIdx.x == 0) {
        target += gridDim.x;
        asm volatile("red.release.gpu.global.add.u32 [%0], 1;" :: "l"(arrivals) : "memory");
    }
}

// What any block wrote before its gridArrive is visible after this.
__device__ __forceinline__ void gridWait(const unsigned* arrivals, unsigned target) {
    if (threadIdx.x == 0) {
        unsigned now;
        do {
            asm volatile("ld.acquire.gpu.global.u32 %0, [%1];" : "=r"(now) : "l"(arrivals) : "memory");
        } while (now < target);
    }
    __syncthreads();
}

// At the end of the kernel: the last block out zeroes the barrier for the next launch (every block
// has passed every barrier by then, and the next launch reads it only after this one has finished).
__device__ __forceinline__ void leaveGrid(unsigned* arrivals, unsigned* exits) {
    __syncthreads();
    if (threadIdx.x == 0 && atomicAdd(exits, 1u) == gridDim.x - 1) {
        atomicExch(arrivals, 0u);
        atomicExch(exits, 0u);
    }
}

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

// One round of a warp's weight loads (UNROLL per lane and row), from chunk c0 on; zeros past the row.
template <bool TWO>
__device__ __forceinline__ void loadRound(uint4 (&wv)[UNROLL], uint4 (&uv)[UNROLL], const uint4* w, const uint4* u, bool active,
                                          int c0, int stride, int chunks) {
    #pragma unroll
    for (int i = 0; i < UNROLL; i++) {
        int c = c0 + i * stride;
        bool ok = active && c < chunks;
        wv[i] = ok ? __ldg(w + c) : make_uint4(0, 0, 0, 0);
        if (TWO) uv[i] = ok ? __ldg(u + c) : make_uint4(0, 0, 0, 0);
    }
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
    loadRound<EPILOGUE != LINEAR_ADD>(wv, uv, reinterpret_cast<const uint4*>(weight + row0 * inFeatures),
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
            if (!preloaded) loadRound<TWO>(wv, uv, w, u, active, c0, stride, chunks); // every load in flight before any is used
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
        // 1. qkv: normed = RMSNorm(hidden); q, k, v = normed · Wqkvᵀ + bias; RoPE; q → query, K/V → cache.
        loadNormalized(xs, hidden, w.inputLayernorm, hiddenSize, eps);
        linearStage<LINEAR_ROPE>(wv, uv, xs, w.qkv, pairs, hiddenSize, nullptr, nullptr, rope);
        note(profile, 5 * numLayers + 1 + 5 * layer + 0); // block 0's own work done
        gridArrive(arrivals, target);
        gridWait(arrivals, target);
        note(profile, 1 + 5 * layer);
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
        note(profile, 5 * numLayers + 1 + 5 * layer + 1); // block 0's own work done
        gridArrive(arrivals, target);
        firstLoads<LINEAR_ADD>(wv, uv, w.oProj, hiddenSize, qSize, rope);
        gridWait(arrivals, target);
        note(profile, 2 + 5 * layer);
        // 3. hidden += attnOut · Woᵀ
        loadBf16(xs, attnOut, qSize);
        linearStage<LINEAR_ADD>(wv, uv, xs, w.oProj, hiddenSize, qSize, hidden, nullptr, rope);
        note(profile, 5 * numLayers + 1 + 5 * layer + 2); // block 0's own work done
        gridArrive(arrivals, target);
        firstLoads<LINEAR_SILU>(wv, uv, w.gateUp, intermediateSize, hiddenSize, rope);
        gridWait(arrivals, target);
        note(profile, 3 + 5 * layer);
        // 4. normed = RMSNorm(hidden); act = silu(normed · Wgᵀ) * (normed · Wuᵀ)
        loadNormalized(xs, hidden, w.postAttentionLayernorm, hiddenSize, eps);
        linearStage<LINEAR_SILU>(wv, uv, xs, w.gateUp, intermediateSize, hiddenSize, nullptr, act, rope);
        note(profile, 5 * numLayers + 1 + 5 * layer + 3); // block 0's own work done
        gridArrive(arrivals, target);
        firstLoads<LINEAR_ADD>(wv, uv, w.downProj, hiddenSize, intermediateSize, rope);
        gridWait(arrivals, target);
        note(profile, 4 + 5 * layer);
        // 5. hidden += act · Wdᵀ
        loadBf16(xs, act, intermediateSize);
        linearStage<LINEAR_ADD>(wv, uv, xs, w.downProj, hiddenSize, intermediateSize, hidden, nullptr, rope);
        if (last) break; // after the last layer the kernel's end is the barrier
        note(profile, 5 * numLayers + 1 + 5 * layer + 4); // block 0's own work done
        gridArrive(arrivals, target);
        firstLoads<LINEAR_ROPE>(wv, uv, layers[layer + 1].qkv, pairs, hiddenSize, rope);
        gridWait(arrivals, target);
        note(profile, 5 + 5 * layer);
    }
    note(profile, 5 * numLayers);
    leaveGrid(arrivals, exits);
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
        gridArrive(counters, target);
        gridWait(counters, target);
    }
    leaveGrid(counters, counters + 1);
}
