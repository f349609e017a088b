package dev.pagoda.server;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pagoda.engine.model.DType;
import dev.pagoda.engine.model.ModelConfig;
import dev.pagoda.engine.model.RandomModelWriter;
import dev.pagoda.engine.model.RopeScaling;
import dev.pagoda.engine.testing.Fixtures;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.Socket;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A client that hangs up mid-request (streaming or not) aborts its request and frees its KV
 * blocks, as {@code /metrics} shows.
 *
 * <p>The model is a random-weight Llama with stories260K's tokenizer, large enough (and its
 * context long enough) that a request of 8,000 tokens runs for far longer than the disconnect
 * takes to notice: only the abort, never the natural end, can free the blocks in time.
 */
class ClientDisconnectTest {
    @TempDir
    static Path modelDir;

    private static PagodaServer server;
    private static int port;
    private static HttpClient http;

    private static final String LONG = "{\"prompt\": \"Once upon a time\", \"max_tokens\": 8000, \"ignore_eos\": true";

    @BeforeAll
    static void start() throws Exception {
        ModelConfig slow = new ModelConfig("LlamaForCausalLM", "llama", 384, 1024, 6, 6, 2, 64, 512, 8192, 1e-5, 10000.0,
                new RopeScaling.None(), true, false, false, DType.F32, 1, List.of(2));
        RandomModelWriter.write(modelDir, slow);
        for (String f : List.of("tokenizer.json", "tokenizer_config.json")) {
            Files.copy(Fixtures.stories260k().resolve(f), modelDir.resolve(f));
        }
        ServeOptions options = ServeOptions.of(modelDir).withServedModelNames(List.of("slow")).withNumThreads(1);
        server = PagodaServer.start(ServerConfig.loopback(0), options, new PrintStream(OutputStream.nullOutputStream()));
        port = server.port();
        http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    }

    @AfterAll
    static void stop() {
        if (server != null) server.close();
    }

    @Test
    void streamingClientThatLeavesFreesItsBlocks() throws Exception {
        double before = aborted();
        List<String> lines = sendAndHangUp("/v1/completions", LONG + ", \"stream\": true}", 12);
        assertTrue(lines.stream().anyMatch(l -> l != null && l.startsWith("data: {")), lines.toString());
        awaitAbortedAndIdle(before);
    }

    @Test
    void nonStreamingClientThatLeavesFreesItsBlocks() throws Exception {
        double before = aborted();
        sendAndHangUp("/v1/completions", LONG + "}", 0);
        awaitAbortedAndIdle(before);
    }

    /** Sends a raw HTTP request, reads {@code readLines} lines of the response (0: none), then drops the connection. */
    private static List<String> sendAndHangUp(String path, String body, int readLines) throws Exception {
        List<String> lines = new ArrayList<>();
        try (Socket s = new Socket("127.0.0.1", port)) {
            OutputStream out = s.getOutputStream();
            byte[] b = body.getBytes(StandardCharsets.UTF_8);
            out.write(("POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: " + b.length
                    + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(b);
            out.flush();
            BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
            for (int i = 0; i < readLines; i++) lines.add(in.readLine());
            if (readLines == 0) Thread.sleep(300); // let it reach the engine
        }
        return lines;
    }

    private static double aborted() throws Exception {
        for (String line : TestServers.get(http, port, "/metrics").body().split("\n")) {
            if (line.startsWith("vllm:request_success_total{") && line.contains("finished_reason=\"abort\"")) {
                return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return 0;
    }

    /** Waits until the request was aborted, nothing runs and no KV block is in use (as /metrics reports). */
    private static void awaitAbortedAndIdle(double abortedBefore) throws Exception {
        String m = "";
        for (int i = 0; i < 200; i++) {
            m = TestServers.get(http, port, "/metrics").body();
            if (aborted() > abortedBefore && TestServers.metric(m, "vllm:num_requests_running") == 0
                    && TestServers.metric(m, "vllm:kv_cache_usage_perc") == 0) return;
            Thread.sleep(50);
        }
        throw new AssertionError("the engine still holds the request after the client left:\n" + m);
    }
}
