package dev.pagoda.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * 256 streaming clients at once on the default model, half of them chat: every stream is well-formed (data frames,
 * one finish_reason, usage, [DONE]) and, being greedy, has exactly the text a lone request gets,
 * whatever else was in the batch. Afterwards the engine holds no KV blocks.
 */
class ConcurrentStreamsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int CLIENTS = 256;
    private static final String OPTIONS = "\"max_tokens\": 12, \"temperature\": 0, \"ignore_eos\": true,"
            + " \"stream\": true, \"stream_options\": {\"include_usage\": true}}";
    private static final String COMPLETION = "{\"prompt\": \"Once upon a time\", " + OPTIONS;
    private static final String CHAT = "{\"messages\": [{\"role\": \"user\", \"content\": \"Lily had a cat\"}], " + OPTIONS;

    /** Checks one SSE body and returns its concatenated text. */
    private static String checkStream(String body) throws Exception {
        assertTrue(body.endsWith("data: [DONE]\n\n"), body);
        String[] frames = body.split("\n\n");
        StringBuilder text = new StringBuilder();
        int finishes = 0;
        for (int i = 0; i < frames.length - 1; i++) {
            assertTrue(frames[i].startsWith("data: {"), frames[i]);
            JsonNode chunk = JSON.readTree(frames[i].substring(6));
            for (JsonNode c : chunk.get("choices")) {
                text.append(c.has("text") ? c.get("text").asText() : c.get("delta").path("content").asText());
                if (!c.get("finish_reason").isNull()) finishes++;
            }
            if (i == frames.length - 2) assertEquals(12, chunk.get("usage").get("completion_tokens").asInt());
        }
        assertEquals(1, finishes, body);
        return text.toString();
    }

    @Test
    void allStreamsCompleteWellFormed() throws Exception {
        try (PagodaServer server = TestServers.start();
                HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
                ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            int port = server.port();
            String completionAlone = checkStream(TestServers.post(http, port, "/v1/completions", COMPLETION).body());
            String chatAlone = checkStream(TestServers.post(http, port, "/v1/chat/completions", CHAT).body());
            List<Future<HttpResponse<String>>> futures = new ArrayList<>();
            for (int i = 0; i < CLIENTS; i++) {
                boolean chat = i % 2 == 1;
                futures.add(pool.submit(() -> chat ? TestServers.post(http, port, "/v1/chat/completions", CHAT)
                        : TestServers.post(http, port, "/v1/completions", COMPLETION)));
            }
            for (int i = 0; i < CLIENTS; i++) {
                HttpResponse<String> r = futures.get(i).get();
                assertEquals(200, r.statusCode(), r.body());
                assertEquals(i % 2 == 1 ? chatAlone : completionAlone, checkStream(r.body()));
            }
            String m = TestServers.get(http, port, "/metrics").body();
            assertEquals(0.0, TestServers.metric(m, "vllm:kv_cache_usage_perc"));
            assertEquals(0.0, TestServers.metric(m, "vllm:num_requests_running"));
        }
    }
}
