// Decode attention with tensor cores (mma.sync m16n8k16, bf16 in, fp32 out), FlashInfer-style
// "decode with tensor cores": the query heads of one GQA group are the rows (M) of the products, so
// each K/V block is read once for the whole group and the dot products and weighted sums run on the
// tensor cores instead of per-lane FMAs and shuffles (PagedAttentionDecode.cu, its oracle and the
// fallback for head sizes and group sizes this kernel does not take). Same inputs, outputs, split
// ranges and partial results as PagedAttentionDecode.cu; paged_attention_reduce combines the splits.
// The readable specification is backend-cpu's PagedAttention.java.
//
//   Worked example: blockSize 4, block table [7, 2].
//   position 5 → logical block 5 / 4 = 1 → physical block blockTable[1] = 2,
//                offset 5 % 4 = 1 → slot 2 * 4 + 1 = 9.
//
// One block per (kv head, split, sequence), 4 warps; each warp takes tiles of 16 positions (tile T of
// the block's range goes to warp T % 4) and keeps its own online softmax, as PagedAttentionDecode.cu.
// Per tile:
//   1. cp.async copies the 16 keys and 16 values (16-byte chunks, zero past the end) into the warp's
//      shared buffer; two buffers per warp, so the next tile's copy is in flight while this one is
//      used. Chunks are stored XOR-swizzled (chunk c of row r at c ^ (r & 7)) so that ldmatrix's
//      eight row reads hit eight different banks.
//   2. scores [16 rows, 16 positions] = A · Kᵀ, k = headSize. A's rows 0..7 are the group's queries
//      (× scale, rounded to bf16: qHi), rows 8..15 what rounding lost (qLo = q − qHi): score =
//      row g + row g + 8, nearly fp32 precision, and the rows are free (a group has at most 8 heads).
//   3. online softmax per head: the warp's new maximum (over the 4 lanes of a row), earlier sums and
//      outputs rescaled by e^(oldMax − newMax), weights p = e^(s − newMax).
//   4. out [16 rows, headSize] += P · V, k = the 16 positions; P's rows 0..7 are bf16(p), rows 8..15
//      p − bf16(p), so out = row g + row g + 8 again.
// At the end the warps' maxima, sums and outputs are combined through shared memory, once.
//
// mma.m16n8k16 fragments (g = lane / 4, t = lane % 4): A holds (row g | g + 8, k 2t, 2t + 1 | +8);
// B (k 2t, 2t + 1 | +8, column g); C (row g | g + 8, column 2t, 2t + 1).
#include "Common.cuh"

#define MMA_WARPS 4
#define MMA_THREADS (MMA_WARPS * 32)
#define TILE_POSITIONS 16
#define STAGES 2

namespace {

__device__ __forceinline__ unsigned pack(float lo, float hi) {
    __nv_bfloat162 v = __floats2bfloat162_rn(lo, hi); // .x (low 16 bits) = lo
    return *reinterpret_cast<unsigned*>(&v);
}

// d = a · b + d: [16, 16] bf16 × [16, 8] bf16 → [16, 8] fp32
__device__ __forceinline__ void mma(float (&d)[4], const unsigned (&a)[4], unsigned b0, unsigned b1) {
    asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, {%0, %1, %2, %3};\n"
                 : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
                 : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}

__device__ __forceinline__ void ldmatrix4(unsigned (&r)[4], unsigned address) {
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0, %1, %2, %3}, [%4];\n"
                 : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3]) : "r"(address));
}

__device__ __forceinline__ void ldmatrix4Trans(unsigned (&r)[4], unsigned address) {
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0, %1, %2, %3}, [%4];\n"
                 : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3]) : "r"(address));
}

// 16 bytes global → shared; srcBytes 0 writes zeros (positions past the end: no NaN from stale memory).
__device__ __forceinline__ void copyAsync(unsigned dst, const void* src, int srcBytes) {
    asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" :: "r"(dst), "l"(src), "r"(srcBytes));
}

__device__ __forceinline__ void commit() { asm volatile("cp.async.commit_group;\n" ::); }

template <int N>
__device__ __forceinline__ void waitGroups() { asm volatile("cp.async.wait_group %0;\n" :: "n"(N)); }

