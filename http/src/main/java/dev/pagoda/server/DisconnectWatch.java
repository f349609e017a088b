package dev.pagoda.server;

import io.javalin.http.Context;
import org.eclipse.jetty.ee10.servlet.ServletContextRequest;

/**
 * Notices, while a non-streaming request is being generated, that its client has closed the
 * connection, and aborts the generation (so its KV blocks are freed instead of finishing a
 * completion nobody will read). Jetty reports the closed connection as a failure of the request.
 */
final class DisconnectWatch implements AutoCloseable {
    private volatile boolean active = true;
    private volatile boolean disconnected;

    private DisconnectWatch() {}

    static DisconnectWatch start(Context ctx, Runnable onDisconnect) {
        DisconnectWatch w = new DisconnectWatch();
        ServletContextRequest request = ServletContextRequest.getServletContextRequest(ctx.req());
        if (request != null) {
            request.addFailureListener(failure -> {
                if (w.active) {
                    w.disconnected = true;
                    onDisconnect.run();
                }
            });
        }
        return w;
    }

    boolean disconnected() {
        return disconnected;
    }

    @Override
    public void close() {
        active = false;
    }
}
