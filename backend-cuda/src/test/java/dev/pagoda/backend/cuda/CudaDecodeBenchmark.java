package dev.pagoda.backend.cuda;

import dev.pagoda.engine.backend.BackendOptions;
import dev.pagoda.engine.backend.ForwardBatch;
import dev.pagoda.engine.model.DType;
import dev.pagoda.engine.model.DummyWeights;
import dev.pagoda.engine.model.ModelConfig;
import dev.pagoda.engine.model.ModelWeights;
import dev.pagoda.engine.model.RandomWeights;
import dev.pagoda.engine.model.RopeScaling;
import java.lang.foreign.Arena;
import java.util.Arrays;
import java.util.List;

/**
 * Single-stream decode speed on random-weight (dummy) bf16 models of two shapes, next to the
 * device's copy bandwidth and the resulting HBM bound (weight bytes read per token ÷ bandwidth):
 * Qwen2.5-0.5B (the tok/s target) and Llama-3-8B (the % of bandwidth target). Each path of the
 * backend is timed in the same run, so that the table shows what each change moved:
 * unfused (cuBLAS + element-wise kernels) vs fused (Gemv.cu) linear layers, one-pass vs decode
 * attention, eager vs CUDA graphs. Per step: wall clock of {@code forward} (which copies the row's
 * logits to the host) and the GPU time of one graph replay (CUDA events). Run on a GPU host by
 * scripts/gpu/run-on-gpu.sh: {@code java -cp … dev.pagoda.backend.cuda.CudaDecodeBenchmark [steps] [qwen] [llama8b]}.
 */
public final class CudaDecodeBenchmark {
    // Qwen/Qwen2.5-0.5B's config.json: 24 layers, hidden 896, 14 heads / 2 kv heads of 64, MLP 4864, vocab 151936, tied, q/k/v bias.
    static final ModelConfig QWEN_05B = new ModelConfig("Qwen2ForCausalLM", "qwen2", 896, 4864, 24, 14, 2, 64, 151936, 32768,
            1e-6, 1_000_000.0, new RopeScaling.None(), true, true, false, DType.BF16, -1, List.of(151643));
    // Qwen/Qwen2.5-1.5B's config.json: 28 layers, hidden 1536, 12 heads / 2 kv heads of 128, MLP 8960, tied, q/k/v bias.
    static final ModelConfig QWEN_15B = new ModelConfig("Qwen2ForCausalLM", "qwen2", 1536, 8960, 28, 12, 2, 128, 151936, 32768,
            1e-6, 1_000_000.0, new RopeScaling.None(), true, true, false, DType.BF16, -1, List.of(151643));
    // Qwen/Qwen2.5-3B's config.json: 36 layers, hidden 2048, 16 heads / 2 kv heads of 128, MLP 11008, tied, q/k/v bias.
    static final ModelConfig QWEN_3B = new ModelConfig("Qwen2ForCausalLM", "qwen2", 2048, 11008, 36, 16, 2, 128, 151936, 32768,
            1e-6, 1_000_000.0, new RopeScaling.None(), true, true, false, DType.BF16, -1, List.of(151643));
    // meta-llama/Meta-Llama-3-8B's config.json: 32 layers, hidden 4096, 32 heads / 8 kv heads of 128, MLP 14336, vocab 128256, untied.
    static final ModelConfig LLAMA3_8B = new ModelConfig("LlamaForCausalLM", "llama", 4096, 14336, 32, 32, 8, 128, 128256, 8192,
            1e-5, 500_000.0, new RopeScaling.None(), false, false, false, DType.BF16, 128000, List.of(128001));

    public static void main(String[] args) {
        int steps = args.length > 0 ? Integer.parseInt(args[0]) : 256;
        List<String> sections = args.length > 1 ? List.of(args).subList(1, args.length) : List.of("qwen", "llama8b");
        if (sections.contains("eager-only")) { // for a kernel profiler: nothing but eager decode steps of the Qwen shape
            try (Arena arena = Arena.ofShared(); CudaBackend backend = load(QWEN_05B, arena, "Qwen2.5-0.5B")) {
                backend.setCudaGraphs(false);
                backend.setFusedDecode(!sections.contains("unfused"));
                decode(backend, steps, 16, "eager, for the profiler");
            }
            return;
        }
        if (sections.contains("persistent")) persistent(steps, QWEN_05B, "Qwen2.5-0.5B", true);
        if (sections.contains("persistent-1.5b")) persistent(steps, QWEN_15B, "Qwen2.5-1.5B", false);
        if (sections.contains("persistent-3b")) persistent(steps, QWEN_3B, "Qwen2.5-3B", false);
        if (sections.contains("qwen")) qwen(steps);
        if (sections.contains("llama8b")) llama8b(Math.min(steps, 64));
    }

