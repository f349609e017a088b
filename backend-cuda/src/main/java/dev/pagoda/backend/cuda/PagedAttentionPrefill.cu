// Prefill attention over the paged KV cache, FlashAttention-2 style, launched by
// PagedAttentionPrefill.java. The readable specification is backend-cpu's PagedAttention.java
// (dev.pagoda.backend.cpu.PagedAttention); the one-pass kernel in PagedAttention.cu is its oracle.
//
// Same paged cache as PagedAttention.cu: the key of position j of a sequence lies in
// physical block blockTable[j / blockSize], offset j % blockSize.
//
//   Worked example: blockSize 4, block table [7, 2].
//   position 5 → logical block 5 / 4 = 1 → physical block blockTable[1] = 2,
//                offset 5 % 4 = 1 → slot 2 * 4 + 1 = 9.
//
// Why another kernel: the one-pass kernel gives every (query row, head) its own thread block, so a
// 4,096-token prompt reads each key and value ~2,000 times over and multiplies on CUDA cores. Here a
// thread block owns a TILE of BLOCK_M = 64 query rows of one sequence for one head and walks the
// visible positions in tiles of BLOCK_N = 64 keys: each K/V tile is read from the cache ONCE into
// shared memory and used by all 64 rows, and both products run on tensor cores
// (mma.sync m16n8k16, bf16 inputs, fp32 accumulation):
//
//   S = Q · Kᵀ        [64 rows, 64 keys]  each warp 16 rows (its slice of Q stays in registers)
//   online softmax    running maximum m and sum l per row, earlier output rescaled by 2^(m_old - m_new)
//   O += P · V        [64 rows, headSize] P (bf16) goes from S's accumulators straight into the A operand
//
// The causal mask includes the cached context: with contextLen = seqLen - queryLen, new token i of
// the sequence (position contextLen + i) sees positions 0 ..= contextLen + i, so chunked prefill and
// prefix-cache hits are the same code. K/V tiles are staged with cp.async: V of tile n is loading
// while S of tile n is computed, K of tile n + 1 while P · V of tile n is.
//
// Precision: Q is fp32 upstream and enters the tensor cores as bf16 (8-bit mantissa), which moves
// scores by ~2^-9 of |q|·|k|. The _splitq instances also multiply the rounding remainder
// Q - bf16(Q) (a second bf16 term, so Q carries ~16 bits), at 1.5× the tensor-core work; the
// softmax weights P go in as bf16 either way, as in FlashAttention.
//
// Which (sequence, first row) each thread block takes is a list the host builds (prefillTiles),
// longest-running tiles (those at the end of long sequences) first.
#include "Common.cuh"

// Query rows per thread block: BLOCK_M = 16 × WARPS, 64 (4 warps) by default; the _w8 instance takes
// 128 rows with 8 warps (each K/V tile shared by twice the rows, half the blocks per SM).
#define BLOCK_N 64     // keys per K/V tile
#define PAD 8          // bf16 elements of padding per shared row: rows 16 bytes apart in banks, no ldmatrix conflicts

__device__ __forceinline__ unsigned packBf16(float lo, float hi) {
    __nv_bfloat162 v = __floats2bfloat162_rn(lo, hi);
    return *reinterpret_cast<unsigned*>(&v);
}

// D = A · B + D, A 16×16 (4 regs of bf16 pairs), B 16×8 (2 regs), D 16×8 fp32 (4 regs).
__device__ __forceinline__ void mma16816(float* d, const unsigned* a, unsigned b0, unsigned b1) {
    asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};\n"
                 : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
                 : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}

__device__ __forceinline__ void ldmatrixX4(unsigned* r, const void* p) {
    unsigned a = (unsigned) __cvta_generic_to_shared(p);
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0,%1,%2,%3}, [%4];\n"
                 : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3]) : "r"(a));
}

__device__ __forceinline__ void ldmatrixX4Trans(unsigned* r, const void* p) {
    unsigned a = (unsigned) __cvta_generic_to_shared(p);
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0,%1,%2,%3}, [%4];\n"
                 : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3]) : "r"(a));
}

