package dev.pagoda.server.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pagoda.server.PagodaServer;
import dev.pagoda.server.RequestLimits;
import dev.pagoda.server.ServerConfig;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A full server: {@code --max-queued-requests} requests in flight keep the engine busy; one more gets
 * 503 {@code server_overloaded} with Retry-After and an OpenAI error body, while /health and /metrics
 * still answer. Then every client hangs up (half of them mid-stream, half mid-request, before any
 * byte of the answer): each sequence is aborted and its KV blocks go back to the pool, as /metrics
 * shows (running 0, KV usage 0), and the server serves the next request normally.
 */
class OverloadAndDisconnectTest {
    private static final int CAPACITY = 4;

    @TempDir
    static Path modelDir;

    @Test
    void pastCapacityIs503WithRetryAfterAndHangUpsFreeTheirBlocks() throws Exception {
        PagodaServer server = LoopbackServer.startSlow(ServerConfig.loopback(0).withMaxQueuedRequests(CAPACITY), modelDir);
        List<Socket> clients = new ArrayList<>();
        try {
            int port = server.port();
            HttpClient http = LoopbackServer.client();
            double abortedBefore = aborted(LoopbackServer.get(http, port, "/metrics").body());
            for (int i = 0; i < CAPACITY; i++) {
                Socket s = send(port, LoopbackServer.longRequest(i % 2 == 0));
                clients.add(s);
                if (i % 2 == 0) { // streaming: read until the first chunk, so it is surely generating
                    BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
                    for (String line; (line = in.readLine()) != null && !line.startsWith("data: {"); ) { }
                }
            }
            String busy = LoopbackServer.awaitMetrics(http, port, m -> LoopbackServer.metric(m, "vllm:num_requests_running") == CAPACITY,
                    CAPACITY + " requests running");
            assertTrue(LoopbackServer.metric(busy, "vllm:kv_cache_usage_perc") > 0, busy);

            // Full: the next one is turned away at once, with a hint to retry.
            HttpResponse<String> over = LoopbackServer.post(http, port, "/v1/completions", LoopbackServer.SMALL);
            assertEquals(503, over.statusCode(), over.body());
            assertEquals("1", over.headers().firstValue("Retry-After").orElse(null));
            JsonNode error = LoopbackServer.JSON.readTree(over.body()).get("error");
            assertEquals("server_overloaded", error.get("code").asText());
            assertTrue(error.get("message").asText().contains("--max-queued-requests"), error.toString());

            // …while health and metrics answer (their latency is reported, not asserted).
            for (int i = 0; i < 5; i++) {
                long t0 = System.nanoTime();
                assertEquals(200, LoopbackServer.get(http, port, "/health").statusCode());
                double healthMs = (System.nanoTime() - t0) / 1e6;
                t0 = System.nanoTime();
                assertEquals(200, LoopbackServer.get(http, port, "/metrics").statusCode());
                double metricsMs = (System.nanoTime() - t0) / 1e6;
                if (i == 4) {
                    LoopbackServer.recordTiming("/health under full load (" + CAPACITY + " long requests running)", healthMs);
                    LoopbackServer.recordTiming("/metrics under full load", metricsMs);
                }
            }

            // Everyone hangs up: all aborted, the pool is whole again.
            long t0 = System.nanoTime();
            for (Socket s : clients) s.close();
            LoopbackServer.awaitMetrics(http, port, m -> aborted(m) >= abortedBefore + CAPACITY
                    && LoopbackServer.metric(m, "vllm:num_requests_running") == 0 && LoopbackServer.metric(m, "vllm:num_requests_waiting") == 0
                    && LoopbackServer.metric(m, "vllm:kv_cache_usage_perc") == 0, "every hung-up request aborted and its blocks freed");
            LoopbackServer.recordTiming("4 clients hang up → all aborted, KV usage back to 0 (seen on /metrics)", (System.nanoTime() - t0) / 1e6);
            for (int i = 0; i < 100 && server.http().inFlight() > 0; i++) Thread.sleep(20);
            assertEquals(0, server.http().inFlight());
            HttpResponse<String> next = LoopbackServer.post(http, port, "/v1/completions", LoopbackServer.SMALL.replace("\"max_tokens\": 2", "\"max_tokens\": 3"));
            assertEquals(200, next.statusCode(), next.body());
        } finally {
            for (Socket s : clients) s.close();
            server.close();
        }
    }

