package dev.pagoda.engine.engine;

import dev.pagoda.engine.kvcache.BlockTable;

/**
 * How many KV blocks to allocate, decided once at start-up after the weights are loaded (vLLM's
 * {@code determine_available_memory} + {@code get_kv_cache_config}, with a fixed budget on CPU).
 *
 * <p>Worked example: Qwen2.5-0.5B has 24 layers, 2 KV heads of 64 dims; the CPU cache stores fp32,
 * so one token takes 24 × 2 (K and V) × 2 × 64 × 4 B = 24 KiB and a 16-token block 384 KiB. A 512 MiB
 * budget holds 1365 blocks = 21,840 tokens, i.e. 0.67 sequences of the full 32,768-token context
 * but 85 of 256 tokens.
 *
 * @param numBlocks          blocks to allocate
 * @param bytesPerBlock      one block, every layer, K and V
 * @param maxModelLen        the longest sequence
 * @param maxConcurrency     how many sequences of {@code maxModelLen} tokens fit at once
 */
public record KvCacheSizing(int numBlocks, long bytesPerBlock, int blockSize, int maxModelLen, double maxConcurrency) {

    /**
     * @param numKvBlocks fixed number of blocks, or 0 to derive it from {@code budgetBytes} (capped at
     *                    what {@code maxNumSeqs} sequences of {@code maxModelLen} tokens could use)
     */
    public static KvCacheSizing of(int numKvBlocks, long budgetBytes, long bytesPerBlock, int blockSize, int maxModelLen, int maxNumSeqs) {
        if (bytesPerBlock <= 0) throw new IllegalArgumentException("bytes per KV block must be positive, got " + bytesPerBlock);
        long blocks = numKvBlocks;
        if (numKvBlocks == 0) {
            // From the budget, but no more than maxNumSeqs full-length sequences can ever use.
            long useful = (long) maxNumSeqs * BlockTable.blocksNeeded(maxModelLen, blockSize);
            blocks = Math.min(budgetBytes / bytesPerBlock, useful);
        }
        if (blocks < 1) {
            throw new IllegalArgumentException("the KV cache budget of " + budgetBytes + " bytes does not hold one block of "
                    + bytesPerBlock + " bytes (" + blockSize + " tokens); raise --kv-cache-memory");
        }
        if (blocks > Integer.MAX_VALUE / blockSize) blocks = Integer.MAX_VALUE / blockSize; // slot ids are ints
        int perSeq = BlockTable.blocksNeeded(maxModelLen, blockSize);
        return new KvCacheSizing((int) blocks, bytesPerBlock, blockSize, maxModelLen, (double) blocks / perSeq);
    }

    /** The start-up log line. */
    public String describe() {
        return String.format("KV cache: %d blocks of %d tokens (%.1f MiB), %d tokens; %.2f sequences of max_model_len %d fit",
                numBlocks, blockSize, numBlocks * (double) bytesPerBlock / (1 << 20), (long) numBlocks * blockSize, maxConcurrency, maxModelLen);
    }
}
