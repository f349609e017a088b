package dev.pagoda.engine.sampling;

import java.util.Objects;

/**
 * What the {@link Sampler} needs to know about the sequence behind one logits row. The arrays are
 * read, never copied or modified, and only during {@link Sampler#sample}.
 *
 * <p>Only the penalties read the token history ({@link SamplingParams#readsTokenHistory}); the
 * engine hands a row without them empty arrays ({@link #withoutHistory}) rather than copying a
 * prompt of thousands of tokens for every row of every step.
 *
 * @param params          the sequence's sampling parameters (already merged with defaults and validated)
 * @param promptTokenIds  {@code [numPromptTokens]} the prompt, which the repetition penalty looks at; empty
 *                        when the params read no history
 * @param outputTokenIds  {@code [numOutputTokens]} tokens generated so far, oldest first, which the
 *                        penalties look at; empty when the params read no history
 * @param numOutputTokens tokens generated so far: min_tokens, and the seeded generator's position (the
 *                        index of the token being sampled), come from it
 */
public record SamplingRow(SamplingParams params, int[] promptTokenIds, int[] outputTokenIds, int numOutputTokens) {
    private static final int[] NONE = new int[0];

    public SamplingRow {
        Objects.requireNonNull(params, "params");
        Objects.requireNonNull(promptTokenIds, "promptTokenIds");
        Objects.requireNonNull(outputTokenIds, "outputTokenIds");
        if (numOutputTokens < 0) throw new IllegalArgumentException("numOutputTokens " + numOutputTokens + " < 0");
        if (params.readsTokenHistory() && outputTokenIds.length != numOutputTokens) {
            throw new IllegalArgumentException("the penalties read the history: " + outputTokenIds.length + " output ids given for "
                    + numOutputTokens + " output tokens");
        }
    }

    /** A row with its whole token history. */
    public SamplingRow(SamplingParams params, int[] promptTokenIds, int[] outputTokenIds) {
        this(params, promptTokenIds, outputTokenIds, outputTokenIds.length);
    }

    /** A row whose params read no history (see {@link SamplingParams#readsTokenHistory}): counts only. */
    public static SamplingRow withoutHistory(SamplingParams params, int numOutputTokens) {
        if (params.readsTokenHistory()) throw new IllegalArgumentException("these params read the token history (penalties)");
        return new SamplingRow(params, NONE, NONE, numOutputTokens);
    }
}
