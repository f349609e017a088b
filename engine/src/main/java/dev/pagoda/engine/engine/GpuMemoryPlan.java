package dev.pagoda.engine.engine;

import dev.pagoda.engine.backend.ComputeBackend;
import dev.pagoda.engine.backend.DeviceMemory;
import dev.pagoda.engine.backend.ForwardBatch;
import dev.pagoda.engine.kvcache.BlockTable;

/**
 * How many KV blocks fit on a device at {@code --gpu-memory-utilization} (vLLM's
 * {@code determine_available_memory}): after the weights are loaded, one profiling forward pass of
 * {@code max_num_batched_tokens} tokens measures the activation peak, and the KV cache gets the rest:
 * <pre>
 *   blocks = (utilization × total − usedAfterLoad − activationPeak) / kvCacheBytesPerBlock
 * </pre>
 * Worked example (H100, 79.1 GiB, 0.9): 71.2 GiB allowed; 1.5 GiB used after loading a 0.5B bf16
 * model (weights, CUDA context, cuBLAS workspace); 0.3 GiB of activations at 2048 tokens; 69.4 GiB
 * of KV at 192 KiB a 16-token block (24 layers, 2 KV heads × 64 dims, K and V, bf16) = 379,000 blocks.
 *
 * @param totalBytes       the device's memory
 * @param utilization      the fraction of it Pagoda may use, in (0, 1]
 * @param usedAfterLoad    bytes in use on the device after the weights were loaded
 * @param activationPeak   bytes the profiling forward added (workspaces it grew), the profiling cache excluded
 * @param profiledTokens   tokens in the profiling forward pass
 * @param bytesPerBlock    one KV block, every layer, K and V
 * @param numBlocks        the KV blocks to allocate
 */
