package dev.pagoda.engine.sampling;

import java.util.Objects;

/**
 * What the {@link Sampler} needs to know about the sequence behind one logits row. The arrays are
 * read, never copied or modified, and only during {@link Sampler#sample}.
 *
 * @param params         the sequence's sampling parameters (already merged with defaults and validated)
 * @param promptTokenIds {@code [numPromptTokens]} the prompt; the repetition penalty looks at it
 * @param outputTokenIds {@code [numOutputTokens]} tokens generated so far, oldest first; penalties,
 *                       min_tokens, and the seeded generator's position ({@code outputTokenIds.length}
 *                       is the index of the token being sampled) come from it
 */
public record SamplingRow(SamplingParams params, int[] promptTokenIds, int[] outputTokenIds) {
    public SamplingRow {
        Objects.requireNonNull(params, "params");
        Objects.requireNonNull(promptTokenIds, "promptTokenIds");
        Objects.requireNonNull(outputTokenIds, "outputTokenIds");
    }
}
