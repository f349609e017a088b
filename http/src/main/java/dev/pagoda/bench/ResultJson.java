package dev.pagoda.bench;

import dev.pagoda.engine.json.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code --result-json FILE}: the metrics under vLLM's key names ({@code duration}, {@code completed},
 * {@code request_throughput}, {@code output_throughput}, {@code mean_ttft_ms}, {@code p99_tpot_ms}, …)
 * plus the per-request lists ({@code input_lens}, {@code output_lens}, {@code ttfts}, {@code itls},
 * {@code errors}) so a run can be re-analysed.
 */
public final class ResultJson {
    private ResultJson() {}

    public static Map<String, Object> metrics(BenchmarkMetrics m, List<RequestTrace> traces) {
        Map<String, Object> j = new LinkedHashMap<>();
        j.put("duration", m.durationSeconds());
        j.put("completed", (long) m.completed());
        j.put("failed", (long) m.failed());
        j.put("total_input_tokens", m.totalInputTokens());
        j.put("total_output_tokens", m.totalOutputTokens());
        j.put("request_throughput", m.requestThroughput());
        j.put("request_goodput", m.requestGoodput());
        j.put("output_throughput", m.outputThroughput());
        j.put("total_token_throughput", m.totalTokenThroughput());
        for (String name : BenchmarkMetrics.METRIC_NAMES) {
            MetricStats s = m.metrics().get(name);
            j.put("mean_" + name + "_ms", s.mean());
            j.put("median_" + name + "_ms", s.median());
            j.put("std_" + name + "_ms", s.std());
            for (var p : s.percentiles().entrySet()) j.put("p" + MetricStats.label(p.getKey()) + "_" + name + "_ms", p.getValue());
        }
        List<Object> inputLens = new ArrayList<>(), outputLens = new ArrayList<>(), ttfts = new ArrayList<>(), itls = new ArrayList<>(),
                errors = new ArrayList<>();
        for (RequestTrace t : traces) {
            inputLens.add((long) t.promptLen());
            outputLens.add((long) t.outputTokens());
            ttfts.add(t.ttft());
            List<Object> gaps = new ArrayList<>();
            for (double g : t.itl()) gaps.add(g);
            itls.add(gaps);
            errors.add(t.error());
        }
        j.put("input_lens", inputLens);
        j.put("output_lens", outputLens);
        j.put("ttfts", ttfts);
        j.put("itls", itls);
        j.put("errors", errors);
        return j;
    }

    public static void write(Path file, Map<String, Object> json) {
        try {
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) Files.createDirectories(parent);
            Files.writeString(file, Json.write(json) + "\n", StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot write --result-json " + file + ": " + e.getMessage());
        }
    }
}
