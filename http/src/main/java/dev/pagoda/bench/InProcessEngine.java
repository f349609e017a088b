package dev.pagoda.bench;

import dev.pagoda.engine.backend.BackendOptions;
import dev.pagoda.engine.backend.ComputeBackend;
import dev.pagoda.engine.backend.ComputeBackends;
import dev.pagoda.engine.engine.CompletionOutput;
import dev.pagoda.engine.engine.EngineConfig;
import dev.pagoda.engine.engine.GpuMemoryPlan;
import dev.pagoda.engine.engine.LlmEngine;
import dev.pagoda.engine.engine.RequestOutput;
import dev.pagoda.engine.engine.StepOutput;
import dev.pagoda.engine.model.LoadFormat;
import dev.pagoda.engine.model.LoadedModel;
import dev.pagoda.engine.model.ModelLoader;
import dev.pagoda.engine.sampling.SamplingParams;
import dev.pagoda.engine.tokenizer.Tokenizer;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The engine {@code bench throughput} and {@code bench latency} drive in-process (vLLM's offline
 * {@code LLM}): the model loaded (real or {@code --load-format dummy} weights), the backend
 * ({@code cpu} or {@code cuda}; on cuda the KV cache sized by {@link GpuMemoryPlan} as {@code serve}
 * does, without serve's conformance self-check), and {@link #run} which submits requests at once and
 * steps the engine to completion, timing every token as its step returns.
 */
public final class InProcessEngine implements AutoCloseable {
    private final LoadedModel model;
    private final ComputeBackend backend;
    private final LlmEngine engine;
    private final StepPhases stepPhases = new StepPhases();
    private int nextId;

    private InProcessEngine(LoadedModel model, ComputeBackend backend, LlmEngine engine) {
        this.model = model;
        this.backend = backend;
        this.engine = engine;
    }

    /**
     * @param gpuMemoryUtilization on cuda with {@code config.numKvBlocks() == 0}: the fraction of device memory to plan for
     */
    public static InProcessEngine open(Path modelDir, LoadFormat format, String device, int numThreads, EngineConfig config,
                                       double gpuMemoryUtilization, PrintStream log) {
        long t0 = System.nanoTime();
        LoadedModel model = ModelLoader.load(modelDir, format);
        ComputeBackend backend = null;
        try {
            Tokenizer tokenizer = Tokenizer.fromDirectory(modelDir);
            backend = ComputeBackends.create(device, new BackendOptions(numThreads));
            backend.loadModel(model.config(), model.weights());
            log.printf("INFO [bench] %s (%s, %d layers, hidden %d, %.1f MiB of %s weights) on %s, loaded in %.1f s%n", modelDir,
                    model.config().architecture(), model.config().numHiddenLayers(), model.config().hiddenSize(),
                    model.weightBytes() / (double) (1 << 20), format.name().toLowerCase(java.util.Locale.ROOT), device,
                    (System.nanoTime() - t0) / 1e9);
            if (device.equals("cuda") && config.numKvBlocks() == 0) {
                int maxModelLen = config.maxModelLen() > 0 ? config.maxModelLen() : model.config().maxPositionEmbeddings();
                GpuMemoryPlan plan = GpuMemoryPlan.profile(backend, model.config().vocabSize(), config, maxModelLen, gpuMemoryUtilization);
                for (String line : plan.describe(config.blockSize(), maxModelLen).split("\n")) log.println("INFO [bench] " + line);
                config = config.withNumKvBlocks(plan.numBlocks());
            }
            LlmEngine engine = new LlmEngine(backend, model.config(), model.generationConfig(), tokenizer, config);
            return new InProcessEngine(model, backend, engine);
        } catch (RuntimeException e) {
            if (backend != null) backend.close();
            model.close();
            throw e;
        }
    }

    /** The decode steps' host-time split, summed over every {@link #run} since the last reset. */
    StepPhases stepPhases() {
        return stepPhases;
    }

    public LlmEngine engine() {
        return engine;
    }

    public int vocabSize() {
        return Math.min(model.config().vocabSize(), engine.tokenizer().vocabSize());
    }

    /** Greedy, exactly {@code outputLen} tokens (EOS ignored): the same work on every run and every engine. */
    static SamplingParams params(BenchRequest r) {
        return SamplingParams.builder().temperature(0).maxTokens(r.outputLen()).ignoreEos(true).build();
    }

    /**
     * Submits every request at once, steps until all finish; returns one trace per request (in
     * order) with times measured from the submission, and the wall time in {@code durationOut[0]}.
     */
    public List<RequestTrace> run(List<BenchRequest> requests, double[] durationOut) {
        Map<String, Integer> index = new HashMap<>();
        List<List<Double>> arrivals = new ArrayList<>();
        double[] finish = new double[requests.size()];
        int[] generated = new int[requests.size()];
        long start = System.nanoTime();
        for (int i = 0; i < requests.size(); i++) {
            String id = "bench-" + nextId++;
            index.put(id, i);
            arrivals.add(new ArrayList<>());
            engine.addRequest(id, requests.get(i).promptTokenIds(), params(requests.get(i)), 0);
        }
        while (engine.hasUnfinishedRequests()) {
            StepOutput step = engine.step();
            stepPhases.add(step);
            double now = (System.nanoTime() - start) / 1e9;
            for (RequestOutput o : step.outputs()) {
                int i = index.get(o.requestId());
                CompletionOutput c = o.outputs().getFirst();
                for (int k = 0; k < c.numNewTokens(); k++) arrivals.get(i).add(now);
                generated[i] = c.tokenIds().length;
                if (o.finished()) finish[i] = now;
            }
        }
        durationOut[0] = (System.nanoTime() - start) / 1e9;
        List<RequestTrace> traces = new ArrayList<>(requests.size());
        for (int i = 0; i < requests.size(); i++) {
            List<Double> a = arrivals.get(i);
            double[] itl = new double[Math.max(0, a.size() - 1)];
            for (int k = 1; k < a.size(); k++) itl[k - 1] = a.get(k) - a.get(k - 1);
            traces.add(RequestTrace.ok(requests.get(i).promptLen(), generated[i], a.isEmpty() ? finish[i] : a.getFirst(), itl, finish[i], 0));
        }
        return traces;
    }

    @Override
    public void close() {
        backend.close();
        model.close();
    }
}