public record GpuMemoryPlan(long totalBytes, double utilization, long usedAfterLoad, long activationPeak, int profiledTokens,
                            long bytesPerBlock, int numBlocks) {

    /**
     * Profiles {@code backend} (model loaded, no KV cache needed) and returns the plan. Leaves a
     * small profiling cache allocated; the engine's {@code allocateKvCache} replaces it.
     *
     * @param vocabSize   the model's vocabulary (profiling token ids stay below it)
     * @param maxModelLen the longest sequence: the profiling batch is split into sequences no longer
     */
    public static GpuMemoryPlan profile(ComputeBackend backend, int vocabSize, EngineConfig config, int maxModelLen, double utilization) {
        if (!(utilization > 0 && utilization <= 1)) {
            throw new IllegalArgumentException("--gpu-memory-utilization must be in (0, 1], got " + utilization);
        }
        DeviceMemory afterLoad = backend.deviceMemory().orElseThrow(() -> new IllegalArgumentException(
                "the " + backend.name() + " backend has no device memory to plan; --gpu-memory-utilization is for GPUs"));
        int blockSize = config.blockSize();
        long bytesPerBlock = backend.kvCacheBytesPerBlock(blockSize);
        int tokens = config.maxNumBatchedTokens();
        ForwardBatch batch = profilingBatch(tokens, Math.min(maxModelLen, tokens), blockSize, vocabSize);
        int profileBlocks = BlockTable.blocksNeeded(tokens, blockSize) + batch.numSeqs();
        backend.allocateKvCache(profileBlocks, blockSize);
        backend.forward(batch);
        DeviceMemory afterForward = backend.deviceMemory().orElseThrow();
        long peak = Math.max(0, afterForward.usedBytes() - afterLoad.usedBytes() - profileBlocks * bytesPerBlock);
        return of(afterLoad.totalBytes(), utilization, afterLoad.usedBytes(), peak, tokens, bytesPerBlock, blockSize);
    }

    /**
     * The plan from measured (or, in {@code explain-memory}, estimated) numbers: the formula above.
     *
     * @param blockSize tokens per block (caps the block count so that slot ids stay ints)
     */
    public static GpuMemoryPlan of(long totalBytes, double utilization, long usedAfterLoad, long activationPeak, int profiledTokens,
                                   long bytesPerBlock, int blockSize) {
        long available = (long) (utilization * totalBytes) - usedAfterLoad - activationPeak;
        long blocks = available / bytesPerBlock;
        if (blocks < 1) {
            throw new IllegalArgumentException(String.format(
                    "no memory left for the KV cache: %.2f × %.2f GiB allowed, %.2f GiB used after loading, %.2f GiB of activations; "
                            + "raise --gpu-memory-utilization or lower --max-num-batched-tokens",
                    utilization, gib(totalBytes), gib(usedAfterLoad), gib(activationPeak)));
        }
        blocks = Math.min(blocks, Integer.MAX_VALUE / blockSize); // slot ids are ints
        return new GpuMemoryPlan(totalBytes, utilization, usedAfterLoad, activationPeak, profiledTokens, bytesPerBlock, (int) blocks);
    }

    /** Sequences in the profiling batch: {@code tokens} split into sequences of at most {@code maxModelLen}. */
    public static int profilingSequences(int tokens, int maxModelLen) {
        int seqLen = Math.min(maxModelLen, tokens);
        return (tokens + seqLen - 1) / seqLen;
    }

    /**
     * {@code tokens} prompt tokens (ids cycling through the vocabulary) in sequences of at most
     * {@code seqLen}, each on its own contiguous blocks; logits for the last row of each, like a
     * real prefill step.
     */
    static ForwardBatch profilingBatch(int tokens, int seqLen, int blockSize, int vocabSize) {
        int numSeqs = profilingSequences(tokens, seqLen);
        int[] tokenIds = new int[tokens], positions = new int[tokens], slotMapping = new int[tokens];
        int[] queryStartLoc = new int[numSeqs + 1], seqLens = new int[numSeqs], logitsIndices = new int[numSeqs];
        int[][] blockTables = new int[numSeqs][];
        int row = 0, nextBlock = 0;
        for (int s = 0; s < numSeqs; s++) {
            int len = Math.min(seqLen, tokens - row);
            queryStartLoc[s] = row;
            seqLens[s] = len;
            blockTables[s] = new int[BlockTable.blocksNeeded(len, blockSize)];
            for (int b = 0; b < blockTables[s].length; b++) blockTables[s][b] = nextBlock++;
            for (int p = 0; p < len; p++, row++) {
                tokenIds[row] = row % vocabSize;
                positions[row] = p;
                slotMapping[row] = blockTables[s][p / blockSize] * blockSize + p % blockSize;
            }
            logitsIndices[s] = row - 1;
        }
        queryStartLoc[numSeqs] = row;
        return new ForwardBatch(tokenIds, positions, queryStartLoc, seqLens, blockTables, slotMapping, logitsIndices);
    }

    public long kvCacheBytes() {
        return numBlocks * bytesPerBlock;
    }

    /** The start-up log lines, vLLM's words. */
    public String describe(int blockSize, int maxModelLen) {
        long tokens = (long) numBlocks * blockSize;
        return String.format("GPU memory: %.2f GiB total × %.2f utilization = %.2f GiB; %.2f GiB used after loading the model; "
                        + "activation peak %.2f GiB (profiled at %d tokens); available KV cache memory: %.2f GiB%n"
                        + "GPU KV cache size: %d blocks of %d tokens = %,d tokens%n"
                        + "Maximum concurrency for %,d tokens per request: %.2fx",
                gib(totalBytes), utilization, gib((long) (utilization * totalBytes)), gib(usedAfterLoad), gib(activationPeak), profiledTokens,
                gib(kvCacheBytes()), numBlocks, blockSize, tokens, maxModelLen, numBlocks / (double) BlockTable.blocksNeeded(maxModelLen, blockSize));
    }

    private static double gib(long bytes) {
        return bytes / (double) (1L << 30);
    }
}
