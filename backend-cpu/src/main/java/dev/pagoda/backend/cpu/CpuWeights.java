package dev.pagoda.backend.cpu;

import dev.pagoda.engine.model.DecoderLayerWeights;
import dev.pagoda.engine.model.ModelConfig;
import dev.pagoda.engine.model.ModelWeights;
import dev.pagoda.engine.model.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The model's weights as the CPU forward pass uses them: big matrices stay where the loader put
 * them (memory-mapped, any of F32/BF16/F16; or {@link HugePages}' copies) behind {@link Linear}s; the small vectors (norm
 * weights, biases) are widened once to fp32 arrays. Every shape is checked against the config here,
 * so the forward pass can trust them.
 *
 * @param embedTokens {@code [vocabSize, hiddenSize]}
 * @param layers      one per decoder layer
 * @param norm        final RMSNorm {@code [hiddenSize]}
 * @param lmHead      {@code [vocabSize, hiddenSize]} (may be {@code embedTokens}: tied)
 */
record CpuWeights(Tensor embedTokens, List<Layer> layers, float[] norm, Linear lmHead) {

    /**
     * One decoder layer.
     *
     * @param inputLayernorm         {@code [hiddenSize]}
     * @param qkv                    q, k, v projections (bias when Qwen2): one matmul loop
     * @param qNorm                  {@code [headDim]} per-head RMSNorm of queries (Qwen3) or {@code null}
     * @param kNorm                  {@code [headDim]} per-head RMSNorm of keys (Qwen3) or {@code null}
     * @param oProj                  {@code [hiddenSize, qSize]}
     * @param postAttentionLayernorm {@code [hiddenSize]}
     * @param gateUp                 gate and up projections {@code [intermediateSize, hiddenSize]} each
     * @param downProj               {@code [hiddenSize, intermediateSize]}
     */
    record Layer(float[] inputLayernorm, Linear[] qkv, float[] qNorm, float[] kNorm, Linear[] oProj,
                 float[] postAttentionLayernorm, Linear[] gateUp, Linear[] downProj) {}

    static CpuWeights prepare(ModelConfig c, ModelWeights w) {
        if (w.layers().size() != c.numHiddenLayers()) {
            throw new IllegalArgumentException("weights have " + w.layers().size() + " layers, config.num_hidden_layers is " + c.numHiddenLayers());
        }
        if (c.numKeyValueHeads() <= 0 || c.numAttentionHeads() % c.numKeyValueHeads() != 0) {
            throw new IllegalArgumentException("num_attention_heads " + c.numAttentionHeads() + " is not a multiple of num_key_value_heads " + c.numKeyValueHeads());
        }
        if (c.headDim() % 2 != 0) throw new IllegalArgumentException("head_dim " + c.headDim() + " must be even for RoPE");
        int hidden = c.hiddenSize(), inter = c.intermediateSize();
        checkShape(w.embedTokens(), c.vocabSize(), hidden);
        List<Layer> layers = new ArrayList<>();
        for (DecoderLayerWeights l : w.layers()) {
            Linear q = Linear.of(l.qProj(), bias(l.qBias(), c.qSize()), c.qSize(), hidden);
            Linear k = Linear.of(l.kProj(), bias(l.kBias(), c.kvSize()), c.kvSize(), hidden);
            Linear v = Linear.of(l.vProj(), bias(l.vBias(), c.kvSize()), c.kvSize(), hidden);
            if (c.qkNorm() && (l.qNorm().isEmpty() || l.kNorm().isEmpty())) {
                throw new IllegalArgumentException("config asks for q_norm/k_norm but layer weights lack them (" + l.qProj().name() + ")");
            }
            layers.add(new Layer(
                    vector(l.inputLayernorm(), hidden),
                    new Linear[] {q, k, v},
                    c.qkNorm() ? vector(l.qNorm().get(), c.headDim()) : null,
                    c.qkNorm() ? vector(l.kNorm().get(), c.headDim()) : null,
                    new Linear[] {Linear.of(l.oProj(), null, hidden, c.qSize())},
                    vector(l.postAttentionLayernorm(), hidden),
                    new Linear[] {Linear.of(l.gateProj(), null, inter, hidden), Linear.of(l.upProj(), null, inter, hidden)},
                    new Linear[] {Linear.of(l.downProj(), null, hidden, inter)}));
        }
        return new CpuWeights(w.embedTokens(), List.copyOf(layers), vector(w.norm(), hidden),
                Linear.of(w.lmHead(), null, c.vocabSize(), hidden));
    }

    /** Bytes of weights one decode step reads (all matmuls, lm_head included; the embedding row is noise). */
    long matmulWeightBytes() {
        long bytes = lmHead.weightBytes();
        for (Layer l : layers) {
            for (Linear[] group : List.of(l.qkv, l.oProj, l.gateUp, l.downProj)) {
                for (Linear lin : group) bytes += lin.weightBytes();
            }
        }
        return bytes;
    }

    private static float[] bias(Optional<Tensor> bias, int size) {
        return bias.map(t -> vector(t, size)).orElse(null);
    }

    /** A 1-D tensor of {@code size} values widened to fp32. */
    static float[] vector(Tensor t, int size) {
        if (t.rank() != 1 || t.dim(0) != size) {
            throw new IllegalArgumentException("tensor " + t + ": expected shape [" + size + "]");
        }
        float[] out = new float[size];
        Dot.widen(t.data(), 0, t.dtype(), out, 0, size);
        return out;
    }

    private static void checkShape(Tensor t, long rows, long cols) {
        if (t.rank() != 2 || t.dim(0) != rows || t.dim(1) != cols) {
            throw new IllegalArgumentException("tensor " + t + ": expected shape [" + rows + ", " + cols + "]");
        }
    }
}
