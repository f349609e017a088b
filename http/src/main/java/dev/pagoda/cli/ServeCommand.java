package dev.pagoda.cli;

import dev.pagoda.engine.engine.EngineConfig;
import dev.pagoda.engine.events.StepTraceWriter;
import dev.pagoda.engine.model.LoadFormat;
import dev.pagoda.hub.HubConfig;
import dev.pagoda.hub.HubDownloader;
import dev.pagoda.server.PagodaServer;
import dev.pagoda.server.RequestLimits;
import dev.pagoda.server.ServeOptions;
import dev.pagoda.server.ServerConfig;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code ./pagoda serve [MODEL_DIR | --model MODEL_DIR]}: the OpenAI-compatible server, with vLLM's flag names
 * ({@code --host}, {@code --port}, {@code --served-model-name}, {@code --api-key}, {@code --max-model-len},
 * {@code --max-num-seqs}, {@code --max-num-batched-tokens}, {@code --block-size},
 * {@code --[no-]enable-prefix-caching}, {@code --kv-cache-memory}, {@code --dtype}, {@code --seed},
 * {@code --chat-template}, {@code --generation-config}, {@code --load-format}, {@code --device},
 * {@code --gpu-memory-utilization}). On {@code --device cuda} a conformance self-check against the CPU
 * reference runs before the port serves; it refuses to serve when that fails ({@code --skip-conformance-check}).
 * Without {@code --model} it serves the bundled stories260K; a MODEL that is not a directory but
 * looks like {@code ORG/NAME} is fetched from the Hugging Face hub ({@code --revision}, default main). SIGTERM (or Ctrl-C) drains in-flight
 * requests for up to {@code --shutdown-timeout} seconds, then exits 0; if the engine thread dies it exits 3 for a supervisor
 * to restart it. Request limits ({@code --max-logprobs}, {@code --max-n}, {@code --max-request-body-bytes}, …,
 * {@code --trust-request-chat-template}) are in {@link RequestLimits} and docs/reliability.md.
 */
@CommandLine.Command(name = "serve",
        description = "serve a model over an OpenAI-compatible HTTP API (default: the bundled stories260K on port 8000)")
final class ServeCommand implements Command {
    private static final List<String> DTYPES = List.of("auto", "float32", "float", "bfloat16", "float16", "half");

    @Parameters(arity = "0..1", paramLabel = "MODEL", description = "the model, as with --model (vLLM's `serve MODEL`)")
    String modelPositional;

    @Option(names = "--model", paramLabel = "MODEL",
            description = "a model directory or a Hugging Face id ORG/NAME (default: the bundled stories260K)")
    String modelOption;

    @Option(names = "--revision", paramLabel = "REV", description = "the Hugging Face revision to fetch (default: ${DEFAULT-VALUE})")
    String revision = "main";

    @Option(names = "--host", paramLabel = "HOST", description = "the address to listen on (default: ${DEFAULT-VALUE})")
    String host = "0.0.0.0";

    @Option(names = "--port", paramLabel = "PORT", description = "the port to listen on; 0: any free one (default: ${DEFAULT-VALUE})")
    int port = 8000;

    @Option(names = "--served-model-name", paramLabel = "NAME[,NAME...]",
            description = "the model names requests may use (default: MODEL, or stories260k)")
    String servedModelName;

    @Option(names = "--api-key", paramLabel = "KEY", description = "require this bearer token (default: $PAGODA_API_KEY, else none)")
    String apiKey;

    @Option(names = "--dtype", paramLabel = "DTYPE", description = "one of auto, float32, float, bfloat16, float16, half (default: ${DEFAULT-VALUE})")
    String dtype = "auto";

    @Option(names = "--device", paramLabel = "DEVICE", description = "cpu or cuda (default: ${DEFAULT-VALUE})")
    String device = "cpu";

    @Option(names = "--load-format", paramLabel = "FORMAT", description = "auto, safetensors or dummy (random weights) (default: ${DEFAULT-VALUE})")
    String loadFormat = "auto";

    @Option(names = "--chat-template", paramLabel = "FILE", description = "a Jinja chat template file to use instead of the tokenizer's")
    String chatTemplate;

    @Option(names = "--generation-config", paramLabel = "auto|vllm|DIR",
            description = "where default sampling parameters come from (default: ${DEFAULT-VALUE})")
    String generationConfig = "auto";

    @Option(names = "--threads", paramLabel = "N", description = "backend threads; 0: one per core (default: ${DEFAULT-VALUE})")
    int threads;

    @Option(names = "--max-queued-requests", paramLabel = "N", description = "waiting requests before 503s (default: ${DEFAULT-VALUE})")
    int maxQueuedRequests = 4096;

    @Option(names = "--shutdown-timeout", paramLabel = "SECONDS",
            description = "how long SIGTERM waits for in-flight requests (default: ${DEFAULT-VALUE})")
    int shutdownTimeout = 30;

