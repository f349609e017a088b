package dev.pagoda.engine.scheduler;

import dev.pagoda.engine.sequence.Sequence;

/**
 * One sequence's grant in a step: compute its tokens {@code numComputedTokens ..< numComputedTokens + numNewTokens}.
 *
 * @param sequence          the sequence
 * @param numComputedTokens tokens already in the cache when the step starts (prefix-cache hits included)
 * @param numNewTokens      tokens this step computes: 1 for a decode, more for a prefill or a prefill chunk
 */
public record ScheduledSequence(Sequence sequence, int numComputedTokens, int numNewTokens) {

    /** Whether this step reaches the end of the sequence, so that a token is sampled from its last row. */
    public boolean samples() {
        return numComputedTokens + numNewTokens == sequence.numTokens();
    }
}
