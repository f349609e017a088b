package dev.pagoda.engine.sampling;

/**
 * Scores at one position: the chosen token's and the N best, as vLLM's {@code Logprobs} entry.
 * "Score" is a log-probability, or a logit in the {@code *_LOGITS} {@link LogprobsMode}s.
 *
 * @param tokenId      the sampled token (prompt logprobs: the actual next prompt token)
 * @param logprob      its score
 * @param rank         how many tokens score at least as high as it (1 for a unique best), vLLM's rank
 * @param topTokenIds  {@code [numTop]} the N best tokens, best first, lower id first on ties
 * @param topLogprobs  {@code [numTop]} their scores
 */
public record TokenLogprobs(int tokenId, float logprob, int rank, int[] topTokenIds, float[] topLogprobs) {
    public TokenLogprobs {
        if (topTokenIds.length != topLogprobs.length) {
            throw new IllegalArgumentException("topTokenIds has " + topTokenIds.length + " entries, topLogprobs " + topLogprobs.length);
        }
    }

    /** N, the number of top entries. */
    public int numTop() {
        return topTokenIds.length;
    }
}
