package dev.pagoda.backend.cuda;

import dev.pagoda.engine.model.ModelConfig;
import jcuda.Pointer;
import jcuda.driver.CUdevice_attribute;
import jcuda.driver.CUfunction;
import jcuda.driver.CUfunction_attribute;
import jcuda.driver.JCudaDriver;

/**
 * Launches DecodeLayers.cu: every decoder layer of a one-sequence decode step in one persistent
 * kernel, with grid barriers between its stages instead of five kernel boundaries a layer. What
 * {@link CudaForwardPass#enqueue} launches for a batch of one decode token when the model fits it
 * ({@link #supports}) and {@link PersistentDecode} picks it (by default for models whose layers are
 * large, such as Llama-3-8B); the five-kernel fused path is its oracle.
 *
 * <p>The kernel's blocks wait for each other at every barrier, so all of them must be on the GPU at
 * once: the grid is the number of multiprocessors times the blocks that fit on one (at most two),
 * as the driver's occupancy calculator reports for this kernel and its shared memory.
 */
final class DecodeLayers {
    private static final int THREADS = 256; // as in DecodeLayers.cu
    /** Addresses per layer in the layer table, in LayerPointers' order (DecodeLayers.cu). */
    private static final int POINTERS_PER_LAYER = 9;

    private final CudaContext cuda;
    private final ModelConfig config;
    private final CudaWeights weights;
    private final CUfunction kernel;     // decode_layers_q1 or _q2
    private final CUfunction barrierBench; // grid_barrier_bench
    private final int queryHeadsPerItem; // 1 or 2: the largest divisor of the GQA group size up to 2
    final int gridSize;                  // blocks, all resident at once
    private final int sharedBytes;
    private final DeviceBuffer counters; // [32 + numHeads] uint32: the grid barrier's arrivals and generation, then
                                         // each query-head group's finished splits (zero once; the kernel leaves them zero)
    private final DeviceBuffer profile;  // [10 * numLayers + 1] ns at each stage boundary, then where block 0's own work in each ended
                                         // (-Dpagoda.cuda.persistentDecode.profile=true)
    private DeviceBuffer layerTable;     // [numLayers, POINTERS_PER_LAYER] device addresses, for tableFor
    private CudaKvCache tableFor;

    /**
     * Whether the kernel can run this model: no q/k norm (Qwen3's needs a whole head before RoPE: the
     * fused path's extra kernel), a power-of-two head size from 16 to 256 (the attention stage), and
     * every linear layer's input a whole number of 16-byte chunks.
     */
    static boolean supports(ModelConfig c, CudaWeights w) {
        for (CudaWeights.Layer layer : w.layers()) if (layer.qNorm() != null || layer.kNorm() != null) return false;
        int headSize = c.headDim();
        return headSize >= 16 && headSize <= 256 && Integer.bitCount(headSize) == 1
                && c.hiddenSize() % 8 == 0 && c.qSize() % 8 == 0 && c.intermediateSize() % 8 == 0;
    }

    /** Loads the kernel and sizes its grid; throws when no block of it fits a multiprocessor. Call only where {@link #supports}. */
    DecodeLayers(CudaContext cuda, ModelConfig config, CudaWeights weights) {
        this.cuda = cuda;
        this.config = config;
        this.weights = weights;
        int group = config.numAttentionHeads() / config.numKeyValueHeads();
        this.queryHeadsPerItem = group % 2 == 0 ? 2 : 1;
        jcuda.driver.CUmodule module = cuda.loadModule("DecodeLayers");
        this.kernel = cuda.function(module, "decode_layers_q" + queryHeadsPerItem);
        this.barrierBench = cuda.function(module, "grid_barrier_bench");
        this.sharedBytes = sharedBytes(config, queryHeadsPerItem);
        if (sharedBytes > 48 * 1024) {
            int optIn = cuda.attribute(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN);
            if (sharedBytes > optIn) throw new IllegalStateException("DecodeLayers.cu: " + sharedBytes + " bytes of shared memory > " + optIn);
            JCudaDriver.cuFuncSetAttribute(kernel, CUfunction_attribute.CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, sharedBytes);
        }
        int[] perSm = new int[1];
        JCudaDriver.cuOccupancyMaxActiveBlocksPerMultiprocessor(perSm, kernel, THREADS, sharedBytes);
        if (perSm[0] < 1) throw new IllegalStateException("DecodeLayers.cu: no block fits a multiprocessor");
        int blocksPerSm = Math.min(Integer.getInteger("pagoda.cuda.persistentDecode.blocksPerSm", 2), perSm[0]);
        this.gridSize = cuda.attribute(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT) * Math.max(1, blocksPerSm);
        this.counters = cuda.allocate(4L * (32 + config.numAttentionHeads()));
        cuda.zero(counters);
        this.profile = Boolean.getBoolean("pagoda.cuda.persistentDecode.profile")
                ? cuda.allocate(8L * (10 * config.numHiddenLayers() + 1)) : null;
    }

