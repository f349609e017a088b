package dev.pagoda.backend.cuda;

import dev.pagoda.engine.backend.BackendOptions;
import dev.pagoda.engine.backend.ComputeBackend;
import dev.pagoda.engine.backend.DeviceMemory;
import dev.pagoda.engine.backend.ForwardBatch;
import dev.pagoda.engine.backend.Logits;
import dev.pagoda.engine.model.ModelConfig;
import dev.pagoda.engine.model.ModelWeights;

/**
 * The CUDA backend: weights in bf16 on device 0, the paged KV cache in bf16 in the layout both
 * backends share, kernels compiled from the .cu files beside their launchers (PTX in the jar),
 * linear layers through cuBLAS (bf16 × bf16, fp32 accumulation). Checked against the CPU reference
 * by conformance/…/cuda.
 *
 * <p>Decode steps (one new token per sequence, up to 256 sequences) replay a CUDA graph per padded
 * batch size ({@link DecodeGraphs}); everything else launches eagerly. {@link #deviceMemory}
 * feeds the engine's GpuMemoryPlan; {@link CudaSelfCheck} compares it with the CPU before serving.
 * {@link #deviceSampler} (opt-in) samples on the GPU with {@link CudaSampler}.
 */
public final class CudaBackend implements ComputeBackend {
    private static final System.Logger LOG = System.getLogger(CudaBackend.class.getName());
    private final CudaContext cuda;
    private final Cublas cublas;
    private ModelConfig config;
    private CudaWeights weights;
    private CudaForwardPass forwardPass;
    private DecodeGraphs decodeGraphs;
    private CudaKvCache cache;
    private boolean useCudaGraphs = !"false".equals(System.getProperty("pagoda.cuda.graphs"));
    private boolean deviceSampling = !"host".equals(System.getProperty("pagoda.cuda.sampling", "device"));
    private CudaSampler sampler;
    private long graphSteps, eagerSteps;

    public CudaBackend(BackendOptions options) {
        this.cuda = new CudaContext();
        Cublas b;
        try {
            b = new Cublas(cuda.rawStream);
        } catch (RuntimeException | Error e) {
            cuda.close();
            throw e;
        }
        this.cublas = b;
        // cuBLAS's own workspace, fixed, so that a CUDA graph capture never makes it allocate.
        long workspaceBytes = 32L << 20;
        cublas.setWorkspace(cuda.allocate(workspaceBytes).address(), workspaceBytes);
    }

    @Override
    public String name() {
        return "cuda";
    }

    /** e.g. "NVIDIA H100 80GB HBM3 (sm_90), cuBLAS /usr/local/cuda/lib64/libcublas.so.13". */
    public String describeDevice() {
        return cuda.deviceName + " (sm_" + cuda.computeCapability + "), cuBLAS " + cublas.library()
                + (cuda.programmaticLaunch() ? ", programmatic dependent launch" : "");
    }

    /** The CUDA driver's version, e.g. "13.0" ({@code cuDriverGetVersion}). */
    public String driverVersion() {
        int[] v = new int[1];
        jcuda.driver.JCudaDriver.cuDriverGetVersion(v);
        return v[0] / 1000 + "." + (v[0] % 1000) / 10;
    }

    /** Device 0's memory now; what {@code --gpu-memory-utilization} plans the KV cache from. */
    @Override
    public java.util.Optional<DeviceMemory> deviceMemory() {
        cuda.makeCurrent();
        long[] freeTotal = cuda.memoryInfo();
        return java.util.Optional.of(new DeviceMemory(freeTotal[0], freeTotal[1]));
    }

    @Override
    public void loadModel(ModelConfig config, ModelWeights weights) {
        cuda.makeCurrent();
        this.config = config;
        this.weights = CudaWeights.upload(cuda, config, weights);
        this.forwardPass = new CudaForwardPass(config, cuda, cublas, this.weights);
        this.decodeGraphs = new DecodeGraphs(cuda, forwardPass);
    }

    /**
     * Whether decode steps replay CUDA graphs (the default; {@code -Dpagoda.cuda.graphs=false} turns
     * them off) or launch every kernel eagerly.
     */
    public void setCudaGraphs(boolean enabled) {
        this.useCudaGraphs = enabled;
    }

    /**
     * On the unfused path (more than 8 tokens, or {@link #setFusedDecode} off): whether linear layers
     * of at most 8 rows use Gemv.cu or cuBLAS (the default). Drops captured graphs.
     */
    public void setGemv(boolean enabled) {
        requireModel();
        forwardPass.useGemv = enabled;
        decodeGraphs.dropGraphs(); // captured with the other choice
    }

