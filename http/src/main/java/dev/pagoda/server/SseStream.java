package dev.pagoda.server;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.javalin.http.Context;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/**
 * A server-sent-events response written by hand, as OpenAI streams: {@code data: {json}\n\n} per
 * chunk, each flushed at once, then {@code data: [DONE]\n\n}. No {@code event:} lines and no
 * compression, whatever the request's Accept header says. A write to a client that has gone away
 * throws {@link IOException}: the caller aborts the request.
 */
final class SseStream {
    private static final byte[] DATA = "data: ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] END = "\n\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] DONE = "data: [DONE]\n\n".getBytes(StandardCharsets.US_ASCII);

    private final ObjectMapper mapper;
    private final OutputStream out;

    SseStream(Context ctx, ObjectMapper mapper) throws IOException {
        this.mapper = mapper;
        ctx.status(200);
        ctx.res().setContentType("text/event-stream; charset=utf-8");
        ctx.res().setHeader("Cache-Control", "no-cache");
        ctx.res().setHeader("X-Accel-Buffering", "no"); // tell proxies (nginx) not to buffer the stream
        this.out = ctx.res().getOutputStream();
    }

    /** One {@code data:} frame, flushed. */
    void send(Object chunk) throws IOException {
        write(chunk);
        flush();
    }

    /** One {@code data:} frame, buffered until {@link #flush()}. */
    void write(Object chunk) throws IOException {
        byte[] json = mapper.writeValueAsBytes(chunk);
        byte[] frame = new byte[DATA.length + json.length + END.length];
        System.arraycopy(DATA, 0, frame, 0, DATA.length);
        System.arraycopy(json, 0, frame, DATA.length, json.length);
        System.arraycopy(END, 0, frame, DATA.length + json.length, END.length);
        out.write(frame);
    }

    void flush() throws IOException {
        out.flush();
    }

    /** An error in the middle of a stream: the error object as a frame (the status is already 200). */
    void sendError(ApiError e) throws IOException {
        send(e.body());
    }

    /**
     * {@code data: [DONE]}, then the end of the body (the last HTTP chunk), both before the handler
     * returns: a draining shutdown stops Jetty as soon as no handler is running, and must not cut a
     * stream between its last frame and its end.
     */
    void done() throws IOException {
        out.write(DONE);
        out.close();
    }
}
