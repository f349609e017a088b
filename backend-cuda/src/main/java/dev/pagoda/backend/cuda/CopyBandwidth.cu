// A plain device-to-device copy, launched by CopyBandwidth.java, to measure the memory bandwidth
// that decode speed is compared with (bytes read + bytes written per second).
#include "Common.cuh"

// Grid-stride loop, 16-byte accesses, four loads in flight per thread before their stores (one at
// a time left the copy ~4 % below what torch's copy_ reached on the same H100). n4: float4 elements.
extern "C" __global__ void copy_float4(
        float4* __restrict__ dst,         // [n4]
        const float4* __restrict__ src,   // [n4]
        long long n4) {
    pagoda::allowNextKernel();
    pagoda::waitForPriorKernels(); // before any read of an earlier kernel's output (Common.cuh)
    long long stride = (long long) gridDim.x * blockDim.x;
    long long i = blockIdx.x * (long long) blockDim.x + threadIdx.x;
    for (; i + 3 * stride < n4; i += 4 * stride) {
        float4 a = src[i], b = src[i + stride], c = src[i + 2 * stride], d = src[i + 3 * stride];
        dst[i] = a;
        dst[i + stride] = b;
        dst[i + 2 * stride] = c;
        dst[i + 3 * stride] = d;
    }
    for (; i < n4; i += stride) dst[i] = src[i];
}
