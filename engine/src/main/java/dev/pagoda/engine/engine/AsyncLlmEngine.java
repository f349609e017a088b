package dev.pagoda.engine.engine;

import dev.pagoda.engine.events.EngineStepListener;
import dev.pagoda.engine.sampling.SamplingParams;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.function.Consumer;

/**
 * The engine for a server (vLLM's {@code AsyncLLM}): one thread owns the {@link LlmEngine} and runs
 * steps while there is work; any thread may {@link #submit} requests and {@link #abort} them.
 * Callers talk to the engine thread only through a queue of commands, so the engine itself stays
 * single-threaded and lock-free. A command takes effect at the next step boundary: an abort (a
 * client went away) frees the request's blocks before the next schedule.
 */
public final class AsyncLlmEngine implements AutoCloseable {
    private sealed interface Command permits Add, Abort, Shutdown, Fault, Inspect {}
    private record Add(RequestStream stream, int[] promptTokenIds, SamplingParams params, int priority) implements Command {}
    private record Abort(String requestId) implements Command {}
    private record Shutdown() implements Command {}
    private record Fault(RuntimeException failure) implements Command {}
    private record Inspect(Consumer<LlmEngine> action) implements Command {}

    private final LlmEngine engine;
    private final Consumer<LlmEngine> afterStep;
    private final LinkedBlockingQueue<Command> inbox = new LinkedBlockingQueue<>();
    private final Map<String, RequestStream> streams = new HashMap<>(); // engine thread only
    private final Thread thread;
    /** Why the engine thread stopped, once it has stopped by a failure (set before the queue is drained). */
    private volatile RuntimeException failure;
    private volatile boolean closed;

    public AsyncLlmEngine(LlmEngine engine) {
        this(engine, e -> {});
    }

    /** @param afterStep runs on the engine thread after every step (tests check invariants here) */
    public AsyncLlmEngine(LlmEngine engine, Consumer<LlmEngine> afterStep) {
        this.engine = engine;
        this.afterStep = afterStep;
        this.thread = Thread.ofPlatform().name("pagoda-engine").daemon().start(this::loop);
    }

    /** Queues a request; its outputs arrive on the returned stream. Text prompts: tokenize with {@link LlmEngine#tokenizer()}. */
    public RequestStream submit(String requestId, int[] promptTokenIds, SamplingParams params, int priority) {
        RequestStream stream = new RequestStream(requestId);
        inbox.add(new Add(stream, promptTokenIds.clone(), params, priority));
        // The engine thread may have died (or shut down) after the caller checked isRunning(): then nobody
        // would ever take this command, and the caller would wait forever. The thread sets `failure`
        // (or `closed`) before its last drain of the inbox, so one of the two drains sees every Add.
        if (failure != null || closed) failQueued();
        return stream;
    }

    /**
     * A test hook (fault injection): the engine thread throws {@code failure} at its next step
     * boundary, exactly as if a step had failed. Every in-flight request then ends with an error and
     * {@link #isRunning()} turns false.
     */
    public void injectFault(RuntimeException failure) {
        inbox.add(new Fault(failure));
    }

    /** Why the engine thread died, or null while it runs (or after a clean {@link #close}). */
    public RuntimeException failure() {
        return failure;
    }

    private void failQueued() {
        RuntimeException why = failure != null ? failure : new IllegalStateException("the engine is shut down");
        for (Command c; (c = inbox.poll()) != null; ) if (c instanceof Add a) a.stream().fail(why);
    }

    /** Aborts a request (no-op if unknown or finished); its stream ends with finish reason {@code abort}. */
    public void abort(String requestId) {
        inbox.add(new Abort(requestId));
    }

    /** Registers a step listener on the engine thread, from the next step boundary on (see {@link LlmEngine#addStepListener}). */
    public void addStepListener(EngineStepListener listener) {
        inbox.add(new Inspect(e -> e.addStepListener(listener)));
    }

    public void removeStepListener(EngineStepListener listener) {
        inbox.add(new Inspect(e -> e.removeStepListener(listener)));
    }

    /**
     * Runs {@code action} on the engine thread at the next step boundary (e.g. to take a
     * {@link LlmEngine#snapshot()}); it must be quick and must not keep the engine.
     */
    public void inspect(Consumer<LlmEngine> action) {
        inbox.add(new Inspect(action));
    }

    /** False once the engine thread has stopped (after {@link #close} or a failure): a server's health check. */
    public boolean isRunning() {
        return thread.isAlive();
    }

    /** Stops the engine thread after aborting everything in flight. */
    @Override
    public void close() throws InterruptedException {
        inbox.add(new Shutdown());
        thread.join();
        failQueued();
    }

    private void loop() {
        try {
            while (true) {
                // Idle: sleep until a command comes. Busy: take what is there and step.
                Command first = engine.hasUnfinishedRequests() ? inbox.poll() : inbox.take();
                for (Command c = first; c != null; c = inbox.poll()) {
                    if (c instanceof Shutdown) {
                        shutdown();
                        return;
                    }
                    apply(c);
                }
                if (engine.hasUnfinishedRequests()) {
                    for (RequestOutput o : engine.step().outputs()) {
                        RequestStream s = o.finished() ? streams.remove(o.requestId()) : streams.get(o.requestId());
                        if (s != null) s.put(o);
                    }
                    afterStep.accept(engine);
                }
            }
        } catch (InterruptedException e) {
            // Nobody interrupts this thread; should someone, the requests must not wait on a dead engine either.
            die(new IllegalStateException("the engine thread was interrupted", e));
            Thread.currentThread().interrupt();
        } catch (RuntimeException | Error e) {
            die(new IllegalStateException("the engine stopped: " + e.getMessage(), e));
            if (e instanceof Error err) throw err;
        }
    }

    /** Everything in flight ends with {@code why}; nothing is left waiting on a dead thread. */
    private void die(RuntimeException why) {
        failure = why;
        streams.values().forEach(s -> s.fail(why));
        streams.clear();
        failQueued();
    }

    private void apply(Command c) {
        switch (c) {
            case Add a -> {
                try {
                    engine.addRequest(a.stream().requestId(), a.promptTokenIds(), a.params(), a.priority());
                    streams.put(a.stream().requestId(), a.stream());
                } catch (RuntimeException e) { // rejected: the caller sees why
                    a.stream().fail(e);
                }
            }
            case Abort a -> engine.abort(a.requestId());
            case Fault f -> throw f.failure();
            case Inspect i -> i.action().accept(engine);
            case Shutdown s -> throw new IllegalStateException("handled by the loop");
        }
    }

    private void shutdown() {
        closed = true;
        for (String id : streams.keySet().toArray(String[]::new)) engine.abort(id);
        for (RequestOutput o : engine.step().outputs()) {
            RequestStream s = streams.remove(o.requestId());
            if (s != null) s.put(o);
        }
        for (Command c; (c = inbox.poll()) != null; ) {
            if (c instanceof Add a) a.stream().fail(new IllegalStateException("the engine is shut down"));
        }
    }
}
