package dev.pagoda.backend.cpu;

import dev.pagoda.engine.backend.BackendOptions;
import dev.pagoda.engine.backend.ComputeBackend;
import dev.pagoda.engine.backend.ForwardBatch;
import dev.pagoda.engine.backend.Logits;
import dev.pagoda.engine.model.ModelConfig;
import dev.pagoda.engine.model.ModelWeights;

/**
 * The CPU reference backend: fp32 arithmetic with the JDK Vector API, weights read in place (the
 * big matrices from a copy on huge pages where the OS allows it, {@link HugePages}).
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
    private final boolean useHugePages;
    /** The copies of the big matrices on huge pages, or null (off, unavailable, or no model yet). */
    private HugePages hugePages;

    public CpuBackend(BackendOptions options) {
        this.useHugePages = options.hugePages();
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
        CpuWeights.prepare(config, weights); // checks every shape before anything is copied
        if (hugePages != null) hugePages.close(); // a second model: the first one's copies go
        hugePages = useHugePages ? HugePages.ifAvailable().orElse(null) : null;
        this.config = config;
        this.weights = CpuWeights.prepare(config, hugePages == null ? weights : hugePages.place(weights));
        this.forwardPass = new LlamaForwardPass(config, this.weights, pool);
    }

    @Override
    public long kvCacheBytesPerBlock(int blockSize) {
        requireModel();
        return kvCacheBytesPerBlock(config, blockSize);
    }

    /** One KV block of {@code config}'s model in this backend's cache (fp32), every layer, K and V; needs no weights. */
    public static long kvCacheBytesPerBlock(ModelConfig config, int blockSize) {
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

    /** Times every phase of the following forward passes into {@code profile} ({@code null}: off); for probes. */
    void profile(StepProfile profile) {
        requireModel();
        forwardPass.profile(profile);
    }

    private void validate(ForwardBatch b) {
        b.checkFits(config.vocabSize(), cache.numBlocks, cache.blockSize);
    }

    private void requireModel() {
        if (forwardPass == null) throw new IllegalStateException("loadModel must be called first");
    }

    @Override
    public void close() {
        if (cache != null) cache.close();
        cache = null;
        pool.close();
        if (hugePages != null) hugePages.close();
        hugePages = null;
    }
}
