package dev.pagoda.server;

import dev.pagoda.backend.cuda.CudaBackend;
import dev.pagoda.engine.backend.BackendOptions;
import dev.pagoda.engine.backend.ComputeBackend;
import dev.pagoda.engine.backend.ComputeBackends;
import dev.pagoda.engine.chat.ChatTemplate;
import dev.pagoda.engine.engine.AsyncLlmEngine;
import dev.pagoda.engine.engine.EngineConfig;
import dev.pagoda.engine.engine.LlmEngine;
import dev.pagoda.engine.model.GenerationConfig;
import dev.pagoda.engine.model.LoadedModel;
import dev.pagoda.engine.model.ModelLoader;
import dev.pagoda.engine.tokenizer.Tokenizer;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;

/**
 * A running server: HTTP first (so /health answers 503 while loading), then the model, the
 * engine, and {@link OpenAiServer#ready}. {@link #close()} shuts down in order: stop taking
 * requests, let in-flight ones finish (grace period), stop HTTP, abort the rest, free the model.
 * What {@code ./pagoda serve} runs and what the tests start on a free loopback port.
 */
public final class PagodaServer implements AutoCloseable {
    /** Pagoda's version, as GET /version and {@code ./pagoda --version} report it. */
    public static final String VERSION = InfoHandlers.VERSION;

    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("MM-dd HH:mm:ss");

    private final OpenAiServer http;
    private final LoadedModel model;
    private final ComputeBackend backend;
    private final AsyncLlmEngine engine;
    private final EmbeddingRunner embeddings;
    private final StatsLogger stats;
    private final PrintStream log;
    private final java.util.concurrent.atomic.AtomicBoolean closed = new java.util.concurrent.atomic.AtomicBoolean();

    private PagodaServer(OpenAiServer http, LoadedModel model, ComputeBackend backend, AsyncLlmEngine engine,
                         EmbeddingRunner embeddings, StatsLogger stats, PrintStream log) {
        this.http = http;
        this.model = model;
        this.backend = backend;
        this.engine = engine;
        this.embeddings = embeddings;
        this.stats = stats;
        this.log = log;
    }

    /** vLLM-style log line: {@code INFO 11-22 12:00:00 [serve] message}. */
    static void info(PrintStream log, String message) {
        log.println("INFO " + LocalDateTime.now().format(TIME) + " [serve] " + message);
        log.flush();
    }

    static void warn(PrintStream log, String message) {
        log.println("WARNING " + LocalDateTime.now().format(TIME) + " [serve] " + message);
        log.flush();
    }

    public static PagodaServer start(ServerConfig config, ServeOptions options, PrintStream log) throws IOException {
        return start(config, options, log, engine -> {});
    }

