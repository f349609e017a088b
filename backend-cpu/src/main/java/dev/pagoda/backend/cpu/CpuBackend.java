package dev.pagoda.backend.cpu;

import dev.pagoda.engine.backend.BackendOptions;
import dev.pagoda.engine.backend.ComputeBackend;
import dev.pagoda.engine.backend.ForwardBatch;
import dev.pagoda.engine.backend.Logits;
import dev.pagoda.engine.model.ModelConfig;
import dev.pagoda.engine.model.ModelWeights;

/**
 * The CPU reference backend: fp32 arithmetic with the JDK Vector API, weights read in place.
 * It is the spec the CUDA backend is checked against, so it favours clarity; the forward pass
 * itself is {@link LlamaForwardPass}, attention {@link PagedAttention}, the cache {@link PagedKvCache}.
 *
 * <p>Before each forward pass it checks the batch against the cache (token ids, slots, block
 * tables), so that a scheduling bug shows up as a clear error rather than as garbage logits or a
 * crash deep inside a kernel.
 *
 * <p>Weights are read by several threads, so their segments must come from a shared, global or
 * automatic arena (a memory-mapped file does), not a confined one.
 */
public final class CpuBackend implements ComputeBackend {
    private final WorkerPool pool;
    private ModelConfig config;
    private CpuWeights weights;
    private LlamaForwardPass forwardPass;
    private PagedKvCache cache;

    public CpuBackend(BackendOptions options) {
        int threads = options.numThreads() == 0 ? Runtime.getRuntime().availableProcessors() : options.numThreads();
        if (threads < 0) throw new IllegalArgumentException("numThreads must be >= 0 (0 = all cores), got " + options.numThreads());
        this.pool = new WorkerPool(threads);
    }

    @Override
    public String name() {
        return "cpu";
    }

    @Override
    public void loadModel(ModelConfig config, ModelWeights weights) {
        this.config = config;
        this.weights = CpuWeights.prepare(config, weights);
        this.forwardPass = new LlamaForwardPass(config, this.weights, pool);
    }

    @Override
    public long kvCacheBytesPerBlock(int blockSize) {
        requireModel();
        return config.numHiddenLayers() * PagedKvCache.bytesPerBlockPerLayer(blockSize, config.numKeyValueHeads(), config.headDim());
    }

    @Override
    public void allocateKvCache(int numBlocks, int blockSize) {
        requireModel();
        if (cache != null) cache.close();
        cache = new PagedKvCache(config.numHiddenLayers(), numBlocks, blockSize, config.numKeyValueHeads(), config.headDim());
    }

    @Override
    public Logits forward(ForwardBatch batch) {
        requireModel();
        if (cache == null) throw new IllegalStateException("allocateKvCache must be called before forward");
        validate(batch);
        return forwardPass.forward(batch, cache);
    }

    @Override
    public float[] forwardHiddenStates(ForwardBatch batch) {
        requireModel();
        if (cache == null) throw new IllegalStateException("allocateKvCache must be called before forwardHiddenStates");
        validate(batch);
        return forwardPass.hiddenStates(batch, cache);
    }

    /** Bytes of weights one decode step reads: the memory-bandwidth bound of decoding is this ÷ bandwidth. */
    public long weightBytesPerToken() {
        requireModel();
        return weights.matmulWeightBytes();
    }

    private void validate(ForwardBatch b) {
        int numSlots = cache.numSlots(), blockSize = cache.blockSize;
        for (int t = 0; t < b.numTokens(); t++) {
            int id = b.tokenIds()[t];
            if (id < 0 || id >= config.vocabSize()) {
                throw new IllegalArgumentException("tokenIds[" + t + "] = " + id + " is outside the vocabulary [0, " + config.vocabSize() + ")");
            }
            int slot = b.slotMapping()[t];
            if (slot < 0 || slot >= numSlots) {
                throw new IllegalArgumentException("slotMapping[" + t + "] = " + slot + " is outside the KV cache [0, " + numSlots + ")");
            }
        }
        for (int s = 0; s < b.numSeqs(); s++) {
            int neededBlocks = (b.seqLens()[s] + blockSize - 1) / blockSize;
            int[] table = b.blockTables()[s];
            if (table.length < neededBlocks) {
                throw new IllegalArgumentException("blockTables[" + s + "] has " + table.length + " blocks, seqLen "
                        + b.seqLens()[s] + " needs " + neededBlocks + " of " + blockSize + " tokens");
            }
            // Attention puts new token i at position contextLen + i; RoPE uses positions[]: they must agree.
            for (int i = 0, row = b.queryStartLoc()[s]; row < b.queryStartLoc()[s + 1]; i++, row++) {
                if (b.positions()[row] != b.contextLen(s) + i) {
                    throw new IllegalArgumentException("positions[" + row + "] = " + b.positions()[row] + " but sequence " + s
                            + " has " + b.contextLen(s) + " cached tokens, so its new token " + i + " is at position " + (b.contextLen(s) + i));
                }
            }
            for (int i = 0; i < neededBlocks; i++) {
                if (table[i] < 0 || table[i] >= cache.numBlocks) {
                    throw new IllegalArgumentException("blockTables[" + s + "][" + i + "] = " + table[i] + " is not a block id in [0, " + cache.numBlocks + ")");
                }
            }
        }
    }

    private void requireModel() {
        if (forwardPass == null) throw new IllegalStateException("loadModel must be called first");
    }

    @Override
    public void close() {
        if (cache != null) cache.close();
        cache = null;
        pool.close();
    }
}
