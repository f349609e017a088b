package dev.pagoda.conformance.scheduling;

import dev.pagoda.engine.backend.BackendOptions;
import dev.pagoda.engine.backend.ComputeBackend;
import dev.pagoda.engine.backend.ComputeBackends;
import dev.pagoda.engine.engine.EngineConfig;
import dev.pagoda.engine.engine.LlmEngine;
import dev.pagoda.engine.engine.StepOutput;
import dev.pagoda.engine.model.LoadFormat;
import dev.pagoda.engine.model.LoadedModel;
import dev.pagoda.engine.model.ModelLoader;
import dev.pagoda.engine.sampling.SamplingParams;
import dev.pagoda.engine.testing.Fixtures;
import dev.pagoda.engine.tokenizer.Tokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Batched decode through the whole engine on the CPU backend (not a unit test: run by hand, numbers
 * go to docs/benchmarks-engine.md). A random-weight model of Qwen2.5-0.5B's shape in bf16
 * ({@code --load-format dummy}, config.json from the model fixtures), the Qwen2.5 tokenizer.
 *
 * <p>For each batch size B: B requests with 16-token prompts and {@code decodeSteps + warm-up}
 * greedy tokens each, max_num_seqs B. Only steps where every sequence decodes (B tokens, B
 * sequences) are timed; tokens/s = B / median step time. Overhead = the scheduler's time plus
 * sampling and output processing (detokenizer, stop checks) as a share of the step.
 *
 * <pre>
 *   ./pagoda mvn -q -B -o install -DskipTests
 *   java --add-modules jdk.incubator.vector -cp "$(cat cp.txt)" dev.pagoda.conformance.scheduling.EngineBenchmark [threads] [steps] [batch...]
 * </pre>
 */
public final class EngineBenchmark {
    public static void main(String[] args) throws IOException {
        int threads = args.length > 0 ? Integer.parseInt(args[0]) : 0;
        int decodeSteps = args.length > 1 ? Integer.parseInt(args[1]) : 8;
        int[] batches = args.length > 2 ? Arrays.stream(args, 2, args.length).mapToInt(Integer::parseInt).toArray() : new int[] {1, 16, 64};

        Path dir = Files.createTempDirectory("qwen2.5-0.5b-dummy");
        Files.copy(Fixtures.repo("engine/src/test/resources/dev/pagoda/engine/model/configs/qwen2.5-0.5b-instruct.json"), dir.resolve("config.json"));
        Tokenizer tokenizer = Tokenizer.fromDirectory(Fixtures.fetched("tokenizers/qwen2_5"));
        try (LoadedModel model = ModelLoader.load(dir, LoadFormat.DUMMY);
                ComputeBackend backend = ComputeBackends.create("cpu", new BackendOptions(threads))) {
            backend.loadModel(model.config(), model.weights());
            System.out.printf("model: Qwen2.5-0.5B shape, bf16 dummy weights, %.0f MiB; cores: %d; threads: %s%n",
                    model.weightBytes() / 1048576.0, Runtime.getRuntime().availableProcessors(), threads == 0 ? "all" : threads);
            double base = 0;
            for (int b : batches) {
                Result r = run(backend, model, tokenizer, b, decodeSteps);
                if (b == 1) base = r.tokensPerSecond;
                System.out.printf("batch %3d: step %8.1f ms (median of %d), %7.1f tokens/s%s; scheduler %.3f ms (%.2f%%), sampler+outputs %.3f ms (%.2f%%)%n",
                        b, r.stepMs, r.steps, r.tokensPerSecond, base > 0 && b != 1 ? String.format(" = %.2fx batch 1", r.tokensPerSecond / base) : "",
                        r.scheduleMs, 100 * r.scheduleMs / r.stepMs, r.sampleMs, 100 * r.sampleMs / r.stepMs);
            }
        }
    }

    private record Result(int steps, double stepMs, double tokensPerSecond, double scheduleMs, double sampleMs) {}

    private static Result run(ComputeBackend backend, LoadedModel model, Tokenizer tokenizer, int batch, int decodeSteps) {
        EngineConfig config = EngineConfig.defaults().withMaxNumSeqs(batch).withMaxNumBatchedTokens(Math.max(2048, 16 * batch))
                .withNumKvBlocks(batch * 4).withMaxModelLen(4096);
        LlmEngine engine = new LlmEngine(backend, model.config(), model.generationConfig(), tokenizer, config);
        int warmup = 2;
        SamplingParams params = SamplingParams.builder().temperature(0).maxTokens(decodeSteps + warmup + 1).ignoreEos(true).build();
        for (int i = 0; i < batch; i++) {
            int[] prompt = new int[16];
            for (int k = 0; k < 16; k++) prompt[k] = 1000 + 37 * i + k; // distinct prompts: no prefix sharing
            engine.addRequest("b" + i, prompt, params, 0);
        }
        List<long[]> decode = new ArrayList<>(); // {total, schedule, sample}
        int seen = 0;
        while (engine.hasUnfinishedRequests()) {
            long t0 = System.nanoTime();
            StepOutput s = engine.step();
            long total = System.nanoTime() - t0;
            if (s.numSeqs() == batch && s.numBatchedTokens() == batch && seen++ >= warmup) {
                decode.add(new long[] {total, s.scheduleNanos(), s.sampleNanos()});
            }
        }
        decode.sort((x, y) -> Long.compare(x[0], y[0]));
        long[] median = decode.get(decode.size() / 2);
        double stepMs = median[0] / 1e6;
        double schedMs = decode.stream().mapToLong(x -> x[1]).average().orElseThrow() / 1e6;
        double sampleMs = decode.stream().mapToLong(x -> x[2]).average().orElseThrow() / 1e6;
        return new Result(decode.size(), stepMs, batch / (stepMs / 1000), schedMs, sampleMs);
    }
}