    /**
     * @param beforeServing runs with the engine before its thread starts and before any request can
     *                      reach it (e.g. to register a {@code --trace-file} listener that must see every step)
     */
    public static PagodaServer start(ServerConfig config, ServeOptions options, PrintStream log,
                                     java.util.function.Consumer<LlmEngine> beforeServing) throws IOException {
        List<String> names = options.servedModelNames().isEmpty() ? List.of(options.modelDir().toString()) : options.servedModelNames();
        EngineConfig ec = options.engineConfig();
        info(log, "pagoda " + InfoHandlers.VERSION + " serving " + options.modelDir() + " as " + names);
        info(log, "engine args: device=" + options.device() + ", block_size=" + ec.blockSize() + ", max_num_seqs=" + ec.maxNumSeqs()
                + ", max_num_batched_tokens=" + ec.maxNumBatchedTokens() + ", max_model_len=" + (ec.maxModelLen() == 0 ? "auto" : ec.maxModelLen())
                + ", enable_prefix_caching=" + ec.enablePrefixCaching() + ", kv_cache_memory=" + (ec.kvCacheMemoryBytes() >> 20) + "MiB, seed="
                + ec.seed() + (options.device().equals("cuda") ? ", gpu_memory_utilization=" + options.gpuMemoryUtilization() : "")
                + ", load_format=" + options.loadFormat().name().toLowerCase(java.util.Locale.ROOT) + ", api_key=" + (config.apiKey() == null ? "none" : "set"));
        OpenAiServer http = new OpenAiServer(config).start();
        info(log, "HTTP server listening on http://" + config.host() + ":" + http.port() + " (loading the model; /health answers 503 until ready)");

        LoadedModel model = null;
        ComputeBackend backend = null;
        try {
            long t0 = System.nanoTime();
            model = ModelLoader.load(options.modelDir(), options.loadFormat());
            LoadedModel m = model;
            info(log, String.format("loading weights: %s, %d layers, hidden %d, vocab %d, %.1f MiB of weights",
                    model.config().architecture(), model.config().numHiddenLayers(), model.config().hiddenSize(), model.config().vocabSize(),
                    model.weightBytes() / (double) (1 << 20)));
            Tokenizer tokenizer = Tokenizer.fromDirectory(options.modelDir());
            GenerationConfig generationConfig = generationConfig(options, model);
            ChatTemplate chatTemplate = chatTemplate(options, log);
            backend = ComputeBackends.create(options.device(), new BackendOptions(options.numThreads()));
            backend.loadModel(model.config(), model.weights());
            info(log, String.format("model loaded in %.2f s", (System.nanoTime() - t0) / 1e9));
            var healthDetails = new java.util.LinkedHashMap<String, String>();
            if (backend instanceof CudaBackend cuda) {
                info(log, "device: " + cuda.describeDevice() + ", CUDA driver " + cuda.driverVersion());
                ec = CudaStartup.prepare(cuda, model, tokenizer, options, log, healthDetails);
            }
            http.healthDetails(healthDetails);

            LlmEngine llm = new LlmEngine(backend, model.config(), generationConfig, tokenizer, ec);
            info(log, "memory plan: " + llm.kvCacheSizing().describe());
            info(log, String.format("maximum concurrency for %d tokens per request: %.2fx", llm.maxModelLen(), llm.kvCacheSizing().maxConcurrency()));
            beforeServing.accept(llm);
            EngineStats engineStats = new EngineStats();
            AsyncLlmEngine engine = new AsyncLlmEngine(llm, engineStats::update);
            // Embeddings run on the CPU reference whatever the device (see EmbeddingRunner).
            if (!options.device().equals("cpu")) info(log, "/v1/embeddings runs on the CPU reference backend (hidden states are not returned on " + options.device() + ")");
            EmbeddingRunner embeddings = new EmbeddingRunner(() -> {
                ComputeBackend b = ComputeBackends.create("cpu", new BackendOptions(options.numThreads()));
                b.loadModel(m.config(), m.weights());
                return b;
            }, llm.maxModelLen(), ec.blockSize());
            ServingModel serving = new ServingModel(names, options.modelDir().toString(), engine, engineStats, tokenizer, chatTemplate,
                    model.config(), generationConfig, llm.maxModelLen(), embeddings, System.currentTimeMillis() / 1000);
            http.ready(serving);
            info(log, "available routes:");
            for (String r : OpenAiServer.routes()) info(log, "  " + r);
            StatsLogger stats = config.statsIntervalSeconds() > 0
                    ? StatsLogger.start(http.metrics(), engineStats, config.statsIntervalSeconds(), line -> info(log, line)) : null;
            info(log, "ready: http://" + config.host() + ":" + http.port() + "/v1");
            return new PagodaServer(http, model, backend, engine, embeddings, stats, log);
        } catch (RuntimeException | IOException e) {
            http.close();
            if (backend != null) backend.close();
            if (model != null) model.close();
            throw e;
        }
    }

    private static GenerationConfig generationConfig(ServeOptions options, LoadedModel model) {
        return switch (options.generationConfig()) {
            case "auto" -> model.generationConfig();
            case "vllm" -> GenerationConfig.fromModelConfig(model.config());
            default -> GenerationConfig.load(Path.of(options.generationConfig()), model.config());
        };
    }

    private static ChatTemplate chatTemplate(ServeOptions options, PrintStream log) throws IOException {
        if (options.chatTemplateFile() != null) {
            return ChatTemplate.fromTokenizerDir(options.modelDir(), Files.readString(options.chatTemplateFile(), StandardCharsets.UTF_8));
        }
        try {
            return ChatTemplate.fromTokenizerDir(options.modelDir());
        } catch (IllegalArgumentException e) {
            if (!e.getMessage().contains("has no chat template")) throw e;
            warn(log, "the model has no chat template; chat requests use Pagoda's plain fallback (BOS, then the messages' "
                    + "contents one per line). Pass --chat-template FILE to choose one.");
            try (InputStream in = PagodaServer.class.getResourceAsStream("fallback_chat_template.jinja")) {
                return ChatTemplate.fromTokenizerDir(options.modelDir(), new String(in.readAllBytes(), StandardCharsets.UTF_8));
            }
        }
    }

    /** Whether {@link #start} failed because the CUDA self-check did (the report is already in the log). */
    public static boolean isConformanceFailure(Throwable e) {
        return e instanceof CudaStartup.ConformanceCheckFailedException;
    }

    public int port() {
        return http.port();
    }

    public OpenAiServer http() {
        return http;
    }

    /** Why the engine thread died, or null while it runs: {@code ./pagoda serve} then exits for a supervisor to restart it. */
    public RuntimeException engineFailure() {
        return engine.failure();
    }

    /** The engine, for fault-injection tests ({@link AsyncLlmEngine#injectFault}). */
    public AsyncLlmEngine engine() {
        return engine;
    }

    /** Idempotent: the SIGTERM hook and a caller may both close. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) return;
        info(log, "shutting down: waiting for in-flight requests");
        if (stats != null) stats.close();
        http.close();
        try {
            engine.close();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        embeddings.close();
        backend.close();
        model.close();
        info(log, "shut down");
    }
}
