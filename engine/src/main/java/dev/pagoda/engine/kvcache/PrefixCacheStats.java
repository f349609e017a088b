package dev.pagoda.engine.kvcache;

/**
 * Prefix-cache counters, in tokens as vLLM reports them: hit rate = {@code hits / queries}.
 *
 * @param requests lookups (one per admission of a sequence, re-admissions after preemption included)
 * @param queries  tokens looked up (the whole sequence each time)
 * @param hits     tokens found in the cache
 */
public record PrefixCacheStats(long requests, long queries, long hits) {
    public double hitRate() {
        return queries == 0 ? 0 : (double) hits / queries;
    }
}
