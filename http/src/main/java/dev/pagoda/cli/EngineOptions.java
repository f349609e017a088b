package dev.pagoda.cli;

import dev.pagoda.engine.engine.EngineConfig;
import picocli.CommandLine.Option;

/**
 * The engine's scheduler and KV-cache flags, shared by {@code generate} and {@code serve} (a picocli
 * mixin), with vLLM's names. Unset options take {@link EngineConfig#defaults()}.
 */
public final class EngineOptions {
    private static final EngineConfig DEFAULTS = EngineConfig.defaults();

    @Option(names = "--block-size", paramLabel = "TOKENS", description = "tokens per KV-cache block (default: ${DEFAULT-VALUE})")
    int blockSize = DEFAULTS.blockSize();

    @Option(names = "--kv-cache-memory", paramLabel = "BYTES",
            description = "memory for the KV cache: bytes, or 512M, 4G, 4GiB (default: "
                    + (EngineConfig.DEFAULT_KV_CACHE_MEMORY >> 20) + "M)")
    String kvCacheMemory;

    @Option(names = "--max-num-seqs", paramLabel = "N", description = "sequences per engine step (default: ${DEFAULT-VALUE})")
    int maxNumSeqs = DEFAULTS.maxNumSeqs();

    @Option(names = "--max-num-batched-tokens", paramLabel = "N", description = "tokens per engine step (default: ${DEFAULT-VALUE})")
    int maxNumBatchedTokens = DEFAULTS.maxNumBatchedTokens();

    @Option(names = "--max-model-len", paramLabel = "TOKENS", description = "context length; 0: the model's (default: ${DEFAULT-VALUE})")
    int maxModelLen;

    /** Null when neither form is given: on, as in vLLM. Picocli adds the --no- form. */
    @Option(names = "--enable-prefix-caching", negatable = true, description = "reuse the KV blocks of shared prompt prefixes (default: on)")
    Boolean enablePrefixCaching;

    @Option(names = "--seed", paramLabel = "N", description = "the random seed of requests that set none (default: ${DEFAULT-VALUE})")
    int seed;

    @Option(names = "--stream-interval", paramLabel = "TOKENS", description = "hand out a request's output once this many tokens are new "
            + "(its first and last at once): fewer stream chunks and wake-ups per token, a burstier stream (default: ${DEFAULT-VALUE}: every step)")
    int streamInterval = 1;

    /** The engine configuration; {@code numKvBlocks} (0: sized from memory) comes from each command's own flag. */
    EngineConfig toEngineConfig(int numKvBlocks) {
        try {
            return new EngineConfig(blockSize, numKvBlocks, bytes(kvCacheMemory, DEFAULTS.kvCacheMemoryBytes()),
                    maxNumSeqs, maxNumBatchedTokens, maxModelLen, enablePrefixCaching == null || enablePrefixCaching, seed, streamInterval);
        } catch (IllegalArgumentException e) {
            throw new CliException(e.getMessage());
        }
    }

    /** {@code 1073741824}, {@code 512M}, {@code 4G}, {@code 4GiB} (binary units). */
    public static long bytes(String v, long defaultValue) {
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
}
