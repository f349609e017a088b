// Shared helpers of Pagoda's CUDA kernels: block-wide reductions. Every kernel is launched with a
// block size that is a multiple of 32 and at most 1024.
#pragma once
#include <cuda_bf16.h>

namespace pagoda {

__device__ __forceinline__ float warpSum(float v) {
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    return v;
}

__device__ __forceinline__ float warpMax(float v) {
    for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
    return v;
}

// Sum of v over the block; every thread gets the result. scratch: [32] floats of shared memory.
__device__ __forceinline__ float blockSum(float v, float* scratch) {
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, numWarps = (blockDim.x + 31) >> 5;
    v = warpSum(v);
    __syncthreads(); // scratch may still be read by an earlier reduction
    if (lane == 0) scratch[warp] = v;
    __syncthreads();
    v = lane < numWarps ? scratch[lane] : 0.0f;
    return warpSum(v);
}

// Maximum of v over the block; every thread gets the result. scratch: [32] floats of shared memory.
__device__ __forceinline__ float blockMax(float v, float* scratch) {
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, numWarps = (blockDim.x + 31) >> 5;
    v = warpMax(v);
    __syncthreads();
    if (lane == 0) scratch[warp] = v;
    __syncthreads();
    v = lane < numWarps ? scratch[lane] : -INFINITY;
    return warpMax(v);
}

// Programmatic dependent launch (Hopper and newer; ProgrammaticLaunch.java launches every kernel with
// it there): a kernel may start while the kernel before it in the stream is still finishing.
// Every kernel calls waitForPriorKernels() before it reads anything an earlier kernel wrote and
// before it writes anything, and before any early return (a block that returns without waiting
// could let a later kernel's wait pass before the earlier kernel has finished). Only reads of what
// no kernel writes (weights) may come before it. On older GPUs, or launched plainly, both are no-ops.
__device__ __forceinline__ void waitForPriorKernels() {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
    asm volatile("griddepcontrol.wait;" ::: "memory");
#endif
}

// Lets the next kernel of the stream be launched once every block of this one has called it: its
// blocks then do their independent part (load weights) and wait in waitForPriorKernels().
__device__ __forceinline__ void allowNextKernel() {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
    asm volatile("griddepcontrol.launch_dependents;" :::);
#endif
}

} // namespace pagoda