template <int HEAD_SIZE>
__device__ __forceinline__ void decodeMma(
        __nv_bfloat16* __restrict__ out, float* __restrict__ tmpOut, float* __restrict__ maxLogits, float* __restrict__ expSums,
        const float* __restrict__ query, const __nv_bfloat16* __restrict__ keyCache, const __nv_bfloat16* __restrict__ valueCache,
        const int* __restrict__ seqLens, const int* __restrict__ blockTables, int maxNumBlocksPerSeq,
        int numHeads, int numKvHeads, int blockSize, int numSplits, float scale) {
    constexpr int CHUNKS = HEAD_SIZE / 8;                       // 16-byte chunks per key or value row
    constexpr int TILE_BYTES = TILE_POSITIONS * HEAD_SIZE * 2;  // one tile of keys (or values), bf16
    constexpr int K_STEPS = HEAD_SIZE / 16;                     // mma k-steps over the head
    constexpr int N_TILES = HEAD_SIZE / 8;                      // mma column tiles of the output
    constexpr int COPIES = TILE_POSITIONS * CHUNKS / 32;         // chunks per lane per tile (keys; values the same)
    extern __shared__ __align__(16) unsigned char buffers[];    // [MMA_WARPS, STAGES, {keys, values}, 16, HEAD_SIZE] bf16, swizzled
    __shared__ float warpMax[MMA_WARPS][8], warpSum[MMA_WARPS][8];
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    int g = lane >> 2, t = lane & 3;

    // blockIdx.x = (kvHead, split) with split fastest; blockIdx.y = the sequence (= its one row).
    int group = numHeads / numKvHeads;                          // query heads per kv head, at most 8
    int split = blockIdx.x % numSplits, kvHead = blockIdx.x / numSplits;
    int head0 = kvHead * group;                                 // query heads head0 ..< head0 + group
    int seq = blockIdx.y;
    int numVisible = seqLens[seq];                              // the new token sees the whole sequence, itself included
    int perSplit = (numVisible + numSplits - 1) / numSplits;
    int start = min(numVisible, split * perSplit), end = min(numVisible, start + perSplit);
    const int* blockTable = blockTables + (long long) seq * maxNumBlocksPerSeq;

    // A fragments of the queries: rows g = head0 + g (qHi), g + 8 (qLo); zero for rows past the group.
    unsigned qFrag[K_STEPS][4];
    {
        const float* q = query + ((long long) seq * numHeads + head0 + g) * HEAD_SIZE;
        #pragma unroll
        for (int ks = 0; ks < K_STEPS; ks++) {
            #pragma unroll
            for (int half = 0; half < 2; half++) {
                float2 v = g < group ? *reinterpret_cast<const float2*>(q + ks * 16 + half * 8 + 2 * t) : make_float2(0.0f, 0.0f);
                v.x *= scale;
                v.y *= scale;
                __nv_bfloat162 hi = __floats2bfloat162_rn(v.x, v.y);
                float2 hiF = __bfloat1622float2(hi);
                qFrag[ks][2 * half] = *reinterpret_cast<unsigned*>(&hi);
                qFrag[ks][2 * half + 1] = pack(v.x - hiF.x, v.y - hiF.y);
            }
        }
    }

    float acc[N_TILES][4];           // out rows g (qHi·/bf16(p)) and g + 8 (the remainders), columns n * 8 + 2t, + 1
    #pragma unroll
    for (int n = 0; n < N_TILES; n++) acc[n][0] = acc[n][1] = acc[n][2] = acc[n][3] = 0.0f;
    float runningMax = -INFINITY;    // head g's maximum over the warp's positions so far (same in the row's 4 lanes)
    float sum = 0.0f;                // this lane's part of head g's Σ e^(s − runningMax)

    unsigned warpBuffers = static_cast<unsigned>(__cvta_generic_to_shared(buffers)) + warp * STAGES * 2 * TILE_BYTES;
    int firstTile = start + warp * TILE_POSITIONS, stride = MMA_WARPS * TILE_POSITIONS;

    // Issues the copies of the tile at tileStart into buffer stage: lane l looks up position l % 16's slot once.
    auto issue = [&](int tileStart, int stage) {
        int j = tileStart + (lane & 15);
        long long slot = j < end ? (long long) blockTable[j / blockSize] * blockSize + j % blockSize : 0;
        unsigned keys = warpBuffers + stage * 2 * TILE_BYTES, values = keys + TILE_BYTES;
        #pragma unroll
        for (int i = 0; i < COPIES; i++) {
            int chunk = lane + 32 * i, row = chunk / CHUNKS, c = chunk % CHUNKS;
            long long rowSlot = __shfl_sync(0xffffffffu, slot, row);
            int bytes = tileStart + row < end ? 16 : 0;
            long long at = (rowSlot * numKvHeads + kvHead) * HEAD_SIZE + c * 8;
            unsigned offset = (row * CHUNKS + (c ^ (row & 7))) * 16;
            copyAsync(keys + offset, keyCache + at, bytes);
            copyAsync(values + offset, valueCache + at, bytes);
        }
        commit();
    };

    if (firstTile < end) issue(firstTile, 0);
    int stage = 0;
    for (int tileStart = firstTile; tileStart < end; tileStart += stride, stage ^= 1) {
        // 1. The next tile's copies go out; wait for this tile's.
        if (tileStart + stride < end) {
            issue(tileStart + stride, stage ^ 1);
            waitGroups<1>();
        } else {
            waitGroups<0>();
        }
        __syncwarp();
        unsigned keys = warpBuffers + stage * 2 * TILE_BYTES, values = keys + TILE_BYTES;

        // 2. Scores: two column tiles of 8 positions; ldmatrix gives both tiles' B fragments of one k-step.
        float s[2][4] = {{0.0f, 0.0f, 0.0f, 0.0f}, {0.0f, 0.0f, 0.0f, 0.0f}};
        {
            int row = (lane & 7) + ((lane >> 4) << 3), half = (lane >> 3) & 1;
            #pragma unroll
            for (int ks = 0; ks < K_STEPS; ks++) {
                int c = ks * 2 + half;
                unsigned b[4];
                ldmatrix4(b, keys + (row * CHUNKS + (c ^ (row & 7))) * 16);
                mma(s[0], qFrag[ks], b[0], b[1]);
                mma(s[1], qFrag[ks], b[2], b[3]);
            }
        }
        // 3. Online softmax for head g: positions n * 8 + 2t + e; -inf past the end.
        float score[2][2], tileMax = -INFINITY;
        #pragma unroll
        for (int n = 0; n < 2; n++) {
            #pragma unroll
            for (int e = 0; e < 2; e++) {
                score[n][e] = tileStart + n * 8 + 2 * t + e < end ? s[n][e] + s[n][e + 2] : -INFINITY;
                tileMax = fmaxf(tileMax, score[n][e]);
            }
        }
        tileMax = fmaxf(tileMax, __shfl_xor_sync(0xffffffffu, tileMax, 1));
        tileMax = fmaxf(tileMax, __shfl_xor_sync(0xffffffffu, tileMax, 2));
        float newMax = fmaxf(runningMax, tileMax);              // finite: the tile has a position
        float correction = __expf(runningMax - newMax);         // 0 on the warp's first tile
        runningMax = newMax;
        sum *= correction;
        #pragma unroll
        for (int n = 0; n < N_TILES; n++) {
            #pragma unroll
            for (int e = 0; e < 4; e++) acc[n][e] *= correction;
        }
        unsigned pFrag[4]; // A fragment of P: rows g (bf16(p)), g + 8 (p − bf16(p)); k = positions 2t, 2t + 1 | + 8
        #pragma unroll
        for (int n = 0; n < 2; n++) {
            float p0 = __expf(score[n][0] - newMax), p1 = __expf(score[n][1] - newMax);
            sum += p0 + p1;
            __nv_bfloat162 hi = __floats2bfloat162_rn(p0, p1);
            float2 hiF = __bfloat1622float2(hi);
            pFrag[2 * n] = *reinterpret_cast<unsigned*>(&hi);
            pFrag[2 * n + 1] = pack(p0 - hiF.x, p1 - hiF.y);
        }
        // 4. out += P · V: ldmatrix.trans gives the B fragments of two column tiles (16 elements of the head).
        {
            int row = (lane & 7) + (((lane >> 3) & 1) << 3), half = lane >> 4;
            #pragma unroll
            for (int np = 0; np < N_TILES / 2; np++) {
                int c = np * 2 + half;
                unsigned b[4];
                ldmatrix4Trans(b, values + (row * CHUNKS + (c ^ (row & 7))) * 16);
                mma(acc[2 * np], pFrag, b[0], b[1]);
                mma(acc[2 * np + 1], pFrag, b[2], b[3]);
            }
        }
        __syncwarp(); // every lane has read this buffer before the copy two tiles on overwrites it
    }
    waitGroups<0>();

    // The row's 4 lanes hold parts of head g's sum.
    sum += __shfl_xor_sync(0xffffffffu, sum, 1);
    sum += __shfl_xor_sync(0xffffffffu, sum, 2);
    __syncthreads(); // every warp is done with its buffers: they become the partial outputs
    float* partial = reinterpret_cast<float*>(buffers);        // [MMA_WARPS, 8, HEAD_SIZE] each warp's output sums
    #pragma unroll
    for (int n = 0; n < N_TILES; n++) {
        partial[(warp * 8 + g) * HEAD_SIZE + n * 8 + 2 * t] = acc[n][0] + acc[n][2];
        partial[(warp * 8 + g) * HEAD_SIZE + n * 8 + 2 * t + 1] = acc[n][1] + acc[n][3];
    }
    if (t == 0) {
        warpMax[warp][g] = runningMax;
        warpSum[warp][g] = sum;
    }
    __syncthreads();
    // The warps' results, each rescaled to the block's maximum: out = Σ_w e^(m_w − M) acc_w / Σ_w e^(m_w − M) sum_w.
    for (int i = threadIdx.x; i < group * HEAD_SIZE; i += MMA_THREADS) {
        int h = i / HEAD_SIZE, d = i % HEAD_SIZE;
        float blockMax = -INFINITY;
        #pragma unroll
        for (int w = 0; w < MMA_WARPS; w++) blockMax = fmaxf(blockMax, warpMax[w][h]);
        float blockSum = 0.0f, o = 0.0f;
        #pragma unroll
        for (int w = 0; w < MMA_WARPS; w++) {
            float weight = warpMax[w][h] == -INFINITY ? 0.0f : __expf(warpMax[w][h] - blockMax); // a warp without positions: 0
            blockSum += weight * warpSum[w][h];
            o += weight * partial[(w * 8 + h) * HEAD_SIZE + d];
        }
        long long rowHead = (long long) seq * numHeads + head0 + h;
        if (numSplits == 1) {
            out[rowHead * HEAD_SIZE + d] = __float2bfloat16(o / blockSum);
        } else {
            tmpOut[(rowHead * numSplits + split) * HEAD_SIZE + d] = blockSum > 0.0f ? o / blockSum : 0.0f;
            if (d == 0) {
                maxLogits[rowHead * numSplits + split] = blockMax; // -inf for an empty split
                expSums[rowHead * numSplits + split] = blockSum;   // 0 for an empty split
            }
        }
    }
}

} // namespace