    /**
     * With {@code -Dpagoda.cuda.persistentDecode.profile=true}: where the last launch's time went, per
     * stage averaged over the layers, from block 0's clock at each grid barrier (a stage's figure
     * includes the wait for the slowest block at its end). Empty otherwise.
     */
    String stageProfile() {
        if (profile == null) return "";
        int numLayers = config.numHiddenLayers();
        long[] t = new long[10 * numLayers + 1];
        cuda.synchronize();
        JCudaDriver.cuMemcpyDtoH(Pointer.to(t), profile.pointer(), 8L * t.length);
        String[] names = {"qkv", "attention", "o_proj", "gate_up", "down"};
        double[] sum = new double[5], work = new double[5];
        for (int l = 0; l < numLayers; l++) {
            for (int s = 0; s < 5; s++) {
                sum[s] += t[5 * l + s + 1] - t[5 * l + s];
                if (l + 1 < numLayers || s < 4) work[s] += t[5 * numLayers + 1 + 5 * l + s] - t[5 * l + s];
            }
        }
        StringBuilder out = new StringBuilder(String.format("persistent kernel, %d blocks (one grid barrier alone: %.2f µs): %.1f µs in all; per layer:",
                gridSize, barrierMicros(2000), (t[5 * numLayers] - t[0]) / 1e3));
        for (int s = 0; s < 5; s++) {
            out.append(String.format(" %s %.2f (block 0 busy %.2f)", names[s], sum[s] / numLayers / 1e3, work[s] / (s < 4 ? numLayers : numLayers - 1) / 1e3));
        }
        return out.append(" µs").toString();
    }

    /** GPU time of one grid barrier of this kernel's grid: {@code rounds} back to back in one launch (CUDA events), µs each. */
    double barrierMicros(int rounds) {
        jcuda.driver.CUevent start = new jcuda.driver.CUevent(), stop = new jcuda.driver.CUevent();
        JCudaDriver.cuEventCreate(start, 0);
        JCudaDriver.cuEventCreate(stop, 0);
        cuda.launch(barrierBench, gridSize, 1, THREADS, 0, counters.address(), 10); // warm
        JCudaDriver.cuEventRecord(start, cuda.stream);
        cuda.launch(barrierBench, gridSize, 1, THREADS, 0, counters.address(), rounds);
        JCudaDriver.cuEventRecord(stop, cuda.stream);
        JCudaDriver.cuEventSynchronize(stop);
        float[] ms = new float[1];
        JCudaDriver.cuEventElapsedTime(ms, start, stop);
        JCudaDriver.cuEventDestroy(start);
        JCudaDriver.cuEventDestroy(stop);
        return ms[0] * 1e3 / rounds;
    }

    /** Dynamic shared memory: the larger of the linear stages' input row (bf16) and the attention stage's per-warp partial outputs. */
    private static int sharedBytes(ModelConfig c, int queryHeadsPerItem) {
        int maxIn = Math.max(Math.max(c.hiddenSize(), c.intermediateSize()), c.qSize());
        int linear = maxIn * 2;
        int attention = 8 * queryHeadsPerItem * c.headDim() * Float.BYTES;
        return (Math.max(linear, attention) + 15) & ~15;
    }

    /**
     * Queues the kernel: {@code ws.hidden} row 0 (the token's embedding) becomes the last layer's
     * output; this token's K/V go into its cache slot in every layer. {@code b}: one sequence, one
     * token, {@code b.numKvSplits() > 0}.
     *
     * @param invFreq {@code [headDim / 2]} fp32 RoPE inverse frequencies
     */
    void enqueue(DeviceBatch b, CudaWorkspace ws, CudaKvCache cache, long invFreq, float eps, float scale) {
        if (b.numTokens() != 1 || b.numSeqs() != 1 || b.numKvSplits() < 1) {
            throw new IllegalArgumentException("DecodeLayers: one sequence decoding one token, got " + b.numTokens() + " tokens, "
                    + b.numSeqs() + " sequences, " + b.numKvSplits() + " splits");
        }
        cuda.launch(kernel, gridSize, 1, THREADS, sharedBytes,
                layerTable(cache).address(), config.numHiddenLayers(), ws.hidden.address(), ws.query.address(), ws.attnOut.address(),
                ws.attnPartials.address(), ws.act.address(), invFreq, b.positions(), b.slotMapping(), b.seqLens(), b.blockTables(),
                counters.address(), profile == null ? 0L : profile.address(), config.hiddenSize(), config.intermediateSize(), config.numAttentionHeads(), config.numKeyValueHeads(),
                config.headDim(), cache.blockSize, b.maxNumBlocksPerSeq(), PagedAttention.MAX_SPLITS, eps, scale);
    }

    /**
     * The layer table for {@code cache}, uploaded on first use (a synchronous copy: outside any graph
     * capture, which DecodeGraphs guarantees by running each batch shape eagerly before capturing it).
     */
    private DeviceBuffer layerTable(CudaKvCache cache) {
        if (cache == tableFor) return layerTable;
        int numLayers = config.numHiddenLayers();
        long[] table = new long[numLayers * POINTERS_PER_LAYER];
        for (int l = 0; l < numLayers; l++) {
            CudaWeights.Layer w = weights.layers().get(l);
            long[] row = {w.qkv().address(), w.qkvBias() == null ? 0 : w.qkvBias().address(), w.inputLayernorm().address(),
                    w.oProj().address(), w.postAttentionLayernorm().address(), w.gateUp().address(), w.downProj().address(),
                    cache.keyCache[l].address(), cache.valueCache[l].address()};
            System.arraycopy(row, 0, table, l * POINTERS_PER_LAYER, POINTERS_PER_LAYER);
        }
        if (layerTable == null) layerTable = cuda.allocate((long) table.length * Long.BYTES);
        cuda.synchronize(); // a queued launch may still read the table being replaced
        cuda.copyToDevice(layerTable, 0, Pointer.to(table), (long) table.length * Long.BYTES);
        tableFor = cache;
        return layerTable;
    }
}
