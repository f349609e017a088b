package dev.pagoda.engine.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pagoda.engine.backend.ComputeBackend;
import dev.pagoda.engine.backend.DeviceMemory;
import dev.pagoda.engine.backend.ForwardBatch;
import dev.pagoda.engine.backend.Logits;
import dev.pagoda.engine.model.ModelConfig;
import dev.pagoda.engine.model.ModelWeights;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class GpuMemoryPlanTest {
    private static final long MIB = 1L << 20;

    /** A pretend device of 1000 MiB: 100 MiB used after loading; a forward grows a workspace by 2 KiB per token. */
    static final class FakeDevice implements ComputeBackend {
        long used = 100 * MIB, cache, workspace;
        ForwardBatch lastBatch;

        @Override public String name() { return "fake"; }
        @Override public void loadModel(ModelConfig config, ModelWeights weights) {}
        @Override public long kvCacheBytesPerBlock(int blockSize) { return blockSize * 1024L; }
        @Override public void allocateKvCache(int numBlocks, int blockSize) { cache = numBlocks * kvCacheBytesPerBlock(blockSize); }
        @Override public Logits forward(ForwardBatch batch) {
            lastBatch = batch;
            workspace = Math.max(workspace, batch.numTokens() * 2048L);
            return new Logits(batch.logitsIndices().length, 4, new float[batch.logitsIndices().length * 4]);
        }
        @Override public Optional<DeviceMemory> deviceMemory() {
            long total = 1000 * MIB;
            return Optional.of(new DeviceMemory(total - used - cache - workspace, total));
        }
        @Override public void close() {}
    }

    @Test
    void kvCacheGetsWhatUtilizationLeavesAfterWeightsAndActivations() {
        FakeDevice device = new FakeDevice();
        EngineConfig config = EngineConfig.defaults().withMaxNumBatchedTokens(2048);
        GpuMemoryPlan plan = GpuMemoryPlan.profile(device, 4, config, 512, 0.5);
        assertEquals(100 * MIB, plan.usedAfterLoad());
        assertEquals(2048 * 2048L, plan.activationPeak(), "the profiling cache must not count as activations");
        long expectedBlocks = (500 * MIB - 100 * MIB - 4 * MIB) / (16 * 1024L);
        assertEquals(expectedBlocks, plan.numBlocks());
        // 2048 tokens at max_model_len 512: four prefills of 512, logits for each one's last row.
        assertEquals(2048, device.lastBatch.numTokens());
        assertEquals(4, device.lastBatch.numSeqs());
        assertEquals(511, device.lastBatch.logitsIndices()[0]);
        assertTrue(plan.describe(16, 512).contains("GPU KV cache size: " + expectedBlocks + " blocks"), plan.describe(16, 512));
    }

    @Test
    void tooLittleMemoryNamesTheFlag() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> GpuMemoryPlan.profile(new FakeDevice(), 4, EngineConfig.defaults(), 512, 0.1));
        assertTrue(e.getMessage().contains("--gpu-memory-utilization"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> GpuMemoryPlan.profile(new FakeDevice(), 4, EngineConfig.defaults(), 512, 1.5));
    }
}
