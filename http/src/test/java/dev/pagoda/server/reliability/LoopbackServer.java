package dev.pagoda.server.reliability;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pagoda.engine.testing.Fixtures;
import dev.pagoda.server.PagodaServer;
import dev.pagoda.server.ServeOptions;
import dev.pagoda.server.ServerConfig;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import dev.pagoda.engine.model.DType;
import dev.pagoda.engine.model.ModelConfig;
import dev.pagoda.engine.model.RandomModelWriter;
import dev.pagoda.engine.model.RopeScaling;
import java.time.Duration;
import java.util.List;

/**
 * The reliability tests' client side: a real server with the bundled stories260K on a free loopback
 * port, raw HTTP through java.net.http, and a raw socket for what java.net.http will not send
 * (oversized headers, a body that lies about its length).
 */
final class LoopbackServer {
    static final ObjectMapper JSON = new ObjectMapper();
    static final String SMALL = "{\"prompt\": \"Once upon a time\", \"max_tokens\": 2, \"temperature\": 0, \"ignore_eos\": true}";

    private LoopbackServer() {}

    static PagodaServer start(ServerConfig config) throws IOException {
        ServeOptions options = ServeOptions.of(Fixtures.stories260k()).withServedModelNames(List.of("stories260k")).withNumThreads(1);
        return PagodaServer.start(config, options, new PrintStream(OutputStream.nullOutputStream()));
    }

    /**
     * A random-weight Llama with stories260K's tokenizer, slow enough per token (6 layers, hidden 384,
     * context 8192) that a long request is still running when a test disconnects, injects a fault or
     * sends SIGTERM; ClientDisconnectTest's model.
     */
    static Path writeSlowModel(Path dir) throws IOException {
        ModelConfig slow = new ModelConfig("LlamaForCausalLM", "llama", 384, 1024, 6, 6, 2, 64, 512, 8192, 1e-5, 10000.0,
                new RopeScaling.None(), true, false, false, DType.F32, 1, List.of(2));
        RandomModelWriter.write(dir, slow);
        for (String f : List.of("tokenizer.json", "tokenizer_config.json")) Files.copy(Fixtures.stories260k().resolve(f), dir.resolve(f));
        return dir;
    }

    static PagodaServer startSlow(ServerConfig config, Path dir) throws IOException {
        ServeOptions options = ServeOptions.of(writeSlowModel(dir)).withServedModelNames(List.of("slow")).withNumThreads(1);
        return PagodaServer.start(config, options, new PrintStream(OutputStream.nullOutputStream()));
    }

    /** A long request for the slow model: runs for many seconds unless aborted. */
    static String longRequest(boolean stream) {
        return "{\"prompt\": \"Once upon a time\", \"max_tokens\": 8000, \"ignore_eos\": true, \"stream\": " + stream + "}";
    }

    /** Polls /metrics until {@code condition} holds for it (at most 20 s); returns the metrics text. */
    static String awaitMetrics(HttpClient http, int port, java.util.function.Predicate<String> condition, String what) throws Exception {
        String m = "";
        for (long end = System.nanoTime() + 20_000_000_000L; System.nanoTime() < end; Thread.sleep(20)) {
            m = get(http, port, "/metrics").body();
            if (condition.test(m)) return m;
        }
        throw new AssertionError("timed out waiting for " + what + ":\n" + m);
    }

    /** Measured durations the tests report (not assert) into target/reliability/timings.md. */
    static synchronized void recordTiming(String what, double millis) throws IOException {
        Path out = Path.of("target", "reliability", "timings.md");
        Files.createDirectories(out.getParent());
        Files.writeString(out, String.format(java.util.Locale.ROOT, "| %s | %.1f ms |%n", what, millis), java.nio.file.StandardOpenOption.CREATE,
                java.nio.file.StandardOpenOption.APPEND);
    }