    /**
     * Whether batches of at most 8 tokens take the fused kernels (the default: RMSNorm, residual
     * add and SiLU-and-mul inside the Gemv.cu linear layers) or the unfused cuBLAS path. Drops captured graphs.
     */
    public void setFusedDecode(boolean enabled) {
        requireModel();
        forwardPass.fusedDecode = enabled;
        decodeGraphs.dropGraphs();
    }

    /**
     * When a decode step of one sequence runs every layer in one persistent kernel (DecodeLayers.cu)
     * instead of five kernels a layer: {@link PersistentDecode#AUTO} by default. Drops captured graphs.
     */
    public void setPersistentDecode(PersistentDecode mode) {
        requireModel();
        forwardPass.persistentDecode = mode;
        decodeGraphs.dropGraphs();
    }

    /** Whether a decode step of one sequence runs every layer in one persistent kernel now (the mode picks it, and the model fits it). */
    public boolean persistentDecodeApplies() {
        requireModel();
        return forwardPass.persistentKernelApplies();
    }

    /**
     * With {@code -Dpagoda.cuda.persistentDecode.profile=true}, where the persistent kernel's last launch
     * spent its time, per stage (DecodeLayers.stageProfile); empty otherwise.
     */
    public String persistentDecodeProfile() {
        requireModel();
        return forwardPass.persistentStageProfile();
    }

    /**
     * Whether kernels are launched with programmatic dependent launch (the default on Hopper and
     * newer, {@link ProgrammaticLaunch}) or one after the other as plain {@code cuLaunchKernel} does.
     * Drops captured graphs. Returns whether it is on now (never on an older GPU).
     */
    public boolean setProgrammaticLaunch(boolean enabled) {
        requireModel();
        decodeGraphs.dropGraphs();
        return cuda.setProgrammaticLaunch(enabled);
    }

    /**
     * Whether batches that are not pure decode use the prefill attention kernel (the default:
     * PagedAttentionPrefill.cu, tiles of query rows on tensor cores) or the one-pass kernel.
     */
    public void setPrefillAttention(boolean enabled) {
        requireModel();
        forwardPass.prefillAttention = enabled;
    }

    /**
     * Whether decode steps use the decode attention kernel (the default: GQA heads share K/V reads,
     * long contexts split over blocks) or the one-pass kernel. Drops captured graphs.
     */
    public void setDecodeAttention(boolean enabled) {
        requireModel();
        forwardPass.decodeAttention = enabled;
        decodeGraphs.dropGraphs();
    }

    /**
     * Where a graph decode step's host time went (pack, upload, launch, wait for the GPU, download,
     * select rows; µs per step) and the GPU time of replaying the batch-1 graph back to back.
     */
    public String graphStepProfile() {
        long[] p = decodeGraphs.phaseNanos.clone();
        double n = Math.max(1, decodeGraphs.profiledSteps);
        java.util.Arrays.fill(decodeGraphs.phaseNanos, 0);
        decodeGraphs.profiledSteps = 0;
        return String.format("graph step host µs: pack %.0f, upload %.0f, launch %.0f, wait %.0f, download %.0f, select %.0f; GPU replay of the batch-1 graph: %.3f ms",
                p[0] / n / 1e3, p[1] / n / 1e3, p[2] / n / 1e3, p[3] / n / 1e3, p[4] / n / 1e3, p[5] / n / 1e3, decodeGraphs.replayMillis(1, 50));
    }

    /** GPU time (CUDA events) of replaying the last-launched graph of {@code batchSize} back to back, ms per replay. */
    public double graphReplayMillis(int batchSize, int repeats) {
        cuda.makeCurrent();
        return decodeGraphs.replayMillis(DecodeGraphs.paddedSize(batchSize), repeats);
    }

    /** Decode graphs captured so far (at {@link #warmUp}, or on first use of a size and split count). */
    public int capturedGraphs() {
        return decodeGraphs == null ? 0 : decodeGraphs.numCaptured();
    }

    /** "graphs: N steps (K graphs captured), eager: M steps" — which path the forward passes took. */
    public String pathStatistics() {
        return "graphs: " + graphSteps + " steps (" + (decodeGraphs == null ? 0 : decodeGraphs.numCaptured())
                + " graphs captured), eager: " + eagerSteps + " steps";
    }

    /**
     * Whether the engine samples on the GPU ({@link CudaSampler}: the logits never leave the device);
     * on by default, off with {@code -Dpagoda.cuda.sampling=host} (the CPU Sampler on copied logits).
     */
    public void setDeviceSampling(boolean enabled) {
        this.deviceSampling = enabled;
    }

