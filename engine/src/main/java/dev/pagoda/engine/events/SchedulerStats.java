package dev.pagoda.engine.events;

/**
 * Counters after a step (vLLM's {@code SchedulerStats}).
 *
 * @param numRunningReqs        sequences running
 * @param numWaitingReqs        sequences waiting (new or preempted)
 * @param numBatchedTokens      tokens this step computed
 * @param maxNumBatchedTokens   the token budget of a step
 * @param maxNumSeqs            the sequence budget of a step
 * @param kvCacheUsage          fraction of blocks in use, in [0, 1]
 * @param prefixCacheQueries    tokens looked up in the prefix cache since start
 * @param prefixCacheHits       of which found
 * @param numPreemptions        preemptions since start
 */
public record SchedulerStats(int numRunningReqs, int numWaitingReqs, int numBatchedTokens, int maxNumBatchedTokens, int maxNumSeqs,
                             double kvCacheUsage, long prefixCacheQueries, long prefixCacheHits, long numPreemptions) {}
