package dev.pagoda.engine.sampling;

/**
 * What {@link Sampler#sample} returns for a batch: one token per logits row.
 *
 * @param tokenIds {@code [numRows]} the next token of each row's sequence
 * @param logprobs {@code [numRows]} each row's logprobs, or {@code null} where the row's request asked
 *                 for none ({@code SamplingParams.logprobs} empty)
 */
public record SampledTokens(int[] tokenIds, TokenLogprobs[] logprobs) {
    public SampledTokens {
        if (tokenIds.length != logprobs.length) {
            throw new IllegalArgumentException("tokenIds has " + tokenIds.length + " rows, logprobs " + logprobs.length);
        }
    }

    public int numRows() {
        return tokenIds.length;
    }
}
