package dev.pagoda.backend.cpu;

import dev.pagoda.engine.backend.ForwardBatch;
import dev.pagoda.engine.backend.Logits;
import dev.pagoda.engine.model.ModelConfig;
import dev.pagoda.engine.model.RotaryEmbedding;

/**
 * The forward pass of a Llama-family decoder (Llama 2/3.x, Mistral, Qwen2/2.5, Qwen3) over one
 * {@link ForwardBatch}, in fp32. Read {@link #forward} top to bottom: it is the whole model.
 *
 * <p>The batch is flat: {@code numTokens} rows, the new tokens of every sequence one after the
 * other. Everything except attention works row by row and never looks at which sequence a row
 * belongs to; attention is where sequences are kept apart (through {@code queryStartLoc},
 * {@code seqLens} and {@code blockTables}) and where the paged KV cache is read.
 *
 * <p>Family differences are flags in the config: q/k/v biases (Qwen2), a per-head RMSNorm of
 * queries and keys before RoPE (Qwen3), llama3 RoPE scaling (in the frequencies), tied lm_head
 * (the same tensor as the embedding).
 *
 * <p>Threads: a layer is five parallel regions, each ending with a wait for every worker
 * ({@link WorkerPool}), and only a few microseconds of work on the calling thread between them
 * (the RMSNorms and the de-interleaving of the next matmul's input, {@code hiddenSize} floats per
 * token): q/k/v by head with RoPE and the cache write; attention; o_proj with its residual add;
 * gate/up with silu-and-mul; down_proj with its residual add. Every fused step works on exactly the
 * features its worker just computed, with the same code as unfused, so results do not depend on
 * which worker computed what.
 */
final class LlamaForwardPass {
    private final ModelConfig config;
    private final CpuWeights weights;
    private final WorkerPool pool;
    private final Workspace ws;
    private final float[] invFreq; // [headDim / 2] rotation speed of each dimension pair
    private final float eps;
    private final float attnScale; // 1 / sqrt(headDim)
    private StepProfile profile; // null unless a probe measures where the time goes

    LlamaForwardPass(ModelConfig config, CpuWeights weights, WorkerPool pool) {
        this.config = config;
        this.weights = weights;
        this.pool = pool;
        this.ws = new Workspace(config, pool.numThreads());
        this.invFreq = RotaryEmbedding.inverseFrequencies(config.headDim(), config.ropeTheta(), config.ropeScaling());
        this.eps = (float) config.rmsNormEps();
        this.attnScale = (float) (1.0 / Math.sqrt(config.headDim()));
    }

    /** Switches per-phase timing on ({@code profile}) or off ({@code null}). */
    void profile(StepProfile profile) {
        this.profile = profile;
    }

    private void mark(StepProfile.Phase phase) {
        if (profile != null) profile.mark(phase);
    }

    /** Runs the model over {@code batch} (already validated against {@code cache}) and returns logits for its {@code logitsIndices}. */
    Logits forward(ForwardBatch batch, PagedKvCache cache) {
        int numLogits = batch.logitsIndices().length;
        if (profile != null) profile.startStep(pool.regions());
        finalHiddenStates(batch, cache);
        // 6. lm_head: the scores of every vocabulary entry.   logits: [numLogits, vocabSize]
        float[] logits = new float[numLogits * config.vocabSize()];
        MatMul.forward(pool, ws.logitRows, numLogits, new Linear[] {weights.lmHead()}, new float[][] {logits}, ws.matmulScratch);
        if (profile != null) {
            profile.mark(StepProfile.Phase.LM_HEAD);
            profile.endStep(pool.regions());
        }
        return new Logits(numLogits, config.vocabSize(), logits);
    }

    /** Steps 1–5 of {@link #forward}: the final-norm hidden states of the {@code logitsIndices} rows, {@code [numLogits, hiddenSize]} (embeddings). */
    float[] hiddenStates(ForwardBatch batch, PagedKvCache cache) {
        finalHiddenStates(batch, cache);
        return java.util.Arrays.copyOf(ws.logitRows, batch.logitsIndices().length * config.hiddenSize());
    }

