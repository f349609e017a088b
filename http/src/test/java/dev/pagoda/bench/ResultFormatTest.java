package dev.pagoda.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pagoda.engine.json.Json;
import java.net.http.HttpClient;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The printed table's layout (vLLM's) and the request body {@code bench serve} sends. */
class ResultFormatTest {
    @Test
    void tableUsesVllmsLayout() {
        RequestTrace a = RequestTrace.ok(10, 3, 0.1, new double[] {0.05, 0.05}, 0.2, 0);
        BenchmarkMetrics m = BenchmarkMetrics.compute(List.of(a), 2.0, List.of(99.0), GoodputSlo.none());
        String t = new ResultTable("Serving Benchmark Result").summary(m).metrics(m, List.of("tpot")).toString();
        String[] lines = t.split("\n");
        assertEquals("============ Serving Benchmark Result ============", lines[0]);
        assertEquals(String.format("%-40s %-10s", "Successful requests:", "1"), lines[1]);
        assertTrue(t.contains("-----Time per Output Token (excl. 1st token)------\n"), t);
        assertTrue(t.contains(String.format("%-40s %-10s", "Mean TPOT (ms):", "50.00")), t); // (0.2 − 0.1) / 2 s
        assertTrue(t.contains("P99 TPOT (ms):"), t);
        assertEquals("=".repeat(50), lines[lines.length - 1]);
    }

    @Test
    void requestBodyAsksForExactlyTheOutputLength() {
        OpenAiStreamClient c = new OpenAiStreamClient(HttpClient.newHttpClient(), "http://127.0.0.1:1/", "m", null);
        Map<String, Object> body = Json.parseObject(c.body(new BenchRequest(new int[] {5, 6, 7}, 9)));
        assertEquals(List.of(5L, 6L, 7L), body.get("prompt"));
        assertEquals(9L, body.get("max_tokens"));
        assertEquals(true, body.get("ignore_eos"));
        assertEquals(true, body.get("stream"));
        assertEquals(Map.of("include_usage", true), body.get("stream_options"));
        assertEquals(0.0, ((Number) body.get("temperature")).doubleValue());
    }
}