    static void qwen(int steps) {
        try (Arena arena = Arena.ofShared(); CudaBackend backend = load(QWEN_05B, arena, "Qwen2.5-0.5B")) {
            double bandwidth = bandwidth(backend);
            System.out.printf("host cost of one eager cuLaunchKernel through JCuda: %.1f µs (a tiny kernel, 5000 back to back)%n", launchMicros());
            double boundMs = bound(backend, bandwidth);
            System.out.println("| path | wall ms/token (tok/s) | GPU ms per graph replay (tok/s) | % of HBM bound (GPU) |");
            System.out.println("| --- | --- | --- | --- |");
            row(backend, steps, 16, boundMs, "graphs, unfused (cuBLAS + element-wise kernels), one-pass attention", true, false, false);
            row(backend, steps, 16, boundMs, "graphs, fused Gemv.cu, one-pass attention", true, true, false);
            row(backend, steps, 16, boundMs, "graphs, fused Gemv.cu, decode attention (default)", true, true, true);
            withoutProgrammaticLaunch(backend, () -> row(backend, steps, 16, boundMs, "same, programmatic dependent launch off", true, true, true));
            withPersistentKernel(backend, PersistentDecode.ON, () -> row(backend, steps, 16, boundMs, "same, persistent kernel forced on (DecodeLayers.cu)", true, true, true));
            sampledRow(backend, steps, 16, boundMs, "graphs + sampling on the device (the engine's path)");
            row(backend, steps, 16, boundMs, "eager, fused Gemv.cu, decode attention", false, true, true);
            // A long context: where splitting the attention over the context matters.
            row(backend, 64, 8000, boundMs, "context 8k: graphs, fused, one-pass attention", true, true, false);
            row(backend, 64, 8000, boundMs, "context 8k: graphs, fused, decode attention (split by the rule)", true, true, true);
            withPersistentKernel(backend, PersistentDecode.ON, () -> row(backend, 64, 8000, boundMs, "context 8k: same, persistent kernel forced on", true, true, true));
            System.out.println(backend.pathStatistics());
        }
    }

    /** Only the persistent decode kernel against the five-kernel path: a short context, and an 8k one when {@code longContext}. */
    static void persistent(int steps, ModelConfig config, String name, boolean longContext) {
        try (Arena arena = Arena.ofShared(); CudaBackend backend = load(config, arena, name)) {
            double boundMs = bound(backend, bandwidth(backend));
            System.out.println("| path | wall ms/token (tok/s) | GPU ms per graph replay (tok/s) | % of HBM bound (GPU) |");
            System.out.println("| --- | --- | --- | --- |");
            withPersistentKernel(backend, PersistentDecode.ON, () -> row(backend, steps, 16, boundMs, "graphs, persistent kernel", true, true, true));
            withPersistentKernel(backend, PersistentDecode.OFF, () -> row(backend, steps, 16, boundMs, "graphs, five kernels a layer", true, true, true));
            if (!longContext) return;
            withPersistentKernel(backend, PersistentDecode.ON, () -> row(backend, 32, 8000, boundMs, "context 8k: graphs, persistent kernel", true, true, true));
            withPersistentKernel(backend, PersistentDecode.OFF, () -> row(backend, 32, 8000, boundMs, "context 8k: graphs, five kernels a layer", true, true, true));
        }
    }

    static void llama8b(int steps) {
        try (Arena arena = Arena.ofShared(); CudaBackend backend = load(LLAMA3_8B, arena, "Llama-3-8B")) {
            double bandwidth = bandwidth(backend);
            double boundMs = bound(backend, bandwidth);
            System.out.println("| path | wall ms/token (tok/s) | GPU ms per graph replay (tok/s) | % of HBM bound (GPU) |");
            System.out.println("| --- | --- | --- | --- |");
            row(backend, steps, 16, boundMs, "8B graphs, unfused (cuBLAS + element-wise kernels), one-pass attention", true, false, false);
            row(backend, steps, 16, boundMs, "8B graphs, fused Gemv.cu, decode attention (default)", true, true, true);
            withoutProgrammaticLaunch(backend, () -> row(backend, steps, 16, boundMs, "8B same, programmatic dependent launch off", true, true, true));
            withPersistentKernel(backend, PersistentDecode.OFF, () -> row(backend, steps, 16, boundMs, "8B same, five kernels a layer (persistent kernel off)", true, true, true));
            sampledRow(backend, steps, 16, boundMs, "8B graphs + sampling on the device (the engine's path)");
            System.out.println(backend.pathStatistics());
        }
    }

