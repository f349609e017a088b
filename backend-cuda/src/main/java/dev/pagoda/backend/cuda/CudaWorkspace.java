package dev.pagoda.backend.cuda;

import dev.pagoda.engine.model.ModelConfig;

/**
 * Device activations of one forward pass, allocated for {@code capacity} tokens and regrown when a
 * larger batch comes. fp32 where values accumulate (residual stream, GEMM outputs, queries), bf16
 * where they feed a GEMM (cuBLAS multiplies bf16 × bf16).
 */
final class CudaWorkspace {
    final int capacity, logitCapacity;
    final DeviceBuffer hidden;    // [capacity, hiddenSize] fp32, the residual stream
    final DeviceBuffer delta;     // [capacity, hiddenSize] fp32, o_proj / down_proj output, added to hidden by the next norm
    final DeviceBuffer normed;    // [capacity, hiddenSize] bf16
    final DeviceBuffer qkv;       // [capacity, qSize + 2 * kvSize] fp32
    final DeviceBuffer query;     // [capacity, numHeads, headDim] fp32
    final DeviceBuffer attnOut;   // [capacity, numHeads, headDim] bf16
    final DeviceBuffer gateUp;    // [capacity, 2 * intermediateSize] fp32
    final DeviceBuffer act;       // [capacity, intermediateSize] bf16
    final DeviceBuffer logitRows; // [logitCapacity, hiddenSize] bf16
    final DeviceBuffer logits;    // [logitCapacity, vocabSize] fp32
    final DeviceBuffer attnPartials; // decode attention's splits: [numSeqs, numHeads, numSplits, headDim + 2] fp32, numSeqs * numSplits <= 2 * SMs

    CudaWorkspace(CudaContext cuda, ModelConfig c, int capacity, int logitCapacity) {
        this.capacity = capacity;
        this.logitCapacity = logitCapacity;
        long t = capacity;
        hidden = cuda.allocate(t * c.hiddenSize() * 4);
        delta = cuda.allocate(t * c.hiddenSize() * 4);
        normed = cuda.allocate(t * c.hiddenSize() * 2);
        qkv = cuda.allocate(t * (c.qSize() + 2L * c.kvSize()) * 4);
        query = cuda.allocate(t * c.qSize() * 4);
        attnOut = cuda.allocate(t * c.qSize() * 2);
        gateUp = cuda.allocate(t * 2L * c.intermediateSize() * 4);
        act = cuda.allocate(t * c.intermediateSize() * 2);
        logitRows = cuda.allocate((long) logitCapacity * c.hiddenSize() * 2);
        logits = cuda.allocate((long) logitCapacity * c.vocabSize() * 4);
        // PagedAttention.numSplits keeps numSeqs * numSplits within two blocks per multiprocessor.
        int numSms = cuda.attribute(jcuda.driver.CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT);
        attnPartials = cuda.allocate(2L * numSms * c.numAttentionHeads() * (c.headDim() + 2) * 4);
    }

    /** The bytes the constructor allocates for {@code capacity} tokens (keep in step with it): what a profiling forward adds. */
    static long bytes(ModelConfig c, long capacity, long logitCapacity) {
        long t = capacity;
        return t * c.hiddenSize() * 4 + t * c.hiddenSize() * 4 + t * c.hiddenSize() * 2 + t * (c.qSize() + 2L * c.kvSize()) * 4
                + t * c.qSize() * 4 + t * c.qSize() * 2 + t * 2L * c.intermediateSize() * 4 + t * c.intermediateSize() * 2
                + logitCapacity * c.hiddenSize() * 2 + logitCapacity * c.vocabSize() * 4;
    }

    void free(CudaContext cuda) {
        for (DeviceBuffer b : new DeviceBuffer[] {hidden, delta, normed, qkv, query, attnOut, gateUp, act, logitRows, logits, attnPartials}) cuda.free(b);
    }
}
