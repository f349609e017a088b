package dev.pagoda.bench;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Summary of one latency metric in milliseconds: mean, median, std and the requested percentiles.
 *
 * @param percentiles percentile (e.g. 99.0) → value in ms, in the order requested
 */
public record MetricStats(double mean, double median, double std, Map<Double, Double> percentiles) {

    /** From a sample in seconds (as traced), reported in ms as vLLM does. */
    static MetricStats ofSeconds(double[] seconds, java.util.List<Double> percentiles) {
        Map<Double, Double> p = new LinkedHashMap<>();
        for (double q : percentiles) p.put(q, Percentiles.percentile(seconds, q) * 1000);
        return new MetricStats(Percentiles.mean(seconds) * 1000, Percentiles.median(seconds) * 1000, Percentiles.std(seconds) * 1000, p);
    }

    /** vLLM's label of a percentile: 99.0 → "99", 99.9 → "99.9". */
    static String label(double p) {
        return p == Math.rint(p) ? Long.toString((long) p) : Double.toString(p);
    }
}
