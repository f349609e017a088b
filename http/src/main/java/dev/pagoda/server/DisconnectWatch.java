package dev.pagoda.server;

import io.javalin.http.Context;
import java.io.IOException;
import java.nio.ByteBuffer;
import org.eclipse.jetty.ee10.servlet.ServletContextRequest;
import org.eclipse.jetty.http.HttpVersion;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.ConnectionMetaData;
import org.eclipse.jetty.util.BufferUtil;

/**
 * Notices, while a request is being generated, that its client has closed the
 * connection, and aborts the generation (so its KV blocks are freed instead of finishing a
 * completion nobody will read).
 *
 * <p>Why polling: once an HTTP/1.1 request's body has been read, Jetty does not read the socket
 * again until the response is done, so a client's close goes unnoticed. While the handler waits,
 * nobody else reads this connection either, so a watcher may try a non-blocking read every
 * {@value #POLL_MILLIS} ms: end-of-stream means the client is gone. (A client that sends its next
 * request before this response, i.e. HTTP pipelining, would have its first byte taken; such a
 * connection is closed after this response.) The watcher stops before the response is written.
 */
final class DisconnectWatch implements AutoCloseable {
    private static final long POLL_MILLIS = 200;

    private final Thread watcher;
    private final Context ctx;
    private volatile boolean active = true;
    private volatile boolean disconnected;
    private volatile boolean tookBytes;

    private DisconnectWatch(Context ctx, EndPoint endPoint, Runnable onDisconnect) {
        this.ctx = ctx;
        this.watcher = endPoint == null ? null : Thread.ofVirtual().name("pagoda-disconnect-watch").start(() -> {
            ByteBuffer one = BufferUtil.allocate(1); // Jetty's convention: empty = position 0, limit 0
            while (active) {
                try {
                    Thread.sleep(POLL_MILLIS);
                    if (!active) return;
                    BufferUtil.clear(one);
                    int n = endPoint.fill(one);
                    if (n > 0) tookBytes = true;
                    if (n < 0 || !endPoint.isOpen()) {
                        disconnected = true;
                        onDisconnect.run();
                        return;
                    }
                } catch (InterruptedException e) {
                    return;
                } catch (IOException | RuntimeException e) {
                    disconnected = true;
                    onDisconnect.run();
                    return;
                }
            }
        });
    }

    static DisconnectWatch start(Context ctx, Runnable onDisconnect) {
        EndPoint endPoint = null;
        ServletContextRequest request = ServletContextRequest.getServletContextRequest(ctx.req());
        if (request != null) {
            ConnectionMetaData meta = request.getConnectionMetaData();
            // Only a connection that carries one request at a time may be read from here (not HTTP/2).
            if (meta.getHttpVersion() == HttpVersion.HTTP_1_1 || meta.getHttpVersion() == HttpVersion.HTTP_1_0) {
                endPoint = meta.getConnection().getEndPoint();
            }
        }
        return new DisconnectWatch(ctx, endPoint, onDisconnect);
    }

    boolean disconnected() {
        return disconnected;
    }

    /** Stops the watcher and waits for it, so that it never reads while the response is written. */
    @Override
    public void close() {
        active = false;
        if (watcher == null) return;
        watcher.interrupt();
        try {
            watcher.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (tookBytes && !ctx.res().isCommitted()) ctx.header("Connection", "close");
    }
}
