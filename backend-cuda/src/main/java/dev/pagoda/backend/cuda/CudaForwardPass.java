package dev.pagoda.backend.cuda;

import dev.pagoda.engine.backend.ForwardBatch;
import dev.pagoda.engine.backend.Logits;
import dev.pagoda.engine.model.ModelConfig;
import dev.pagoda.engine.model.RotaryEmbedding;

/**
 * The forward pass of a Llama-family decoder on the GPU, step for step the one of backend-cpu's
 * LlamaForwardPass (same numbering): kernels for the element-wise steps and attention, cuBLAS for
 * the linear layers. Read {@link #enqueue} top to bottom: it is the whole model.
 *
 * <p>Two ways to run it: {@link #eager} uploads the batch and launches every kernel (≈ 220 launches
 * for a 24-layer model, each costing host time); decode batches can instead replay a CUDA graph
 * captured from the same {@link #enqueue} ({@link DecodeGraphs}).
 */
final class CudaForwardPass {
    final ModelConfig config;
    private final CudaContext cuda;
    private final Cublas cublas;
    private final CudaWeights weights;
    private final Embedding embedding;
    private final RmsNorm rmsNorm;
    private final RotaryKvCache rotaryKvCache;
    private final PagedAttention pagedAttention;
    private final Activation activation;
    private final Gemv gemv;
    /**
     * Decode-sized linear layers (≤ 8 rows) through {@link Gemv} instead of cuBLAS; off by default
     * ({@code -Dpagoda.cuda.gemv=true} turns it on): cuBLAS's kernels measured faster (docs/benchmarks-cuda.md).
     */
    boolean useGemv = "true".equals(System.getProperty("pagoda.cuda.gemv"));
    private final DeviceBuffer invFreq; // [headDim / 2] fp32
    private final float eps;
    private final float attnScale;      // 1 / sqrt(headDim)
    private CudaWorkspace ws;           // the eager path's activations
    private DeviceBuffer batchInts;     // the eager path's batch (see eager)

    CudaForwardPass(ModelConfig config, CudaContext cuda, Cublas cublas, CudaWeights weights) {
        this.config = config;
        this.cuda = cuda;
        this.cublas = cublas;
        this.weights = weights;
        this.embedding = new Embedding(cuda);
        this.rmsNorm = new RmsNorm(cuda);
        this.rotaryKvCache = new RotaryKvCache(cuda);
        this.pagedAttention = new PagedAttention(cuda);
        this.activation = new Activation(cuda);
        this.gemv = new Gemv(cuda);
        float[] freqs = RotaryEmbedding.inverseFrequencies(config.headDim(), config.ropeTheta(), config.ropeScaling());
        this.invFreq = cuda.allocate((long) freqs.length * Float.BYTES);
        cuda.copyToDevice(invFreq, freqs);
        this.eps = (float) config.rmsNormEps();
        this.attnScale = (float) (1.0 / Math.sqrt(config.headDim()));
    }

