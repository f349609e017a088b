package dev.pagoda.bench;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The human-readable result, laid out as vLLM's {@code bench serve} prints it: a banner, one
 * {@code label: value} line per figure (label padded to 40 columns), then one section per metric in
 * {@code --percentile-metrics} with its mean, median and {@code --metric-percentiles}.
 */
public final class ResultTable {
    private static final Map<String, String> SECTION = Map.of(
            "ttft", "Time to First Token",
            "tpot", "Time per Output Token (excl. 1st token)",
            "itl", "Inter-token Latency",
            "e2el", "End-to-end Latency");
    private static final Map<String, String> SHORT = Map.of("ttft", "TTFT", "tpot", "TPOT", "itl", "ITL", "e2el", "E2EL");

    private final StringBuilder sb = new StringBuilder();

    public ResultTable(String title) {
        sb.append(center(" " + title + " ", '=')).append('\n');
    }

    public ResultTable row(String label, Object value) {
        String v = value instanceof Double d ? String.format(Locale.ROOT, "%.2f", d) : String.valueOf(value);
        sb.append(String.format(Locale.ROOT, "%-40s %-10s%n", label + ":", v));
        return this;
    }

    /** The rows every run has: counts, duration, throughputs, goodput when set. */
    public ResultTable summary(BenchmarkMetrics m) {
        row("Successful requests", m.completed());
        if (m.failed() > 0) row("Failed requests", m.failed());
        row("Benchmark duration (s)", m.durationSeconds());
        row("Total input tokens", m.totalInputTokens());
        row("Total generated tokens", m.totalOutputTokens());
        row("Request throughput (req/s)", m.requestThroughput());
        if (m.requestGoodput() != null) row("Request goodput (req/s)", m.requestGoodput());
        row("Output token throughput (tok/s)", m.outputThroughput());
        row("Total Token throughput (tok/s)", m.totalTokenThroughput());
        return this;
    }

    /** One section per selected metric. */
    public ResultTable metrics(BenchmarkMetrics m, List<String> selected) {
        for (String name : selected) {
            MetricStats s = m.metrics().get(name);
            sb.append(center(SECTION.get(name), '-')).append('\n');
            row("Mean " + SHORT.get(name) + " (ms)", s.mean());
            row("Median " + SHORT.get(name) + " (ms)", s.median());
            for (var p : s.percentiles().entrySet()) row("P" + MetricStats.label(p.getKey()) + " " + SHORT.get(name) + " (ms)", p.getValue());
        }
        return this;
    }

    @Override
    public String toString() {
        return sb + "=".repeat(50) + "\n";
    }

    /** Python's {@code "{:{c}^50}".format(s)}: centred, the extra fill on the right. */
    static String center(String s, char fill) {
        int pad = Math.max(0, 50 - s.length()), left = pad / 2;
        return String.valueOf(fill).repeat(left) + s + String.valueOf(fill).repeat(pad - left);
    }
}
