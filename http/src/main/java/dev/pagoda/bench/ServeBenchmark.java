package dev.pagoda.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * {@code bench serve}'s load generator (vLLM's {@code benchmark()} in {@code serve.py}): sends the
 * dataset's requests at the {@link ArrivalSchedule}'s times, each on its own virtual thread, at most
 * {@code maxConcurrency} in flight (a request waits for a slot before its clock starts, as in vLLM),
 * and returns the traces in dataset order and the duration from the first send to the last answer.
 */
public final class ServeBenchmark {
    private ServeBenchmark() {}

    /** The traces and the wall time of one run. */
    public record Run(List<RequestTrace> traces, double durationSeconds) {}

    /** @param maxConcurrency 0: no limit */
    public static Run run(OpenAiStreamClient client, List<BenchRequest> requests, ArrivalSchedule schedule, int maxConcurrency)
            throws InterruptedException {
        Semaphore slots = maxConcurrency > 0 ? new Semaphore(maxConcurrency) : null;
        double[] sendAt = schedule.sendTimes(requests.size());
        List<Future<RequestTrace>> futures = new ArrayList<>(requests.size());
        long start = System.nanoTime();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < requests.size(); i++) {
                long wait = start + (long) (sendAt[i] * 1e9) - System.nanoTime();
                if (wait > 0) TimeUnit.NANOSECONDS.sleep(wait);
                BenchRequest r = requests.get(i);
                futures.add(pool.submit(() -> {
                    if (slots == null) return client.send(r, start);
                    slots.acquire();
                    try {
                        return client.send(r, start);
                    } finally {
                        slots.release();
                    }
                }));
            }
            List<RequestTrace> traces = new ArrayList<>(futures.size());
            for (Future<RequestTrace> f : futures) {
                try {
                    traces.add(f.get());
                } catch (java.util.concurrent.ExecutionException e) {
                    traces.add(RequestTrace.failed(0, String.valueOf(e.getCause()), 0));
                }
            }
            return new Run(traces, (System.nanoTime() - start) / 1e9);
        }
    }
}
