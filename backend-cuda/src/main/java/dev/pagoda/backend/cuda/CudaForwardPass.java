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
 * <p>Two ways to run it: {@link #eager} uploads the batch and launches every kernel (≈ 150–240
 * launches for a 24-layer model, each costing host time); decode batches can instead replay a CUDA
 * graph captured from the same {@link #enqueue} ({@link DecodeGraphs}).
 *
 * <p>Two sets of kernels: batches of at most {@link Gemv#MAX_ROWS} tokens (decode) take the fused
 * path, five kernels per layer with the norms, residual adds, SiLU-and-mul and RoPE inside the
 * weight-streaming {@link Gemv} kernels; larger batches (prefill) take cuBLAS GEMMs with separate
 * element-wise kernels. Both compute the same numbers up to the order of fp32 sums. A batch of one
 * decode token may run the fused path's layers as one persistent kernel instead ({@link DecodeLayers},
 * {@link PersistentDecode}).
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
    private final PagedAttentionPrefill prefillKernel;
    private final Activation activation;
    private final Gemv gemv;
    private final DecodeLayers decodeLayers; // null where the model does not fit it (DecodeLayers.supports)
    /**
     * On the unfused path only: linear layers of ≤ 8 rows through {@link Gemv} instead of cuBLAS; off
     * by default ({@code -Dpagoda.cuda.gemv=true}). The fused path always uses Gemv.cu.
     */
    boolean useGemv = "true".equals(System.getProperty("pagoda.cuda.gemv"));
    /**
     * Batches of at most {@link Gemv#MAX_ROWS} tokens through the fused kernels (the default;
     * {@code -Dpagoda.cuda.fusedDecode=false} keeps them on the unfused path, for comparison).
     */
    boolean fusedDecode = !"false".equals(System.getProperty("pagoda.cuda.fusedDecode"));
    /** Which batches of one decode token run every layer in one DecodeLayers.cu kernel ({@link PersistentDecode}). */
    PersistentDecode persistentDecode = PersistentDecode.fromSystemProperty();
    /**
     * Batches that are not pure decode through the prefill attention kernel, PagedAttentionPrefill.cu
     * (the default, for head sizes 64 and 128; {@code -Dpagoda.cuda.prefillAttention=false}: one-pass).
     */
    boolean prefillAttention = !"false".equals(System.getProperty("pagoda.cuda.prefillAttention"));
    /** Pure decode batches through the decode attention kernel (the default; {@code -Dpagoda.cuda.decodeAttention=false}: one-pass). */
    boolean decodeAttention = !"false".equals(System.getProperty("pagoda.cuda.decodeAttention"));
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
        this.prefillKernel = new PagedAttentionPrefill(cuda);
        this.activation = new Activation(cuda);
        this.gemv = new Gemv(cuda);
        this.decodeLayers = DecodeLayers.supports(config, weights) ? new DecodeLayers(cuda, config, weights) : null;
        float[] freqs = RotaryEmbedding.inverseFrequencies(config.headDim(), config.ropeTheta(), config.ropeScaling());
        this.invFreq = cuda.allocate((long) freqs.length * Float.BYTES);
        cuda.copyToDevice(invFreq, freqs);
        this.eps = (float) config.rmsNormEps();
        this.attnScale = (float) (1.0 / Math.sqrt(config.headDim()));
    }

    /** Uploads {@code batch} (already validated against {@code cache}), runs every launch, returns logits for its {@code logitsIndices}. */
    Logits eager(ForwardBatch batch, CudaKvCache cache) {
        int numLogits = batch.logitsIndices().length, vocab = config.vocabSize();
        eagerOnDevice(batch, cache);
        if (numLogits == 0) return new Logits(0, vocab, new float[0]);
        float[] logits = new float[numLogits * vocab];
        cuda.synchronize();
        cuda.copyToHost(logits, ws.logits, 0);
        return new Logits(numLogits, vocab, logits);
    }

    /**
     * Like {@link #eager} but leaves the logits on the device, for the device sampler: returns the
     * address of {@code [numLogits, vocabSize]} fp32 logits, row i for {@code batch.logitsIndices()[i]}
     * (valid until the next forward; the launches are queued on the stream the sampler uses next).
     */
    long eagerOnDevice(ForwardBatch batch, CudaKvCache cache) {
        int numTokens = batch.numTokens(), numSeqs = batch.numSeqs(), numLogits = batch.logitsIndices().length;
        ensureWorkspace(numTokens, numLogits);

        // The batch's int arrays in one host-to-device copy:
        //   tokenIds [numTokens] | positions [numTokens] | slotMapping [numTokens] | queryStartLoc [numSeqs + 1]
        //   | seqLens [numSeqs] | logitsIndices [numLogits] | blockTables [numSeqs, maxNumBlocksPerSeq]
        //   | prefillTiles [numPrefillTiles, 2] (batches that are not pure decode, head sizes the prefill kernel has)
        int maxSeqLen = 0;
        boolean decode = true; // one new token per sequence: the decode attention kernel applies
        for (int s = 0; s < numSeqs; s++) {
            maxSeqLen = Math.max(maxSeqLen, batch.seqLens()[s]);
            decode &= batch.queryLen(s) == 1;
        }
        int[] prefillTiles = !decode && usesPrefillKernel() ? PagedAttentionPrefill.tiles(batch.queryStartLoc(), batch.seqLens(), prefillKernel.blockM) : new int[0];
        int maxNumBlocksPerSeq = 1;
        for (int s = 0; s < numSeqs; s++) {
            maxNumBlocksPerSeq = Math.max(maxNumBlocksPerSeq, (batch.seqLens()[s] + cache.blockSize - 1) / cache.blockSize);
        }
        int[] packed = new int[3 * numTokens + 2 * numSeqs + 1 + numLogits + numSeqs * maxNumBlocksPerSeq + prefillTiles.length];
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
        at += numSeqs * maxNumBlocksPerSeq;
        put(packed, at, prefillTiles);
        if (batchInts == null || batchInts.bytes() < packed.length * 4L) {
            cuda.free(batchInts);
            batchInts = cuda.allocate(Math.max(packed.length * 4L, 1 << 16));
        }
        cuda.copyToDevice(batchInts, 0, jcuda.Pointer.to(packed), packed.length * 4L);
        long base = batchInts.address();
        long tokenIds = base, positions = tokenIds + 4L * numTokens, slotMapping = positions + 4L * numTokens;
        long queryStartLoc = slotMapping + 4L * numTokens, seqLens = queryStartLoc + 4L * (numSeqs + 1);
        long logitsIndices = seqLens + 4L * numSeqs, blockTables = logitsIndices + 4L * numLogits;
        long prefillTilesAt = blockTables + 4L * numSeqs * maxNumBlocksPerSeq;
        DeviceBatch b = new DeviceBatch(tokenIds, positions, slotMapping, queryStartLoc, seqLens, logitsIndices, blockTables,
                maxNumBlocksPerSeq, numTokens, numSeqs, numLogits, decode ? decodeSplits(numSeqs, maxSeqLen) : 0,
                prefillTiles.length == 0 ? 0 : prefillTilesAt, prefillTiles.length / 2);

        enqueue(b, ws, cache);
        return ws.logits.address();
    }

    /**
     * Every kernel and GEMM of one forward pass, queued on the stream; nothing here waits or copies,
     * so a CUDA graph can capture it. Leaves {@code [numLogits, vocabSize]} fp32 logits in {@code ws.logits}.
     */
    void enqueue(DeviceBatch b, CudaWorkspace ws, CudaKvCache cache) {
        if (usesFusedKernels(b.numTokens())) {
            enqueueFused(b, ws, cache);
            return;
        }
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
            attention(b, ws, cache, layer);
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

    /**
     * {@link #enqueue} for at most {@link Gemv#MAX_ROWS} tokens: the same steps, five kernels per layer
     * (six with q/k norm).
     * The residual stream is updated in place by o_proj and down_proj ({@code hidden += …}), and
     * each RMSNorm is computed inside the kernel of the linear layer that reads it.
     */
    private void enqueueFused(DeviceBatch b, CudaWorkspace ws, CudaKvCache cache) {
        int numTokens = b.numTokens(), numLogits = b.numLogits();
        int hidden = config.hiddenSize(), inter = config.intermediateSize(), vocab = config.vocabSize();
        int numHeads = config.numAttentionHeads(), numKvHeads = config.numKeyValueHeads(), headSize = config.headDim();
        int qkvWidth = config.qSize() + 2 * config.kvSize();

        // 1. Embedding.   hidden: [numTokens, hiddenSize] fp32
        embedding.gather(ws.hidden.address(), weights.embedTokens().address(), b.tokenIds(), numTokens, hidden);
        boolean persistent = usesPersistentKernel(b);
        if (persistent) decodeLayers.enqueue(b, ws, cache, invFreq.address(), eps, attnScale); // 3–4c of every layer, one kernel
        for (int layer = 0; layer < config.numHiddenLayers() && !persistent; layer++) {
            CudaWeights.Layer w = weights.layers().get(layer);
            if (w.qNorm() == null) {
                // 3–3d. normed = RMSNorm(hidden); q, k, v = normed · [Wq; Wk; Wv]ᵀ + bias; RoPE; q → query, K and V into their cache slots
                gemv.normRopeQkv(ws.hidden.address(), w.inputLayernorm().address(), w.qkv().address(), addr(w.qkvBias()), invFreq.address(),
                        b.positions(), b.slotMapping(), ws.query.address(), cache.keyCache[layer].address(), cache.valueCache[layer].address(),
                        numTokens, numHeads, numKvHeads, headSize, hidden, eps);
            } else { // q/k norm (Qwen3) needs a whole head before RoPE: its own kernel
                // 3 + 3a. normed = RMSNorm(hidden); q, k, v = normed · [Wq; Wk; Wv]ᵀ   qkv: [numTokens, qSize + 2 * kvSize] fp32
                gemv.normLinear(ws.qkv.address(), ws.hidden.address(), w.inputLayernorm().address(), 0, w.qkv().address(),
                        numTokens, qkvWidth, hidden, eps);
                // 3b–3d. bias, q/k norm, RoPE; K and V into their cache slots.   query: [numTokens, numHeads, headSize]
                rotaryKvCache.forward(ws.qkv.address(), addr(w.qkvBias()), addr(w.qNorm()), addr(w.kNorm()), invFreq.address(),
                        b.positions(), b.slotMapping(), ws.query.address(), cache.keyCache[layer].address(), cache.valueCache[layer].address(),
                        numTokens, numHeads, numKvHeads, headSize, eps);
            }
            // 3e. Paged attention.   attnOut: [numTokens, numHeads, headSize] bf16
            attention(b, ws, cache, layer);
            // 3f + 4. hidden += attnOut · Woᵀ
            gemv.linearAdd(ws.hidden.address(), ws.attnOut.address(), w.oProj().address(), numTokens, hidden, config.qSize());
            // 4 + 4a + 4b. normed = RMSNorm(hidden); act = silu(normed · Wgᵀ) * (normed · Wuᵀ)   act: [numTokens, intermediateSize] bf16
            gemv.normSiluMul(ws.act.address(), ws.hidden.address(), w.postAttentionLayernorm().address(), w.gateUp().address(),
                    numTokens, inter, hidden, eps);
            // 4c + next layer's 3. hidden += act · Wdᵀ
            gemv.linearAdd(ws.hidden.address(), ws.act.address(), w.downProj().address(), numTokens, hidden, inter);
        }
        if (numLogits == 0) return;
        // 5. Final RMSNorm of the rows that will be sampled, once (inside lm_head's ~19k blocks it would be
        //    recomputed by every warp, more L1/L2 traffic than the weights).   logitRows: [numLogits, hiddenSize] bf16
        rmsNorm.forward(ws.hidden.address(), 0, weights.norm().address(), ws.logitRows.address(), b.logitsIndices(), numLogits, hidden, eps, false);
        // 6. lm_head.   logits: [numLogits, vocabSize] fp32
        gemv.linear(ws.logits.address(), ws.logitRows.address(), weights.lmHead().address(), numLogits, vocab, hidden);
    }

    /** Whether a one-sequence decode step runs as one {@link DecodeLayers} kernel now: the model fits it, and {@link #persistentDecode} picks it. */
    boolean persistentKernelApplies() {
        return decodeLayers != null && persistentDecode.uses(config);
    }

    /** {@link DecodeLayers#stageProfile}, or empty without the kernel. */
    String persistentStageProfile() {
        return decodeLayers == null ? "" : decodeLayers.stageProfile();
    }

    /** Whether {@link #enqueueFused} runs {@code b}'s layers as one {@link DecodeLayers} kernel: one sequence decoding one token. */
    boolean usesPersistentKernel(DeviceBatch b) {
        return persistentKernelApplies() && b.numTokens() == 1 && b.numSeqs() == 1 && b.numKvSplits() > 0;
    }

    /** Whether a batch of {@code numTokens} tokens takes {@link #enqueueFused}: few rows, and every linear layer fits the kernels. */
    boolean usesFusedKernels(int numTokens) {
        return fusedDecode && Gemv.supports(numTokens, config.hiddenSize()) && Gemv.supports(numTokens, config.qSize())
                && Gemv.supports(numTokens, config.intermediateSize());
    }

    /**
     * 3e: the decode kernel for decode steps ({@code b.numKvSplits() > 0}), the prefill kernel for
     * other batches ({@code b.numPrefillTiles() > 0}; decode rows of a mixed batch are one-row tiles
     * there), the one-pass kernel where neither applies.
     */
    private void attention(DeviceBatch b, CudaWorkspace ws, CudaKvCache cache, int layer) {
        int numHeads = config.numAttentionHeads(), numKvHeads = config.numKeyValueHeads(), headSize = config.headDim();
        if (b.numKvSplits() > 0) {
            pagedAttention.decode(ws.attnOut.address(), ws.attnPartials.address(), ws.query.address(), cache.keyCache[layer].address(),
                    cache.valueCache[layer].address(), b.seqLens(), b.blockTables(), b.maxNumBlocksPerSeq(),
                    b.numSeqs(), numHeads, numKvHeads, headSize, cache.blockSize, b.numKvSplits(), attnScale);
        } else if (b.numPrefillTiles() > 0) {
            prefillKernel.forward(ws.attnOut.address(), ws.query.address(), cache.keyCache[layer].address(),
                    cache.valueCache[layer].address(), b.queryStartLoc(), b.seqLens(), b.blockTables(), b.prefillTiles(),
                    b.numPrefillTiles(), b.maxNumBlocksPerSeq(), numHeads, numKvHeads, headSize, cache.blockSize, attnScale);
        } else {
            pagedAttention.forward(ws.attnOut.address(), ws.query.address(), cache.keyCache[layer].address(),
                    cache.valueCache[layer].address(), b.queryStartLoc(), b.seqLens(), b.blockTables(), b.maxNumBlocksPerSeq(),
                    b.numTokens(), b.numSeqs(), numHeads, numKvHeads, headSize, cache.blockSize, attnScale);
        }
    }

    /**
     * The split count of a decode step's attention ({@link DeviceBatch#numKvSplits}): 0 (one-pass
     * kernel) when the decode kernel is switched off, else {@link PagedAttention#numSplits}.
     */
    int decodeSplits(int numSeqs, int maxSeqLen) {
        if (!decodeAttention) return 0;
        return pagedAttention.numSplits(numSeqs, maxSeqLen, config.numAttentionHeads(), config.numKeyValueHeads(), config.headDim());
    }

    /** Whether batches that are not pure decode take the prefill kernel: switched on, and a head size it has. */
    boolean usesPrefillKernel() {
        return prefillAttention && PagedAttentionPrefill.supports(config.headDim());
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