    /** Runs {@code rows} with programmatic dependent launch off, then back on; nothing where the GPU lacks it (the rows would repeat the default ones). */
    static void withoutProgrammaticLaunch(CudaBackend backend, Runnable rows) {
        if (!backend.setProgrammaticLaunch(true)) return;
        backend.setProgrammaticLaunch(false);
        rows.run();
        backend.setProgrammaticLaunch(true);
    }

    /** Runs {@code rows} with the persistent decode kernel in {@code mode}, then back to AUTO; nothing where the kernel cannot run the model. */
    static void withPersistentKernel(CudaBackend backend, PersistentDecode mode, Runnable rows) {
        backend.setPersistentDecode(PersistentDecode.ON);
        boolean fits = backend.persistentDecodeApplies();
        backend.setPersistentDecode(mode);
        if (fits) rows.run();
        backend.setPersistentDecode(PersistentDecode.AUTO);
    }

    static CudaBackend load(ModelConfig config, Arena arena, String name) {
        CudaBackend backend = new CudaBackend(BackendOptions.defaults());
        long t0 = System.nanoTime();
        ModelWeights weights = DummyWeights.create(config, arena, RandomWeights.DEFAULT);
        long t1 = System.nanoTime();
        backend.loadModel(config, weights);
        System.out.printf("persistent decode kernel by default (auto, %.0f MB a layer): %s%n", PersistentDecode.layerWeightBytes(config) / 1e6,
                backend.persistentDecodeApplies() ? "yes" : "no, five kernels a layer");
        System.out.printf("%ndevice: %s%nmodel: %s-shaped, dummy bf16 weights: made in %.1f s, uploaded in %.1f s%n",
                backend.describeDevice(), name, (t1 - t0) / 1e9, (System.nanoTime() - t1) / 1e9);
        return backend;
    }

    static double bandwidth(CudaBackend backend) {
        double bandwidth = backend.measureCopyBandwidth(1L << 30, 20);
        System.out.printf("copy kernel bandwidth: %.0f GB/s (read + write, 1 GiB buffers, median of 20)%n", bandwidth / 1e9);
        return bandwidth;
    }

    static double bound(CudaBackend backend, double bandwidth) {
        long weightBytes = backend.weightBytesPerToken();
        double boundMs = weightBytes / bandwidth * 1e3; // a step reads each weight once: bytes ÷ bandwidth
        System.out.printf("weights read per token: %.1f MB → HBM bound %.3f ms/token (%.0f tok/s)%n", weightBytes / 1e6, boundMs, 1e3 / boundMs);
        return boundMs;
    }

    /** One table row: decode with the given paths, wall median and GPU replay time. */
    static void row(CudaBackend backend, int steps, int prompt, double boundMs, String label, boolean graphs, boolean fused, boolean decodeAttention) {
        backend.setCudaGraphs(graphs);
        backend.setFusedDecode(fused);
        backend.setDecodeAttention(decodeAttention);
        double wallMs = decode(backend, steps, prompt, label);
        if (graphs) {
            System.out.println("  " + backend.graphStepProfile());
            double gpuMs = backend.graphReplayMillis(1, 50);
            String stages = backend.persistentDecodeProfile();
            if (fused && decodeAttention && backend.persistentDecodeApplies() && !stages.isEmpty()) System.out.println("  " + stages);
            System.out.printf("| %s | %.3f (%.0f) | %.3f (%.0f) | %.0f%% |%n", label, wallMs, 1e3 / wallMs, gpuMs, 1e3 / gpuMs, 100 * boundMs / gpuMs);
        } else {
            System.out.printf("| %s | %.3f (%.0f) | — | — |%n", label, wallMs, 1e3 / wallMs);
        }
    }

