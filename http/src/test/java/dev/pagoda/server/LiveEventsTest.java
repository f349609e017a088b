package dev.pagoda.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pagoda.engine.engine.EngineConfig;
import dev.pagoda.engine.events.EngineStepEvent;
import dev.pagoda.engine.events.KvCacheSnapshot;
import dev.pagoda.engine.events.SchedulerStats;
import dev.pagoda.engine.events.SchedulerDecision;
import dev.pagoda.engine.json.Json;
import dev.pagoda.engine.testing.Fixtures;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** GET /live/events over a real server: the API key, the snapshot first, then the steps of a request; and a slow client's buffer. */
class LiveEventsTest {
    static PagodaServer start(String apiKey) throws Exception {
        ServeOptions options = ServeOptions.of(Fixtures.stories260k()).withServedModelNames(List.of("stories260k")).withNumThreads(1)
                .withEngineConfig(EngineConfig.defaults().withBlockSize(4).withNumKvBlocks(128).withMaxNumBatchedTokens(16));
        return PagodaServer.start(ServerConfig.loopback(0).withApiKey(apiKey), options, new PrintStream(OutputStream.nullOutputStream()));
    }

    @Test
    void theStreamNeedsTheKeyStartsWithASnapshotAndShowsARequestsSteps() throws Exception {
        try (PagodaServer server = start("sekrit")) {
            HttpClient client = HttpClient.newHttpClient();
            String base = "http://127.0.0.1:" + server.port();
            HttpResponse<String> page = client.send(HttpRequest.newBuilder(URI.create(base + "/")).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, page.statusCode()); // the page is open, its data is not
            assertTrue(page.body().contains("KV block pool") && page.body().contains("/live/live.js"), page.body());
            assertEquals(200, client.send(HttpRequest.newBuilder(URI.create(base + "/live/live.js")).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode());
            HttpResponse<String> denied = client.send(HttpRequest.newBuilder(URI.create(base + "/live/events")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(401, denied.statusCode());

            HttpResponse<Stream<String>> events = client.send(HttpRequest.newBuilder(URI.create(base + "/live/events"))
                    .header("Authorization", "Bearer sekrit").build(), HttpResponse.BodyHandlers.ofLines());
            assertEquals(200, events.statusCode());
            assertTrue(events.headers().firstValue("Content-Type").orElse("").startsWith("text/event-stream"));
            try (Stream<String> lines = events.body()) {
                Iterator<String> it = lines.filter(l -> l.startsWith("data: ")).iterator();
                Map<String, Object> first = Json.parseObject(it.next().substring(6));
                assertEquals(true, first.get("snapshot"));
                assertEquals(128L, ((Map<?, ?>) first.get("kv_cache")).get("num_blocks"));

                HttpResponse<String> done = client.send(HttpRequest.newBuilder(URI.create(base + "/v1/completions"))
                        .timeout(Duration.ofSeconds(60)).header("Authorization", "Bearer sekrit").header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(
                                "{\"model\": \"stories260k\", \"prompt\": \"Once upon a time, there was a little girl named Lily\", \"max_tokens\": 4}"))
                        .build(), HttpResponse.BodyHandlers.ofString());
                assertEquals(200, done.statusCode(), done.body());

                StringBuilder kinds = new StringBuilder();
                List<?> lastBlocks = null;
                while (!kinds.toString().contains("finished")) {
                    Map<String, Object> step = Json.parseObject(it.next().substring(6));
                    for (Object d : (List<?>) step.get("decisions")) kinds.append(((Map<?, ?>) d).get("kind")).append(' ');
                    // Events that waited together carry the per-block list only on the newest, and on steps the view can pause at.
                    List<?> blocks = (List<?>) ((Map<?, ?>) step.get("kv_cache")).get("blocks");
                    lastBlocks = blocks;
                }
                // 13 prompt tokens with a budget of 16: admitted whole, then decodes, then finished.
                assertTrue(kinds.toString().startsWith("admitted decode decode decode finished"), kinds.toString());
                // The last event is the newest, so it has the blocks: the finished prompt's full blocks stay cached.
                assertTrue(lastBlocks != null && lastBlocks.size() >= 3, String.valueOf(lastBlocks));
                for (Object b : lastBlocks) assertEquals("cached", ((Map<?, ?>) b).get("state"), lastBlocks.toString());
            }
        }
    }

    @Test
    void stepsTheViewCanPauseAtCarryTheirBlocks() {
        KvCacheSnapshot kv = new KvCacheSnapshot(4, 8, 8, List.of(), List.of());
        SchedulerStats stats = new SchedulerStats(0, 0, 0, 8, 1, 0, 0, 0, 0);
        java.util.function.Function<SchedulerDecision.Kind, EngineStepEvent> step = k -> new EngineStepEvent(1, false, List.of(),
                List.of(new SchedulerDecision(k, "r", 0, 1, 4, 1, 0, false, "why")), stats, kv);
        for (SchedulerDecision.Kind k : SchedulerDecision.Kind.values()) {
            boolean plain = k == SchedulerDecision.Kind.DECODE || k == SchedulerDecision.Kind.WAITING;
            assertEquals(!plain, LiveEvents.canPauseAt(step.apply(k)), k.toString());
        }
        assertEquals(false, LiveEvents.canPauseAt(new EngineStepEvent(1, false, List.of(), List.of(), stats, kv)));
    }

    @Test
    void aSlowClientLosesItsOldestEventsAndCountsThem() {
        LiveEvents.Client c = new LiveEvents.Client();
        KvCacheSnapshot kv = new KvCacheSnapshot(4, 8, 8, List.of(), List.of());
        SchedulerStats stats = new SchedulerStats(0, 0, 0, 8, 1, 0, 0, 0, 0);
        for (int i = 1; i <= LiveEvents.CLIENT_BUFFER + 10; i++) c.offer(new EngineStepEvent(i, false, List.of(), List.of(), stats, kv));
        assertEquals(LiveEvents.CLIENT_BUFFER, c.queue.size());
        assertEquals(10, c.dropped.get());
        assertEquals(11, c.queue.peek().step()); // the newest are kept
    }
}