// 16 bytes global → shared, asynchronously; srcBytes 0 writes zeros (positions past the sequence).
__device__ __forceinline__ void cpAsync16(void* dst, const void* src, int srcBytes) {
    unsigned d = (unsigned) __cvta_generic_to_shared(dst);
    asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" :: "r"(d), "l"(src), "r"(srcBytes));
}
__device__ __forceinline__ void cpAsyncCommit() { asm volatile("cp.async.commit_group;\n" ::); }
__device__ __forceinline__ void cpAsyncWaitAll() { asm volatile("cp.async.wait_group 0;\n" ::); }

// One K or V tile, positions tileStart ..< tileStart + BLOCK_N, into shared [BLOCK_N, HEAD + PAD],
// every 16-byte chunk found through the block table.
template <int HEAD>
__device__ __forceinline__ void loadKvTile(__nv_bfloat16 (*tile)[HEAD + PAD], const __nv_bfloat16* __restrict__ cache,
                                           const int* __restrict__ blockTable, int tileStart, int seqLen,
                                           int numKvHeads, int kvHead, int blockSize) {
    constexpr int CHUNKS = HEAD / 8; // 16-byte chunks per key
    for (int c = threadIdx.x; c < BLOCK_N * CHUNKS; c += blockDim.x) {
        int t = c / CHUNKS, d0 = (c % CHUNKS) * 8;
        int j = tileStart + t;
        const __nv_bfloat16* src = cache;
        int bytes = 0;
        if (j < seqLen) {
            int physicalBlock = blockTable[j / blockSize];
            long long slot = (long long) physicalBlock * blockSize + j % blockSize;
            src = cache + (slot * numKvHeads + kvHead) * HEAD + d0;
            bytes = 16;
        }
        cpAsync16(&tile[t][d0], src, bytes);
    }
}

