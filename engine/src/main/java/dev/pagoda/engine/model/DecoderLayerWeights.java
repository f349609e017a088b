package dev.pagoda.engine.model;

import java.util.Optional;

/**
 * Weights of one decoder layer. Linear weights are {@code [outFeatures, inFeatures]} as in PyTorch.
 *
 * @param inputLayernorm         RMSNorm before attention {@code [hiddenSize]}
 * @param qProj                  {@code [numAttentionHeads * headDim, hiddenSize]}
 * @param kProj                  {@code [numKeyValueHeads * headDim, hiddenSize]}
 * @param vProj                  {@code [numKeyValueHeads * headDim, hiddenSize]}
 * @param qBias                  {@code [numAttentionHeads * headDim]} when {@code attentionBias} (Qwen2)
 * @param kBias                  {@code [numKeyValueHeads * headDim]} when {@code attentionBias}
 * @param vBias                  {@code [numKeyValueHeads * headDim]} when {@code attentionBias}
 * @param qNorm                  per-head RMSNorm on queries {@code [headDim]} when {@code qkNorm} (Qwen3)
 * @param kNorm                  per-head RMSNorm on keys {@code [headDim]} when {@code qkNorm}
 * @param oProj                  {@code [hiddenSize, numAttentionHeads * headDim]}
 * @param postAttentionLayernorm RMSNorm before the MLP {@code [hiddenSize]}
 * @param gateProj               {@code [intermediateSize, hiddenSize]}
 * @param upProj                 {@code [intermediateSize, hiddenSize]}
 * @param downProj               {@code [hiddenSize, intermediateSize]}
 */
public record DecoderLayerWeights(
        Tensor inputLayernorm,
        Tensor qProj,
        Tensor kProj,
        Tensor vProj,
        Optional<Tensor> qBias,
        Optional<Tensor> kBias,
        Optional<Tensor> vBias,
        Optional<Tensor> qNorm,
        Optional<Tensor> kNorm,
        Tensor oProj,
        Tensor postAttentionLayernorm,
        Tensor gateProj,
        Tensor upProj,
        Tensor downProj) {}
