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
 * {@code bench throughput} (vLLM's {@code bench throughput}): {@code --num-prompts} requests submitted
 * at once to the in-process engine, run to completion; prints requests/s, output and total tokens/s,
 * and, from the engine's step times, TTFT/TPOT/ITL/E2EL as {@code bench serve} does.
 * {@code --sweep-batch 1,2,4,…} repeats it with that many prompts at once (the decode batch) and
 * {@code --plot} draws output tokens/s against it.
 */
@CommandLine.Command(name = "throughput", mixinStandardHelpOptions = true, sortOptions = false,
        description = "offline throughput: N prompts submitted at once to the in-process engine")
public final class ThroughputBench implements Command {
    @Mixin
    EngineFlags engineFlags;

    @Mixin
    DatasetFlags data;

    @Option(names = "--sweep-batch", paramLabel = "LIST", description = "run once per value, with that many prompts at once, e.g. 1,2,4,8")
    String sweepBatch;

    @Option(names = "--warmup", description = "first run the same workload with other prompts, uncounted (JIT warm on every path a step takes)")
    boolean warmup;

    @Mixin
    ReportFlags report;

    @Override
    public int run(InputStream in, PrintStream out, PrintStream err) {
        List<String> selected = report.selectedMetrics();
        List<Double> percentiles = report.percentiles();
        GoodputSlo slo = report.goodputSlo();
        double[] batches = sweepBatch == null ? new double[] {data.numPrompts} : ReportFlags.sweep("--sweep-batch", sweepBatch, 1);
        if (report.plot != null && sweepBatch == null) throw new CliException("--plot draws a sweep: give --sweep-batch");
        if (data.numPrompts < 1) throw new CliException("--num-prompts must be at least 1");

        List<Map<String, Object>> results = new ArrayList<>();
        double[] output = new double[batches.length], total = new double[batches.length];
        try (InProcessEngine engine = engineFlags.open(data.seed, err)) {
            for (int i = 0; i < batches.length; i++) {
                int n = (int) batches[i];
                if (n > engineFlags.maxNumSeqs) err.println("WARNING [bench] " + n + " prompts at once but --max-num-seqs is " + engineFlags.maxNumSeqs);
                if (warmup) {
                    // Whole outputs, not a few tokens: the decode steps' update path is the one JIT must have compiled.
                    engine.run(sample(engine, n, data.seed + 1_000_003), new double[1]);
                }
                List<BenchRequest> requests = sample(engine, n, data.seed);
                double[] duration = new double[1];
                engine.stepPhases().reset();
                long steps0 = engine.engine().numSteps();
                long[] nanos0 = engine.engine().stepNanos();
                List<RequestTrace> traces = engine.run(requests, duration);
                long allSteps = engine.engine().numSteps() - steps0;
                long[] nanos1 = engine.engine().stepNanos();
                BenchmarkMetrics m = BenchmarkMetrics.compute(traces, duration[0], percentiles, slo);
                output[i] = m.outputThroughput();
                total[i] = m.totalTokenThroughput();
                ResultTable table = new ResultTable("Offline Throughput Benchmark Result");
                table.row("Model", engineFlags.modelDir().getFileName()).row("Device", engineFlags.device).row("Dataset", data.describe());
                if (sweepBatch != null) table.row("Prompts at once (batch)", n);
                out.print(table.summary(m).metrics(m, selected));
                out.printf("Throughput: %.2f requests/s, %.2f total tokens/s, %.2f output tokens/s%n", m.requestThroughput(),
                        m.totalTokenThroughput(), m.outputThroughput());
                out.println(engine.stepPhases().describe());
                out.flush();
                Map<String, Object> j = new LinkedHashMap<>();
                j.put("num_prompts", (long) n);
                // vLLM's bench throughput keys, then the serving-style metrics
                j.put("elapsed_time", m.durationSeconds());
                j.put("num_requests", (long) m.completed());
                j.put("total_num_tokens", m.totalInputTokens() + m.totalOutputTokens());
                j.put("requests_per_second", m.requestThroughput());
                j.put("tokens_per_second", m.totalTokenThroughput());
                j.putAll(ResultJson.metrics(m, traces));
                double[] phases = engine.stepPhases().meanMicros();
                j.put("decode_steps", engine.stepPhases().steps());
                j.put("decode_step_schedule_us", phases[0]);
                j.put("decode_step_forward_sample_us", phases[1]);
                j.put("decode_step_update_us", phases[2]);
                // Every step (prefill and mixed too), comparable with a server's pagoda:engine_step_seconds over the same workload.
                j.put("all_steps", allSteps);
                j.put("all_step_schedule_us", (nanos1[0] - nanos0[0]) / 1e3 / Math.max(1, allSteps));
                j.put("all_step_forward_us", (nanos1[1] - nanos0[1]) / 1e3 / Math.max(1, allSteps));
                j.put("all_step_update_us", (nanos1[2] - nanos0[2]) / 1e3 / Math.max(1, allSteps));
                results.add(j);
            }
        }
        if (report.resultJson != null) {
            Map<String, Object> json = header();
            if (sweepBatch != null) {
                json.put("sweep_batch", toList(batches));
                json.put("results", results);
            } else {
                json.putAll(results.getFirst());
            }
            ResultJson.write(report.resultJson, json);
        }
        if (report.plot != null) {
            SweepPlot.write(report.plot, "Offline throughput vs batch (" + engineFlags.modelDir().getFileName() + ", " + engineFlags.device + ")",
                    "prompts at once (batch)", "tokens/s", batches,
                    List.of(new SweepPlot.Series("output tokens/s", output), new SweepPlot.Series("total tokens/s", total)), true);
        }
        return 0;
    }

    private List<BenchRequest> sample(InProcessEngine engine, int n, long seed) {
        return data.sample(n, engine.engine().tokenizer(), engine.vocabSize(), seed);
    }

    private Map<String, Object> header() {
        Map<String, Object> j = new LinkedHashMap<>();
        j.put("benchmark", "throughput");
        j.put("date", java.time.Instant.now().toString());
        j.put("model", engineFlags.modelDir().toString());
        j.put("load_format", engineFlags.loadFormat);
        j.put("device", engineFlags.device);
        j.put("dataset", data.dataset);
        j.put("input_len", (long) data.inputLen);
        j.put("output_len", (long) data.outputLen);
        j.put("range_ratio", data.rangeRatio);
        j.put("max_num_seqs", (long) engineFlags.maxNumSeqs);
        j.put("max_num_batched_tokens", (long) engineFlags.maxNumBatchedTokens);
        return j;
    }

    static List<Object> toList(double[] xs) {
        List<Object> l = new ArrayList<>();
        for (double x : xs) l.add(x);
        return l;
    }
}
