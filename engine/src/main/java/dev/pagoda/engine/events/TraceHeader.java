package dev.pagoda.engine.events;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The first line of a trace file: what a replay needs to rebuild the same engine.
 *
 * @param model               the model directory
 * @param architecture        config.json's architecture (for the reader's information)
 * @param device              the backend that recorded the trace
 * @param blockSize           tokens per KV block
 * @param numBlocks           KV blocks in the pool (a replay allocates exactly these)
 * @param maxNumSeqs          sequences per step
 * @param maxNumBatchedTokens tokens per step
 * @param maxModelLen         the effective context length
 * @param enablePrefixCaching whether full blocks are shared across requests
 * @param seed                the engine's sampling seed
 */
public record TraceHeader(String model, String architecture, String device, int blockSize, int numBlocks, int maxNumSeqs,
                          int maxNumBatchedTokens, int maxModelLen, boolean enablePrefixCaching, long seed) {
    /** The format's version; a reader refuses others. */
    public static final int VERSION = 1;

    public Map<String, Object> toJson() {
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("block_size", blockSize);
        config.put("num_gpu_blocks", numBlocks);
        config.put("max_num_seqs", maxNumSeqs);
        config.put("max_num_batched_tokens", maxNumBatchedTokens);
        config.put("max_model_len", maxModelLen);
        config.put("enable_prefix_caching", enablePrefixCaching);
        config.put("seed", seed);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("pagoda_trace", VERSION);
        m.put("model", model);
        m.put("architecture", architecture);
        m.put("device", device);
        m.put("engine_config", config);
        return m;
    }

    /** Parses a header line; {@code where} prefixes every error ({@code FILE line 1}). */
    public static TraceHeader fromJson(Map<String, Object> m, String where) {
        if (!(m.get("pagoda_trace") instanceof Number v)) {
            throw new IllegalArgumentException(where + ": not a Pagoda trace (the first line has no \"pagoda_trace\" version)");
        }
        if (v.intValue() != VERSION) throw new IllegalArgumentException(where + ": trace format version " + v + ", this Pagoda reads " + VERSION);
        if (!(m.get("engine_config") instanceof Map<?, ?> c)) throw new IllegalArgumentException(where + ".engine_config: expected an object");
        return new TraceHeader(text(m, "model", where), text(m, "architecture", where), text(m, "device", where),
                integer(c, "block_size", where), integer(c, "num_gpu_blocks", where), integer(c, "max_num_seqs", where),
                integer(c, "max_num_batched_tokens", where), integer(c, "max_model_len", where), bool(c, "enable_prefix_caching", where),
                integer(c, "seed", where));
    }

    private static String text(Map<?, ?> m, String key, String where) {
        if (!(m.get(key) instanceof String s)) throw new IllegalArgumentException(where + "." + key + ": expected a string, got " + m.get(key));
        return s;
    }

    private static int integer(Map<?, ?> m, String key, String where) {
        if (!(m.get(key) instanceof Number n) || n.doubleValue() != Math.rint(n.doubleValue())) {
            throw new IllegalArgumentException(where + ".engine_config." + key + ": expected an integer, got " + m.get(key));
        }
        return n.intValue();
    }

    private static boolean bool(Map<?, ?> m, String key, String where) {
        if (!(m.get(key) instanceof Boolean b)) throw new IllegalArgumentException(where + ".engine_config." + key + ": expected true or false");
        return b;
    }
}