    @Override
    public java.util.Optional<dev.pagoda.engine.backend.DeviceSampler> deviceSampler() {
        return deviceSampling ? java.util.Optional.of(sampler()) : java.util.Optional.empty();
    }

    /** The GPU sampler of this backend's model (Sampling.cu). */
    public CudaSampler sampler() {
        requireModel();
        cuda.makeCurrent();
        if (sampler == null) sampler = new CudaSampler(cuda, this);
        return sampler;
    }

    int vocabSize() {
        requireModel();
        return config.vocabSize();
    }

    @Override
    public long kvCacheBytesPerBlock(int blockSize) {
        requireModel();
        return config.numHiddenLayers() * CudaKvCache.bytesPerBlockPerLayer(blockSize, config.numKeyValueHeads(), config.headDim());
    }

    @Override
    public void allocateKvCache(int numBlocks, int blockSize) {
        requireModel();
        cuda.makeCurrent();
        if (cache != null) cache.free(cuda);
        cache = new CudaKvCache(cuda, config.numHiddenLayers(), numBlocks, blockSize, config.numKeyValueHeads(), config.headDim());
    }

    /** Captures the decode graphs up front ({@link DecodeGraphs#captureAll}), unless graphs are switched off. */
    @Override
    public void warmUp(int maxNumSeqs, int maxModelLen) {
        requireModel();
        if (cache == null) throw new IllegalStateException("allocateKvCache must be called before warmUp");
        if (!useCudaGraphs) return;
        cuda.makeCurrent();
        long t0 = System.nanoTime();
        int captured = decodeGraphs.captureAll(cache, maxNumSeqs, maxModelLen);
        LOG.log(System.Logger.Level.INFO, String.format("captured %d CUDA graphs (decode steps of 1 to %d sequences) in %.2f s",
                captured, Math.min(maxNumSeqs, DecodeGraphs.MAX_BATCH), (System.nanoTime() - t0) / 1e9));
    }

    @Override
    public Logits forward(ForwardBatch batch) {
        requireModel();
        if (cache == null) throw new IllegalStateException("allocateKvCache must be called before forward");
        batch.checkFits(config.vocabSize(), cache.numBlocks, cache.blockSize);
        cuda.makeCurrent();
        if (useCudaGraphs && decodeGraphs.accepts(batch, cache)) {
            graphSteps++;
            return decodeGraphs.forward(batch, cache);
        }
        eagerSteps++;
        return forwardPass.eager(batch, cache);
    }

    /**
     * Queues {@code batch} like {@link #forward} but leaves its logits on the device (no copy to the
     * host) and does not wait for them: the address of {@code [numLogits, vocabSize]} fp32 logits, row i
     * for {@code batch.logitsIndices()[i]}, valid until the next forward, for work queued behind it on
     * the stream. What {@link CudaSampler} reads.
     */
    long forwardOnDevice(ForwardBatch batch) {
        requireModel();
        if (cache == null) throw new IllegalStateException("allocateKvCache must be called before forward");
        batch.checkFits(config.vocabSize(), cache.numBlocks, cache.blockSize);
        cuda.makeCurrent();
        if (useCudaGraphs && decodeGraphs.accepts(batch, cache) && isIdentity(batch.logitsIndices())) {
            graphSteps++;
            return decodeGraphs.replay(batch, cache, false); // a decode step's logits rows are its sequences, in order
        }
        eagerSteps++;
        return forwardPass.eagerOnDevice(batch, cache);
    }

    private static boolean isIdentity(int[] indices) {
        for (int i = 0; i < indices.length; i++) if (indices[i] != i) return false;
        return true;
    }

    /** Bytes of weights one decode step reads: the memory-bandwidth bound of decoding is this ÷ bandwidth. */
    public long weightBytesPerToken() {
        requireModel();
        return weights.matmulBytes();
    }

    /** Device memory bandwidth (bytes read + written per second) of a copy kernel, measured now. */
    public double measureCopyBandwidth(long bytes, int repeats) {
        cuda.makeCurrent();
        return CopyBandwidth.measure(cuda, bytes, repeats);
    }

    /** Waits for all queued GPU work (for timing). */
    public void synchronize() {
        cuda.makeCurrent();
        cuda.synchronize();
    }

    private void requireModel() {
        if (forwardPass == null) throw new IllegalStateException("loadModel must be called first");
    }

    @Override
    public void close() {
        cuda.makeCurrent();
        if (decodeGraphs != null) decodeGraphs.close();
        if (sampler != null) sampler.close();
        cublas.close();
        cuda.close();
    }
}
