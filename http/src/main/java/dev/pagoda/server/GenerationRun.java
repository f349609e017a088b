package dev.pagoda.server;

import dev.pagoda.engine.engine.AsyncLlmEngine;
import dev.pagoda.engine.engine.CompletionOutput;
import dev.pagoda.engine.engine.RequestOutput;
import dev.pagoda.engine.engine.RequestStream;
import dev.pagoda.engine.sampling.SamplingParams;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The engine requests of one HTTP request: one per prompt (a completions request may carry
 * several), each with {@code n} completions. {@link #next()} hands out their outputs in the order
 * they arrive, and records the request metrics (TTFT, inter-token latency, tokens, e2e) on the way.
 * {@link #abort()} withdraws whatever has not finished (a client went away).
 */
final class GenerationRun {
    /** One output of prompt {@code promptIndex}'s request, or the engine's failure. */
    record Event(int promptIndex, RequestOutput output, RuntimeException failure) {}

    private final AsyncLlmEngine engine;
    private final ServerMetrics metrics;
    private final List<RequestStream> streams = new ArrayList<>();
    private final boolean[] finished;
    private final long[] firstTokenNanos, lastTokenNanos;
    private final int[] numGenerated;
    private final long arrivalNanos = System.nanoTime();
    private final LinkedBlockingQueue<Event> merged; // only with several prompts
    private int numFinished;

    /** Submits every prompt; {@code requestId}-{@code i} names prompt i's engine request. */
    GenerationRun(AsyncLlmEngine engine, ServerMetrics metrics, String requestId, List<int[]> prompts, SamplingParams params, int priority) {
        this.engine = engine;
        this.metrics = metrics;
        int k = prompts.size();
        finished = new boolean[k];
        firstTokenNanos = new long[k];
        lastTokenNanos = new long[k];
        numGenerated = new int[k];
        for (int i = 0; i < k; i++) streams.add(engine.submit(requestId + "-" + i, prompts.get(i), params, priority));
        if (k == 1) {
            merged = null;
        } else {
            // One virtual thread per prompt forwards its outputs into one queue.
            merged = new LinkedBlockingQueue<>();
            for (int i = 0; i < k; i++) {
                int index = i;
                RequestStream s = streams.get(i);
                Thread.ofVirtual().name("pagoda-merge-" + requestId + "-" + i).start(() -> {
                    try {
                        for (RequestOutput o; (o = s.next()) != null; ) merged.add(new Event(index, o, null));
                    } catch (RuntimeException e) {
                        merged.add(new Event(index, null, e));
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                });
            }
        }
    }

    int numPrompts() {
        return finished.length;
    }

    synchronized boolean done() {
        return numFinished == finished.length;
    }

    /** The next output of any prompt (null when every prompt has finished). An engine failure comes back as an event. */
    Event next() throws InterruptedException {
        if (done()) return null;
        Event e;
        if (merged == null) {
            try {
                e = new Event(0, streams.getFirst().next(), null);
            } catch (RuntimeException failure) {
                e = new Event(0, null, failure);
            }
        } else {
            e = merged.take();
        }
        record(e);
        return e;
    }

    /** The next output if one is already there, else null (never waits). */
    Event poll() {
        if (done()) return null;
        Event e;
        if (merged == null) {
            try {
                RequestOutput o = streams.getFirst().next(0, TimeUnit.NANOSECONDS);
                if (o == null) return null;
                e = new Event(0, o, null);
            } catch (RuntimeException failure) {
                e = new Event(0, null, failure);
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
                return null;
            }
        } else {
            e = merged.poll();
            if (e == null) return null;
        }
        record(e);
        return e;
    }

    private synchronized void record(Event e) {
        int i = e.promptIndex();
        if (finished[i]) return; // aborted meanwhile
        if (e.failure() != null || e.output() == null) {
            if (!finished[i]) {
                finished[i] = true;
                numFinished++;
            }
            return;
        }
        RequestOutput o = e.output();
        long now = System.nanoTime();
        int newTokens = 0;
        for (CompletionOutput c : o.outputs()) newTokens += c.numNewTokens();
        if (newTokens > 0) {
            if (firstTokenNanos[i] == 0) {
                firstTokenNanos[i] = now;
                metrics.onPromptTokens(o.promptTokenIds().length);
                metrics.onFirstToken((now - arrivalNanos) / 1e9);
            } else {
                metrics.onInterToken((now - lastTokenNanos[i]) / 1e9 / newTokens);
            }
            lastTokenNanos[i] = now;
            numGenerated[i] += newTokens;
            metrics.onGenerationTokens(newTokens);
        }
        if (o.finished()) {
            finished[i] = true;
            numFinished++;
            CompletionOutput first = o.outputs().getFirst();
            metrics.onFinished(first.finishReason().wireName(), (now - arrivalNanos) / 1e9, o.promptTokenIds().length, numGenerated[i]);
        }
    }

    /**
     * Withdraws every unfinished prompt (its KV blocks are freed at the engine's next step) and
     * counts it as finished with reason {@code abort}; later outputs are not awaited.
     */
    synchronized void abort() {
        long now = System.nanoTime();
        for (int i = 0; i < streams.size(); i++) {
            if (finished[i]) continue;
            engine.abort(streams.get(i).requestId());
            metrics.onFinished("abort", (now - arrivalNanos) / 1e9, 0, numGenerated[i]);
            finished[i] = true;
            numFinished++;
        }
    }
}
