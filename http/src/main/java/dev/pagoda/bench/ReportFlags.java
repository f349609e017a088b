package dev.pagoda.bench;

import dev.pagoda.cli.CliException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import picocli.CommandLine.Option;

/** Where results go and which percentiles the table shows (vLLM's names). */
public final class ReportFlags {
    @Option(names = "--result-json", paramLabel = "FILE", description = "also write the results as JSON")
    Path resultJson;

    @Option(names = "--plot", paramLabel = "FILE.png", description = "with a sweep: draw the swept figures as a PNG chart")
    Path plot;

    @Option(names = "--percentile-metrics", paramLabel = "LIST",
            description = "metrics whose percentiles the table shows, of ttft,tpot,itl,e2el (default: ${DEFAULT-VALUE})")
    String percentileMetrics = "ttft,tpot,itl";

    @Option(names = "--metric-percentiles", paramLabel = "LIST", description = "percentiles to show, e.g. 25,50,99 (default: ${DEFAULT-VALUE})")
    String metricPercentiles = "99";

    @Option(names = "--goodput", paramLabel = "KEY:MS", arity = "1..*",
            description = "service-level objectives, e.g. ttft:500 tpot:50 e2el:2000: goodput counts requests meeting all")
    List<String> goodput = new ArrayList<>();

    List<String> selectedMetrics() {
        List<String> names = split(percentileMetrics);
        for (String n : names) {
            if (!BenchmarkMetrics.METRIC_NAMES.contains(n)) {
                throw new CliException("--percentile-metrics: unknown metric '" + n + "' (one of " + BenchmarkMetrics.METRIC_NAMES + ")");
            }
        }
        return names;
    }

    List<Double> percentiles() {
        List<Double> ps = new ArrayList<>();
        for (String s : split(metricPercentiles)) {
            try {
                double p = Double.parseDouble(s);
                if (!(p > 0 && p < 100)) throw new CliException("--metric-percentiles must be in (0, 100), got " + s);
                ps.add(p);
            } catch (NumberFormatException e) {
                throw new CliException("--metric-percentiles: '" + s + "' is not a number");
            }
        }
        return ps;
    }

    GoodputSlo goodputSlo() {
        try {
            return GoodputSlo.parse(goodput);
        } catch (IllegalArgumentException e) {
            throw new CliException(e.getMessage());
        }
    }

    static List<String> split(String list) {
        return Arrays.stream(list.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
    }

    /** A sweep list like {@code 1,2,4,8}; each at least {@code min}. */
    static double[] sweep(String flag, String list, double min) {
        List<String> parts = split(list);
        if (parts.isEmpty()) throw new CliException(flag + " needs a comma-separated list of values");
        double[] v = new double[parts.size()];
        for (int i = 0; i < v.length; i++) {
            try {
                v[i] = Double.parseDouble(parts.get(i));
            } catch (NumberFormatException e) {
                throw new CliException(flag + ": '" + parts.get(i) + "' is not a number");
            }
            if (!(v[i] >= min)) throw new CliException(flag + " values must be at least " + (long) min + ", got " + parts.get(i));
        }
        return v;
    }
}