    /** The decoder stack and the final norm; leaves {@code ws.logitRows} = {@code [numLogits, hiddenSize]}. */
    private void finalHiddenStates(ForwardBatch batch, PagedKvCache cache) {
        int numTokens = batch.numTokens();
        int numLogits = batch.logitsIndices().length;
        int hidden = config.hiddenSize(), inter = config.intermediateSize();
        int numHeads = config.numAttentionHeads(), numKvHeads = config.numKeyValueHeads(), headSize = config.headDim();
        int qSize = config.qSize();
        ws.ensure(numTokens, numLogits);

        // 1. Embedding: each token's row of embed_tokens, widened to fp32.   hidden: [numTokens, hiddenSize]
        for (int t = 0; t < numTokens; t++) {
            Dot.widen(weights.embedTokens().data(), (long) batch.tokenIds()[t] * hidden, weights.embedTokens().dtype(), ws.hidden, t * hidden, hidden);
        }

        // 2. Rotary angles of each token, shared by all layers.   cos, sin: [numTokens, headSize / 2]
        //    angle = invFreq[i] * position in fp32, as transformers computes it.
        int half = headSize / 2;
        for (int t = 0; t < numTokens; t++) {
            for (int i = 0; i < half; i++) {
                float angle = RotaryEmbedding.angle(invFreq[i], batch.positions()[t]);
                ws.cos[t * half + i] = (float) Math.cos(angle);
                ws.sin[t * half + i] = (float) Math.sin(angle);
            }
        }
        mark(StepProfile.Phase.EMBEDDING);

        for (int layer = 0; layer < config.numHiddenLayers(); layer++) {
            CpuWeights.Layer w = weights.layers().get(layer);

            // 3. Attention block. normed = RMSNorm(hidden)   [numTokens, hiddenSize]
            for (int t = 0; t < numTokens; t++) {
                VectorOps.rmsNorm(ws.normed, t * hidden, ws.hidden, t * hidden, w.inputLayernorm(), hidden, eps);
            }
            ws.normedPairs = MatMul.splitPairs(ws.normed, numTokens, hidden, ws.normedPairs);
            mark(StepProfile.Phase.INPUT_NORM);

            // 3a–d. q/k/v projections (+ bias for Qwen2), Qwen3's q/k norm, RoPE and the cache write, in
            //       one parallel region whose unit is one head: query heads, then key heads, then value heads.
            //     query: [numTokens, numHeads, headSize]   key, value: [numTokens, numKvHeads, headSize]
            int l = layer;
            pool.parallelFor(numHeads + 2 * numKvHeads, 1, (worker, start, end) -> {
                for (int unit = start; unit < end; unit++) projectHead(batch, cache, l, w, unit, worker);
            });
            mark(StepProfile.Phase.QKV_PROJ);

            // 3e. Paged attention: every query row against its sequence's cached keys/values.
            //     attnOut: [numTokens, numHeads, headSize]
            PagedAttention.forward(pool, ws.query, ws.attnOut, cache.keyCache[layer], cache.valueCache[layer],
                    batch.queryStartLoc(), batch.seqLens(), batch.blockTables(),
                    numHeads, numKvHeads, headSize, cache.blockSize, attnScale, ws.scoreScratch);
            ws.attnOutPairs = MatMul.splitPairs(ws.attnOut, numTokens, qSize, ws.attnOutPairs);
            mark(StepProfile.Phase.ATTENTION);

            // 3f. Output projection and the residual connection, hidden += o_proj(attnOut), in one region:
            //     each worker adds the features it computed.
            projectAndAdd(w.oProj()[0], ws.attnOut, ws.attnOutPairs, numTokens);
            mark(StepProfile.Phase.O_PROJ);

            // 4. MLP block. normed = RMSNorm(hidden)
            for (int t = 0; t < numTokens; t++) {
                VectorOps.rmsNorm(ws.normed, t * hidden, ws.hidden, t * hidden, w.postAttentionLayernorm(), hidden, eps);
            }
            ws.normedPairs = MatMul.splitPairs(ws.normed, numTokens, hidden, ws.normedPairs);
            mark(StepProfile.Phase.POST_ATTENTION_NORM);

            // 4a–b. gate, up: [numTokens, intermediateSize], and act = silu(gate) * up, in one region whose
            //       unit is one pair block of features (so act can be written de-interleaved for down_proj).
            int numBlocks = (inter + Bf16MatMulKernel.BLOCK - 1) / Bf16MatMulKernel.BLOCK;
            pool.parallelFor(numBlocks, 1, (worker, start, end) -> gateUpAct(w, numTokens,
                    start * Bf16MatMulKernel.BLOCK, Math.min(inter, end * Bf16MatMulKernel.BLOCK), worker));
            mark(StepProfile.Phase.GATE_UP_PROJ);

            // 4c. Down projection and the residual connection: hidden += down_proj(act).
            projectAndAdd(w.downProj()[0], ws.act, ws.actPairs, numTokens);
            mark(StepProfile.Phase.DOWN_PROJ);
        }

        // 5. Final RMSNorm, only of the rows that will be sampled.   logitRows: [numLogits, hiddenSize]
        for (int i = 0; i < numLogits; i++) {
            VectorOps.rmsNorm(ws.logitRows, i * hidden, ws.hidden, batch.logitsIndices()[i] * hidden, weights.norm(), hidden, eps);
        }
        mark(StepProfile.Phase.FINAL_NORM);
    }
    /**
     * One head's share of 3a–d, for every token: the {@code headSize} output features of q, k or v
     * that make up head {@code unit} (query heads first, then key heads, then value heads), then what
     * follows for that head alone: Qwen3's head RMSNorm, RoPE, and for keys and values the store in
     * the cache. Each step is per head, so the results are those of doing it for all heads at once.
     */
    private void projectHead(ForwardBatch batch, PagedKvCache cache, int layer, CpuWeights.Layer w, int unit, int worker) {
        int numTokens = batch.numTokens();
        int numHeads = config.numAttentionHeads(), numKvHeads = config.numKeyValueHeads(), headSize = config.headDim();
        int qSize = config.qSize(), kvSize = config.kvSize(), half = headSize / 2;
        int kind = unit < numHeads ? 0 : unit < numHeads + numKvHeads ? 1 : 2; // query, key, value
        int head = kind == 0 ? unit : kind == 1 ? unit - numHeads : unit - numHeads - numKvHeads;
        float[] out = kind == 0 ? ws.query : kind == 1 ? ws.key : ws.value;
        int rowSize = kind == 0 ? qSize : kvSize;
        MatMul.range(w.qkv()[kind], ws.normed, ws.normedPairs, numTokens, out, head * headSize, (head + 1) * headSize, ws.matmulScratch, worker);
        for (int t = 0; t < numTokens; t++) {
            int off = t * rowSize + head * headSize;
            // 3b. Qwen3: RMSNorm of each head of q and k, before RoPE.
            if (kind == 0 && w.qNorm() != null) VectorOps.rmsNorm(out, off, out, off, w.qNorm(), headSize, eps);
            if (kind == 1 && w.kNorm() != null) VectorOps.rmsNorm(out, off, out, off, w.kNorm(), headSize, eps);
            // 3c. RoPE on queries and keys (values are not rotated).
            if (kind != 2) VectorOps.rotaryEmbedding(out, off, 1, headSize, ws.cos, ws.sin, t * half);
            // region: cache-write
            // 3d. Store this token's key (or value) head in its cache slot, so attention finds it with the context.
            if (kind != 0) cache.writeHead(layer, batch.slotMapping()[t], head, kind == 1, out, off);
            // endregion
        }
    }

