// Sampling on the GPU: one thread block per logits row picks the row's next token (greedy,
// temperature, min_p, top_k, top_p, logit bias, min_tokens, repetition / frequency / presence
// penalties) and its logprobs, so only token ids and the requested logprobs go back to the host.
//
// The specification is engine's dev.pagoda.engine.sampling.Sampler (the CPU), step for step and in
// vLLM v1's order:
//   1. edits: logit_bias, min_tokens masking, repetition then frequency/presence penalties. Each
//      edit touches one token and they are applied per token in the CPU's order, so a per-token
//      list (built on the host from the prompt and output ids) gives the CPU's floats exactly.
//   2. greedy rows: argmax, the lowest id on ties.
//   3. otherwise: x /= temperature; min_p (x < max + ln(min_p) is removed); top_k (x below the
//      k-th largest finite value is removed); weights w = exp(x - max) by the CPU's FastExp
//      polynomial, operation for operation (no fused multiply-add, so the bits are the CPU's);
//      top_p (keep the largest weights until their mass reaches p × total, ties of the last kept);
//      an inverse-CDF draw with the host's uniform u: the first id whose running weight exceeds
//      u × total, summed in 256-token chunks exactly as RowSampler.drawInverseCdf does.
//   4. logprobs: log-softmax of the raw (or processed) row, the token's rank, the top N.
// Where the GPU's order of summation differs from the CPU's (top_p's total and masses, logprobs'
// log-sum-exp), results can differ in the last bits: a top_p boundary within rounding of p, and
// logprobs within ~1e-6. Everything else is bit-exact, so greedy and seeded draws pick the CPU's tokens.
#include <cuda_runtime.h>
#include <stdint.h>
#include "Common.cuh"

#define THREADS 512
#define DRAW_CHUNK 256

namespace {

// (value, id) pairs: a beats b when its value is larger, or equal with a lower id (torch.argmax).
__device__ __forceinline__ bool better(float va, int ia, float vb, int ib) {
    return va > vb || (va == vb && ia < ib);
}

// Best (value, id) over the block, by better(); NaN values never win. Every thread gets it.
__device__ void blockBest(float& v, int& id, float* sv, int* si) {
    for (int o = 16; o > 0; o >>= 1) {
        float ov = __shfl_xor_sync(0xffffffffu, v, o);
        int oi = __shfl_xor_sync(0xffffffffu, id, o);
        if (oi >= 0 && (id < 0 || better(ov, oi, v, id))) { v = ov; id = oi; }
    }
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    __syncthreads();
    if (lane == 0) { sv[warp] = v; si[warp] = id; }
    __syncthreads();
    if (warp == 0) {
        v = lane < THREADS / 32 ? sv[lane] : -INFINITY;
        id = lane < THREADS / 32 ? si[lane] : -1;
        for (int o = 16; o > 0; o >>= 1) {
            float ov = __shfl_xor_sync(0xffffffffu, v, o);
            int oi = __shfl_xor_sync(0xffffffffu, id, o);
            if (oi >= 0 && (id < 0 || better(ov, oi, v, id))) { v = ov; id = oi; }
        }
        if (lane == 0) { sv[0] = v; si[0] = id; }
    }
    __syncthreads();
    v = sv[0];
    id = si[0];
    __syncthreads();
}

__device__ double blockSumD(double v, double* sd) {
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    __syncthreads();
    if (lane == 0) sd[warp] = v;
    __syncthreads();
    double total = 0;
    for (int w = 0; w < THREADS / 32; w++) total += sd[w]; // every thread, same order: same result
    __syncthreads();
    return total;
}

__device__ int blockCount(int v, int* si) {
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    __syncthreads();
    if (lane == 0) si[warp] = v;
    __syncthreads();
    int total = 0;
    for (int w = 0; w < THREADS / 32; w++) total += si[w];
    __syncthreads();
    return total;
}

__device__ float blockMaxF(float v, float* sv) {
    for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    __syncthreads();
    if (lane == 0) sv[warp] = v;
    __syncthreads();
    float m = -INFINITY;
    for (int w = 0; w < THREADS / 32; w++) m = fmaxf(m, sv[w]);
    __syncthreads();
    return m;
}

// FastExp.exp of the CPU: exp(x) for x <= 0, the same float operations in the same order.
__device__ __forceinline__ float fastExp(float x) {
    const float LOG2E = 1.44269504f, LN2_HI = 0.693145751953125f, LN2_LO = 1.428606765330187e-6f, MIN_X = -170.0f;
    float y = fmaxf(x, MIN_X);
    int k = (int) __fmul_rn(y, LOG2E);
    float kf = (float) k;
    float r = __fsub_rn(__fsub_rn(y, __fmul_rn(kf, LN2_HI)), __fmul_rn(kf, LN2_LO));
    float p = __fadd_rn(1.0f / 40320, 0.0f);
    p = __fadd_rn(1.0f / 5040, __fmul_rn(r, p));
    p = __fadd_rn(1.0f / 720, __fmul_rn(r, p));
    p = __fadd_rn(1.0f / 120, __fmul_rn(r, p));
    p = __fadd_rn(1.0f / 24, __fmul_rn(r, p));
    p = __fadd_rn(1.0f / 6, __fmul_rn(r, p));
    p = __fadd_rn(0.5f, __fmul_rn(r, p));
    p = __fadd_rn(1.0f, __fmul_rn(r, p));
    p = __fadd_rn(1.0f, __fmul_rn(r, p));
    int e = k + 127 > 0 ? k + 127 : 0;
    return __fmul_rn(p, __int_as_float(e << 23));
}

// Positive and negative floats as unsigned keys in the floats' order (-inf lowest).
__device__ __forceinline__ uint32_t orderedKey(float f) {
    uint32_t u = __float_as_uint(f);
    return (u & 0x80000000u) ? ~u : (u | 0x80000000u);
}

__device__ __forceinline__ float keyToFloat(uint32_t k) {
    return __uint_as_float((k & 0x80000000u) ? (k & 0x7fffffffu) : ~k);
}

} // namespace

