// Fused residual add + RMSNorm, launched by RmsNorm.java. Matches backend-cpu's
// VectorOps.rmsNorm: inverseRms = 1 / sqrt(mean(x^2) + eps), out = weight * (x * inverseRms).
#include "Common.cuh"

// One block per output row. With delta != null the residual stream first takes the previous
// sublayer's output: x = hidden[r] + delta[r] (stored back into hidden when writeBack != 0).
// rows picks which hidden row each output row normalizes (null: output row i is hidden row i);
// the final norm uses it to normalize only the rows whose logits are wanted.
// grid: (numRows), block: any multiple of 32
extern "C" __global__ void add_rms_norm(
        float* __restrict__ hidden,            // [numTokens, hiddenSize] the residual stream
        const float* __restrict__ delta,       // [numTokens, hiddenSize] added to hidden first, or null
        const float* __restrict__ weight,      // [hiddenSize]
        __nv_bfloat16* __restrict__ out,       // [numRows, hiddenSize] written, the next matmul's input
        const int* __restrict__ rows,          // [numRows] hidden row of each output row, or null
        int hiddenSize,
        float eps,
        int writeBack) {
    pagoda::allowNextKernel();
    pagoda::waitForPriorKernels(); // before any read of an earlier kernel's output (Common.cuh)
    __shared__ float scratch[32];
    int r = rows == nullptr ? blockIdx.x : rows[blockIdx.x];
    float* x = hidden + (long long) r * hiddenSize;
    const float* d = delta == nullptr ? nullptr : delta + (long long) r * hiddenSize;
    float sumOfSquares = 0.0f;
    for (int i = threadIdx.x; i < hiddenSize; i += blockDim.x) {
        float v = d == nullptr ? x[i] : x[i] + d[i];
        if (d != nullptr && writeBack) x[i] = v;
        sumOfSquares += v * v;
    }
    sumOfSquares = pagoda::blockSum(sumOfSquares, scratch);
    float inverseRms = 1.0f / sqrtf(sumOfSquares / hiddenSize + eps);
    __nv_bfloat16* o = out + (long long) blockIdx.x * hiddenSize;
    for (int i = threadIdx.x; i < hiddenSize; i += blockDim.x) {
        float v = (d == nullptr || writeBack) ? x[i] : x[i] + d[i]; // each thread rereads what it wrote
        o[i] = __float2bfloat16(weight[i] * (v * inverseRms));
    }
}
