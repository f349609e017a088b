package dev.pagoda.server.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pagoda.engine.engine.RequestStream;
import dev.pagoda.engine.sampling.SamplingParams;
import dev.pagoda.server.PagodaServer;
import dev.pagoda.server.ServerConfig;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The engine thread throws in the middle of two requests (a fault injected through
 * {@code AsyncLlmEngine#injectFault}): the streaming one ends with an error event and [DONE], the
 * other with a 500 error object; /health turns 503 and says why; new requests get 503
 * {@code engine_dead} with Retry-After; a request submitted after the death fails at once instead of
 * waiting forever; /metrics keeps answering. ({@code ./pagoda serve} then exits with code 3 for its
 * supervisor; see ServeCommand.) Nothing here may hang: every wait is bounded.
 */
class EngineFaultTest {
    @TempDir
    static Path modelDir;

    @Test
    void inFlightRequestsEndWithAnErrorAndHealthSaysWhy() throws Exception {
        PagodaServer server = LoopbackServer.startSlow(ServerConfig.loopback(0), modelDir);
        try {
            int port = server.port();
            HttpClient http = LoopbackServer.client();
            CompletableFuture<HttpResponse<String>> streaming = http.sendAsync(request(port, LoopbackServer.longRequest(true)),
                    HttpResponse.BodyHandlers.ofString());
            CompletableFuture<HttpResponse<String>> whole = http.sendAsync(request(port, LoopbackServer.longRequest(false)),
                    HttpResponse.BodyHandlers.ofString());
            LoopbackServer.awaitMetrics(http, port, m -> LoopbackServer.metric(m, "vllm:num_requests_running") == 2, "two requests running");

            long t0 = System.nanoTime();
            server.engine().injectFault(new IllegalStateException("injected fault (test)"));
            HttpResponse<String> s = streaming.get(20, TimeUnit.SECONDS);
            double streamMs = (System.nanoTime() - t0) / 1e6;
            HttpResponse<String> w = whole.get(20, TimeUnit.SECONDS);
            double wholeMs = (System.nanoTime() - t0) / 1e6;

            assertEquals(200, s.statusCode()); // the stream had begun: the error comes as its last event
            String[] frames = s.body().split("\n\n");
            assertEquals("data: [DONE]", frames[frames.length - 1]);
            JsonNode streamError = LoopbackServer.JSON.readTree(frames[frames.length - 2].substring(6)).get("error");
            assertTrue(streamError.get("message").asText().contains("injected fault (test)"), streamError.toString());
            assertEquals(500, w.statusCode(), w.body());
            assertTrue(LoopbackServer.JSON.readTree(w.body()).get("error").get("message").asText().contains("injected fault (test)"), w.body());

            HttpResponse<String> health = LoopbackServer.get(http, port, "/health");
            double healthMs = (System.nanoTime() - t0) / 1e6;
            assertEquals(503, health.statusCode());
            assertTrue(LoopbackServer.JSON.readTree(health.body()).get("details").get("engine").asText().contains("injected fault (test)"), health.body());

            HttpResponse<String> after = LoopbackServer.post(http, port, "/v1/completions", LoopbackServer.SMALL);
            assertEquals(503, after.statusCode());
            assertEquals("engine_dead", LoopbackServer.JSON.readTree(after.body()).get("error").get("code").asText());
            assertEquals("1", after.headers().firstValue("Retry-After").orElse(null));
            assertEquals(200, LoopbackServer.get(http, port, "/metrics").statusCode());

            // The race the server's admission check cannot close: a submit that lands after the death.
            RequestStream late = server.engine().submit("late", new int[] {1, 2, 3}, SamplingParams.defaults(), 0);
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> late.next(5, TimeUnit.SECONDS));
            assertTrue(e.getMessage().contains("injected fault (test)"), e.getMessage());

            LoopbackServer.recordTiming("engine fault → streaming client has its error event", streamMs);
            LoopbackServer.recordTiming("engine fault → non-streaming client has its 500", wholeMs);
            LoopbackServer.recordTiming("engine fault → /health answered 503 with the reason", healthMs);
        } finally {
            server.close();
        }
    }

    private static java.net.http.HttpRequest request(int port, String body) {
        return java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + port + "/v1/completions"))
                .header("Content-Type", "application/json").POST(java.net.http.HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8)).build();
    }
}
