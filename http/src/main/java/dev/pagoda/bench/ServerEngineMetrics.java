package dev.pagoda.bench;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The server's own account of a measured run: {@code bench serve} reads {@code GET /metrics} just
 * before the first request and just after the last answer, and the difference is the engine
 * thread's work for exactly that run (Pagoda's {@code pagoda:engine_steps} and
 * {@code pagoda:engine_step_seconds{phase}}, vLLM's prefix-cache counters). Without it, a
 * scrape from outside also counts the test request and any warm-up (128 extra batch-1 steps in a
 * 144-step run). A server without these series (vLLM itself) just gives no such figures.
 *
 * @param steps               engine steps that computed something
 * @param scheduleSeconds     host time in the scheduler, summed over those steps
 * @param forwardSeconds      host time in the forward pass with sampling (on a GPU: queuing and waiting)
 * @param updateSeconds       host time appending tokens, detokenizing, stop checks, outputs
 * @param prefixCacheHits     prompt tokens found in the prefix cache
 * @param prefixCacheQueries  prompt tokens looked up in it
 */
public record ServerEngineMetrics(double steps, double scheduleSeconds, double forwardSeconds, double updateSeconds,
                                  double prefixCacheHits, double prefixCacheQueries) {

    /** The counters now, or null when the server has no {@code /metrics} or no engine-step series. */
    static ServerEngineMetrics scrape(HttpClient http, String baseUrl, String apiKey) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(OpenAiStreamClient.stripSlash(baseUrl) + "/metrics"))
                .timeout(Duration.ofSeconds(10));
        if (apiKey != null) b.header("Authorization", "Bearer " + apiKey);
        try {
            HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
            return r.statusCode() == 200 ? parse(r.body()) : null;
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    /** Sums each series over its labels (one model per server); null without {@code pagoda:engine_steps_total}. */
    static ServerEngineMetrics parse(String prometheusText) {
        Map<String, Double> v = new LinkedHashMap<>();
        for (String line : prometheusText.split("\n")) {
            if (line.isEmpty() || line.startsWith("#")) continue;
            int brace = line.indexOf('{'), space = line.lastIndexOf(' ');
            if (space < 0) continue;
            String name = line.substring(0, brace >= 0 && brace < space ? brace : space);
            if (name.equals("pagoda:engine_step_seconds_total")) {
                int p = line.indexOf("phase=\"");
                if (p < 0) continue;
                name += "." + line.substring(p + 7, line.indexOf('"', p + 7));
            }
            try {
                v.merge(name, Double.parseDouble(line.substring(space + 1).trim()), Double::sum);
            } catch (NumberFormatException e) {
                // not a sample line
            }
        }
        if (!v.containsKey("pagoda:engine_steps_total")) return null;
        return new ServerEngineMetrics(v.get("pagoda:engine_steps_total"),
                v.getOrDefault("pagoda:engine_step_seconds_total.schedule", 0.0),
                v.getOrDefault("pagoda:engine_step_seconds_total.forward", 0.0),
                v.getOrDefault("pagoda:engine_step_seconds_total.update", 0.0),
                v.getOrDefault("vllm:prefix_cache_hits_total", 0.0),
                v.getOrDefault("vllm:prefix_cache_queries_total", 0.0));
    }

    /** What happened between {@code before} and this scrape. */
    ServerEngineMetrics since(ServerEngineMetrics before) {
        return new ServerEngineMetrics(steps - before.steps, scheduleSeconds - before.scheduleSeconds, forwardSeconds - before.forwardSeconds,
                updateSeconds - before.updateSeconds, prefixCacheHits - before.prefixCacheHits, prefixCacheQueries - before.prefixCacheQueries);
    }

    private double perStepMicros(double seconds) {
        return steps > 0 ? seconds / steps * 1e6 : 0;
    }

    /** The result JSON's {@code server_*} keys. */
    Map<String, Object> json() {
        Map<String, Object> j = new LinkedHashMap<>();
        j.put("server_engine_steps", (long) steps);
        j.put("server_step_schedule_us", perStepMicros(scheduleSeconds));
        j.put("server_step_forward_us", perStepMicros(forwardSeconds));
        j.put("server_step_update_us", perStepMicros(updateSeconds));
        j.put("server_prefix_cache_hits", (long) prefixCacheHits);
        j.put("server_prefix_cache_queries", (long) prefixCacheQueries);
        return j;
    }

    /** One line for the log: the engine thread's split of this run. */
    String describe() {
        return String.format(Locale.ROOT, "server engine during the run: %d steps, host µs per step: schedule %.0f, forward %.0f, update %.0f;"
                + " prefix-cache hits %d of %d prompt tokens", (long) steps, perStepMicros(scheduleSeconds), perStepMicros(forwardSeconds),
                perStepMicros(updateSeconds), (long) prefixCacheHits, (long) prefixCacheQueries);
    }
}