    /**
     * One table row for the engine's decode path: graphs (default kernels) with greedy sampling on the
     * device ({@link CudaSampler#forwardAndSample}), wall median per step, and where its host time went.
     */
    static void sampledRow(CudaBackend backend, int steps, int prompt, double boundMs, String label) {
        backend.setCudaGraphs(true);
        backend.setFusedDecode(true);
        backend.setDecodeAttention(true);
        int blockSize = 16;
        int[] table = allocateReversed(backend, prompt + steps + 8, blockSize);
        int[] ids = promptIds(prompt);
        CudaSampler sampler = backend.sampler();
        var greedy = dev.pagoda.engine.sampling.SamplingParams.builder().temperature(0).build();
        var rows = java.util.List.of(new dev.pagoda.engine.sampling.SamplingRow(greedy, ids, new int[0]));
        double[] uniforms = {0.5};
        int token = sampler.forwardAndSample(batch(ids, 0, table, blockSize), rows, uniforms, java.util.Set.of()).tokenIds()[0];
        sampler.stepProfile(); // not the prefill
        long[] stepNanos = new long[steps];
        for (int i = 0; i < steps; i++) {
            long s = System.nanoTime();
            token = sampler.forwardAndSample(batch(new int[] {token}, prompt + i, table, blockSize), rows, uniforms, java.util.Set.of()).tokenIds()[0];
            stepNanos[i] = System.nanoTime() - s;
        }
        Arrays.sort(stepNanos);
        double wallMs = stepNanos[steps / 2] / 1e6;
        System.out.println("  " + sampler.stepProfile());
        System.out.printf("| %s | %.3f (%.0f) | — | %.0f%% (wall) |%n", label, wallMs, 1e3 / wallMs, 100 * boundMs / wallMs);
    }

    /** Allocates a cache for one sequence of {@code numTokens} and returns its block table, blocks in reverse (non-contiguous on purpose). */
    private static int[] allocateReversed(CudaBackend backend, int numTokens, int blockSize) {
        int numBlocks = (numTokens + blockSize - 1) / blockSize;
        backend.allocateKvCache(numBlocks, blockSize);
        int[] table = new int[numBlocks];
        for (int i = 0; i < numBlocks; i++) table[i] = numBlocks - 1 - i;
        return table;
    }

    private static int[] promptIds(int prompt) {
        int[] ids = new int[prompt];
        for (int i = 0; i < prompt; i++) ids[i] = 42 + i % 1000;
        return ids;
    }

    /** Prefill {@code prompt} tokens, then {@code steps} greedy decode steps of one sequence; prints and returns the median ms per step. */
    static double decode(CudaBackend backend, int steps, int prompt, String label) {
        int blockSize = 16;
        int[] table = allocateReversed(backend, prompt + steps + 8, blockSize);
        int[] ids = promptIds(prompt);
        backend.forward(batch(ids, 0, table, blockSize));
        long[] stepNanos = new long[steps];
        int token = 7;
        for (int i = 0; i < steps; i++) {
            long s = System.nanoTime();
            var logits = backend.forward(batch(new int[] {token}, prompt + i, table, blockSize));
            stepNanos[i] = System.nanoTime() - s;
            token = logits.argmax(0);
        }
        long[] sorted = stepNanos.clone();
        Arrays.sort(sorted);
        double medianMs = sorted[steps / 2] / 1e6;
        System.out.printf("decode (%s): %d steps after %d prompt tokens, median %.3f ms/token = %.0f tok/s (p10 %.3f, p90 %.3f ms; first step %.1f ms)%n",
                label, steps, prompt, medianMs, 1e3 / medianMs, sorted[steps / 10] / 1e6, sorted[steps * 9 / 10] / 1e6, stepNanos[0] / 1e6);
        return medianMs;
    }

    /** Host time per launch of a trivial kernel, launched back to back, then one synchronize. */
    static double launchMicros() {
        try (CudaContext cuda = new CudaContext()) {
            jcuda.driver.CUfunction f = cuda.function(cuda.loadModule("Activation"), "silu_and_mul");
            DeviceBuffer buf = cuda.allocate(1 << 16);
            cuda.zero(buf);
            for (int i = 0; i < 200; i++) cuda.launch(f, 1, 1, 256, 0, buf.address(), buf.address() + 4096, 256);
            cuda.synchronize();
            long t = System.nanoTime();
            for (int i = 0; i < 5000; i++) cuda.launch(f, 1, 1, 256, 0, buf.address(), buf.address() + 4096, 256);
            cuda.synchronize();
            return (System.nanoTime() - t) / 5000 / 1e3;
        }
    }

    private static ForwardBatch batch(int[] ids, int start, int[] table, int blockSize) {
        int n = ids.length;
        int[] positions = new int[n], slots = new int[n];
        for (int i = 0; i < n; i++) {
            positions[i] = start + i;
            slots[i] = table[positions[i] / blockSize] * blockSize + positions[i] % blockSize;
        }
        return new ForwardBatch(ids, positions, new int[] {0, n}, new int[] {start + n}, new int[][] {table}, slots, new int[] {n - 1});
    }
}
