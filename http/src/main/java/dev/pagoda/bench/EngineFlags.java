package dev.pagoda.bench;

import dev.pagoda.cli.CliException;
import dev.pagoda.engine.engine.EngineConfig;
import dev.pagoda.engine.model.LoadFormat;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * The model and engine flags of the in-process benchmarks ({@code bench throughput}, {@code bench latency}),
 * named as {@code serve}'s: which model, real or dummy weights, which device, and the scheduler and
 * KV-cache limits.
 */
public final class EngineFlags {
    private static final EngineConfig DEFAULTS = EngineConfig.defaults();

    @Option(names = "--model", paramLabel = "DIR", description = "a model directory (default: the bundled stories260K)")
    Path model;

    @Option(names = "--load-format", paramLabel = "FORMAT",
            description = "safetensors, or dummy: random weights of the model's shape (only config.json and the tokenizer are read) (default: ${DEFAULT-VALUE})")
    String loadFormat = "safetensors";

    @Option(names = "--device", paramLabel = "DEVICE", description = "cpu or cuda (default: ${DEFAULT-VALUE})")
    String device = "cpu";

    @Option(names = "--threads", paramLabel = "N", description = "backend threads; 0: one per core (default: ${DEFAULT-VALUE})")
    int threads;

    @Option(names = "--gpu-memory-utilization", paramLabel = "FRACTION",
            description = "--device cuda: the fraction of GPU memory for weights, activations and the KV cache (default: ${DEFAULT-VALUE})")
    double gpuMemoryUtilization = 0.9;

    @Option(names = "--num-kv-blocks", paramLabel = "N", description = "KV-cache blocks; 0: from --kv-cache-memory (cpu) or the memory plan (cuda) (default: ${DEFAULT-VALUE})")
    int numKvBlocks;

    @Option(names = "--block-size", paramLabel = "TOKENS", description = "tokens per KV-cache block (default: ${DEFAULT-VALUE})")
    int blockSize = DEFAULTS.blockSize();

    @Option(names = "--kv-cache-memory", paramLabel = "BYTES", description = "--device cpu: memory for the KV cache, e.g. 512M, 4G (default: 512M)")
    String kvCacheMemory;

    @Option(names = "--max-num-seqs", paramLabel = "N", description = "sequences per engine step (default: ${DEFAULT-VALUE})")
    int maxNumSeqs = DEFAULTS.maxNumSeqs();

    @Option(names = "--max-num-batched-tokens", paramLabel = "N", description = "tokens per engine step (default: ${DEFAULT-VALUE})")
    int maxNumBatchedTokens = DEFAULTS.maxNumBatchedTokens();

    @Option(names = "--max-model-len", paramLabel = "TOKENS", description = "context length; 0: the model's (default: ${DEFAULT-VALUE})")
    int maxModelLen;

    @Option(names = "--enable-prefix-caching", negatable = true, description = "reuse KV blocks of shared prompt prefixes (default: on)")
    Boolean enablePrefixCaching;

    Path modelDir() {
        if (model != null) {
            if (!Files.isDirectory(model)) throw new CliException("--model " + model + " is not a directory");
            return model;
        }
        String home = System.getProperty("pagoda.home");
        Path p = (home != null ? Path.of(home) : Path.of("").toAbsolutePath()).resolve("models/stories260k");
        if (!Files.isDirectory(p)) throw new CliException("the default model is missing at " + p + "; pass --model DIR");
        return p;
    }

    EngineConfig engineConfig(long seed) {
        try {
            return new EngineConfig(blockSize, numKvBlocks, kvCacheBytes(), maxNumSeqs, maxNumBatchedTokens, maxModelLen,
                    enablePrefixCaching == null || enablePrefixCaching, seed);
        } catch (IllegalArgumentException e) {
            throw new CliException(e.getMessage());
        }
    }

    private long kvCacheBytes() {
        return dev.pagoda.cli.EngineOptions.bytes(kvCacheMemory, DEFAULTS.kvCacheMemoryBytes()); // one size parser for every command
    }

    /** Checks the flags and loads the engine. */
    InProcessEngine open(long seed, PrintStream log) {
        if (!device.equals("cpu") && !device.equals("cuda")) throw new CliException("--device must be cpu or cuda, got '" + device + "'");
        if (!(gpuMemoryUtilization > 0 && gpuMemoryUtilization <= 1)) {
            throw new CliException("--gpu-memory-utilization must be in (0, 1], got " + gpuMemoryUtilization);
        }
        LoadFormat format;
        try {
            format = LoadFormat.fromCli(loadFormat.equals("auto") ? "safetensors" : loadFormat);
        } catch (IllegalArgumentException e) {
            throw new CliException(e.getMessage());
        }
        return InProcessEngine.open(modelDir(), format, device, threads, engineConfig(seed), gpuMemoryUtilization, log);
    }
}
