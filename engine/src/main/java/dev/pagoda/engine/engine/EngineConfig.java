package dev.pagoda.engine.engine;

/**
 * Engine settings, with vLLM's names and defaults where they make sense on a CPU.
 *
 * @param blockSize            tokens per KV block
 * @param numKvBlocks          KV blocks to allocate; 0 = as many as {@code kvCacheMemoryBytes} holds
 * @param kvCacheMemoryBytes   KV cache budget when {@code numKvBlocks} is 0 (vLLM's {@code VLLM_CPU_KVCACHE_SPACE})
 * @param maxNumSeqs           sequences running at once
 * @param maxNumBatchedTokens  tokens computed per step
 * @param maxModelLen          longest sequence; 0 = the model's {@code max_position_embeddings}
 * @param enablePrefixCaching  share cached full blocks across requests (within a request's n completions they are always shared)
 * @param seed                 seed of the sampler for requests without their own seed
 * @param streamInterval       vLLM's {@code --stream-interval}: a running request's output is handed out
 *                             once at least this many tokens are new since its last one (its first token and
 *                             its end always at once); 1 = every step. Larger values cost fewer outputs,
 *                             stream chunks and wake-ups per token, for a burstier stream
 */
public record EngineConfig(int blockSize, int numKvBlocks, long kvCacheMemoryBytes, int maxNumSeqs,
                           int maxNumBatchedTokens, int maxModelLen, boolean enablePrefixCaching, long seed, int streamInterval) {

    public static final long DEFAULT_KV_CACHE_MEMORY = 512L << 20;

    public EngineConfig {
        if (blockSize < 1) throw new IllegalArgumentException("block_size must be at least 1, got " + blockSize);
        if (numKvBlocks < 0) throw new IllegalArgumentException("num_kv_blocks must be >= 0 (0 = from the memory budget), got " + numKvBlocks);
        if (numKvBlocks == 0 && kvCacheMemoryBytes <= 0) throw new IllegalArgumentException("kv_cache_memory must be positive, got " + kvCacheMemoryBytes);
        if (maxNumSeqs < 1) throw new IllegalArgumentException("max_num_seqs must be at least 1, got " + maxNumSeqs);
        if (maxNumBatchedTokens < 1) throw new IllegalArgumentException("max_num_batched_tokens must be at least 1, got " + maxNumBatchedTokens);
        if (maxModelLen < 0) throw new IllegalArgumentException("max_model_len must be >= 0 (0 = the model's), got " + maxModelLen);
        if (streamInterval < 1) throw new IllegalArgumentException("stream_interval must be at least 1, got " + streamInterval);
    }

    /** Outputs every step (stream interval 1). */
    public EngineConfig(int blockSize, int numKvBlocks, long kvCacheMemoryBytes, int maxNumSeqs, int maxNumBatchedTokens, int maxModelLen,
                        boolean enablePrefixCaching, long seed) {
        this(blockSize, numKvBlocks, kvCacheMemoryBytes, maxNumSeqs, maxNumBatchedTokens, maxModelLen, enablePrefixCaching, seed, 1);
    }

    /** Block size 16, a 512 MiB cache, 256 sequences, 2048 tokens a step, prefix caching on, seed 0. */
    public static EngineConfig defaults() {
        return new EngineConfig(16, 0, DEFAULT_KV_CACHE_MEMORY, 256, 2048, 0, true, 0);
    }

    public EngineConfig withBlockSize(int v) { return new EngineConfig(v, numKvBlocks, kvCacheMemoryBytes, maxNumSeqs, maxNumBatchedTokens, maxModelLen, enablePrefixCaching, seed, streamInterval); }
    public EngineConfig withNumKvBlocks(int v) { return new EngineConfig(blockSize, v, kvCacheMemoryBytes, maxNumSeqs, maxNumBatchedTokens, maxModelLen, enablePrefixCaching, seed, streamInterval); }
    public EngineConfig withKvCacheMemoryBytes(long v) { return new EngineConfig(blockSize, numKvBlocks, v, maxNumSeqs, maxNumBatchedTokens, maxModelLen, enablePrefixCaching, seed, streamInterval); }
    public EngineConfig withMaxNumSeqs(int v) { return new EngineConfig(blockSize, numKvBlocks, kvCacheMemoryBytes, v, maxNumBatchedTokens, maxModelLen, enablePrefixCaching, seed, streamInterval); }
    public EngineConfig withMaxNumBatchedTokens(int v) { return new EngineConfig(blockSize, numKvBlocks, kvCacheMemoryBytes, maxNumSeqs, v, maxModelLen, enablePrefixCaching, seed, streamInterval); }
    public EngineConfig withMaxModelLen(int v) { return new EngineConfig(blockSize, numKvBlocks, kvCacheMemoryBytes, maxNumSeqs, maxNumBatchedTokens, v, enablePrefixCaching, seed, streamInterval); }
    public EngineConfig withEnablePrefixCaching(boolean v) { return new EngineConfig(blockSize, numKvBlocks, kvCacheMemoryBytes, maxNumSeqs, maxNumBatchedTokens, maxModelLen, v, seed, streamInterval); }
    public EngineConfig withStreamInterval(int v) { return new EngineConfig(blockSize, numKvBlocks, kvCacheMemoryBytes, maxNumSeqs, maxNumBatchedTokens, maxModelLen, enablePrefixCaching, seed, v); }
    public EngineConfig withSeed(long v) { return new EngineConfig(blockSize, numKvBlocks, kvCacheMemoryBytes, maxNumSeqs, maxNumBatchedTokens, maxModelLen, enablePrefixCaching, v, streamInterval); }
}