    @Option(names = "--max-request-body-bytes", paramLabel = "BYTES", description = "larger request bodies get 413 (default: ${DEFAULT-VALUE})")
    long maxRequestBodyBytes = RequestLimits.DEFAULT.maxRequestBodyBytes();

    @Option(names = "--max-request-header-bytes", paramLabel = "BYTES",
            description = "larger request lines plus headers get 431 (default: ${DEFAULT-VALUE})")
    int maxRequestHeaderBytes = RequestLimits.DEFAULT.maxRequestHeaderBytes();

    @Option(names = "--max-logprobs", paramLabel = "N",
            description = "largest logprobs, top_logprobs and prompt_logprobs; -1: the whole vocabulary (default: ${DEFAULT-VALUE})")
    int maxLogprobs = RequestLimits.DEFAULT.maxLogprobs();

    @Option(names = "--max-n", paramLabel = "N", description = "largest n (completions per prompt) (default: ${DEFAULT-VALUE})")
    int maxN = RequestLimits.DEFAULT.maxN();

    @Option(names = "--max-stop-sequences", paramLabel = "N", description = "most stop strings, and most stop_token_ids (default: ${DEFAULT-VALUE})")
    int maxStopSequences = RequestLimits.DEFAULT.maxStopSequences();

    @Option(names = "--max-stop-sequence-chars", paramLabel = "N", description = "longest stop string (default: ${DEFAULT-VALUE})")
    int maxStopSequenceChars = RequestLimits.DEFAULT.maxStopSequenceChars();

    @Option(names = "--max-logit-bias-entries", paramLabel = "N", description = "most logit_bias entries (default: ${DEFAULT-VALUE})")
    int maxLogitBiasEntries = RequestLimits.DEFAULT.maxLogitBiasEntries();

    @Option(names = "--max-prompts-per-request", paramLabel = "N",
            description = "most prompts (or embedding inputs) in one request (default: ${DEFAULT-VALUE})")
    int maxPrompts = RequestLimits.DEFAULT.maxPrompts();

    @Option(names = "--trust-request-chat-template",
            description = "let requests bring their own chat_template (refused otherwise; templates are code)")
    boolean trustRequestChatTemplate;

    @Option(names = "--disable-log-stats", description = "no periodic throughput and KV-cache log lines")
    boolean disableLogStats;

    @Option(names = "--gpu-memory-utilization", paramLabel = "FRACTION",
            description = "--device cuda: the fraction of GPU memory for weights, activations and the KV cache (default: 0.9)")
    Double gpuMemoryUtilization;

    @Option(names = "--skip-conformance-check",
            description = "--device cuda: serve without first comparing the GPU's logits with the CPU reference (warned in the log and /health)")
    boolean skipConformanceCheck;

    @Option(names = "--num-gpu-blocks-override", paramLabel = "N",
            description = "KV-cache blocks; 0: as many as --kv-cache-memory holds (default: ${DEFAULT-VALUE})")
    int numGpuBlocksOverride;

    @Option(names = "--trace-file", paramLabel = "FILE", description = "record every scheduler step as a JSON line (read it with ./pagoda replay FILE)")
    Path traceFile;

    @Mixin
    EngineOptions engine;

