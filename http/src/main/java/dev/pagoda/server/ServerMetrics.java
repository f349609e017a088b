package dev.pagoda.server;

import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.prometheus.metrics.core.datapoints.DistributionDataPoint;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.util.function.Supplier;

/**
 * GET /metrics: vLLM's metric names (so that vLLM dashboards work), each labelled with
 * {@code model_name}, plus Pagoda's {@code pagoda:engine_steps} and {@code pagoda:engine_step_seconds}
 * (the engine thread's host time per phase). Gauges read the engine's latest {@link EngineStats};
 * counters and histograms are fed by {@link GenerationRun} as outputs arrive. (The Prometheus
 * client adds {@code _total} to counter names on exposition.)
 */
public final class ServerMetrics {
    private static final double[] LATENCY_BUCKETS = {0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75,
            1.0, 2.5, 5.0, 7.5, 10.0, 20.0, 40.0, 80.0, 160.0, 640.0, 2560.0};
    private static final double[] ITL_BUCKETS = {0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 2.5,
            5.0, 7.5, 10.0, 20.0, 40.0, 80.0};

    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final String modelName;
    private final Counter requestSuccess;
    private final Histogram e2eLatency, promptTokensPerRequest, generationTokensPerRequest;
    // The per-token series, looked up once (labelValues is a map lookup; these are hit for every token).
    private final CounterDataPoint promptTokens, generationTokens;
    private final DistributionDataPoint timeToFirstToken, interTokenLatency;

    public ServerMetrics(String modelName, Supplier<EngineStats.Snapshot> stats) {
        this.modelName = modelName;
        gauge("vllm:num_requests_running", "Number of requests in model execution batches.", () -> stats.get().numRunning());
        gauge("vllm:num_requests_waiting", "Number of requests waiting to be processed.", () -> stats.get().numWaiting());
        gauge("vllm:kv_cache_usage_perc", "KV-cache usage. 1 means 100 percent usage.", () -> stats.get().kvCacheUsage());
        // vLLM exposes these as counters; the engine keeps running totals, so callbacks report them as they are.
        io.prometheus.metrics.core.metrics.CounterWithCallback.builder().name("vllm:prefix_cache_queries")
                .help("Prefix cache queries, in terms of number of queried tokens.").labelNames("model_name")
                .callback(cb -> cb.call(stats.get().prefixCacheQueries(), modelName)).register(registry);
        io.prometheus.metrics.core.metrics.CounterWithCallback.builder().name("vllm:prefix_cache_hits")
                .help("Prefix cache hits, in terms of number of cached tokens.").labelNames("model_name")
                .callback(cb -> cb.call(stats.get().prefixCacheHits(), modelName)).register(registry);
        io.prometheus.metrics.core.metrics.CounterWithCallback.builder().name("vllm:num_preemptions")
                .help("Cumulative number of preemptions from the engine.").labelNames("model_name")
                .callback(cb -> cb.call(stats.get().numPreemptions(), modelName)).register(registry);
        // The engine thread's own time (Pagoda's; on a GPU this is time the device waits): steps, and host seconds per phase.
        io.prometheus.metrics.core.metrics.CounterWithCallback.builder().name("pagoda:engine_steps")
                .help("Engine steps that computed something.").labelNames("model_name")
                .callback(cb -> cb.call(stats.get().numSteps(), modelName)).register(registry);
        io.prometheus.metrics.core.metrics.CounterWithCallback.builder().name("pagoda:engine_step_seconds")
                .help("Host time of the engine's steps by phase: schedule, forward (with sampling; on a GPU queuing and waiting), update (tokens, text, outputs).")
                .labelNames("model_name", "phase")
                .callback(cb -> {
                    long[] ns = stats.get().stepNanos();
                    cb.call(ns[0] / 1e9, modelName, "schedule");
                    cb.call(ns[1] / 1e9, modelName, "forward");
                    cb.call(ns[2] / 1e9, modelName, "update");
                }).register(registry);
        promptTokens = Counter.builder().name("vllm:prompt_tokens").help("Number of prefill tokens processed.")
                .labelNames("model_name").register(registry).labelValues(modelName);
        generationTokens = Counter.builder().name("vllm:generation_tokens").help("Number of generation tokens processed.")
                .labelNames("model_name").register(registry).labelValues(modelName);
        requestSuccess = Counter.builder().name("vllm:request_success").help("Count of successfully processed requests.")
                .labelNames("model_name", "finished_reason").register(registry);
        timeToFirstToken = histogram("vllm:time_to_first_token_seconds", "Histogram of time to first token in seconds.", LATENCY_BUCKETS)
                .labelValues(modelName);
        interTokenLatency = histogram("vllm:inter_token_latency_seconds", "Histogram of inter-token latency in seconds.", ITL_BUCKETS)
                .labelValues(modelName);
        e2eLatency = histogram("vllm:e2e_request_latency_seconds", "Histogram of e2e request latency in seconds.", LATENCY_BUCKETS);
        double[] tokenBuckets = {1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000, 100000};
        promptTokensPerRequest = histogram("vllm:request_prompt_tokens", "Number of prefill tokens processed.", tokenBuckets);
        generationTokensPerRequest = histogram("vllm:request_generation_tokens", "Number of generation tokens processed.", tokenBuckets);
    }

    private void gauge(String name, String help, Supplier<Number> value) {
        GaugeWithCallback.builder().name(name).help(help).labelNames("model_name")
                .callback(cb -> cb.call(value.get().doubleValue(), modelName)).register(registry);
    }

    private Histogram histogram(String name, String help, double[] buckets) {
        return Histogram.builder().name(name).help(help).labelNames("model_name").classicOnly()
                .classicUpperBounds(buckets).register(registry);
    }

    void onPromptTokens(int n) { promptTokens.inc(n); }
    void onGenerationTokens(int n) { generationTokens.inc(n); }
    void onFirstToken(double seconds) { timeToFirstToken.observe(seconds); }
    void onInterToken(double seconds) { interTokenLatency.observe(seconds); }

    /** A request ended normally (stop, length) or was aborted. */
    void onFinished(String finishReason, double e2eSeconds, int numPromptTokens, int numGenerationTokens) {
        requestSuccess.labelValues(modelName, finishReason).inc();
        e2eLatency.labelValues(modelName).observe(e2eSeconds);
        promptTokensPerRequest.labelValues(modelName).observe(numPromptTokens);
        generationTokensPerRequest.labelValues(modelName).observe(numGenerationTokens);
    }

    /** Totals for the periodic stats line: {prompt tokens, generation tokens}. */
    long[] tokenTotals() {
        return new long[] {(long) promptTokens.get(), (long) generationTokens.get()};
    }

    public String contentType() {
        return PrometheusTextFormatWriter.CONTENT_TYPE;
    }

    public void write(OutputStream out) throws IOException {
        PrometheusTextFormatWriter.create().write(out, registry.scrape());
    }
}
