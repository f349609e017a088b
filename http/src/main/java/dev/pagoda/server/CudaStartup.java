package dev.pagoda.server;

import dev.pagoda.backend.cuda.CudaBackend;
import dev.pagoda.backend.cuda.CudaSelfCheck;
import dev.pagoda.engine.backend.BackendOptions;
import dev.pagoda.engine.backend.ComputeBackend;
import dev.pagoda.engine.backend.ComputeBackends;
import dev.pagoda.engine.engine.EngineConfig;
import dev.pagoda.engine.engine.GpuMemoryPlan;
import dev.pagoda.engine.model.LoadFormat;
import dev.pagoda.engine.model.LoadedModel;
import dev.pagoda.engine.tokenizer.Tokenizer;
import java.io.PrintStream;
import java.util.Arrays;
import java.util.Map;

/**
 * What {@code serve --device cuda} does between loading the weights and starting the engine:
 * <ol>
 *   <li>the conformance self-check: a fixed prompt through the CPU reference and the GPU, compared
 *       per position; a failure refuses to serve ({@link ConformanceCheckFailedException}),
 *       {@code --skip-conformance-check} skips it with a warning (log and /health);</li>
 *   <li>the memory plan: a profiling forward at {@code max_num_batched_tokens}, then as many KV
 *       blocks as {@code --gpu-memory-utilization} leaves ({@link GpuMemoryPlan}), logged like vLLM.</li>
 * </ol>
 */
final class CudaStartup {
    /** The self-check's text: ordinary English, so a trained model's logits are smooth (~15 tokens). */
    static final String SELF_CHECK_PROMPT = "Once upon a time, there was a little girl named Lily. She liked to play";

    private CudaStartup() {}

    /** Thrown when the GPU's logits are not the CPU reference's; the message is the report. */
    static final class ConformanceCheckFailedException extends IllegalStateException {
        ConformanceCheckFailedException(String report) {
            super(report);
        }
    }

    /**
     * @param healthDetails receives the warnings /health reports
     * @return {@code config} with the KV block count the plan chose (unchanged when it fixes one itself)
     */
    static EngineConfig prepare(CudaBackend cuda, LoadedModel model, Tokenizer tokenizer, ServeOptions options, PrintStream log,
                                Map<String, String> healthDetails) {
        EngineConfig config = options.engineConfig();
        int maxModelLen = config.maxModelLen() > 0 ? config.maxModelLen() : model.config().maxPositionEmbeddings();
        if (options.skipConformanceCheck()) {
            String warning = "skipped (--skip-conformance-check): the GPU's output was not compared with the CPU reference";
            PagodaServer.warn(log, "conformance self-check " + warning);
            healthDetails.put("conformance_check", warning);
        } else {
            selfCheck(cuda, model, tokenizer, options, maxModelLen, log);
            healthDetails.put("conformance_check", "passed");
        }

        if (config.numKvBlocks() > 0) {
            PagodaServer.info(log, "KV cache: " + config.numKvBlocks() + " blocks fixed by --num-gpu-blocks-override; no memory profiling");
            return config;
        }
        long t0 = System.nanoTime();
        GpuMemoryPlan plan = GpuMemoryPlan.profile(cuda, model.config().vocabSize(), config, maxModelLen, options.gpuMemoryUtilization());
        PagodaServer.info(log, String.format("memory profiling took %.2f s", (System.nanoTime() - t0) / 1e9));
        for (String line : plan.describe(config.blockSize(), maxModelLen).split("\n")) PagodaServer.info(log, line);
        return config.withNumKvBlocks(plan.numBlocks());
    }

    private static void selfCheck(CudaBackend cuda, LoadedModel model, Tokenizer tokenizer, ServeOptions options, int maxModelLen,
                                  PrintStream log) {
        int[] prompt = tokenizer.encode(SELF_CHECK_PROMPT, true);
        prompt = Arrays.copyOf(prompt, Math.min(prompt.length, maxModelLen));
        boolean randomWeights = options.loadFormat() == LoadFormat.DUMMY;
        long t0 = System.nanoTime();
        CudaSelfCheck.Report report;
        // A few positions: the CPU reads the weights in place rather than copying them onto huge pages first.
        try (ComputeBackend cpu = ComputeBackends.create("cpu", new BackendOptions(options.numThreads(), false))) {
            cpu.loadModel(model.config(), model.weights());
            report = CudaSelfCheck.run(cpu, cuda, prompt, options.engineConfig().blockSize(), randomWeights);
        }
        for (String line : report.format().split("\n")) PagodaServer.info(log, line);
        PagodaServer.info(log, String.format("conformance self-check took %.2f s", (System.nanoTime() - t0) / 1e9));
        if (!report.passed()) throw new ConformanceCheckFailedException(report.format());
    }
}
