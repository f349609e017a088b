package dev.pagoda.backend.cpu;

import dev.pagoda.engine.model.ModelConfig;

/**
 * The activation buffers of one forward pass, reused from call to call (grown when a batch has
 * more tokens than any before it), so that the hot path allocates nothing big.
 * Every array is row-major with one row per token of the batch.
 */
final class Workspace {
    private final ModelConfig config;
    private int capacity; // tokens the buffers hold

    /** {@code [numTokens, hiddenSize]} the residual stream. */
    float[] hidden;
    /** {@code [numTokens, hiddenSize]} RMSNorm output, the input of the next matmuls. */
    float[] normed;
    /** {@code [numTokens, numHeads, headSize]} queries. */
    float[] query;
    /** {@code [numTokens, numKvHeads, headSize]} keys of the new tokens. */
    float[] key;
    /** {@code [numTokens, numKvHeads, headSize]} values of the new tokens. */
    float[] value;
    /** {@code [numTokens, numHeads, headSize]} attention output. */
    float[] attnOut;
    /** {@code [numTokens, hiddenSize]} output of o_proj or down_proj, before the residual add. */
    float[] projOut;
    /** {@code [numTokens, intermediateSize]} gate projection. */
    float[] gate;
    /** {@code [numTokens, intermediateSize]} up projection. */
    float[] up;
    /** {@code [numTokens, intermediateSize]} silu(gate) * up. */
    float[] act;
    /** {@code [numTokens, hiddenSize]} {@link #normed} de-interleaved for the bf16 kernels. */
    float[] normedPairs;
    /** {@code [numTokens, numHeads, headSize]} {@link #attnOut} de-interleaved for the bf16 kernels. */
    float[] attnOutPairs;
    /** {@code [numTokens, intermediateSize]} {@link #act} de-interleaved for the bf16 kernels. */
    float[] actPairs;
    /** {@code [numTokens, headSize / 2]} cos and sin of each token's rotary angles. */
    float[] cos, sin;
    /** {@code [numLogits, hiddenSize]} final-normed rows that lm_head turns into logits. */
    float[] logitRows;

    /** {@code [numThreads][]} per-worker scratch: widened weight rows and attention scores. */
    final float[][] matmulScratch, scoreScratch;

    Workspace(ModelConfig config, int numThreads) {
        this.config = config;
        this.matmulScratch = new float[numThreads][];
        this.scoreScratch = new float[numThreads][];
    }

    /** Makes every buffer hold at least {@code numTokens} rows and {@code numLogits} logit rows. */
    void ensure(int numTokens, int numLogits) {
        if (numTokens > capacity) {
            int t = Math.max(numTokens, 2 * capacity);
            int h = config.hiddenSize(), i = config.intermediateSize();
            hidden = new float[t * h];
            normed = new float[t * h];
            query = new float[t * config.qSize()];
            key = new float[t * config.kvSize()];
            value = new float[t * config.kvSize()];
            attnOut = new float[t * config.qSize()];
            projOut = new float[t * h];
            gate = new float[t * i];
            up = new float[t * i];
            act = new float[t * i];
            normedPairs = new float[t * h];
            attnOutPairs = new float[t * config.qSize()];
            actPairs = new float[t * i];
            cos = new float[t * config.headDim() / 2];
            sin = new float[t * config.headDim() / 2];
            capacity = t;
        }
        if (logitRows == null || logitRows.length < numLogits * config.hiddenSize()) {
            logitRows = new float[numLogits * config.hiddenSize()];
        }
    }
}
