/**
 * The CUDA backend: JCuda's driver API for context, memory, modules and launches; kernels in .cu
 * files beside the Java class that launches each (compiled to PTX by nvcc at build time, see
 * src/build/compile-kernels.sh); cuBLAS through FFM. The readable specification of every step is
 * backend-cpu ({@code dev.pagoda.backend.cpu}); start with {@link dev.pagoda.backend.cuda.CudaForwardPass}
 * and PagedAttention.cu.
 */
package dev.pagoda.backend.cuda;
