package dev.pagoda.bench;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code --goodput ttft:MS tpot:MS e2el:MS}: service-level objectives in milliseconds (vLLM's
 * {@code --goodput}). A request is "good" when each metric named here is at or under its limit;
 * goodput is good requests per second ({@link BenchmarkMetrics}).
 *
 * @param limitsMs metric name ({@code ttft}, {@code tpot}, {@code e2el}) → limit in ms, in the order given
 */
public record GoodputSlo(Map<String, Double> limitsMs) {
    public static final List<String> METRICS = List.of("ttft", "tpot", "e2el");

    public GoodputSlo {
        limitsMs = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(limitsMs));
    }

    public static GoodputSlo none() {
        return new GoodputSlo(Map.of());
    }

    public boolean isEmpty() {
        return limitsMs.isEmpty();
    }

    /** Parses {@code ["ttft:500", "tpot:50"]}; a bad pair is an {@link IllegalArgumentException} naming it. */
    public static GoodputSlo parse(List<String> pairs) {
        Map<String, Double> limits = new LinkedHashMap<>();
        for (String pair : pairs) {
            int colon = pair.indexOf(':');
            if (colon < 0) throw new IllegalArgumentException("--goodput takes KEY:VALUE pairs like ttft:500, got '" + pair + "'");
            String key = pair.substring(0, colon).trim();
            if (!METRICS.contains(key)) throw new IllegalArgumentException("--goodput: unknown metric '" + key + "' (one of " + METRICS + ")");
            double ms;
            try {
                ms = Double.parseDouble(pair.substring(colon + 1).trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--goodput " + key + ": '" + pair.substring(colon + 1) + "' is not a number of milliseconds");
            }
            if (!(ms >= 0)) throw new IllegalArgumentException("--goodput " + key + " must be a non-negative number of ms, got " + ms);
            if (limits.put(key, ms) != null) throw new IllegalArgumentException("--goodput names " + key + " twice");
        }
        return new GoodputSlo(limits);
    }

    /** Whether one request (seconds, as traced) meets every objective. */
    boolean isGood(double ttft, double tpot, double e2el) {
        for (var e : limitsMs.entrySet()) {
            double value = switch (e.getKey()) {
                case "ttft" -> ttft;
                case "tpot" -> tpot;
                default -> e2el;
            };
            if (value * 1000 > e.getValue()) return false;
        }
        return true;
    }
}
