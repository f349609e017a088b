package dev.pagoda.server;

import dev.pagoda.engine.engine.LlmEngine;
import dev.pagoda.engine.kvcache.PrefixCacheStats;

/**
 * The engine's state after its latest step, published by the engine thread for the metrics
 * endpoint and the stats log line (the engine itself must only be touched from its own thread).
 */
public final class EngineStats {
    /** One consistent snapshot. */
    public record Snapshot(int numRunning, int numWaiting, double kvCacheUsage, long prefixCacheQueries,
                           long prefixCacheHits, long numPreemptions, long numSteps, long[] stepNanos) {}

    private volatile Snapshot latest = new Snapshot(0, 0, 0, 0, 0, 0, 0, new long[3]);

    /** Call on the engine thread (AsyncLlmEngine's afterStep). */
    public void update(LlmEngine engine) {
        PrefixCacheStats p = engine.prefixCacheStats();
        latest = new Snapshot(engine.numRunning(), engine.numWaiting(), engine.kvCacheUsage(), p.queries(), p.hits(),
                engine.numPreemptions(), engine.numSteps(), engine.stepNanos());
    }

    public Snapshot latest() {
        return latest;
    }
}
