package dev.pagoda.engine.model;

import java.util.List;

/**
 * All weights of a Llama-family decoder, checked for presence and shape by the loader.
 * Shapes use the names of {@link ModelConfig}.
 *
 * @param embedTokens {@code [vocabSize, hiddenSize]}
 * @param layers      one entry per decoder layer
 * @param norm        final RMSNorm weight {@code [hiddenSize]}
 * @param lmHead      {@code [vocabSize, hiddenSize]}; the same tensor as {@code embedTokens} when tied
 */
public record ModelWeights(Tensor embedTokens, List<DecoderLayerWeights> layers, Tensor norm, Tensor lmHead) {
    public ModelWeights {
        layers = List.copyOf(layers);
    }
}
