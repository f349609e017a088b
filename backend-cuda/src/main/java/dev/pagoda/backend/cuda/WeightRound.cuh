// One round of a warp's weight loads for the weight-streaming matrix-vector kernels (Gemv.cu,
// DecodeLayers.cu): lane l of the warp loads the 16-byte chunks c0, c0 + stride, … (N of them) of one
// weight row, and of a second row when TWO (the gate/up and RoPE pairs), zeros past the row's end.
// All N loads are issued before any is used: that is what keeps enough bytes in flight.
#pragma once
#include <cuda_runtime.h>

namespace pagoda {

template <int N, bool TWO>
__device__ __forceinline__ void loadWeightRound(uint4 (&wv)[N], uint4 (&uv)[N], const uint4* w, const uint4* u, bool active,
                                                int c0, int stride, int chunks) {
    #pragma unroll
    for (int i = 0; i < N; i++) {
        int c = c0 + i * stride;
        bool ok = active && c < chunks;
        wv[i] = ok ? __ldg(w + c) : make_uint4(0, 0, 0, 0);
        if (TWO) uv[i] = ok ? __ldg(u + c) : make_uint4(0, 0, 0, 0);
    }
}

} // namespace pagoda