    /** Uploads {@code batch} (already validated against {@code cache}), runs every launch, returns logits for its {@code logitsIndices}. */
    Logits eager(ForwardBatch batch, CudaKvCache cache) {
        int numTokens = batch.numTokens(), numSeqs = batch.numSeqs(), numLogits = batch.logitsIndices().length;
        int vocab = config.vocabSize();
        ensureWorkspace(numTokens, numLogits);

        // The batch's int arrays in one host-to-device copy:
        //   tokenIds [numTokens] | positions [numTokens] | slotMapping [numTokens] | queryStartLoc [numSeqs + 1]
        //   | seqLens [numSeqs] | logitsIndices [numLogits] | blockTables [numSeqs, maxNumBlocksPerSeq]
        int maxNumBlocksPerSeq = 1;
        for (int s = 0; s < numSeqs; s++) {
            maxNumBlocksPerSeq = Math.max(maxNumBlocksPerSeq, (batch.seqLens()[s] + cache.blockSize - 1) / cache.blockSize);
        }
        int[] packed = new int[3 * numTokens + 2 * numSeqs + 1 + numLogits + numSeqs * maxNumBlocksPerSeq];
        int at = 0;
        at = put(packed, at, batch.tokenIds());
        at = put(packed, at, batch.positions());
        at = put(packed, at, batch.slotMapping());
        at = put(packed, at, batch.queryStartLoc());
        at = put(packed, at, batch.seqLens());
        at = put(packed, at, batch.logitsIndices());
        for (int s = 0; s < numSeqs; s++) {
            int needed = (batch.seqLens()[s] + cache.blockSize - 1) / cache.blockSize;
            System.arraycopy(batch.blockTables()[s], 0, packed, at + s * maxNumBlocksPerSeq, needed);
        }
        if (batchInts == null || batchInts.bytes() < packed.length * 4L) {
            cuda.free(batchInts);
            batchInts = cuda.allocate(Math.max(packed.length * 4L, 1 << 16));
        }
        cuda.copyToDevice(batchInts, 0, jcuda.Pointer.to(packed), packed.length * 4L);
        long base = batchInts.address();
        long tokenIds = base, positions = tokenIds + 4L * numTokens, slotMapping = positions + 4L * numTokens;
        long queryStartLoc = slotMapping + 4L * numTokens, seqLens = queryStartLoc + 4L * (numSeqs + 1);
        long logitsIndices = seqLens + 4L * numSeqs, blockTables = logitsIndices + 4L * numLogits;
        DeviceBatch b = new DeviceBatch(tokenIds, positions, slotMapping, queryStartLoc, seqLens, logitsIndices, blockTables,
                maxNumBlocksPerSeq, numTokens, numSeqs, numLogits);

        enqueue(b, ws, cache);
        if (numLogits == 0) return new Logits(0, vocab, new float[0]);
        float[] logits = new float[numLogits * vocab];
        cuda.synchronize();
        cuda.copyToHost(logits, ws.logits, 0);
        return new Logits(numLogits, vocab, logits);
    }

