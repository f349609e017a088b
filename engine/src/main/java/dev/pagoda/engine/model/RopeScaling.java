package dev.pagoda.engine.model;

/** How rotary position frequencies are rescaled for long contexts ({@code rope_scaling} in config.json). */
public sealed interface RopeScaling {

    /** Plain RoPE: {@code invFreq[i] = 1 / theta^(2i / headDim)}. */
    record None() implements RopeScaling {}

    /**
     * Llama 3.1's scaling ({@code "rope_type": "llama3"}): low frequencies are divided by
     * {@code factor}, high ones kept, and the band between is interpolated smoothly.
     */
    record Llama3(double factor, double lowFreqFactor, double highFreqFactor, int originalMaxPositionEmbeddings)
            implements RopeScaling {}
}
