package dev.pagoda.server;

import java.util.function.Consumer;

/**
 * The periodic log line while the server is busy, like vLLM's: prompt and generation throughput
 * over the last interval, running and waiting requests, KV cache usage, prefix cache hit rate.
 */
final class StatsLogger implements AutoCloseable {
    private final Thread thread;

    private StatsLogger(Thread thread) {
        this.thread = thread;
    }

    static StatsLogger start(ServerMetrics metrics, EngineStats stats, int intervalSeconds, Consumer<String> log) {
        Thread t = Thread.ofPlatform().daemon().name("pagoda-stats").start(() -> {
            long[] last = metrics.tokenTotals();
            EngineStats.Snapshot lastSnap = stats.latest();
            long lastNanos = System.nanoTime();
            while (!Thread.currentThread().isInterrupted()) {
                try {
                    Thread.sleep(intervalSeconds * 1000L);
                } catch (InterruptedException e) {
                    return;
                }
                long[] now = metrics.tokenTotals();
                EngineStats.Snapshot s = stats.latest();
                long nanos = System.nanoTime();
                boolean busy = s.numRunning() + s.numWaiting() > 0 || now[0] != last[0] || now[1] != last[1];
                if (busy) {
                    double secs = (nanos - lastNanos) / 1e9;
                    long queries = s.prefixCacheQueries() - lastSnap.prefixCacheQueries();
                    long hits = s.prefixCacheHits() - lastSnap.prefixCacheHits();
                    log.accept(String.format("Avg prompt throughput: %.1f tokens/s, Avg generation throughput: %.1f tokens/s, "
                                    + "Running: %d reqs, Waiting: %d reqs, KV cache usage: %.1f%%, Prefix cache hit rate: %.1f%%",
                            (now[0] - last[0]) / secs, (now[1] - last[1]) / secs, s.numRunning(), s.numWaiting(),
                            100 * s.kvCacheUsage(), queries == 0 ? 0.0 : 100.0 * hits / queries));
                }
                last = now;
                lastSnap = s;
                lastNanos = nanos;
            }
        });
        return new StatsLogger(t);
    }

    @Override
    public void close() {
        thread.interrupt();
    }
}
