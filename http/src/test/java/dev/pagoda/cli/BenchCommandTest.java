package dev.pagoda.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pagoda.engine.json.Json;
import dev.pagoda.engine.testing.Fixtures;
import dev.pagoda.server.PagodaServer;
import dev.pagoda.server.ServeOptions;
import dev.pagoda.server.ServerConfig;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ./pagoda bench throughput|latency|serve} end to end on stories260K, briefly: the printed
 * table, the JSON's figures against the workload (exact token counts), the sweep plots as PNGs, and
 * {@code bench serve} against a real server on loopback.
 */
class BenchCommandTest {
    @TempDir
    Path tmp;

    private record Result(int status, String out, String err) {}

    private static Result run(String... argv) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        int status = Main.run(argv, new ByteArrayInputStream(new byte[0]),
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Result(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private static Map<String, Object> json(Path file) throws Exception {
        return Json.parseObject(Files.readString(file));
    }

    private static double num(Map<String, Object> j, String key) {
        return ((Number) j.get(key)).doubleValue();
    }

    @Test
    void throughputSweepWritesJsonAndPlot() throws Exception {
        Path json = tmp.resolve("t.json"), plot = tmp.resolve("t.png");
        Result r = run("bench", "throughput", "--model", Fixtures.stories260k().toString(), "--threads", "1", "--input-len", "16",
                "--output-len", "8", "--sweep-batch", "1,3", "--result-json", json.toString(), "--plot", plot.toString());
        assertEquals(0, r.status(), r.err());
        assertTrue(r.out().contains("Offline Throughput Benchmark Result") && r.out().contains("Median TPOT (ms):"), r.out());
        Map<String, Object> j = json(json);
        assertEquals(List.of(1.0, 3.0), j.get("sweep_batch"));
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> results = (List<Map<String, Object>>) j.get("results");
        Map<String, Object> b3 = results.get(1);
        assertEquals(3L, b3.get("completed"));
        assertEquals(48L, b3.get("total_input_tokens"));
        assertEquals(24L, b3.get("total_output_tokens")); // ignore_eos: exactly 8 each
        assertEquals(List.of(8L, 8L, 8L), b3.get("output_lens"));
        assertEquals(24 / num(b3, "duration"), num(b3, "output_throughput"), 1e-6);
        assertTrue(num(b3, "mean_tpot_ms") > 0 && num(b3, "p99_ttft_ms") >= num(b3, "median_ttft_ms"));
        assertEquals(800, ImageIO.read(plot.toFile()).getWidth());
    }

    @Test
    void latencyReportsPercentilesAndDecodeSpeed() throws Exception {
        Path json = tmp.resolve("l.json");
        Result r = run("bench", "latency", "--model", Fixtures.stories260k().toString(), "--load-format", "dummy", "--threads", "1",
                "--batch-size", "2", "--input-len", "8", "--output-len", "6", "--num-iters-warmup", "1", "--num-iters", "3",
                "--result-json", json.toString());
        assertEquals(0, r.status(), r.err());
        assertTrue(r.out().contains("Avg latency:") && r.out().contains("99% percentile latency:"), r.out());
        Map<String, Object> j = json(json);
        @SuppressWarnings("unchecked")
        List<Double> latencies = (List<Double>) j.get("latencies");
        assertEquals(3, latencies.size());
        assertEquals(latencies.stream().mapToDouble(Double::doubleValue).average().orElseThrow(), num(j, "avg_latency"), 1e-9);
        assertTrue(num(j, "mean_tpot_ms") > 0);
        assertEquals(1000 / num(j, "mean_tpot_ms"), num(j, "decode_tokens_per_second_per_sequence"), 1e-6);
    }

    @Test
    void serveAgainstARealServer() throws Exception {
        ServeOptions options = ServeOptions.of(Fixtures.stories260k()).withServedModelNames(List.of("stories260k")).withNumThreads(1);
        try (PagodaServer server = PagodaServer.start(ServerConfig.loopback(0), options, new PrintStream(OutputStream.nullOutputStream()))) {
            String url = "http://127.0.0.1:" + server.port();
            Path json = tmp.resolve("s.json");
            Result r = run("bench", "serve", "--base-url", url, "--tokenizer", Fixtures.stories260k().toString(), "--dataset", "sotu",
                    "--dataset-path", Fixtures.fetched("corpus/sotu").toString(), "--num-prompts", "6", "--input-len", "24",
                    "--output-len", "5", "--request-rate", "50", "--burstiness", "0.5", "--max-concurrency", "3",
                    "--goodput", "ttft:60000", "e2el:60000", "--percentile-metrics", "ttft,tpot,itl,e2el", "--metric-percentiles", "50,99",
                    "--result-json", json.toString());
            assertEquals(0, r.status(), r.err());
            assertTrue(r.out().contains("Serving Benchmark Result") && r.out().contains("P50 E2EL (ms):")
                    && r.out().contains("Request goodput (req/s):"), r.out());
            Map<String, Object> j = json(json);
            assertEquals("stories260k", j.get("model_id"));
            assertEquals(6L, j.get("completed"));
            assertEquals(6 * 24L, j.get("total_input_tokens"));
            assertEquals(30L, j.get("total_output_tokens"));
            assertEquals(3L, j.get("max_concurrency"));
            assertEquals(num(j, "request_throughput"), num(j, "request_goodput"), 1e-9); // generous SLOs: every request is good
            assertTrue(num(j, "p99_itl_ms") >= num(j, "p50_itl_ms"));
            // The server's engine counters, read around the measured run only (not the test request):
            // every prompt token of the six requests was looked up in the prefix cache once.
            assertEquals(6 * 24L, j.get("server_prefix_cache_queries"));
            assertTrue(num(j, "server_engine_steps") >= 5 && num(j, "server_step_forward_us") > 0, j.toString());
            assertTrue(r.err().contains("server engine during the run:"), r.err());

            Path sweep = tmp.resolve("sweep.json"), plot = tmp.resolve("sweep.png");
            r = run("bench", "serve", "--base-url", url, "--tokenizer", Fixtures.stories260k().toString(), "--num-prompts", "4", "--input-len", "8", "--output-len", "4",
                    "--num-warmups", "3", "--sweep-request-rate", "20,40", "--result-json", sweep.toString(), "--plot", plot.toString());
            assertEquals(0, r.status(), r.err());
            assertEquals(2, ((List<?>) json(sweep).get("results")).size());
            assertTrue(r.err().contains("3 warm-up requests"), r.err());
            for (Object run : (List<?>) json(sweep).get("results")) {
                assertEquals(4 * 8L, ((Map<?, ?>) run).get("server_prefix_cache_queries")); // the warm-ups are outside each run's window
            }
            assertTrue(ImageIO.read(plot.toFile()).getHeight() == 500);
        }
    }

    @Test
    void badFlagsAreUsageErrors() {
        Result r = run("bench", "serve", "--goodput", "speed:5");
        assertEquals(2, r.status());
        assertTrue(r.err().contains("--goodput: unknown metric 'speed'"), r.err());
        r = run("bench", "throughput", "--plot", tmp.resolve("x.png").toString());
        assertEquals(2, r.status());
        assertTrue(r.err().contains("--plot draws a sweep"), r.err());
        r = run("bench", "serve", "--base-url", "http://127.0.0.1:1", "--tokenizer", Fixtures.stories260k().toString(), "--num-prompts", "1");
        assertEquals(2, r.status());
        assertTrue(r.err().contains("cannot reach the server"), r.err());
        assertEquals(2, run("bench").status());
    }
}