    static HttpClient client() {
        return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(10)).build();
    }

    static HttpResponse<String> send(HttpClient http, int port, String method, String path, byte[] body, String... headers)
            throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(60))
                .header("Content-Type", "application/json");
        for (int i = 0; i < headers.length; i += 2) b.header(headers[i], headers[i + 1]);
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** The status code only: the body is not read, so an endless event stream (/live/events) cannot hang the caller. */
    static int status(HttpClient http, int port, String method, String path, byte[] body, String... headers)
            throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(60))
                .header("Content-Type", "application/json");
        for (int i = 0; i < headers.length; i += 2) b.header(headers[i], headers[i + 1]);
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
        HttpResponse<java.io.InputStream> r = http.send(b.build(), HttpResponse.BodyHandlers.ofInputStream());
        r.body().close();
        return r.statusCode();
    }

    static HttpResponse<String> post(HttpClient http, int port, String path, String json) throws IOException, InterruptedException {
        return send(http, port, "POST", path, json.getBytes(StandardCharsets.UTF_8));
    }

    static HttpResponse<String> get(HttpClient http, int port, String path) throws IOException, InterruptedException {
        return send(http, port, "GET", path, null);
    }

    /** A status and body read off a raw socket. */
    record RawResponse(int status, String headers, String body) {}

    /** Writes {@code request} as it is (the caller adds {@code Connection: close}) and reads the whole answer. */
    static RawResponse raw(int port, byte[] request) throws IOException {
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(30_000);
            OutputStream out = s.getOutputStream();
            try {
                out.write(request);
                out.flush();
            } catch (IOException serverClosedEarly) {
                // The server may answer (and close) before reading everything; its answer is still there to read.
            }
            ByteArrayOutputStream buf = new ByteArrayOutputStream();
            InputStream in = s.getInputStream();
            try {
                in.transferTo(buf);
            } catch (IOException reset) {
                // A reset after the response: keep what arrived.
            }
            String text = buf.toString(StandardCharsets.UTF_8);
            int headerEnd = text.indexOf("\r\n\r\n");
            if (!text.startsWith("HTTP/1.1 ") || headerEnd < 0) throw new IOException("no HTTP response: " + text);
            int status = Integer.parseInt(text.substring(9, 12));
            String headers = text.substring(0, headerEnd);
            String body = text.substring(headerEnd + 4);
            if (headers.toLowerCase(java.util.Locale.ROOT).contains("transfer-encoding: chunked")) body = unchunk(body);
            return new RawResponse(status, headers, body);
        }
    }

    private static String unchunk(String body) {
        StringBuilder out = new StringBuilder();
        int at = 0;
        while (true) {
            int eol = body.indexOf("\r\n", at);
            int size = Integer.parseInt(body.substring(at, eol).trim(), 16);
            if (size == 0) return out.toString();
            out.append(body, eol + 2, eol + 2 + size);
            at = eol + 2 + size + 2;
        }
    }

    /**
     * Asserts the server is healthy and serves the next request normally: /health 200, and a small
     * completion returns its two tokens.
     */
    static void assertServesNormally(HttpClient http, int port, String after) throws Exception {
        HttpResponse<String> health = get(http, port, "/health");
        if (health.statusCode() != 200) throw new AssertionError("after " + after + ": /health answered " + health.statusCode() + " " + health.body());
        HttpResponse<String> r = post(http, port, "/v1/completions", SMALL);
        if (r.statusCode() != 200) throw new AssertionError("after " + after + ": the next request got " + r.statusCode() + " " + r.body());
        JsonNode usage = JSON.readTree(r.body()).get("usage");
        if (usage.get("completion_tokens").asInt() != 2) throw new AssertionError("after " + after + ": " + r.body());
    }

    /** The value of a model_name-labelled sample in /metrics text, or NaN. */
    static double metric(String metricsText, String name) {
        for (String line : metricsText.split("\n")) {
            if (line.startsWith(name + "{") || line.startsWith(name + " ")) return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
        }
        return Double.NaN;
    }
}