// Kernels paged_attention_decode_mma_h64 and _h128 (the head size).
// grid: (numKvHeads * numSplits, numSeqs), block: 128 threads
// dynamic shared memory: MMA_WARPS * STAGES * 2 * 16 * headSize bf16 = 512 * headSize bytes
// numHeads / numKvHeads at most 8 (PagedAttention.java checks)
#define DECODE_MMA_KERNEL(HEAD_SIZE_VALUE)                                                                                        \
extern "C" __global__ void __launch_bounds__(MMA_THREADS, 3) paged_attention_decode_mma_h##HEAD_SIZE_VALUE(                    \
        __nv_bfloat16* __restrict__ out,              /* [numSeqs, numHeads, headSize] written when numSplits == 1 */ \
        float* __restrict__ tmpOut,                   /* [numSeqs, numHeads, numSplits, headSize] each split's output */ \
        float* __restrict__ maxLogits,                /* [numSeqs, numHeads, numSplits] each split's softmax maximum */ \
        float* __restrict__ expSums,                  /* [numSeqs, numHeads, numSplits] each split's sum of e^(s - max) */ \
        const float* __restrict__ query,              /* [numSeqs, numHeads, headSize] RoPE applied, one row per sequence */ \
        const __nv_bfloat16* __restrict__ keyCache,   /* [numBlocks, blockSize, numKvHeads, headSize] one layer's */ \
        const __nv_bfloat16* __restrict__ valueCache, /* [numBlocks, blockSize, numKvHeads, headSize] */       \
        const int* __restrict__ seqLens,              /* [numSeqs] tokens in the cache, this step's included */ \
        const int* __restrict__ blockTables,          /* [numSeqs, maxNumBlocksPerSeq] physical block ids */   \
        int maxNumBlocksPerSeq, int numHeads, int numKvHeads, int blockSize, int numSplits,                   \
        float scale) {                                /* multiplier of q · k, usually 1 / sqrt(headSize) */     \
    pagoda::allowNextKernel();                                                                                  \
    pagoda::waitForPriorKernels(); /* Common.cuh */                                                             \
    decodeMma<HEAD_SIZE_VALUE>(out, tmpOut, maxLogits, expSums, query, keyCache, valueCache, seqLens, blockTables,      \
            maxNumBlocksPerSeq, numHeads, numKvHeads, blockSize, numSplits, scale);                             \
}
DECODE_MMA_KERNEL(64)
DECODE_MMA_KERNEL(128)
