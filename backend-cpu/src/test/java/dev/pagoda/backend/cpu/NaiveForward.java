package dev.pagoda.backend.cpu;

import dev.pagoda.engine.model.DecoderLayerWeights;
import dev.pagoda.engine.model.ModelConfig;
import dev.pagoda.engine.model.ModelWeights;
import dev.pagoda.engine.model.RotaryEmbedding;
import dev.pagoda.engine.model.Tensor;

/**
 * The whole model for one sequence, all positions at once, with contiguous K/V and plain loops:
 * the oracle of {@link LlamaForwardPass} (no paging, no batching, no threads, no Vector API).
 */
final class NaiveForward {
    private NaiveForward() {}

    /** Logits of every position of {@code tokens}: {@code [numTokens, vocabSize]}. */
    static float[] logits(ModelConfig c, ModelWeights w, int[] tokens) {
        int n = tokens.length, h = c.hiddenSize(), inter = c.intermediateSize(), hd = c.headDim();
        float eps = (float) c.rmsNormEps();
        float scale = (float) (1.0 / Math.sqrt(hd));
        float[] invFreq = RotaryEmbedding.inverseFrequencies(hd, c.ropeTheta(), c.ropeScaling());
        float[] x = new float[n * h];
        for (int t = 0; t < n; t++) for (int k = 0; k < h; k++) x[t * h + k] = NaiveOps.get(w.embedTokens(), (long) tokens[t] * h + k);
        for (DecoderLayerWeights l : w.layers()) {
            float[] normed = norm(x, n, h, vec(l.inputLayernorm()), eps);
            float[] q = NaiveOps.matmul(normed, n, l.qProj(), l.qBias().map(NaiveForward::vec).orElse(null));
            float[] k = NaiveOps.matmul(normed, n, l.kProj(), l.kBias().map(NaiveForward::vec).orElse(null));
            float[] v = NaiveOps.matmul(normed, n, l.vProj(), l.vBias().map(NaiveForward::vec).orElse(null));
            if (c.qkNorm()) {
                q = norm(q, n * c.numAttentionHeads(), hd, vec(l.qNorm().get()), eps);
                k = norm(k, n * c.numKeyValueHeads(), hd, vec(l.kNorm().get()), eps);
            }
            for (int t = 0; t < n; t++) {
                NaiveOps.rotaryEmbedding(q, t * c.qSize(), c.numAttentionHeads(), hd, invFreq, t);
                NaiveOps.rotaryEmbedding(k, t * c.kvSize(), c.numKeyValueHeads(), hd, invFreq, t);
            }
            float[] attn = NaiveAttention.attention(q, k, v, n, n, c.numAttentionHeads(), c.numKeyValueHeads(), hd, scale);
            NaiveOps.add(x, NaiveOps.matmul(attn, n, l.oProj(), null), n * h);
            normed = norm(x, n, h, vec(l.postAttentionLayernorm()), eps);
            float[] gate = NaiveOps.matmul(normed, n, l.gateProj(), null);
            float[] up = NaiveOps.matmul(normed, n, l.upProj(), null);
            float[] act = new float[n * inter];
            NaiveOps.siluAndMul(act, gate, up, n * inter);
            NaiveOps.add(x, NaiveOps.matmul(act, n, l.downProj(), null), n * h);
        }
        return NaiveOps.matmul(norm(x, n, h, vec(w.norm()), eps), n, w.lmHead(), null);
    }

    private static float[] norm(float[] x, int rows, int width, float[] weight, float eps) {
        float[] out = new float[rows * width];
        for (int r = 0; r < rows; r++) NaiveOps.rmsNorm(out, r * width, x, r * width, weight, width, eps);
        return out;
    }

    private static float[] vec(Tensor t) {
        float[] v = new float[(int) t.numElements()];
        for (int k = 0; k < v.length; k++) v[k] = NaiveOps.get(t, k);
        return v;
    }
}
