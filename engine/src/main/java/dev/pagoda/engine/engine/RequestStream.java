package dev.pagoda.engine.engine;

import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The outputs of one request submitted to an {@link AsyncLlmEngine}, as the engine thread produces
 * them: one {@link RequestOutput} per step in which the request changed (use
 * {@link CompletionOutput#textDelta()} to stream text), the last one {@link RequestOutput#finished()}.
 * A request the engine rejects (or an engine failure) makes {@link #next()} throw.
 */
public final class RequestStream {
    private final String requestId;
    private final LinkedBlockingQueue<Object> queue = new LinkedBlockingQueue<>(); // RequestOutput or RuntimeException
    private volatile boolean done; // the consumer has taken the final output (or the error)

    RequestStream(String requestId) {
        this.requestId = requestId;
    }

    public String requestId() {
        return requestId;
    }

    /** The next output, waiting for it; null once the final output has been taken. */
    public RequestOutput next() throws InterruptedException {
        if (done) return null;
        return unwrap(queue.take());
    }

    /** Like {@link #next()}, waiting at most {@code timeout}; null on time-out or when done. */
    public RequestOutput next(long timeout, TimeUnit unit) throws InterruptedException {
        if (done) return null;
        Object item = queue.poll(timeout, unit);
        return item == null ? null : unwrap(item);
    }

    /** Waits for the final output (skipping the intermediate ones). */
    public RequestOutput awaitFinal() throws InterruptedException {
        RequestOutput last = null;
        for (RequestOutput o; (o = next()) != null; ) last = o;
        return last;
    }

    private RequestOutput unwrap(Object item) {
        if (item instanceof RuntimeException e) {
            done = true;
            throw e;
        }
        RequestOutput o = (RequestOutput) item;
        if (o.finished()) done = true;
        return o;
    }

    void put(RequestOutput output) {
        queue.add(output);
    }

    void fail(RuntimeException e) {
        queue.add(e);
    }
}