// Row parameters:
//   rowFloats [numRows, 8]: temperature, -, -, repetitionPenalty, frequencyPenalty, presencePenalty, -, -
//   rowDoubles [numRows, 4]: u (the draw's uniform), ln(min_p) (-inf: off), top_p, -
//   rowInts [numRows, 8]: topK (0 off), greedy, edited (bias/min_tokens/penalties present), numLogprobs (-1 none),
//              logprobsProcessed, logprobsAsLogprobs, firstEdit, endEdit
// Edits [numEdits]: editTokens (token id), editBias (added first), editFlags (1 = masked by
// min_tokens, 2 = in prompt or output: repetition penalty), editCounts (occurrences in the output).
// work, weights: [numRows, vocabSize] scratch. Outputs: tokenIds [numRows]; tokenLogprob,
// tokenRank [numRows]; topIds, topValues [numRows, maxLogprobs].
extern "C" __global__ void __launch_bounds__(THREADS) sample_rows(
        const float* __restrict__ logits, float* __restrict__ work, float* __restrict__ weights,
        const float* __restrict__ rowFloats, const int* __restrict__ rowInts, const double* __restrict__ rowDoubles,
        const int* __restrict__ editTokens, const float* __restrict__ editBias, const int* __restrict__ editFlags,
        const int* __restrict__ editCounts, int vocabSize, int maxLogprobs,
        int* __restrict__ tokenIds, float* __restrict__ tokenLogprob, int* __restrict__ tokenRank,
        int* __restrict__ topIds, float* __restrict__ topValues) {
    pagoda::allowNextKernel();
    pagoda::waitForPriorKernels(); // before any read of an earlier kernel's output (Common.cuh)
    __shared__ float sv[32];
    __shared__ int si[32];
    __shared__ double sd[32];
    __shared__ double chunkSums[1024];
    __shared__ int drawn;

    const int row = blockIdx.x, tid = threadIdx.x;
    const float* raw = logits + (size_t) row * vocabSize;
    float* x = work + (size_t) row * vocabSize;
    float* w = weights + (size_t) row * vocabSize;
    const float* pf = rowFloats + row * 8;
    const int* pi = rowInts + row * 8;
    const double* pd = rowDoubles + row * 4;
    const float temperature = pf[0], repetition = pf[3], frequency = pf[4], presence = pf[5];
    const double u = pd[0], logMinP = pd[1], topP = pd[2];
    const int topK = pi[0], greedy = pi[1], edited = pi[2], numLogprobs = pi[3], processedLogprobs = pi[4], asLogprobs = pi[5];
    const bool wantProcessed = numLogprobs >= 0 && processedLogprobs;

    int token;
    const float* src = raw; // what logprobs are computed from
    if (greedy && !edited && !wantProcessed) {
        float v = -INFINITY;
        int id = -1;
        for (int i = tid; i < vocabSize; i += THREADS) if (id < 0 || better(raw[i], i, v, id)) { v = raw[i]; id = i; }
        blockBest(v, id, sv, si);
        token = id < 0 ? 0 : id;
    } else {
        if (wantProcessed) src = x;
        for (int i = tid; i < vocabSize; i += THREADS) x[i] = raw[i];
        __syncthreads();
        // 1. Edits, one token each: bias, min_tokens mask, repetition, frequency and presence.
        for (int e = pi[6] + tid; e < pi[7]; e += THREADS) {
            int id = editTokens[e], flags = editFlags[e], count = editCounts[e];
            float v = __fadd_rn(x[id], editBias[e]);
            if (flags & 1) v = -INFINITY;
            if ((flags & 2) && repetition != 1.0f) v = v > 0 ? __fdiv_rn(v, repetition) : __fmul_rn(v, repetition);
            if (count > 0 && (frequency != 0.0f || presence != 0.0f)) v = __fsub_rn(v, __fadd_rn(__fmul_rn(frequency, (float) count), presence));
            x[id] = v;
        }
        __syncthreads();
        if (greedy) {
            float v = -INFINITY;
            int id = -1;
            for (int i = tid; i < vocabSize; i += THREADS) if (id < 0 || better(x[i], i, v, id)) { v = x[i]; id = i; }
            blockBest(v, id, sv, si);
            token = id < 0 ? 0 : id;
        } else {
            // 3a. temperature
            if (temperature != 1.0f) for (int i = tid; i < vocabSize; i += THREADS) x[i] = __fdiv_rn(x[i], temperature);
            __syncthreads();
            // 3b. min_p, in logit space: p_i < minP * p_max  <=>  x_i < max + ln(minP)
            if (logMinP != -INFINITY) {
                float m = -INFINITY;
                for (int i = tid; i < vocabSize; i += THREADS) m = fmaxf(m, x[i]);
                m = blockMaxF(m, sv);
                double threshold = (double) m + logMinP; // the host's Math.log(minP): the CPU's double exactly
                for (int i = tid; i < vocabSize; i += THREADS) if ((double) x[i] < threshold) x[i] = -INFINITY;
                __syncthreads();
            }
            // 3c. top_k: the k-th largest finite value T = the largest key with count(x >= T) >= k,
            // found bit by bit from the top; values below it are removed (ties with it kept).
            if (topK > 0 && topK < vocabSize) {
                int finite = 0;
                for (int i = tid; i < vocabSize; i += THREADS) finite += x[i] != -INFINITY;
                finite = blockCount(finite, si);
                if (finite >= topK) {
                    uint32_t key = 0;
                    for (int bit = 31; bit >= 0; bit--) {
                        uint32_t candidate = key | (1u << bit);
                        int c = 0;
                        for (int i = tid; i < vocabSize; i += THREADS) c += x[i] != -INFINITY && orderedKey(x[i]) >= candidate;
                        if (blockCount(c, si) >= topK) key = candidate;
                    }
                    float kth = keyToFloat(key);
                    for (int i = tid; i < vocabSize; i += THREADS) if (x[i] < kth) x[i] = -INFINITY;
                    __syncthreads();
                }
            }
            // 3d. weights exp(x - max), FastExp's bits
            float m = -INFINITY;
            for (int i = tid; i < vocabSize; i += THREADS) m = fmaxf(m, x[i]);
            m = blockMaxF(m, sv);
            for (int i = tid; i < vocabSize; i += THREADS) w[i] = fastExp(__fsub_rn(x[i], m));
            __syncthreads();
            // 3e. top_p: the largest weight c with mass(w >= c) >= p × total, searched bit by bit over
            // positive floats' bits; weights below it are removed.
            if (topP < 1.0) {
                double total = 0;
                for (int i = tid; i < vocabSize; i += THREADS) total += w[i];
                total = blockSumD(total, sd);
                double target = topP * total;
                uint32_t key = 0; // as a positive float's bits
                for (int bit = 30; bit >= 0; bit--) {
                    uint32_t candidate = key | (1u << bit);
                    float t = __uint_as_float(candidate);
                    double mass = 0;
                    for (int i = tid; i < vocabSize; i += THREADS) if (w[i] >= t) mass += w[i];
                    if (blockSumD(mass, sd) >= target) key = candidate;
                }
                float cutoff = __uint_as_float(key); // 0 when even the whole row falls short (rounding): keep all
                for (int i = tid; i < vocabSize; i += THREADS) if (w[i] < cutoff) { w[i] = 0.0f; x[i] = -INFINITY; }
                __syncthreads();
            }
            // 3f. the draw: chunk sums with the CPU's four float chains, then one thread walks.
            int numChunks = (vocabSize + DRAW_CHUNK - 1) / DRAW_CHUNK;
            for (int c = tid; c < numChunks; c += THREADS) {
                int from = c * DRAW_CHUNK, to = min(vocabSize, from + DRAW_CHUNK);
                float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
                int i = from;
                for (; i + 3 < to; i += 4) {
                    s0 = __fadd_rn(s0, w[i]);
                    s1 = __fadd_rn(s1, w[i + 1]);
                    s2 = __fadd_rn(s2, w[i + 2]);
                    s3 = __fadd_rn(s3, w[i + 3]);
                }
                for (; i < to; i++) s0 = __fadd_rn(s0, w[i]);
                chunkSums[c] = (((double) s0 + (double) s1) + (double) s2) + (double) s3;
            }
            __syncthreads();
            if (tid == 0) {
                double total = 0;
                for (int c = 0; c < numChunks; c++) total += chunkSums[c];
                double target = u * total, running = 0;
                int result = -1;
                for (int c = 0; c < numChunks && result < 0; c++) {
                    double s = chunkSums[c];
                    if (s == 0) continue;
                    if (running + s <= target) { running += s; continue; }
                    int last = -1;
                    for (int i = c * DRAW_CHUNK, to = min(vocabSize, i + DRAW_CHUNK); i < to; i++) {
                        float wi = w[i];
                        if (wi == 0.0f) continue;
                        running += wi;
                        last = i;
                        if (running > target) break;
                    }
                    result = last;
                }
                if (result < 0) { // rounding: u × total reached the total; the last possible token, 0 if none
                    result = 0;
                    for (int i = vocabSize - 1; i >= 0; i--) if (w[i] != 0.0f) { result = i; break; }
                }
                drawn = result;
            }
            __syncthreads();
            token = drawn;
        }
    }
    if (tid == 0) tokenIds[row] = token;
    if (numLogprobs < 0) return;

    // 4. logprobs of src (raw logits, or the processed row): shift = log-sum-exp (0 for logits modes).
    float score = src[token];
    int below = 0;
    for (int i = tid; i < vocabSize; i += THREADS) below += (__float_as_uint(src[i] - score) >> 31);
    int rank = score == -INFINITY ? vocabSize : vocabSize - blockCount(below, si);
    double shift = 0;
    if (asLogprobs) {
        float m = -INFINITY;
        for (int i = tid; i < vocabSize; i += THREADS) m = fmaxf(m, src[i]);
        m = blockMaxF(m, sv);
        if (m == -INFINITY) {
            shift = -INFINITY;
        } else {
            double s = 0;
            for (int i = tid; i < vocabSize; i += THREADS) s += fastExp(__fsub_rn(src[i], m));
            shift = (double) m + log(blockSumD(s, sd));
        }
    }
    if (tid == 0) {
        tokenLogprob[row] = (float) ((double) score - shift);
        tokenRank[row] = rank > 1 ? rank : 1;
    }
    // top N: N rounds of "the best (value, id) worse than the last one picked".
    int n = min(numLogprobs, vocabSize);
    float lastV = INFINITY;
    int lastId = -1;
    for (int j = 0; j < n; j++) {
        float v = -INFINITY;
        int id = -1;
        for (int i = tid; i < vocabSize; i += THREADS) {
            float xi = src[i];
            if (xi != xi) continue; // NaN never ranks
            bool after = lastId < 0 || better(lastV, lastId, xi, i);
            if (after && (id < 0 || better(xi, i, v, id))) { v = xi; id = i; }
        }
        blockBest(v, id, sv, si);
        if (tid == 0) {
            topIds[row * maxLogprobs + j] = id;
            topValues[row * maxLogprobs + j] = (float) ((double) v - shift);
        }
        lastV = v;
        lastId = id;
    }
}
