/**
 * The CUDA backend: JCuda driver API, PagedAttention kernels compiled to PTX at build time,
 * cuBLAS through FFM, CUDA graphs for decode. Not built yet (issue 6); the module exists so that
 * the build and the module map are in place.
 */
package dev.pagoda.cuda;