// grid: (numHeads, numPrefillTiles), block: WARPS * 32 threads (tiles of BLOCK_M = 16 · WARPS rows); static shared memory 2 · BLOCK_N · (HEAD + PAD) bf16.
template <int HEAD, bool SPLIT_Q, int WARPS>
__device__ void prefillAttention(
        __nv_bfloat16* __restrict__ out,              // [numTokens, numHeads, HEAD] written, o_proj's input
        const float* __restrict__ query,              // [numTokens, numHeads, HEAD] RoPE applied
        const __nv_bfloat16* __restrict__ keyCache,   // [numBlocks, blockSize, numKvHeads, HEAD] one layer's
        const __nv_bfloat16* __restrict__ valueCache, // [numBlocks, blockSize, numKvHeads, HEAD]
        const int* __restrict__ queryStartLoc,        // [numSeqs + 1] rows of sequence s: queryStartLoc[s] ..< queryStartLoc[s+1]
        const int* __restrict__ seqLens,              // [numSeqs] tokens in the cache for each sequence, this step's included
        const int* __restrict__ blockTables,          // [numSeqs, maxNumBlocksPerSeq] physical block ids, row-major
        const int* __restrict__ prefillTiles,         // [numPrefillTiles, 2] (sequence, first query row i within it)
        int maxNumBlocksPerSeq,
        int numHeads,
        int numKvHeads,
        int blockSize,
        float scale) {                                // multiplier of q · k, usually 1 / sqrt(HEAD)
    constexpr int BLOCK_M = 16 * WARPS;
    __shared__ __align__(128) __nv_bfloat16 kTile[BLOCK_N][HEAD + PAD];
    __shared__ __align__(128) __nv_bfloat16 vTile[BLOCK_N][HEAD + PAD];
    int head = blockIdx.x; // heads fastest: the heads of a GQA group run side by side and share K/V in L2
    int seq = prefillTiles[2 * blockIdx.y], tileRow = prefillTiles[2 * blockIdx.y + 1];
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    int g = lane >> 2, t = lane & 3; // mma fragment coordinates: row g (and g + 8), columns 2t, 2t + 1

    int queryStart = queryStartLoc[seq], queryLen = queryStartLoc[seq + 1] - queryStart;
    int seqLen = seqLens[seq];
    int contextLen = seqLen - queryLen;
    const int* blockTable = blockTables + (long long) seq * maxNumBlocksPerSeq;
    int kvHead = head / (numHeads / numKvHeads);

    // This thread's two rows: i0 = tileRow + 16 warp + g and i1 = i0 + 8 (rows past queryLen are computed, not stored).
    int i0 = tileRow + warp * 16 + g, i1 = i0 + 8;
    // region: cuda-prefill-mask
    // Causal over the cached context too: new token i sits at position contextLen + i and sees 0 ..= contextLen + i.
    int lastVisible0 = min(contextLen + i0, seqLen - 1), lastVisible1 = min(contextLen + i1, seqLen - 1);
    // endregion
    int lastInTile = min(contextLen + tileRow + BLOCK_M - 1, seqLen - 1); // the block's last visible position

    // Q fragments (A operand, 16 rows × HEAD), rounded to bf16 once: qFrag[k-step][4]; qLow: what rounding left (SPLIT_Q).
    unsigned qFrag[HEAD / 16][4], qLow[SPLIT_Q ? HEAD / 16 : 1][4];
    {
        const float* q0 = query + ((long long) (queryStart + i0) * numHeads + head) * HEAD;
        const float* q1 = query + ((long long) (queryStart + i1) * numHeads + head) * HEAD;
        bool ok0 = i0 < queryLen, ok1 = i1 < queryLen;
        float s = scale * 1.44269504f; // fold the scale and log2(e) into Q: scores come out in the exp2 domain
        #pragma unroll
        for (int k = 0; k < HEAD / 16; k++) {
            int c = 16 * k + 2 * t;
            float2 a = ok0 ? *reinterpret_cast<const float2*>(q0 + c) : make_float2(0.f, 0.f);
            float2 b = ok1 ? *reinterpret_cast<const float2*>(q1 + c) : make_float2(0.f, 0.f);
            float2 c2 = ok0 ? *reinterpret_cast<const float2*>(q0 + c + 8) : make_float2(0.f, 0.f);
            float2 d = ok1 ? *reinterpret_cast<const float2*>(q1 + c + 8) : make_float2(0.f, 0.f);
            float v[4][2] = {{a.x * s, a.y * s}, {b.x * s, b.y * s}, {c2.x * s, c2.y * s}, {d.x * s, d.y * s}};
            #pragma unroll
            for (int i = 0; i < 4; i++) {
                qFrag[k][i] = packBf16(v[i][0], v[i][1]);
                if constexpr (SPLIT_Q) {
                    __nv_bfloat162 hi = *reinterpret_cast<__nv_bfloat162*>(&qFrag[k][i]);
                    qLow[k][i] = packBf16(v[i][0] - __low2float(hi), v[i][1] - __high2float(hi));
                }
            }
        }
    }

    float acc[HEAD / 8][4]; // O: [16 rows, HEAD] per warp in C-fragment layout, not yet divided by the sum
    #pragma unroll
    for (int n = 0; n < HEAD / 8; n++) acc[n][0] = acc[n][1] = acc[n][2] = acc[n][3] = 0.f;
    float runningMax[2] = {-INFINITY, -INFINITY}, runningSum[2] = {0.f, 0.f}; // rows g and g + 8, log2 domain

    loadKvTile<HEAD>(kTile, keyCache, blockTable, 0, seqLen, numKvHeads, kvHead, blockSize);
    cpAsyncCommit();
    for (int tileStart = 0; tileStart <= lastInTile; tileStart += BLOCK_N) {
        cpAsyncWaitAll();
        __syncthreads(); // K of this tile has landed; every warp is done with the previous V
        loadKvTile<HEAD>(vTile, valueCache, blockTable, tileStart, seqLen, numKvHeads, kvHead, blockSize);
        cpAsyncCommit();

        // 1. S = Q · Kᵀ: 8 column blocks of 8 keys; B fragments by ldmatrix (K rows are keys, i.e. Kᵀ column-major).
        float s[BLOCK_N / 8][4];
        #pragma unroll
        for (int n = 0; n < BLOCK_N / 8; n++) s[n][0] = s[n][1] = s[n][2] = s[n][3] = 0.f;
        #pragma unroll
        for (int k = 0; k < HEAD / 16; k++) {
            #pragma unroll
            for (int n = 0; n < BLOCK_N / 8; n += 2) {
                // matrices: keys 8n.. dims 16k.., keys 8n.. dims 16k+8.., keys 8n+8.. dims 16k.., keys 8n+8.. dims 16k+8..
                int m = lane >> 3, r = lane & 7;
                unsigned b[4];
                ldmatrixX4(b, &kTile[8 * (n + (m >> 1)) + r][16 * k + 8 * (m & 1)]);
                mma16816(s[n], qFrag[k], b[0], b[1]);
                mma16816(s[n + 1], qFrag[k], b[2], b[3]);
                if constexpr (SPLIT_Q) {
                    mma16816(s[n], qLow[k], b[0], b[1]);
                    mma16816(s[n + 1], qLow[k], b[2], b[3]);
                }
            }
        }

        // 2. Mask (only tiles that reach past some row's last visible position), then the online softmax.
        if (tileStart + BLOCK_N - 1 > min(contextLen + tileRow + warp * 16, seqLen - 1)) {
            #pragma unroll
            for (int n = 0; n < BLOCK_N / 8; n++) {
                int j = tileStart + 8 * n + 2 * t;
                if (j > lastVisible0) s[n][0] = -INFINITY;
                if (j + 1 > lastVisible0) s[n][1] = -INFINITY;
                if (j > lastVisible1) s[n][2] = -INFINITY;
                if (j + 1 > lastVisible1) s[n][3] = -INFINITY;
            }
        }
        float tileMax[2] = {-INFINITY, -INFINITY};
        #pragma unroll
        for (int n = 0; n < BLOCK_N / 8; n++) {
            tileMax[0] = fmaxf(tileMax[0], fmaxf(s[n][0], s[n][1]));
            tileMax[1] = fmaxf(tileMax[1], fmaxf(s[n][2], s[n][3]));
        }
        float correction[2];
        #pragma unroll
        for (int h = 0; h < 2; h++) { // a row's 64 scores are spread over the 4 lanes of a quad
            tileMax[h] = fmaxf(tileMax[h], __shfl_xor_sync(0xffffffffu, tileMax[h], 1));
            tileMax[h] = fmaxf(tileMax[h], __shfl_xor_sync(0xffffffffu, tileMax[h], 2));
            float newMax = fmaxf(runningMax[h], tileMax[h]); // finite: every row sees position 0 in the first tile
            correction[h] = exp2f(runningMax[h] - newMax);   // 0 on the first tile
            runningMax[h] = newMax;
            runningSum[h] *= correction[h];
        }
        #pragma unroll
        for (int n = 0; n < HEAD / 8; n++) {
            acc[n][0] *= correction[0]; acc[n][1] *= correction[0];
            acc[n][2] *= correction[1]; acc[n][3] *= correction[1];
        }
        // P = 2^(S - max), summed in fp32, then packed to bf16 A fragments: S's column blocks 2k and
        // 2k + 1 are exactly the A operand of keys 16k ..< 16k + 16.
        unsigned pFrag[BLOCK_N / 16][4];
        #pragma unroll
        for (int n = 0; n < BLOCK_N / 8; n++) {
            float p0 = exp2f(s[n][0] - runningMax[0]), p1 = exp2f(s[n][1] - runningMax[0]);
            float p2 = exp2f(s[n][2] - runningMax[1]), p3 = exp2f(s[n][3] - runningMax[1]);
            runningSum[0] += p0 + p1;
            runningSum[1] += p2 + p3;
            pFrag[n / 2][(n & 1) * 2 + 0] = packBf16(p0, p1);
            pFrag[n / 2][(n & 1) * 2 + 1] = packBf16(p2, p3);
        }

        cpAsyncWaitAll();
        __syncthreads(); // V of this tile has landed; every warp is done with K
        if (tileStart + BLOCK_N <= lastInTile) {
            loadKvTile<HEAD>(kTile, keyCache, blockTable, tileStart + BLOCK_N, seqLen, numKvHeads, kvHead, blockSize);
        }
        cpAsyncCommit();

        // 3. O += P · V: B fragments of V (rows are keys = the k dimension) by a transposing ldmatrix.
        #pragma unroll
        for (int k = 0; k < BLOCK_N / 16; k++) {
            #pragma unroll
            for (int n = 0; n < HEAD / 8; n += 2) {
                // matrices: keys 16k.. dims 8n.., keys 16k+8.. dims 8n.., keys 16k.. dims 8n+8.., keys 16k+8.. dims 8n+8..
                int m = lane >> 3, r = lane & 7;
                unsigned b[4];
                ldmatrixX4Trans(b, &vTile[16 * k + 8 * (m & 1) + r][8 * (n + (m >> 1))]);
                mma16816(acc[n], pFrag[k], b[0], b[1]);
                mma16816(acc[n + 1], pFrag[k], b[2], b[3]);
            }
        }
    }
    cpAsyncWaitAll();

    // The row sums are spread over the quad like the scores; add them up, divide, store bf16 pairs.
    #pragma unroll
    for (int h = 0; h < 2; h++) {
        runningSum[h] += __shfl_xor_sync(0xffffffffu, runningSum[h], 1);
        runningSum[h] += __shfl_xor_sync(0xffffffffu, runningSum[h], 2);
    }
    float inverse0 = 1.f / runningSum[0], inverse1 = 1.f / runningSum[1];
    __nv_bfloat16* out0 = out + ((long long) (queryStart + i0) * numHeads + head) * HEAD;
    __nv_bfloat16* out1 = out + ((long long) (queryStart + i1) * numHeads + head) * HEAD;
    #pragma unroll
    for (int n = 0; n < HEAD / 8; n++) {
        int c = 8 * n + 2 * t;
        if (i0 < queryLen) *reinterpret_cast<unsigned*>(out0 + c) = packBf16(acc[n][0] * inverse0, acc[n][1] * inverse0);
        if (i1 < queryLen) *reinterpret_cast<unsigned*>(out1 + c) = packBf16(acc[n][2] * inverse1, acc[n][3] * inverse1);
    }
}

