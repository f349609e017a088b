package dev.pagoda.bench;

import dev.pagoda.cli.CliException;
import dev.pagoda.cli.Command;
import java.io.InputStream;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code bench latency} (vLLM's {@code bench latency}): one batch of {@code --batch-size} random
 * prompts run end to end, {@code --num-iters-warmup} times untimed then {@code --num-iters} times
 * timed; prints the average latency and its 10/25/50/75/90/99th percentiles, plus the mean TTFT and
 * TPOT over the timed iterations (so {@code --batch-size 1 --output-len 1} is a TTFT measurement and
 * {@code 1000 / TPOT} a single-stream decode speed). Unlike vLLM, each iteration gets new prompts
 * so the prefix cache does not turn later prefills into cache hits.
 */
@CommandLine.Command(name = "latency", mixinStandardHelpOptions = true, sortOptions = false,
        description = "end-to-end latency of one fixed batch, over iterations")
public final class LatencyBench implements Command {
    static final double[] PERCENTILES = {10, 25, 50, 75, 90, 99};

    @Mixin
    EngineFlags engineFlags;

    @Option(names = "--batch-size", paramLabel = "N", description = "prompts in the batch (default: ${DEFAULT-VALUE})")
    int batchSize = 8;

    @Option(names = "--input-len", paramLabel = "TOKENS", description = "prompt tokens (default: ${DEFAULT-VALUE})")
    int inputLen = 32;

    @Option(names = "--output-len", paramLabel = "TOKENS", description = "generated tokens (default: ${DEFAULT-VALUE})")
    int outputLen = 128;

    @Option(names = "--num-iters-warmup", paramLabel = "N", description = "untimed iterations first (default: ${DEFAULT-VALUE})")
    int numItersWarmup = 10;

    @Option(names = "--num-iters", paramLabel = "N", description = "timed iterations (default: ${DEFAULT-VALUE})")
    int numIters = 30;

    @Option(names = "--seed", paramLabel = "N", description = "seed of the prompts (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--result-json", paramLabel = "FILE", description = "also write the results as JSON")
    java.nio.file.Path resultJson;

    @Override
    public int run(InputStream in, PrintStream out, PrintStream err) {
        if (batchSize < 1 || inputLen < 1 || outputLen < 1) throw new CliException("--batch-size, --input-len and --output-len must be at least 1");
        if (numIters < 1 || numItersWarmup < 0) throw new CliException("--num-iters must be at least 1 and --num-iters-warmup at least 0");
        double[] latencies = new double[numIters];
        List<RequestTrace> timed = new ArrayList<>();
        double[] phases;
        long phaseSteps;
        try (InProcessEngine engine = engineFlags.open(seed, err)) {
            for (int it = -numItersWarmup; it < numIters; it++) {
                if (it == 0) engine.stepPhases().reset(); // timed iterations only
                List<BenchRequest> batch = RandomDataset.sample(batchSize, inputLen, outputLen, 0, engine.vocabSize(), seed + 7919L * (it + numItersWarmup));
                double[] duration = new double[1];
                List<RequestTrace> traces = engine.run(batch, duration);
                if (it >= 0) {
                    latencies[it] = duration[0];
                    timed.addAll(traces);
                }
                err.printf("INFO [bench] %s iteration %d: %.3f s%n", it < 0 ? "warm-up" : "timed", it < 0 ? it + numItersWarmup + 1 : it + 1, duration[0]);
            }
            out.println(engine.stepPhases().describe());
            phases = engine.stepPhases().meanMicros();
            phaseSteps = engine.stepPhases().steps();
        }
        BenchmarkMetrics m = BenchmarkMetrics.compute(timed, sum(latencies), List.of(50.0, 99.0), GoodputSlo.none());
        double avg = Percentiles.mean(latencies);
        out.printf("Avg latency: %.6f seconds%n", avg);
        Map<String, Object> percentiles = new LinkedHashMap<>();
        for (double p : PERCENTILES) {
            double v = Percentiles.percentile(latencies, p);
            out.printf("%d%% percentile latency: %.6f seconds%n", (int) p, v);
            percentiles.put(Integer.toString((int) p), v);
        }
        double tpot = m.metrics().get("tpot").mean();
        out.printf("Mean TTFT: %.2f ms, mean TPOT (excl. 1st token): %.3f ms%s%n", m.metrics().get("ttft").mean(), tpot,
                tpot > 0 ? String.format(" = %.1f tokens/s per sequence, %.1f tokens/s for the batch", 1000 / tpot, batchSize * 1000 / tpot) : "");
        if (resultJson != null) {
            Map<String, Object> j = new LinkedHashMap<>();
            j.put("benchmark", "latency");
            j.put("date", java.time.Instant.now().toString());
            j.put("model", engineFlags.modelDir().toString());
            j.put("load_format", engineFlags.loadFormat);
            j.put("device", engineFlags.device);
            j.put("batch_size", (long) batchSize);
            j.put("input_len", (long) inputLen);
            j.put("output_len", (long) outputLen);
            j.put("avg_latency", avg);
            j.put("latencies", ThroughputBench.toList(latencies));
            j.put("percentiles", percentiles);
            j.put("mean_ttft_ms", m.metrics().get("ttft").mean());
            j.put("median_ttft_ms", m.metrics().get("ttft").median());
            j.put("mean_tpot_ms", tpot);
            j.put("median_tpot_ms", m.metrics().get("tpot").median());
            j.put("decode_tokens_per_second_per_sequence", tpot > 0 ? 1000 / tpot : 0.0);
            j.put("decode_steps", phaseSteps);
            j.put("decode_step_schedule_us", phases[0]);
            j.put("decode_step_forward_sample_us", phases[1]);
            j.put("decode_step_update_us", phases[2]);
            ResultJson.write(resultJson, j);
        }
        return 0;
    }

    private static double sum(double[] xs) {
        double s = 0;
        for (double x : xs) s += x;
        return s;
    }
}
