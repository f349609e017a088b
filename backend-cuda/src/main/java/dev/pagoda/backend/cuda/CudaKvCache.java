package dev.pagoda.backend.cuda;

/**
 * The paged KV cache in device memory, in the layout both backends share: per layer, K and V each
 * {@code [numBlocks, blockSize, numKvHeads, headSize]}; slot {@code blockId * blockSize + offset}.
 *
 * <p>bf16, the dtype the weights are kept in (vLLM's {@code kv_cache_dtype=auto}): it halves the
 * bytes attention reads per step compared with fp32, and the keys come out of a bf16 GEMM anyway,
 * so fp32 storage would keep precision the inputs never had. The CPU reference keeps fp32; the
 * difference is inside the conformance tolerances.
 */
final class CudaKvCache {
    static final int ELEMENT_BYTES = 2; // bf16

    final int numLayers, numBlocks, blockSize, numKvHeads, headSize;
    final DeviceBuffer[] keyCache;   // [numLayers] each [numBlocks, blockSize, numKvHeads, headSize] bf16
    final DeviceBuffer[] valueCache; // [numLayers] same layout

    CudaKvCache(CudaContext cuda, int numLayers, int numBlocks, int blockSize, int numKvHeads, int headSize) {
        if (numBlocks <= 0 || blockSize <= 0) throw new IllegalArgumentException("numBlocks and blockSize must be positive: " + numBlocks + ", " + blockSize);
        this.numLayers = numLayers;
        this.numBlocks = numBlocks;
        this.blockSize = blockSize;
        this.numKvHeads = numKvHeads;
        this.headSize = headSize;
        long bytes = (long) numBlocks * bytesPerBlockPerLayer(blockSize, numKvHeads, headSize) / 2;
        keyCache = new DeviceBuffer[numLayers];
        valueCache = new DeviceBuffer[numLayers];
        for (int l = 0; l < numLayers; l++) {
            keyCache[l] = cuda.allocate(bytes);
            valueCache[l] = cuda.allocate(bytes);
            cuda.zero(keyCache[l]);
            cuda.zero(valueCache[l]);
        }
    }

    /** Bytes of K and V of one block in one layer. */
    static long bytesPerBlockPerLayer(int blockSize, int numKvHeads, int headSize) {
        return 2L * blockSize * numKvHeads * headSize * ELEMENT_BYTES;
    }

    int numSlots() {
        return numBlocks * blockSize;
    }

    void free(CudaContext cuda) {
        for (int l = 0; l < numLayers; l++) {
            cuda.free(keyCache[l]);
            cuda.free(valueCache[l]);
        }
    }
}