    /**
     * {@code hidden += linear(x)} for every token as one parallel region: each worker computes a range
     * of output features into {@code projOut} and adds exactly those to the residual stream.
     */
    private void projectAndAdd(Linear linear, float[] x, float[] xp, int numTokens) {
        int hidden = config.hiddenSize();
        int numTiles = (hidden + MatMul.TILE - 1) / MatMul.TILE;
        pool.parallelFor(numTiles, MatMul.MIN_TILES_PER_CHUNK, (worker, tileStart, tileEnd) -> {
            int lo = tileStart * MatMul.TILE, hi = Math.min(hidden, tileEnd * MatMul.TILE);
            MatMul.range(linear, x, xp, numTokens, ws.projOut, lo, hi, ws.matmulScratch, worker);
            for (int t = 0; t < numTokens; t++) VectorOps.add(ws.hidden, t * hidden + lo, ws.projOut, t * hidden + lo, hi - lo);
        });
    }

    /**
     * Features {@code [lo, hi)} of gate and up for every token, then {@code act = silu(gate) * up} of
     * those features, stored plainly and de-interleaved ({@code lo} is a multiple of
     * {@link Bf16MatMulKernel#BLOCK} and {@code hi} one too or the row's end, so the piece splits
     * exactly as the whole row would).
     */
    private void gateUpAct(CpuWeights.Layer w, int numTokens, int lo, int hi, int worker) {
        int inter = config.intermediateSize();
        MatMul.range(w.gateUp()[0], ws.normed, ws.normedPairs, numTokens, ws.gate, lo, hi, ws.matmulScratch, worker);
        MatMul.range(w.gateUp()[1], ws.normed, ws.normedPairs, numTokens, ws.up, lo, hi, ws.matmulScratch, worker);
        for (int t = 0; t < numTokens; t++) {
            int off = t * inter + lo;
            VectorOps.siluAndMul(ws.act, off, ws.gate, off, ws.up, off, hi - lo);
            Bf16MatMulKernel.splitPairs(ws.act, off, ws.actPairs, off, hi - lo);
        }
    }
}