    /**
     * Every kernel and GEMM of one forward pass, queued on the stream; nothing here waits or copies,
     * so a CUDA graph can capture it. Leaves {@code [numLogits, vocabSize]} fp32 logits in {@code ws.logits}.
     */
    void enqueue(DeviceBatch b, CudaWorkspace ws, CudaKvCache cache) {
        int numTokens = b.numTokens(), numSeqs = b.numSeqs(), numLogits = b.numLogits();
        int hidden = config.hiddenSize(), inter = config.intermediateSize(), vocab = config.vocabSize();
        int numHeads = config.numAttentionHeads(), numKvHeads = config.numKeyValueHeads(), headSize = config.headDim();
        int qkvWidth = config.qSize() + 2 * config.kvSize();

        // 1. Embedding.   hidden: [numTokens, hiddenSize] fp32
        embedding.gather(ws.hidden.address(), weights.embedTokens().address(), b.tokenIds(), numTokens, hidden);
        // 2. (The rotary angles are computed inside the RoPE kernel from invFreq and positions.)

        for (int layer = 0; layer < config.numHiddenLayers(); layer++) {
            CudaWeights.Layer w = weights.layers().get(layer);

            // 3. Attention block. normed = RMSNorm(hidden), after adding the previous layer's MLP output.
            rmsNorm.forward(ws.hidden.address(), layer == 0 ? 0 : ws.delta.address(), w.inputLayernorm().address(),
                    ws.normed.address(), 0, numTokens, hidden, eps, true);
            // 3a. q, k, v in one GEMM.   qkv: [numTokens, qSize + 2 * kvSize] fp32
            linear(ws.qkv.address(), ws.normed.address(), w.qkv().address(), numTokens, qkvWidth, hidden);
            // 3b–3d. bias, q/k norm, RoPE; K and V into their cache slots.   query: [numTokens, numHeads, headSize]
            rotaryKvCache.forward(ws.qkv.address(), addr(w.qkvBias()), addr(w.qNorm()), addr(w.kNorm()), invFreq.address(),
                    b.positions(), b.slotMapping(), ws.query.address(), cache.keyCache[layer].address(), cache.valueCache[layer].address(),
                    numTokens, numHeads, numKvHeads, headSize, eps);
            // 3e. Paged attention.   attnOut: [numTokens, numHeads, headSize] bf16
            pagedAttention.forward(ws.attnOut.address(), ws.query.address(), cache.keyCache[layer].address(),
                    cache.valueCache[layer].address(), b.queryStartLoc(), b.seqLens(), b.blockTables(), b.maxNumBlocksPerSeq(),
                    numTokens, numSeqs, numHeads, numKvHeads, headSize, cache.blockSize, attnScale);
            // 3f. Output projection; the residual add happens in the next norm.   delta: [numTokens, hiddenSize]
            linear(ws.delta.address(), ws.attnOut.address(), w.oProj().address(), numTokens, hidden, config.qSize());

            // 4. MLP block. hidden += delta; normed = RMSNorm(hidden)
            rmsNorm.forward(ws.hidden.address(), ws.delta.address(), w.postAttentionLayernorm().address(),
                    ws.normed.address(), 0, numTokens, hidden, eps, true);
            // 4a. gate | up in one GEMM.   gateUp: [numTokens, 2 * intermediateSize]
            linear(ws.gateUp.address(), ws.normed.address(), w.gateUp().address(), numTokens, 2 * inter, hidden);
            // 4b. act = silu(gate) * up   [numTokens, intermediateSize] bf16
            activation.siluAndMul(ws.act.address(), ws.gateUp.address(), numTokens, inter);
            // 4c. down projection; its residual add happens in the next norm.
            linear(ws.delta.address(), ws.act.address(), w.downProj().address(), numTokens, hidden, inter);
        }
        if (numLogits == 0) return;

        // 5. Last residual add and the final RMSNorm, only of the rows that will be sampled.   logitRows: [numLogits, hiddenSize]
        rmsNorm.forward(ws.hidden.address(), ws.delta.address(), weights.norm().address(), ws.logitRows.address(),
                b.logitsIndices(), numLogits, hidden, eps, false);
        // 6. lm_head.   logits: [numLogits, vocabSize] fp32
        linear(ws.logits.address(), ws.logitRows.address(), weights.lmHead().address(), numLogits, vocab, hidden);
    }

    /** {@code out = x · weightᵀ}, bf16 in, fp32 out: {@link Gemv} for decode-sized batches, cuBLAS otherwise. */
    private void linear(long out, long x, long weight, int numRows, int outFeatures, int inFeatures) {
        if (useGemv && Gemv.supports(numRows, inFeatures)) {
            gemv.linear(out, x, weight, numRows, outFeatures, inFeatures);
        } else {
            cublas.linear(out, Cublas.CUDA_R_32F, x, weight, numRows, outFeatures, inFeatures);
        }
    }

    private void ensureWorkspace(int numTokens, int numLogits) {
        if (ws != null && ws.capacity >= numTokens && ws.logitCapacity >= numLogits) return;
        int capacity = Math.max(numTokens, ws == null ? 0 : ws.capacity);
        int logitCapacity = Math.max(numLogits, ws == null ? 0 : ws.logitCapacity);
        if (ws != null) ws.free(cuda);
        ws = new CudaWorkspace(cuda, config, Math.max(capacity, 16), Math.max(logitCapacity, 16));
    }

    private static int put(int[] packed, int at, int[] values) {
        System.arraycopy(values, 0, packed, at, values.length);
        return at + values.length;
    }

    private static long addr(DeviceBuffer b) {
        return b == null ? 0 : b.address();
    }
}
