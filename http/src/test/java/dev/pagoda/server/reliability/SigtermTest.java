package dev.pagoda.server.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ./pagoda serve} as a real process: SIGTERM ({@link Process#destroy()}) in the middle of a
 * request makes it stop taking new requests (503 {@code server_shutting_down}), let the request in
 * flight finish, and exit 0.
 */
class SigtermTest {
    @TempDir
    static Path modelDir;

    @Test
    void sigtermDrainsTheRequestInFlightAndExitsZero() throws Exception {
        LoopbackServer.writeSlowModel(modelDir);
        String javaBin = ProcessHandle.current().info().command().orElseThrow();
        List<String> cmd = new ArrayList<>(List.of(javaBin, "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), "dev.pagoda.cli.Main", "serve", "--model", modelDir.toString(),
                "--host", "127.0.0.1", "--port", "0", "--threads", "1", "--disable-log-stats", "--shutdown-timeout", "60"));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        LinkedBlockingQueue<String> log = new LinkedBlockingQueue<>();
        Thread.ofVirtual().start(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) log.add(line);
            } catch (java.io.IOException ignored) {
                // the process ended
            }
        });
        List<String> seen = new ArrayList<>();
        try {
            int port = -1;
            Pattern ready = Pattern.compile("ready: http://127\\.0\\.0\\.1:(\\d+)/v1");
            for (long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60); port < 0 && System.nanoTime() < end; ) {
                String line = log.poll(1, TimeUnit.SECONDS);
                if (line == null) continue;
                seen.add(line);
                Matcher m = ready.matcher(line);
                if (m.find()) port = Integer.parseInt(m.group(1));
            }
            assertTrue(port > 0, "the server never said it was ready:\n" + String.join("\n", seen));

            // 150 tokens of the slow model: seconds of work, still running when the signal comes.
            HttpClient http = LoopbackServer.client();
            String body = "{\"prompt\": \"Once upon a time\", \"max_tokens\": 150, \"ignore_eos\": true, \"stream\": true}";
            CompletableFuture<HttpResponse<java.util.stream.Stream<String>>> inFlight = http.sendAsync(HttpRequest.newBuilder(
                    java.net.URI.create("http://127.0.0.1:" + port + "/v1/completions")).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofLines());
            java.util.Iterator<String> lines = inFlight.get(30, TimeUnit.SECONDS).body().iterator();
            String first = lines.next();
            assertTrue(first.startsWith("data: {"), first); // it is generating

            long t0 = System.nanoTime();
            p.destroy(); // SIGTERM
            // While it drains, new requests are turned away with a reason, not left hanging.
            boolean sawShuttingDown = false;
            for (int i = 0; i < 50 && !sawShuttingDown; i++) {
                try {
                    HttpResponse<String> r = LoopbackServer.post(http, port, "/v1/completions", LoopbackServer.SMALL);
                    sawShuttingDown = r.statusCode() == 503 && r.body().contains("server_shutting_down");
                } catch (java.io.IOException connectionRefused) {
                    break; // already past the drain
                }
                if (!sawShuttingDown) Thread.sleep(20);
            }
            int tokens = 0;
            String finish = null;
            StringBuilder rest = new StringBuilder(first);
            while (lines.hasNext()) {
                String line = lines.next();
                rest.append('\n').append(line);
                if (!line.startsWith("data: {")) continue;
                JsonNode c = LoopbackServer.JSON.readTree(line.substring(6)).get("choices").get(0);
                if (!c.get("finish_reason").isNull()) finish = c.get("finish_reason").asText();
                tokens++;
            }
            assertTrue(rest.toString().endsWith("data: [DONE]\n"), rest.substring(Math.max(0, rest.length() - 500)));
            assertEquals("length", finish, "the request in flight ran to its end");
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the server did not exit after draining");
            double exitMs = (System.nanoTime() - t0) / 1e6;
            assertEquals(0, p.exitValue(), "exit code after SIGTERM; log:\n" + String.join("\n", drain(log, seen)));
            assertTrue(sawShuttingDown, "new requests during the drain get 503 server_shutting_down");
            assertTrue(tokens > 1, "it streamed on after the signal");
            LoopbackServer.recordTiming("SIGTERM → in-flight request finished and process exited 0", exitMs);
        } finally {
            p.destroyForcibly();
        }
    }

    private static List<String> drain(LinkedBlockingQueue<String> log, List<String> seen) {
        log.drainTo(seen);
        return seen;
    }
}
