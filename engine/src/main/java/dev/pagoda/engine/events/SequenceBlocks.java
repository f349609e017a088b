package dev.pagoda.engine.events;

import java.util.List;

/**
 * One unfinished sequence and its block table at the end of a step.
 *
 * @param requestId         the request
 * @param seqIndex          which of its n completions
 * @param seqId             the owner id used in {@link BlockState#ownerSeqIds()}
 * @param status            {@code running}, {@code waiting} or {@code preempted}
 * @param numTokens         prompt + generated tokens
 * @param numComputedTokens tokens whose K/V are in the cache
 * @param blockIds          {@code [numBlocks]} physical block ids in logical order (empty while it waits)
 */
public record SequenceBlocks(String requestId, int seqIndex, long seqId, String status, int numTokens, int numComputedTokens,
                             List<Integer> blockIds) {
    public SequenceBlocks {
        blockIds = List.copyOf(blockIds);
    }
}
