package dev.pagoda.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.net.http.HttpClient;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Soak: many mixed requests ({@link SoakMix}) at a fixed concurrency against a real server on
 * loopback with stories260k, in phases. After every phase the server must be idle again (no
 * running or waiting request, no KV block in use, per {@code /metrics}); then the heap after a full
 * GC and the live platform thread count are sampled. At the end: every request is accounted for
 * (sent = completed + rejected + aborted, none failed), and the last phase's heap and threads are
 * not above the first phase's beyond a small allowance.
 *
 * <p>CI runs a short version (300 requests, concurrency 32). The full one is a documented command:
 * {@code ./pagoda mvn -B -pl http -am test -Dtest=SoakTest -Dsurefire.failIfNoSpecifiedTests=false
 * -Dpagoda.soak.requests=10000 -Dpagoda.soak.concurrency=64} (see docs/reliability-fuzz.md).
 */
class SoakTest {
    private static final int REQUESTS = Integer.getInteger("pagoda.soak.requests", 300);
    private static final int CONCURRENCY = Integer.getInteger("pagoda.soak.concurrency", 32);
    private static final long SEED = Long.getLong("pagoda.soak.seed", 20261122L);
    private static final int PHASES = Integer.getInteger("pagoda.soak.phases", 5);
    /** Heap growth tolerated between the first and the last phase (GC noise, JIT, lazily built caches). */
    private static final long HEAP_ALLOWANCE = 48L << 20;
    /** Platform threads tolerated beyond the first phase's count (a pool's idle worker, a JIT thread). */
    private static final int THREAD_ALLOWANCE = 8;

    /** The JVM after one phase, once the server was idle again: heap used after a full GC, live platform threads. */
    record Sample(int requestsDone, long heapBytes, int threads) {}

    @Test
    @Timeout(value = 2, unit = TimeUnit.HOURS) // the full run's bound; the short one takes seconds
    void everyRequestIsAccountedForAndTheServerReturnsToIdle() throws Exception {
        Map<SoakClient.Outcome, AtomicInteger> counts = new EnumMap<>(SoakClient.Outcome.class);
        for (SoakClient.Outcome o : SoakClient.Outcome.values()) counts.put(o, new AtomicInteger());
        AtomicInteger overloaded = new AtomicInteger();
        List<String> failures = java.util.Collections.synchronizedList(new ArrayList<>());
        List<Sample> samples = new ArrayList<>();
        long started;
        long elapsedNanos;
        try (PagodaServer server = TestServers.start();
             ExecutorService clientThreads = Executors.newVirtualThreadPerTaskExecutor();
             HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).executor(clientThreads).build()) {
            int port = server.port();
            SoakClient client = new SoakClient(http, port);
            samples.add(idleSample(http, port, 0));
            started = System.nanoTime();
            AtomicInteger next = new AtomicInteger();
            for (int phase = 1; phase <= PHASES; phase++) {
                int end = (int) ((long) REQUESTS * phase / PHASES);
                List<Thread> workers = new ArrayList<>();
                for (int w = 0; w < CONCURRENCY; w++) {
                    workers.add(Thread.ofVirtual().name("soak-" + w).start(() -> {
                        for (int i; (i = next.getAndIncrement()) < end; ) {
                            SoakClient.Result r = client.send(SoakMix.plan(SEED, i));
                            counts.get(r.outcome()).incrementAndGet();
                            if (r.detail().startsWith("overload")) overloaded.incrementAndGet();
                            if (r.outcome() == SoakClient.Outcome.FAILED && failures.size() < 20) failures.add(r.detail());
                        }
                    }));
                }
                for (Thread t : workers) t.join();
                next.set(end); // workers overshoot by one each; the plan is by index, so resume exactly at end
                samples.add(idleSample(http, port, end));
            }
            elapsedNanos = System.nanoTime() - started;
        }

        int completed = counts.get(SoakClient.Outcome.COMPLETED).get();
        int rejected = counts.get(SoakClient.Outcome.REJECTED).get();
        int aborted = counts.get(SoakClient.Outcome.ABORTED).get();
        int failed = counts.get(SoakClient.Outcome.FAILED).get();
        long plannedBad = java.util.stream.IntStream.range(0, REQUESTS).filter(i -> SoakMix.plan(SEED, i).kind() == SoakMix.Kind.BAD).count();
        System.out.printf("soak: %d requests at concurrency %d in %.1f s: completed %d, rejected %d (%d planned bad requests, %d"
                        + " overload 429/503), aborted %d, failed %d%n",
                REQUESTS, CONCURRENCY, elapsedNanos / 1e9, completed, rejected, plannedBad, overloaded.get(), aborted, failed);
        for (Sample s : samples) System.out.println("soak: " + s);

        assertTrue(failures.isEmpty(), () -> failed + " requests failed, first ones:\n" + String.join("\n", failures));
        assertEquals(REQUESTS, completed + rejected + aborted, "sent = completed + rejected + aborted");
        Sample first = samples.get(1), last = samples.getLast();
        assertTrue(last.heapBytes() <= first.heapBytes() + HEAP_ALLOWANCE,
                () -> "heap after GC grew from " + first.heapBytes() + " to " + last.heapBytes() + " bytes: " + samples);
        assertTrue(last.threads() <= first.threads() + THREAD_ALLOWANCE,
                () -> "live threads grew from " + first.threads() + " to " + last.threads() + ": " + samples);
    }

    /** Waits (up to a minute) until /metrics shows nothing running, nothing waiting and no KV block used; then samples. */
    private static Sample idleSample(HttpClient http, int port, int done) throws Exception {
        String m = "";
        for (int i = 0; i < 1200; i++) {
            m = TestServers.get(http, port, "/metrics").body();
            if (TestServers.metric(m, "vllm:num_requests_running") == 0 && TestServers.metric(m, "vllm:num_requests_waiting") == 0
                    && TestServers.metric(m, "vllm:kv_cache_usage_perc") == 0) {
                return new Sample(done, heapAfterGc(), ManagementFactory.getThreadMXBean().getThreadCount());
            }
            Thread.sleep(50);
        }
        throw new AssertionError("the server did not return to idle after " + done + " requests:\n" + m);
    }

    private static long heapAfterGc() throws InterruptedException {
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(100);
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }
}
