package dev.pagoda.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The serving metrics of one run, with vLLM's definitions ({@code benchmarks/serve.py},
 * {@code calculate_metrics}):
 * <ul>
 *   <li>request throughput = completed requests ÷ duration; output token throughput = generated
 *       tokens ÷ duration; total token throughput = (prompt + generated tokens) ÷ duration;</li>
 *   <li>TTFT: request sent → first token; E2EL: request sent → last token;</li>
 *   <li>TPOT, time per output token <em>excluding the first</em>: (E2EL − TTFT) ÷ (output tokens − 1),
 *       only over requests with more than one output token;</li>
 *   <li>ITL: every gap between consecutive token arrivals, pooled over all requests;</li>
 *   <li>goodput: requests meeting every {@link GoodputSlo} objective ÷ duration (a request with one
 *       output token counts TPOT 0 there).</li>
 * </ul>
 * Failed requests count in no metric but {@code failed}.
 *
 * @param durationSeconds the benchmark's wall time (first request sent → last answer done)
 * @param requestGoodput  null when no {@code --goodput} was given
 * @param metrics         "ttft", "tpot", "itl", "e2el" → stats in ms
 */
public record BenchmarkMetrics(int completed, int failed, long totalInputTokens, long totalOutputTokens, double durationSeconds,
                               double requestThroughput, Double requestGoodput, double outputThroughput, double totalTokenThroughput,
                               Map<String, MetricStats> metrics) {

    public static final List<String> METRIC_NAMES = List.of("ttft", "tpot", "itl", "e2el");

    public static BenchmarkMetrics compute(List<RequestTrace> traces, double durationSeconds, List<Double> percentiles, GoodputSlo goodput) {
        if (!(durationSeconds > 0)) throw new IllegalArgumentException("the benchmark duration must be positive, got " + durationSeconds);
        int completed = 0, failed = 0, good = 0;
        long input = 0, output = 0;
        List<Double> ttfts = new ArrayList<>(), tpots = new ArrayList<>(), itls = new ArrayList<>(), e2els = new ArrayList<>();
        for (RequestTrace t : traces) {
            if (!t.success()) {
                failed++;
                continue;
            }
            completed++;
            input += t.promptLen();
            output += t.outputTokens();
            double tpot = 0;
            if (t.outputTokens() > 1) {
                tpot = (t.latency() - t.ttft()) / (t.outputTokens() - 1);
                tpots.add(tpot);
            }
            for (double gap : t.itl()) itls.add(gap);
            ttfts.add(t.ttft());
            e2els.add(t.latency());
            if (!goodput.isEmpty() && goodput.isGood(t.ttft(), tpot, t.latency())) good++;
        }
        Map<String, MetricStats> metrics = new LinkedHashMap<>();
        metrics.put("ttft", MetricStats.ofSeconds(toArray(ttfts), percentiles));
        metrics.put("tpot", MetricStats.ofSeconds(toArray(tpots), percentiles));
        metrics.put("itl", MetricStats.ofSeconds(toArray(itls), percentiles));
        metrics.put("e2el", MetricStats.ofSeconds(toArray(e2els), percentiles));
        return new BenchmarkMetrics(completed, failed, input, output, durationSeconds, completed / durationSeconds,
                goodput.isEmpty() ? null : good / durationSeconds, output / durationSeconds, (input + output) / durationSeconds, metrics);
    }

    private static double[] toArray(List<Double> xs) {
        double[] a = new double[xs.size()];
        for (int i = 0; i < a.length; i++) a[i] = xs.get(i);
        return a;
    }
}