#define PREFILL_KERNEL(NAME, HEAD, SPLIT_Q, WARPS)                                                                  \
    extern "C" __global__ void __launch_bounds__(WARPS * 32) NAME(                                               \
            __nv_bfloat16* __restrict__ out, const float* __restrict__ query,                                   \
            const __nv_bfloat16* __restrict__ keyCache, const __nv_bfloat16* __restrict__ valueCache,           \
            const int* __restrict__ queryStartLoc, const int* __restrict__ seqLens,                            \
            const int* __restrict__ blockTables, const int* __restrict__ prefillTiles,                         \
            int maxNumBlocksPerSeq, int numHeads, int numKvHeads, int blockSize, float scale) {                \
        pagoda::allowNextKernel();                                                                             \
        pagoda::waitForPriorKernels(); /* Common.cuh */                                                        \
        prefillAttention<HEAD, SPLIT_Q, WARPS>(out, query, keyCache, valueCache, queryStartLoc, seqLens, blockTables,          \
                               prefillTiles, maxNumBlocksPerSeq, numHeads, numKvHeads, blockSize, scale);     \
    }

PREFILL_KERNEL(paged_attention_prefill_h64, 64, false, 4)
PREFILL_KERNEL(paged_attention_prefill_h128, 128, false, 4)
PREFILL_KERNEL(paged_attention_prefill_h64_splitq, 64, true, 4)
PREFILL_KERNEL(paged_attention_prefill_h128_splitq, 128, true, 4)
PREFILL_KERNEL(paged_attention_prefill_h64_w8, 64, false, 8)
PREFILL_KERNEL(paged_attention_prefill_h128_w8, 128, false, 8)