    /**
     * Tokenizing megabytes of prompt is seconds of CPU. Done on the request's own virtual thread it
     * would hold a carrier thread all that while (virtual threads are not preempted), and with one
     * such request per core /health could not run at all. Here more huge prompts than cores
     * are in preparation, and /health and /metrics must answer before any of them is done.
     */
    @Test
    void hugePromptsDoNotStarveHealth() throws Exception {
        RequestLimits limits = RequestLimits.DEFAULT.withMaxRequestBodyBytes(8 << 20);
        PagodaServer server = LoopbackServer.start(ServerConfig.loopback(0).withLimits(limits));
        try {
            int port = server.port();
            HttpClient http = LoopbackServer.client();
            int heavy = Runtime.getRuntime().availableProcessors() + 1; // more than the carrier threads
            String huge = "{\"prompt\": \"" + "once upon a time ".repeat((4 << 20) / 17) + "\", \"max_tokens\": 1}";
            List<java.util.concurrent.CompletableFuture<HttpResponse<String>>> pending = new ArrayList<>();
            for (int i = 0; i < heavy; i++) {
                pending.add(http.sendAsync(java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + port + "/v1/completions"))
                        .header("Content-Type", "application/json").POST(java.net.http.HttpRequest.BodyPublishers.ofString(huge)).build(),
                        HttpResponse.BodyHandlers.ofString()));
            }
            for (int i = 0; i < 200 && server.http().preparing() < heavy; i++) Thread.sleep(10);
            long t0 = System.nanoTime();
            assertEquals(200, LoopbackServer.get(http, port, "/health").statusCode());
            assertEquals(200, LoopbackServer.get(http, port, "/metrics").statusCode());
            double ms = (System.nanoTime() - t0) / 1e6;
            long done = pending.stream().filter(java.util.concurrent.CompletableFuture::isDone).count();
            assertEquals(0, done, "/health and /metrics had to wait for " + done + " of the " + heavy + " huge prompts");
            LoopbackServer.recordTiming("/health + /metrics while " + heavy + " prompts of 4 MB are tokenized", ms);
            for (var f : pending) {
                HttpResponse<String> r = f.get(120, java.util.concurrent.TimeUnit.SECONDS);
                assertEquals(400, r.statusCode(), r.body()); // far beyond the context
                assertTrue(r.body().contains("maximum context length"), r.body());
            }
        } finally {
            server.close();
        }
    }

    /**
     * Clients that send half a body and then wait (slowloris) hold only their own virtual threads:
     * a normal request is served while they still hang on, and ones that hang up mid-body leave
     * nothing behind.
     */
    @Test
    void halfSentBodiesBlockNobody() throws Exception {
        PagodaServer server = LoopbackServer.start(ServerConfig.loopback(0));
        List<Socket> slow = new ArrayList<>();
        try {
            int port = server.port();
            HttpClient http = LoopbackServer.client();
            for (int i = 0; i < Runtime.getRuntime().availableProcessors() + 2; i++) {
                Socket s = new Socket("127.0.0.1", port);
                s.getOutputStream().write(("POST /v1/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                        + "Content-Length: 1000\r\n\r\n{\"prompt\": \"Once").getBytes(StandardCharsets.US_ASCII));
                s.getOutputStream().flush();
                slow.add(s);
            }
            Thread.sleep(200); // let them reach their handlers
            LoopbackServer.assertServesNormally(http, port, "half-sent bodies");
            // The slow ones are still open (had the normal request waited for them, Jetty's idle timeout would have closed them first).
            for (Socket s : slow) {
                s.setSoTimeout(50);
                try {
                    int b = s.getInputStream().read();
                    throw new AssertionError("a half-sent request was answered or closed already: " + b);
                } catch (java.net.SocketTimeoutException stillWaiting) {
                    // as it should be
                }
            }
            // Now they hang up mid-body: nothing is left preparing or in flight, and the server carries on.
            for (Socket s : slow) s.close();
            for (int i = 0; i < 100 && (server.http().preparing() > 0 || server.http().inFlight() > 0); i++) Thread.sleep(20);
            assertEquals(0, server.http().preparing());
            assertEquals(0, server.http().inFlight());
            LoopbackServer.assertServesNormally(http, port, "clients that hung up mid-body");
        } finally {
            for (Socket s : slow) s.close();
            server.close();
        }
    }

    /** Sends a raw POST /v1/completions and leaves the connection open. */
    private static Socket send(int port, String body) throws Exception {
        Socket s = new Socket("127.0.0.1", port);
        OutputStream out = s.getOutputStream();
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        out.write(("POST /v1/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: " + b.length + "\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII));
        out.write(b);
        out.flush();
        return s;
    }

    private static double aborted(String metrics) {
        for (String line : metrics.split("\n")) {
            if (line.startsWith("vllm:request_success_total{") && line.contains("finished_reason=\"abort\"")) {
                return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return 0;
    }
}
