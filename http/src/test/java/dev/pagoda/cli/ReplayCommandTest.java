package dev.pagoda.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pagoda.engine.engine.EngineConfig;
import dev.pagoda.engine.events.StepTraceWriter;
import dev.pagoda.engine.testing.Fixtures;
import dev.pagoda.server.PagodaServer;
import dev.pagoda.server.ServeOptions;
import dev.pagoda.server.ServerConfig;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.CompletableFuture;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code generate --trace-file} then {@code replay}: the explanation, the match, and what a damaged trace says. */
class ReplayCommandTest {
    private record Result(int status, String out, String err) {}

    private static Result run(String... argv) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        int status = Main.run(argv, new ByteArrayInputStream(new byte[0]),
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Result(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /** Three prompts, two sharing a 2-block prefix, on a pool tight enough to preempt and a budget that chunks. */
    private static Path record(Path dir) throws IOException {
        Path prompts = dir.resolve("prompts.jsonl");
        Files.writeString(prompts, String.join("\n",
                "{\"prompt\": \"Once upon a time, there was a little girl\", \"max_tokens\": 12, \"ignore_eos\": true}",
                "{\"prompt\": \"Once upon a time, there was a big dog\", \"max_tokens\": 12, \"ignore_eos\": true}",
                "{\"prompt\": \"Lily\", \"max_tokens\": 10, \"ignore_eos\": true}") + "\n");
        Path trace = dir.resolve("trace.jsonl");
        Result r = run("generate", "--prompts-file", prompts.toString(), "--model", Fixtures.stories260k().toString(),
                "--block-size", "4", "--num-kv-blocks", "9", "--max-num-batched-tokens", "8", "--trace-file", trace.toString());
        assertEquals(0, r.status(), r.err());
        return trace;
    }

    @Test
    void replayExplainsEveryStepAndMatches(@TempDir Path dir) throws IOException {
        Path trace = record(dir);
        List<String> lines = Files.readAllLines(trace);
        assertTrue(lines.getFirst().startsWith("{\"pagoda_trace\":1,"), lines.getFirst());
        assertTrue(lines.get(0).contains("\"num_gpu_blocks\":9"), lines.getFirst());

        Result r = run("replay", trace.toString(), "--explain");
        assertEquals(0, r.status(), r.out() + r.err());
        String out = r.out();
        assertTrue(out.contains("step 1: batched 8 of 8 tokens"), out);
        assertTrue(out.contains("  + request generate-0-0 arrives ("), out);
        assertTrue(out.contains("admitted generate-0-0#0 +8 tokens (chunked)"), out);
        assertTrue(out.contains("why: admitted, chunked: only 8 of its"), out);
        assertTrue(out.contains("fit the token budget left 8 of 8"), out);
        assertTrue(out.contains("[prefix hit 8 tokens]") && out.contains("prefix-cache hit of 2 blocks (8 tokens) reused"), out);
        assertTrue(out.contains("preempted generate-") && out.contains("why: preempted (recompute): no free KV block"), out);
        assertTrue(out.contains("why: decode: computes the token sampled last step"), out);
        assertTrue(out.contains("finished generate-2-2#0"), out);
        assertTrue(out.contains("block tables: generate-0-0#0 [0, 1"), out);
        assertTrue(out.contains("the CPU engine made the recorded decisions"), out);

        Result one = run("replay", trace.toString(), "--step", "2");
        assertEquals(0, one.status(), one.err());
        assertTrue(one.out().contains("step 2:") && !one.out().contains("step 1:") && !one.out().contains("step 3:"), one.out());
        assertTrue(!one.out().contains("why:"), one.out());
    }

    @Test
    void aServersTraceReplaysToo(@TempDir Path dir) throws Exception {
        Path trace = dir.resolve("serve.jsonl");
        StepTraceWriter[] writer = new StepTraceWriter[1];
        ServeOptions options = ServeOptions.of(Fixtures.stories260k()).withServedModelNames(List.of("stories260k")).withNumThreads(1)
                .withEngineConfig(EngineConfig.defaults().withBlockSize(4).withNumKvBlocks(24).withMaxNumBatchedTokens(16));
        try (PagodaServer server = PagodaServer.start(ServerConfig.loopback(0), options, new PrintStream(OutputStream.nullOutputStream()), llm -> {
            writer[0] = StepTraceWriter.open(trace, TraceHeaders.of(llm, Fixtures.stories260k(), llm.modelConfig(), "cpu"));
            llm.addStepListener(writer[0]);
        })) {
            HttpClient client = HttpClient.newHttpClient();
            List<CompletableFuture<HttpResponse<String>>> all = new ArrayList<>();
            // Requests arrive while others run (at whatever steps they happen to), sampled at temperature 0.8 with the engine's seed.
            for (String prompt : List.of("Once upon a time, there was a little girl", "Once upon a time, there was a big dog", "Tom and Sue", "Lily")) {
                all.add(client.sendAsync(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/v1/completions"))
                        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(
                                "{\"model\": \"stories260k\", \"prompt\": \"" + prompt + "\", \"max_tokens\": 24, \"temperature\": 0.8}"))
                        .build(), HttpResponse.BodyHandlers.ofString()));
            }
            for (var f : all) assertEquals(200, f.join().statusCode(), f.join().body());
        }
        writer[0].close();
        Result r = run("replay", trace.toString());
        assertEquals(0, r.status(), r.out() + r.err());
        assertTrue(r.out().contains("the CPU engine made the recorded decisions"), r.out());
        assertTrue(r.out().contains("finished cmpl-"), r.out());
    }

    @Test
    void aChangedDecisionIsReportedAsTheFirstDivergence(@TempDir Path dir) throws IOException {
        Path trace = record(dir);
        List<String> lines = new ArrayList<>(Files.readAllLines(trace));
        // Claim that step 2 granted 7 tokens where the engine grants something else.
        lines.set(2, lines.get(2).replaceFirst("\"num_new_tokens\":\\d+", "\"num_new_tokens\":77"));
        Files.write(trace, lines);
        Result r = run("replay", trace.toString());
        assertEquals(1, r.status(), r.out() + r.err());
        assertTrue(r.out().contains("DIVERGED after 1 matching steps: step 2 (trace.jsonl line 3): decision 1 differs: recorded '"), r.out());
        assertTrue(r.out().contains("+77 tokens"), r.out());
    }

    @Test
    void aCorruptedTraceIsAClearError(@TempDir Path dir) throws IOException {
        Path trace = record(dir);
        List<String> lines = new ArrayList<>(Files.readAllLines(trace));

        Path cut = dir.resolve("cut.jsonl");
        Files.writeString(cut, lines.get(0) + "\n" + lines.get(1).substring(0, 40) + "\n");
        Result r = run("replay", cut.toString());
        assertEquals(2, r.status());
        assertTrue(r.err().startsWith("pagoda replay: " + cut + " line 2: not a JSON object"), r.err());

        Path badKind = dir.resolve("bad-kind.jsonl");
        Files.writeString(badKind, lines.get(0) + "\n" + lines.get(1).replaceFirst("\"kind\":\"admitted\"", "\"kind\":\"teleported\"") + "\n");
        r = run("replay", badKind.toString());
        assertEquals(2, r.status());
        assertTrue(r.err().contains(badKind + " line 2: decisions[0].kind: unknown decision kind 'teleported'"), r.err());

        Path noHeader = dir.resolve("no-header.jsonl");
        Files.writeString(noHeader, lines.get(1) + "\n");
        r = run("replay", noHeader.toString());
        assertEquals(2, r.status());
        assertTrue(r.err().contains("line 1: not a Pagoda trace"), r.err());

        r = run("replay", trace.toString(), "--step", "999");
        assertEquals(2, r.status());
        assertTrue(r.err().contains("--step 999: the trace has no step 999"), r.err());
    }
}
