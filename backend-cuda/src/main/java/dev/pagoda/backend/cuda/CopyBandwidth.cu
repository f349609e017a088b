// A plain device-to-device copy, launched by CopyBandwidth.java, to measure the memory bandwidth
// that decode speed is compared with (bytes read + bytes written per second).
#include "Common.cuh"

// grid-stride loop, 16-byte accesses. n4: number of float4 elements. (Four loads in flight per thread
// before their stores measured the same on an H100, 2,746-2,840 GB/s against 2,813-2,837: not kept.)
extern "C" __global__ void copy_float4(
        float4* __restrict__ dst,         // [n4]
        const float4* __restrict__ src,   // [n4]
        long long n4) {
    pagoda::allowNextKernel();
    pagoda::waitForPriorKernels(); // before any read of an earlier kernel's output (Common.cuh)
    for (long long i = blockIdx.x * (long long) blockDim.x + threadIdx.x; i < n4; i += (long long) gridDim.x * blockDim.x) {
        dst[i] = src[i];
    }
}
