package dev.pagoda.server;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** API keys on the routes, the in-flight limit (503), and a shutdown that lets in-flight requests finish. */
class AdmissionTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String LONG = "{\"prompt\": \"Once upon a time\", \"max_tokens\": 300, \"ignore_eos\": true, \"temperature\": 0}";

    private static CompletableFuture<HttpResponse<String>> postAsync(HttpClient http, int port, String key, String body) {
        return http.sendAsync(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/completions"))
                .header("Content-Type", "application/json").header("Authorization", "Bearer " + key)
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static void awaitInFlight(PagodaServer server, int n) throws InterruptedException {
        for (int i = 0; i < 200 && server.http().inFlight() < n; i++) Thread.sleep(10);
        assertEquals(n, server.http().inFlight());
    }

    @Test
    void keysLimitsAndGracefulShutdown() throws Exception {
        PagodaServer server = TestServers.start(ServerConfig.loopback(0).withApiKey("sk-test").withMaxQueuedRequests(1));
        try (HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()) {
            int port = server.port();
            // No key: 401 on the API, but health and metrics stay open (for load balancers and Prometheus).
            HttpResponse<String> noKey = TestServers.get(http, port, "/v1/models");
            assertEquals(401, noKey.statusCode());
            assertEquals("invalid_api_key", JSON.readTree(noKey.body()).get("error").get("code").asText());
            assertEquals(401, TestServers.post(http, port, "/tokenize", "{\"prompt\": \"x\"}").statusCode());
            assertEquals(200, TestServers.get(http, port, "/health").statusCode());
            assertEquals(200, TestServers.get(http, port, "/metrics").statusCode());

            // One request in flight fills the server: the next one gets a 503 at once.
            CompletableFuture<HttpResponse<String>> first = postAsync(http, port, "sk-test", LONG);
            awaitInFlight(server, 1);
            HttpResponse<String> second = postAsync(http, port, "sk-test", LONG).get();
            assertEquals(503, second.statusCode());
            assertEquals("server_overloaded", JSON.readTree(second.body()).get("error").get("code").asText());

            // Shutdown waits for the request in flight, which completes normally.
            server.close();
            HttpResponse<String> done = first.get();
            assertEquals(200, done.statusCode(), done.body());
            JsonNode choice = JSON.readTree(done.body()).get("choices").get(0);
            assertEquals("length", choice.get("finish_reason").asText());
            assertEquals(300, JSON.readTree(done.body()).get("usage").get("completion_tokens").asInt());
        } finally {
            server.close();
        }
    }
}
