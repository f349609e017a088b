package dev.pagoda.engine.model;

import java.util.List;

/**
 * The shape and hyper-parameters of a Llama-family decoder (Llama 2/3.x, Mistral, Qwen2/2.5,
 * Qwen3), read from a Hugging Face {@code config.json} by {@link ModelConfigParser}.
 * Family differences are fields, not subclasses.
 *
 * @param architecture          e.g. {@code LlamaForCausalLM}, {@code Qwen2ForCausalLM}
 * @param modelType             e.g. {@code llama}, {@code mistral}, {@code qwen2}, {@code qwen3}
 * @param hiddenSize            width of the residual stream ({@code hidden_size})
 * @param intermediateSize      width of the MLP's gate/up projections
 * @param numHiddenLayers       decoder layers
 * @param numAttentionHeads     query heads
 * @param numKeyValueHeads      key/value heads; {@code numAttentionHeads / numKeyValueHeads} query heads share one (GQA)
 * @param headDim               per-head width ({@code head_dim}, default {@code hiddenSize / numAttentionHeads})
 * @param vocabSize             rows of the embedding and of lm_head
 * @param maxPositionEmbeddings the context length the model was trained for
 * @param rmsNormEps            epsilon inside every RMSNorm
 * @param ropeTheta             RoPE base
 * @param ropeScaling           RoPE frequency scaling ({@link RopeScaling.None} when absent)
 * @param tieWordEmbeddings     lm_head shares the embedding matrix
 * @param attentionBias         q/k/v projections have biases (Qwen2/2.5)
 * @param qkNorm                per-head RMSNorm on queries and keys before RoPE (Qwen3)
 * @param dtype                 the checkpoint's declared dtype ({@code torch_dtype} / {@code dtype})
 * @param bosTokenId            beginning-of-sequence id, or -1 when the config has none
 * @param eosTokenIds           end-of-sequence ids (config.json; generation_config.json may add more)
 */
public record ModelConfig(
        String architecture,
        String modelType,
        int hiddenSize,
        int intermediateSize,
        int numHiddenLayers,
        int numAttentionHeads,
        int numKeyValueHeads,
        int headDim,
        int vocabSize,
        int maxPositionEmbeddings,
        double rmsNormEps,
        double ropeTheta,
        RopeScaling ropeScaling,
        boolean tieWordEmbeddings,
        boolean attentionBias,
        boolean qkNorm,
        DType dtype,
        int bosTokenId,
        List<Integer> eosTokenIds) {

    public ModelConfig {
        eosTokenIds = List.copyOf(eosTokenIds);
    }

    /** Query heads per key/value head (1 = multi-head attention, more = grouped-query attention). */
    public int numQueriesPerKv() {
        return numAttentionHeads / numKeyValueHeads;
    }

    /** Width of all query heads together: {@code numAttentionHeads * headDim}. */
    public int qSize() {
        return numAttentionHeads * headDim;
    }

    /** Width of all key (or value) heads together: {@code numKeyValueHeads * headDim}. */
    public int kvSize() {
        return numKeyValueHeads * headDim;
    }
}
