package dev.pagoda.server;

import dev.pagoda.engine.engine.AsyncLlmEngine;
import dev.pagoda.engine.events.EngineEventJson;
import dev.pagoda.engine.events.EngineStepEvent;
import dev.pagoda.engine.events.SchedulerDecision;
import dev.pagoda.engine.events.EngineStepListener;
import dev.pagoda.engine.json.Json;
import io.javalin.http.Context;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code GET /live/events}: the engine's step events as server-sent events, for the live view.
 *
 * <p>The engine must never wait for a browser. So the engine thread only offers each (immutable)
 * event to every client's small queue; a full queue drops its oldest event and counts it, and the
 * client's own request thread serializes and writes. A slow client thus loses intermediate steps
 * (the page says how many), never slows the engine, and the next event it gets carries the whole
 * pool again. When several events wait, only the newest carries the per-block list.
 *
 * <p>The hub listens to the engine only while at least one client is connected: with nobody
 * watching, the engine builds no events. A new client first gets a snapshot of the pool.
 */
final class LiveEvents implements EngineStepListener {
    /** Events buffered per client before the oldest are dropped. */
    static final int CLIENT_BUFFER = 256;
    private static final long KEEP_ALIVE_MS = 15_000;

    private final ServerContext server;
    private final List<Client> clients = new ArrayList<>(); // guarded by this
    private volatile List<Client> snapshot = List.of();     // what the engine thread iterates

    static final class Client {
        final ArrayBlockingQueue<EngineStepEvent> queue = new ArrayBlockingQueue<>(CLIENT_BUFFER);
        final AtomicLong dropped = new AtomicLong();

        void offer(EngineStepEvent e) {
            while (!queue.offer(e)) {
                if (queue.poll() != null) dropped.incrementAndGet();
            }
        }
    }

    LiveEvents(ServerContext server) {
        this.server = server;
    }

    @Override
    public void onStep(EngineStepEvent event) {
        for (Client c : snapshot) c.offer(event);
    }

    void handle(Context ctx) throws IOException {
        AsyncLlmEngine engine = server.model().engine(); // 503 while loading
        Client client = new Client();
        register(engine, client);
        try {
            ctx.status(200);
            ctx.res().setContentType("text/event-stream; charset=utf-8");
            ctx.res().setHeader("Cache-Control", "no-cache");
            ctx.res().setHeader("X-Accel-Buffering", "no");
            OutputStream out = ctx.res().getOutputStream();
            out.write(": pagoda live events\n\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            long lastWrite = System.currentTimeMillis();
            while (server.state() == ServerContext.State.READY) {
                EngineStepEvent first = client.queue.poll(1, TimeUnit.SECONDS);
                if (first == null) {
                    if (System.currentTimeMillis() - lastWrite > KEEP_ALIVE_MS) { // also notices a client that left
                        out.write(": keep-alive\n\n".getBytes(StandardCharsets.US_ASCII));
                        out.flush();
                        lastWrite = System.currentTimeMillis();
                    }
                    continue;
                }
                List<EngineStepEvent> batch = new ArrayList<>();
                batch.add(first);
                client.queue.drainTo(batch);
                long dropped = client.dropped.getAndSet(0);
                for (int i = 0; i < batch.size(); i++) {
                    Map<String, Object> json = EngineEventJson.toJson(batch.get(i), i == batch.size() - 1 || canPauseAt(batch.get(i)));
                    if (i == 0 && dropped > 0) json.put("dropped_before", dropped);
                    out.write(("data: " + Json.write(json) + "\n\n").getBytes(StandardCharsets.UTF_8));
                }
                out.flush();
                lastWrite = System.currentTimeMillis();
            }
        } catch (IOException | InterruptedException clientGoneOrStopping) {
            // the browser closed the page, or the server is stopping
        } finally {
            unregister(engine, client);
        }
    }

    /**
     * Whether the view can stop at this step ("pause at" a prefix hit, a chunk, a preemption, a
     * finish: any decision but a plain decode or waiting), so that it must carry its own picture of
     * the blocks. Of the other steps that wait together only the newest does (the list is the bulk of
     * an event); a paused view would otherwise show an older step's blocks under this step's log.
     */
    static boolean canPauseAt(EngineStepEvent e) {
        for (SchedulerDecision d : e.decisions()) {
            if (d.kind() != SchedulerDecision.Kind.DECODE && d.kind() != SchedulerDecision.Kind.WAITING) return true;
        }
        return false;
    }

    private synchronized void register(AsyncLlmEngine engine, Client client) {
        clients.add(client);
        snapshot = List.copyOf(clients);
        if (clients.size() == 1) engine.addStepListener(this);
        engine.inspect(e -> client.offer(e.snapshot())); // its first picture, taken on the engine thread
    }

    private synchronized void unregister(AsyncLlmEngine engine, Client client) {
        clients.remove(client);
        snapshot = List.copyOf(clients);
        if (clients.isEmpty()) engine.removeStepListener(this);
    }

    /** Clients connected now (for tests). */
    synchronized int numClients() {
        return clients.size();
    }
}
