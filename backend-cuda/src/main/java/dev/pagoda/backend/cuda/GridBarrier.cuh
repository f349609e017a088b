// A grid-wide barrier for persistent kernels (DecodeLayers.cu) whose blocks are all resident at
// once: the launch must not have more blocks than fit on the GPU together (DecodeLayers.java sizes
// the grid from the occupancy query), or the blocks that are running wait forever for the others.
// arrivals and exits: two counters in global memory, zero before the first launch; the kernel leaves
// them zero (leaveGrid), so they serve every later launch.
#pragma once
#include <cuda_runtime.h>

namespace pagoda {

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

} // namespace pagoda
