package dev.pagoda.engine.model;

import java.util.ArrayList;
import java.util.List;

/**
 * The Hugging Face tensor names and shapes of a Llama-family checkpoint, derived from its
 * {@link ModelConfig}: the one list that the weight loader checks against, and that the
 * random-weight writers and dummy loader produce.
 *
 * <pre>
 * model.embed_tokens.weight                          [vocabSize, hiddenSize]
 * model.layers.N.input_layernorm.weight              [hiddenSize]
 * model.layers.N.self_attn.q_proj.weight             [numAttentionHeads * headDim, hiddenSize]  (+ .bias: Qwen2)
 * model.layers.N.self_attn.k_proj.weight             [numKeyValueHeads * headDim, hiddenSize]   (+ .bias: Qwen2)
 * model.layers.N.self_attn.v_proj.weight             [numKeyValueHeads * headDim, hiddenSize]   (+ .bias: Qwen2)
 * model.layers.N.self_attn.o_proj.weight             [hiddenSize, numAttentionHeads * headDim]
 * model.layers.N.self_attn.q_norm.weight / k_norm    [headDim]                                  (Qwen3)
 * model.layers.N.post_attention_layernorm.weight     [hiddenSize]
 * model.layers.N.mlp.gate_proj.weight / up_proj      [intermediateSize, hiddenSize]
 * model.layers.N.mlp.down_proj.weight                [hiddenSize, intermediateSize]
 * model.norm.weight                                  [hiddenSize]
 * lm_head.weight                                     [vocabSize, hiddenSize]                    (absent or ignored when tied)
 * </pre>
 */
public final class CheckpointLayout {
    private CheckpointLayout() {}

    public static final String EMBED_TOKENS = "model.embed_tokens.weight";
    public static final String NORM = "model.norm.weight";
    public static final String LM_HEAD = "lm_head.weight";

    // Names inside "model.layers.N."
    public static final String INPUT_LAYERNORM = "input_layernorm.weight";
    public static final String Q_PROJ = "self_attn.q_proj.weight";
    public static final String K_PROJ = "self_attn.k_proj.weight";
    public static final String V_PROJ = "self_attn.v_proj.weight";
    public static final String Q_BIAS = "self_attn.q_proj.bias";
    public static final String K_BIAS = "self_attn.k_proj.bias";
    public static final String V_BIAS = "self_attn.v_proj.bias";
    public static final String Q_NORM = "self_attn.q_norm.weight";
    public static final String K_NORM = "self_attn.k_norm.weight";
    public static final String O_PROJ = "self_attn.o_proj.weight";
    public static final String POST_ATTENTION_LAYERNORM = "post_attention_layernorm.weight";
    public static final String GATE_PROJ = "mlp.gate_proj.weight";
    public static final String UP_PROJ = "mlp.up_proj.weight";
    public static final String DOWN_PROJ = "mlp.down_proj.weight";

    /** What a tensor is, which decides how random weights are drawn for it. */
    public enum Role { EMBEDDING, LINEAR, BIAS, NORM }

    /**
     * One tensor the architecture needs.
     *
     * @param shape expected dimensions, outermost first
     */
    public record TensorSpec(String name, long[] shape, Role role) {
        public long numElements() {
            return Tensor.numElements(shape);
        }
    }

    /** {@code model.layers.<layer>.<suffix>}. */
    public static String layerTensor(int layer, String suffix) {
        return "model.layers." + layer + "." + suffix;
    }

    /** Every tensor {@code config} needs, in Hugging Face module order; {@code lm_head} only when untied. */
    public static List<TensorSpec> tensors(ModelConfig c) {
        long hidden = c.hiddenSize(), inter = c.intermediateSize(), q = c.qSize(), kv = c.kvSize();
        List<TensorSpec> specs = new ArrayList<>();
        specs.add(new TensorSpec(EMBED_TOKENS, new long[] {c.vocabSize(), hidden}, Role.EMBEDDING));
        for (int i = 0; i < c.numHiddenLayers(); i++) {
            specs.add(spec(i, Q_PROJ, Role.LINEAR, q, hidden));
            if (c.attentionBias()) specs.add(spec(i, Q_BIAS, Role.BIAS, q));
            specs.add(spec(i, K_PROJ, Role.LINEAR, kv, hidden));
            if (c.attentionBias()) specs.add(spec(i, K_BIAS, Role.BIAS, kv));
            specs.add(spec(i, V_PROJ, Role.LINEAR, kv, hidden));
            if (c.attentionBias()) specs.add(spec(i, V_BIAS, Role.BIAS, kv));
            specs.add(spec(i, O_PROJ, Role.LINEAR, hidden, q));
            if (c.qkNorm()) {
                specs.add(spec(i, Q_NORM, Role.NORM, c.headDim()));
                specs.add(spec(i, K_NORM, Role.NORM, c.headDim()));
            }
            specs.add(spec(i, GATE_PROJ, Role.LINEAR, inter, hidden));
            specs.add(spec(i, UP_PROJ, Role.LINEAR, inter, hidden));
            specs.add(spec(i, DOWN_PROJ, Role.LINEAR, hidden, inter));
            specs.add(spec(i, INPUT_LAYERNORM, Role.NORM, hidden));
            specs.add(spec(i, POST_ATTENTION_LAYERNORM, Role.NORM, hidden));
        }
        specs.add(new TensorSpec(NORM, new long[] {hidden}, Role.NORM));
        if (!c.tieWordEmbeddings()) specs.add(new TensorSpec(LM_HEAD, new long[] {c.vocabSize(), hidden}, Role.LINEAR));
        return specs;
    }

    private static TensorSpec spec(int layer, String suffix, Role role, long... shape) {
        return new TensorSpec(layerTensor(layer, suffix), shape, role);
    }

    /**
     * Checkpoint entries that carry no weights and are skipped, as vLLM skips them: RoPE caches
     * that old conversions saved, and {@code lm_head.weight} when the embeddings are tied.
     */
    public static boolean isIgnored(String name, ModelConfig c) {
        if (name.contains("rotary_emb.inv_freq") || name.contains("rotary_emb.cos_cached") || name.contains("rotary_emb.sin_cached")) {
            return true;
        }
        return c.tieWordEmbeddings() && name.equals(LM_HEAD);
    }
}
