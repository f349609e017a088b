package dev.pagoda.engine.events;

/**
 * One thing the scheduler decided about one sequence in one step, and why, in words a learner can read.
 *
 * @param kind              what happened
 * @param requestId         the request
 * @param seqIndex          which of the request's n completions
 * @param seqId             the engine's sequence id (the block pool's owner id)
 * @param numComputedTokens tokens already in the KV cache when the step started (prefix hit included)
 * @param numNewTokens      tokens this step computes for it (0 when not scheduled)
 * @param numCachedTokens   ADMITTED: tokens found in the prefix cache ({@code numCachedTokens / blockSize} blocks); otherwise 0
 * @param chunked           ADMITTED or PREFILL: the prompt does not finish this step (chunked prefill)
 * @param reason            why, in one line
 */
public record SchedulerDecision(Kind kind, String requestId, int seqIndex, long seqId, int numComputedTokens, int numNewTokens,
                                int numCachedTokens, boolean chunked, String reason) {

    /** The decisions, in vLLM's words. */
    public enum Kind {
        /** Taken from the waiting queue and given blocks (a new request, or a preempted one to recompute). */
        ADMITTED,
        /** A running sequence computes the next chunk of its prompt (or of its recomputation). */
        PREFILL,
        /** A running sequence computes its last sampled token: one new token. */
        DECODE,
        /** Lost its blocks because the pool ran out; back to the waiting queue, to be recomputed. */
        PREEMPTED,
        /** Reached EOS, a stop string or token, or its length limit; its blocks go back to the pool. */
        FINISHED,
        /** Stopped by its client; its blocks go back to the pool. */
        ABORTED,
        /** First in the waiting queue but not admitted this step (the queue is strictly ordered: nobody behind it was either). */
        WAITING;

        /** The wire name: lower case. */
        public String wireName() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }

        public static Kind fromWireName(String s) {
            for (Kind k : values()) if (k.wireName().equals(s)) return k;
            throw new IllegalArgumentException("unknown decision kind '" + s + "'");
        }
    }

    /** The fields a replay compares (everything but the explanation text). */
    public boolean sameDecision(SchedulerDecision o) {
        return kind == o.kind && requestId.equals(o.requestId) && seqIndex == o.seqIndex && numComputedTokens == o.numComputedTokens
                && numNewTokens == o.numNewTokens && numCachedTokens == o.numCachedTokens && chunked == o.chunked;
    }

    /** {@code admitted req-1#0 +12 tokens (chunked) [prefix hit 8 tokens]}: the decision without its reason. */
    public String summary() {
        StringBuilder sb = new StringBuilder(kind.wireName()).append(' ').append(requestId).append('#').append(seqIndex);
        if (numNewTokens > 0) sb.append(" +").append(numNewTokens).append(numNewTokens == 1 ? " token" : " tokens");
        if (chunked) sb.append(" (chunked)");
        if (numCachedTokens > 0) sb.append(" [prefix hit ").append(numCachedTokens).append(" tokens]");
        return sb.toString();
    }
}
