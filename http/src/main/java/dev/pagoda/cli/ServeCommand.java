package dev.pagoda.cli;

import dev.pagoda.engine.engine.EngineConfig;
import dev.pagoda.engine.model.LoadFormat;
import dev.pagoda.hub.HubConfig;
import dev.pagoda.hub.HubDownloader;
import dev.pagoda.server.PagodaServer;
import dev.pagoda.server.ServeOptions;
import dev.pagoda.server.ServerConfig;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;

/**
 * {@code ./pagoda serve [MODEL_DIR | --model MODEL_DIR]}: the OpenAI-compatible server, with vLLM's flag names
 * ({@code --host}, {@code --port}, {@code --served-model-name}, {@code --api-key}, {@code --max-model-len},
 * {@code --max-num-seqs}, {@code --max-num-batched-tokens}, {@code --block-size},
 * {@code --[no-]enable-prefix-caching}, {@code --kv-cache-memory}, {@code --dtype}, {@code --seed},
 * {@code --chat-template}, {@code --generation-config}, {@code --load-format}, {@code --device}).
 * Without {@code --model} it serves the bundled stories260K; a MODEL that is not a directory but
 * looks like {@code ORG/NAME} is fetched from the Hugging Face hub ({@code --revision}, default main). SIGTERM (or Ctrl-C) drains in-flight
 * requests for up to {@code --shutdown-timeout} seconds, then stops.
 */
final class ServeCommand implements Command {
    private static final List<String> DTYPES = List.of("auto", "float32", "float", "bfloat16", "float16", "half");

    @Override
    public String summary() {
        return "serve a model over an OpenAI-compatible HTTP API (default: the bundled stories260K on port 8000)";
    }

    @Override
    public int run(CliArgs args, InputStream in, PrintStream out, PrintStream err) throws Exception {
        String modelArg = args.string("model", null);
        String revision = args.string("revision", "main");
        String host = args.string("host", "0.0.0.0");
        int port = args.integer("port", 8000);
        String names = args.string("served-model-name", null);
        String apiKey = args.string("api-key", System.getenv("PAGODA_API_KEY"));
        String dtype = args.string("dtype", "auto");
        String device = args.string("device", "cpu");
        LoadFormat loadFormat = loadFormat(args.string("load-format", "auto"));
        String chatTemplate = args.string("chat-template", null);
        String generationConfig = args.string("generation-config", "auto");
        int threads = args.integer("threads", 0);
        int maxQueued = args.integer("max-queued-requests", 4096);
        int grace = args.integer("shutdown-timeout", 30);
        boolean noStats = args.flag("disable-log-stats");
        String gpuMemory = args.string("gpu-memory-utilization", null);
        EngineConfig engineConfig = engineConfig(args);
        args.checkAllUsed();

        if (!DTYPES.contains(dtype)) throw new CliException("--dtype must be one of " + DTYPES + ", got '" + dtype + "'");
        if (!device.equals("cpu") && !device.equals("cuda")) throw new CliException("--device must be cpu or cuda, got '" + device + "'");
        if (gpuMemory != null && device.equals("cpu")) {
            throw new CliException("--gpu-memory-utilization is for --device cuda; on the CPU size the KV cache with --kv-cache-memory");
        }
        if (gpuMemory != null) throw new CliException("--device cuda is not available yet (no CUDA backend in this build)");
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
        List<String> served = names == null ? List.of(modelArg == null ? "stories260k" : modelArg)
                : Arrays.stream(names.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
        if (device.equals("cpu") && !dtype.equals("auto") && !dtype.startsWith("float")) {
            err.println("WARNING [serve] the CPU backend computes in float32; --dtype " + dtype + " only describes the weights it reads");
        }

        ServerConfig config;
        try {
            config = new ServerConfig(host, port, apiKey, maxQueued, grace, noStats ? 0 : 10);
        } catch (IllegalArgumentException e) {
            throw new CliException(e.getMessage());
        }
        ServeOptions options = new ServeOptions(modelDir, served, loadFormat, device, threads, engineConfig, templateFile, generationConfig);
        PagodaServer server = PagodaServer.start(config, options, err);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close();
            stopped.countDown();
        }, "pagoda-shutdown"));
        stopped.await();
        return 0;
    }

    static EngineConfig engineConfig(CliArgs args) {
        EngineConfig d = EngineConfig.defaults();
        boolean on = args.flag("enable-prefix-caching"), off = args.flag("no-enable-prefix-caching");
        if (on && off) throw new CliException("--enable-prefix-caching and --no-enable-prefix-caching contradict each other");
        try {
            return new EngineConfig(
                    args.integer("block-size", d.blockSize()),
                    args.integer("num-gpu-blocks-override", 0),
                    bytes(args.string("kv-cache-memory", null), d.kvCacheMemoryBytes()),
                    args.integer("max-num-seqs", d.maxNumSeqs()),
                    args.integer("max-num-batched-tokens", d.maxNumBatchedTokens()),
                    args.integer("max-model-len", 0),
                    !off,
                    args.integer("seed", 0));
        } catch (IllegalArgumentException e) {
            throw new CliException(e.getMessage());
        }
    }

    /** {@code 1073741824}, {@code 512M}, {@code 4G}, {@code 4GiB} (binary units). */
    static long bytes(String v, long defaultValue) {
        if (v == null) return defaultValue;
        String s = v.trim().toUpperCase().replace("IB", "").replace("B", "");
        long unit = 1;
        if (s.endsWith("K")) unit = 1L << 10;
        else if (s.endsWith("M")) unit = 1L << 20;
        else if (s.endsWith("G")) unit = 1L << 30;
        if (unit != 1) s = s.substring(0, s.length() - 1);
        try {
            return Long.parseLong(s.trim()) * unit;
        } catch (NumberFormatException e) {
            throw new CliException("--kv-cache-memory must be bytes like 536870912, 512M or 4G, got '" + v + "'");
        }
    }

    private static LoadFormat loadFormat(String value) {
        try {
            return LoadFormat.fromCli(value.equals("auto") ? "safetensors" : value);
        } catch (IllegalArgumentException e) {
            throw new CliException(e.getMessage());
        }
    }
}
