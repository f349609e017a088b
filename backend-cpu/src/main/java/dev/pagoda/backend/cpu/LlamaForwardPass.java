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
 */
final class LlamaForwardPass {
    private final ModelConfig config;
    private final CpuWeights weights;
    private final WorkerPool pool;
    private final Workspace ws;
    private final float[] invFreq; // [headDim / 2] rotation speed of each dimension pair
    private final float eps;
    private final float attnScale; // 1 / sqrt(headDim)

    LlamaForwardPass(ModelConfig config, CpuWeights weights, WorkerPool pool) {
        this.config = config;
        this.weights = weights;
        this.pool = pool;
        this.ws = new Workspace(config, pool.numThreads());
        this.invFreq = RotaryEmbedding.inverseFrequencies(config.headDim(), config.ropeTheta(), config.ropeScaling());
        this.eps = (float) config.rmsNormEps();
        this.attnScale = (float) (1.0 / Math.sqrt(config.headDim()));
    }

    /** Runs the model over {@code batch} (already validated against {@code cache}) and returns logits for its {@code logitsIndices}. */
    Logits forward(ForwardBatch batch, PagedKvCache cache) {
        int numLogits = batch.logitsIndices().length;
        finalHiddenStates(batch, cache);
        // 6. lm_head: the scores of every vocabulary entry.   logits: [numLogits, vocabSize]
        float[] logits = new float[numLogits * config.vocabSize()];
        MatMul.forward(pool, ws.logitRows, numLogits, new Linear[] {weights.lmHead()}, new float[][] {logits}, ws.matmulScratch);
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
        int qSize = config.qSize(), kvSize = config.kvSize();
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

        for (int layer = 0; layer < config.numHiddenLayers(); layer++) {
            CpuWeights.Layer w = weights.layers().get(layer);

            // 3. Attention block. normed = RMSNorm(hidden)   [numTokens, hiddenSize]
            for (int t = 0; t < numTokens; t++) {
                VectorOps.rmsNorm(ws.normed, t * hidden, ws.hidden, t * hidden, w.inputLayernorm(), hidden, eps);
            }

            // 3a. Projections (+ bias for Qwen2), one parallel loop for all three.
            //     query: [numTokens, numHeads, headSize]   key, value: [numTokens, numKvHeads, headSize]
            MatMul.forward(pool, ws.normed, numTokens, w.qkv(), new float[][] {ws.query, ws.key, ws.value}, ws.matmulScratch);

            for (int t = 0; t < numTokens; t++) {
                // 3b. Qwen3: RMSNorm of each head of q and k, before RoPE.
                if (w.qNorm() != null) {
                    for (int h = 0; h < numHeads; h++) {
                        int off = t * qSize + h * headSize;
                        VectorOps.rmsNorm(ws.query, off, ws.query, off, w.qNorm(), headSize, eps);
                    }
                    for (int h = 0; h < numKvHeads; h++) {
                        int off = t * kvSize + h * headSize;
                        VectorOps.rmsNorm(ws.key, off, ws.key, off, w.kNorm(), headSize, eps);
                    }
                }
                // 3c. RoPE on queries and keys (values are not rotated).
                VectorOps.rotaryEmbedding(ws.query, t * qSize, numHeads, headSize, ws.cos, ws.sin, t * half);
                VectorOps.rotaryEmbedding(ws.key, t * kvSize, numKvHeads, headSize, ws.cos, ws.sin, t * half);

                // region: cache-write
                // 3d. Store this token's K and V in its cache slot, so attention finds them with the context.
                cache.write(layer, batch.slotMapping()[t], ws.key, t * kvSize, ws.value, t * kvSize);
                // endregion
            }

            // 3e. Paged attention: every query row against its sequence's cached keys/values.
            //     attnOut: [numTokens, numHeads, headSize]
            PagedAttention.forward(pool, ws.query, ws.attnOut, cache.keyCache[layer], cache.valueCache[layer],
                    batch.queryStartLoc(), batch.seqLens(), batch.blockTables(),
                    numHeads, numKvHeads, headSize, cache.blockSize, attnScale, ws.scoreScratch);

            // 3f. Output projection, then the residual connection: hidden += o_proj(attnOut).
            MatMul.forward(pool, ws.attnOut, numTokens, w.oProj(), new float[][] {ws.projOut}, ws.matmulScratch);
            VectorOps.add(ws.hidden, 0, ws.projOut, 0, numTokens * hidden);

            // 4. MLP block. normed = RMSNorm(hidden)
            for (int t = 0; t < numTokens; t++) {
                VectorOps.rmsNorm(ws.normed, t * hidden, ws.hidden, t * hidden, w.postAttentionLayernorm(), hidden, eps);
            }
            // 4a. gate, up: [numTokens, intermediateSize], one parallel loop.
            MatMul.forward(pool, ws.normed, numTokens, w.gateUp(), new float[][] {ws.gate, ws.up}, ws.matmulScratch);
            // 4b. act = silu(gate) * up
            VectorOps.siluAndMul(ws.act, 0, ws.gate, 0, ws.up, 0, numTokens * inter);
            // 4c. down projection and residual: hidden += down_proj(act)
            MatMul.forward(pool, ws.act, numTokens, w.downProj(), new float[][] {ws.projOut}, ws.matmulScratch);
            VectorOps.add(ws.hidden, 0, ws.projOut, 0, numTokens * hidden);
        }

        // 5. Final RMSNorm, only of the rows that will be sampled.   logitRows: [numLogits, hiddenSize]
        for (int i = 0; i < numLogits; i++) {
            VectorOps.rmsNorm(ws.logitRows, i * hidden, ws.hidden, batch.logitsIndices()[i] * hidden, weights.norm(), hidden, eps);
        }
    }
}
