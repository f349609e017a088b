package dev.pagoda.server;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pagoda.engine.engine.RequestOutput;
import io.javalin.http.Context;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * State shared by the routes: the JSON mapper, the model once it is loaded, the metrics, and the
 * admission count that turns an overfull server into 503s instead of an unbounded queue. Also the
 * two ways a generation request is answered: {@link #awaitRun} (one JSON body) and
 * {@link #streamRun} (server-sent events).
 */
final class ServerContext {
    static final String SYSTEM_FINGERPRINT = "fp_pagoda";

    /** How a streaming endpoint turns engine outputs into chunks. */
    interface StreamFormat {
        /** Chunks sent before any output (chat: the assistant role of every choice). */
        default List<Object> opening() { return List.of(); }

        /** The chunks one output of prompt {@code promptIndex} becomes. */
        List<Object> chunks(int promptIndex, RequestOutput output);

        /** The final {@code choices: []} chunk carrying usage (stream_options.include_usage). */
        Object usageChunk();
    }

    enum State { LOADING, READY, STOPPING }

    private final ObjectMapper mapper;
    private final ServerConfig config;
    private final AtomicInteger inFlight = new AtomicInteger();
    private volatile ServingModel model;
    private volatile ServerMetrics metrics;
    private volatile State state = State.LOADING;

    /**
     * Platform threads, one per core but one, for a request's CPU work (JSON parsing, the chat template,
     * tokenizing, embeddings). Virtual threads are not preempted: a request tokenizing megabytes on
     * its own virtual thread would hold a carrier thread for seconds, and one such request per core
     * would leave none for /health. Here the OS shares the cores (one is left for the carriers and the
     * engine thread), and the virtual thread just waits.
     */
    private final java.util.concurrent.ExecutorService cpu = java.util.concurrent.Executors.newFixedThreadPool(
            Math.max(1, Runtime.getRuntime().availableProcessors() - 1), Thread.ofPlatform().daemon().name("pagoda-prepare-", 0).factory());
    private final AtomicInteger preparing = new AtomicInteger();

    ServerContext(ObjectMapper mapper, ServerConfig config) {
        this.mapper = mapper;
        this.config = config;
    }

    /** Runs a request's CPU work on {@link #cpu} and waits for it; its ApiError (or other failure) is rethrown as it is. */
    <T> T prepare(java.util.concurrent.Callable<T> work) throws InterruptedException {
        preparing.incrementAndGet();
        try {
            return cpu.submit(work).get();
        } catch (java.util.concurrent.ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException r) throw r;
            if (cause instanceof Error err) throw err;
            throw new IllegalStateException(cause);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            throw ApiError.unavailable("The server is shutting down.", "server_shutting_down");
        } finally {
            preparing.decrementAndGet();
        }
    }

    /** Requests whose CPU work is queued or running (tests wait on it). */
    int preparing() {
        return preparing.get();
    }

    /** Stops the CPU pool (after the HTTP server has stopped). */
    void close() {
        cpu.shutdownNow();
    }

    ObjectMapper mapper() { return mapper; }
    ServerConfig config() { return config; }
    ServerMetrics metrics() { return metrics; }
    State state() { return state; }
    int inFlight() { return inFlight.get(); }

    /** The model, or a 503 while it is still loading. */
    ServingModel model() {
        ServingModel m = model;
        if (m == null) throw ApiError.unavailable("The model is still loading; try again shortly.", "model_loading");
        return m;
    }

    ServingModel modelOrNull() {
        return model;
    }

    void ready(ServingModel model, ServerMetrics metrics) {
        this.metrics = metrics;
        this.model = model;
        this.state = State.READY;
    }

    /**
     * Warnings /health reports beside its status (e.g. the CUDA self-check was skipped); empty: /health
     * answers with an empty body, as vLLM's does.
     */
    private volatile java.util.Map<String, String> healthDetails = java.util.Map.of();

    void healthDetails(java.util.Map<String, String> details) {
        this.healthDetails = java.util.Map.copyOf(details);
    }

    java.util.Map<String, String> healthDetails() {
        return healthDetails;
    }

    void stopping() {
        state = State.STOPPING;
    }

    /** True when the server can serve: loaded, not shutting down, engine thread alive. */
    boolean healthy() {
        ServingModel m = model;
        return state == State.READY && m != null && m.engine().isRunning();
    }

    /** Counts a generation request in; 503 when shutting down, when the engine is dead, or when too many are in flight. */
    void admit() {
        if (state == State.STOPPING) throw ApiError.unavailable("The server is shutting down.", "server_shutting_down");
        if (!model().engine().isRunning()) {
            RuntimeException why = model().engine().failure();
            throw ApiError.unavailable("The engine has stopped" + (why == null ? "" : " (" + why.getMessage() + ")")
                    + "; the server cannot generate and is waiting to be restarted.", "engine_dead");
        }
        if (inFlight.incrementAndGet() > config.maxQueuedRequests()) {
            inFlight.decrementAndGet();
            throw ApiError.unavailable("The server is overloaded: " + config.maxQueuedRequests()
                    + " requests are already in flight (--max-queued-requests). Retry later.", "server_overloaded");
        }
    }

    void release() {
        inFlight.decrementAndGet();
    }

    private static final String BODY = "pagoda.body";

    /**
     * Reads the request body, with the {@code --max-request-body-bytes} bound (a 413 past it, whether
     * the client declared the length or streams a chunked body), and keeps it for {@link #parseBody}.
     * Called on the request's virtual thread, before {@link #prepare}: a client that sends its body
     * slowly (or never) then holds only its own virtual thread, not a CPU-pool thread; Jetty's idle
     * timeout (30 s) ends it.
     */
    byte[] readBody(Context ctx) {
        byte[] cached = ctx.attribute(BODY);
        if (cached != null) return cached;
        long max = config.limits().maxRequestBodyBytes();
        long declared = ctx.req().getContentLengthLong();
        if (declared > max) throw ApiError.tooLarge(declared, max);
        byte[] bytes;
        try {
            bytes = ctx.req().getInputStream().readNBytes((int) Math.min(max + 1, Integer.MAX_VALUE - 8));
        } catch (IOException e) {
            throw ApiError.badRequest("The request body could not be read: " + e.getMessage(), null);
        }
        if (bytes.length > max) throw ApiError.tooLarge(-1, max);
        ctx.attribute(BODY, bytes);
        return bytes;
    }

    /** The body ({@link #readBody}) parsed as a JSON object. */
    JsonBody parseBody(Context ctx) {
        return JsonBody.parse(mapper, readBody(ctx));
    }

    /**
     * Admits a generation request ({@link #admit}: 503 past capacity), starts its run and answers it:
     * streamed in {@code format}'s chunks, or, once every prompt has finished, as {@code response}'s body.
     */
    void answer(Context ctx, java.util.function.Supplier<GenerationRun> start, StreamFormat format,
            Function<RequestOutput[], Object> response, StreamOptions streaming) throws InterruptedException {
        admit();
        try {
            GenerationRun run = start.get();
            if (streaming.stream()) streamRun(ctx, run, format, streaming.includeUsage());
            else awaitRun(ctx, run, response);
        } finally {
            release();
        }
    }

    /** Waits for every prompt's final output and answers with one JSON body. */
    void awaitRun(Context ctx, GenerationRun run, Function<RequestOutput[], Object> response) throws InterruptedException {
        RequestOutput[] finals = new RequestOutput[run.numPrompts()];
        try (DisconnectWatch watch = DisconnectWatch.start(ctx, run::abort)) {
            for (GenerationRun.Event e; (e = run.next()) != null; ) {
                if (e.failure() != null) {
                    run.abort();
                    throw failure(e.failure());
                }
                if (e.output().finished()) finals[e.promptIndex()] = e.output();
            }
            if (watch.disconnected()) return; // nobody to answer
        } catch (InterruptedException e) {
            run.abort();
            throw e;
        }
        writeNow(ctx, 200, response.apply(finals));
    }

    /** Streams chunks as the engine produces them; a client that goes away aborts the run. */
    void streamRun(Context ctx, GenerationRun run, StreamFormat format, boolean includeUsage) throws InterruptedException {
        // Writes notice a client that left only when there is something to write; the watcher also
        // notices one that leaves while its request still waits in the queue.
        try (DisconnectWatch watch = DisconnectWatch.start(ctx, run::abort)) {
            SseStream sse = new SseStream(ctx, mapper);
            for (Object c : format.opening()) sse.send(c);
            for (GenerationRun.Event e; (e = run.next()) != null; ) {
                // Whatever else is already waiting goes out in the same write: one flush per wake-up, not per token.
                for (; e != null; e = run.poll()) {
                    if (e.failure() != null) {
                        run.abort();
                        sse.sendError(failure(e.failure()));
                        sse.done();
                        return;
                    }
                    for (Object c : format.chunks(e.promptIndex(), e.output())) sse.write(c);
                }
                sse.flush();
            }
            if (watch.disconnected()) return;
            if (includeUsage) sse.send(format.usageChunk());
            sse.done();
        } catch (IOException clientGone) {
            run.abort();
        } catch (InterruptedException e) {
            run.abort();
            throw e;
        }
    }

    /** An engine-side failure as an API error: a rejected request is the client's fault (400), anything else ours. */
    static ApiError failure(RuntimeException e) {
        if (e instanceof ApiError a) return a;
        if (e instanceof IllegalArgumentException) return ApiError.badRequest(e.getMessage(), null);
        return ApiError.internal("The engine failed: " + e.getMessage());
    }

    /**
     * Like {@link #json} but the body is written, and the response completed, before this returns
     * (not after the handler, as Javalin's result is): a generation's answer is then out before its
     * request stops counting as in flight, which a draining shutdown waits for.
     */
    void writeNow(Context ctx, int status, Object body) {
        byte[] bytes;
        try {
            bytes = mapper.writeValueAsBytes(body);
        } catch (IOException e) {
            throw ApiError.internal("could not write the response: " + e.getMessage());
        }
        ctx.status(status).contentType("application/json");
        ctx.res().setContentLength(bytes.length);
        try (var out = ctx.res().getOutputStream()) {
            out.write(bytes);
        } catch (IOException clientGone) {
            // nobody left to answer; the run has already finished
        }
    }

    void json(Context ctx, int status, Object body) {
        try {
            byte[] bytes = mapper.writeValueAsBytes(body);
            ctx.status(status).contentType("application/json").result(bytes);
        } catch (IOException e) {
            throw ApiError.internal("could not write the response: " + e.getMessage());
        }
    }
}