    @Override
    public int run(InputStream in, PrintStream out, PrintStream err) throws Exception {
        if (modelPositional != null && modelOption != null) throw new CliException("give the model once: MODEL or --model, not both");
        String modelArg = modelPositional != null ? modelPositional : modelOption;
        String key = apiKey != null ? apiKey : System.getenv("PAGODA_API_KEY");
        LoadFormat format = loadFormat(loadFormat);
        EngineConfig engineConfig = engine.toEngineConfig(numGpuBlocksOverride);

        if (!DTYPES.contains(dtype)) throw new CliException("--dtype must be one of " + DTYPES + ", got '" + dtype + "'");
        if (!device.equals("cpu") && !device.equals("cuda")) throw new CliException("--device must be cpu or cuda, got '" + device + "'");
        if (gpuMemoryUtilization != null && device.equals("cpu")) {
            throw new CliException("--gpu-memory-utilization is for --device cuda; on the CPU size the KV cache with --kv-cache-memory");
        }
        if (skipConformanceCheck && device.equals("cpu")) throw new CliException("--skip-conformance-check is for --device cuda");
        double utilization = gpuMemoryUtilization != null ? gpuMemoryUtilization : ServeOptions.DEFAULT_GPU_MEMORY_UTILIZATION;
        if (!(utilization > 0 && utilization <= 1)) throw new CliException("--gpu-memory-utilization must be in (0, 1], got " + utilization);
        if (port < 0 || port > 65535) throw new CliException("--port must be in [0, 65535], got " + port);
        Path modelDir = modelArg != null ? Path.of(modelArg) : DefaultModel.path();
        if (!Files.isDirectory(modelDir)) {
            if (modelArg == null || !HubConfig.looksLikeRepoId(modelArg)) {
                throw new CliException("--model " + modelDir + " is not a directory nor a Hugging Face id (ORG/NAME)");
            }
            // A Hugging Face id: fetch it into the HF cache (HF_HOME, HF_ENDPOINT, HF_TOKEN, HF_HUB_OFFLINE honoured).
            err.println("INFO [serve] " + modelArg + " is not a local directory: fetching it from the Hugging Face hub (revision " + revision + ")");
            modelDir = new HubDownloader(HubConfig.fromEnvironment(System.getenv()), err).snapshot(modelArg, revision);
        }
        Path templateFile = null;
        if (chatTemplate != null) {
            templateFile = Path.of(chatTemplate);
            if (!Files.isRegularFile(templateFile)) throw new CliException("--chat-template " + chatTemplate + " is not a file");
        }
        List<String> served = servedModelName == null ? List.of(modelArg == null ? "stories260k" : modelArg)
                : Arrays.stream(servedModelName.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
        if (device.equals("cpu") && !dtype.equals("auto") && !dtype.startsWith("float")) {
            err.println("WARNING [serve] the CPU backend computes in float32; --dtype " + dtype + " only describes the weights it reads");
        }

        ServerConfig config;
        try {
            RequestLimits limits = new RequestLimits(maxRequestBodyBytes, maxRequestHeaderBytes, maxLogprobs, maxN, maxStopSequences,
                    maxStopSequenceChars, maxStopSequences, maxLogitBiasEntries, maxPrompts, RequestLimits.DEFAULT.maxChatTemplateChars(),
                    trustRequestChatTemplate);
            config = new ServerConfig(host, port, key, maxQueuedRequests, shutdownTimeout, disableLogStats ? 0 : 10, limits);
        } catch (IllegalArgumentException e) {
            throw new CliException(e.getMessage());
        }
        ServeOptions options = new ServeOptions(modelDir, served, format, device, threads, engineConfig, templateFile, generationConfig,
                utilization, skipConformanceCheck);
        PagodaServer server;
        Path modelPath = modelDir;
        StepTraceWriter[] trace = new StepTraceWriter[1];
        try {
            server = PagodaServer.start(config, options, err, llm -> {
                if (traceFile == null) return;
                trace[0] = StepTraceWriter.open(traceFile, TraceHeaders.of(llm, modelPath, llm.modelConfig(), device));
                llm.addStepListener(trace[0]);
                err.println("INFO [serve] recording every scheduler step to " + traceFile + " (./pagoda replay " + traceFile + ")");
            });
        } catch (IllegalStateException e) {
            if (!PagodaServer.isConformanceFailure(e)) throw e;
            throw new CliException("refusing to serve: the CUDA backend's logits do not match the CPU reference (report above); "
                    + "--skip-conformance-check serves anyway");
        }
        // SIGTERM and Ctrl-C: stop taking requests, drain for up to --shutdown-timeout, exit 0. (Left to the
        // JVM, SIGTERM would run the hooks and exit 143, which a supervisor reads as a crash.) The hook
        // stays for any other way the JVM goes down.
        CountDownLatch stopSignal = new CountDownLatch(1);
        StopSignals.install(stopSignal::countDown);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close();
            if (trace[0] != null) trace[0].close();
        }, "pagoda-shutdown"));
        try {
            return awaitStop(server, stopSignal, err);
        } finally {
            if (trace[0] != null) trace[0].close();
        }
    }

    /**
     * Serves until {@code stopSignal} (then drains and returns 0) or until the engine thread dies.
     * The latter is not survivable in-process (the engine's, on CUDA the device's, state is unknown):
     * /health already says 503 and the requests in flight got their error, so the server closes and
     * returns {@link #ENGINE_DEAD_EXIT_CODE} for a supervisor to restart it.
     */
    static int awaitStop(PagodaServer server, CountDownLatch stopSignal, PrintStream err) throws InterruptedException {
        while (!stopSignal.await(200, TimeUnit.MILLISECONDS)) {
            RuntimeException failure = server.engineFailure();
            if (failure != null) {
                err.println("ERROR [serve] " + failure.getMessage() + "; shutting down so that a supervisor can restart the server (exit code "
                        + ENGINE_DEAD_EXIT_CODE + ")");
                server.close();
                return ENGINE_DEAD_EXIT_CODE;
            }
        }
        err.println("INFO [serve] stop signal received");
        server.close();
        return 0;
    }

    /** What {@code ./pagoda serve} exits with when its engine thread died (0: stopped by a signal). */
    static final int ENGINE_DEAD_EXIT_CODE = 3;

    private static LoadFormat loadFormat(String value) {
        try {
            return LoadFormat.fromCli(value.equals("auto") ? "safetensors" : value);
        } catch (IllegalArgumentException e) {
            throw new CliException(e.getMessage());
        }
    }
}
