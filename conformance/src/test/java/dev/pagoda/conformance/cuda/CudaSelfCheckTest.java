package dev.pagoda.conformance.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pagoda.backend.cuda.CudaBackend;
import dev.pagoda.backend.cuda.CudaSelfCheck;
import dev.pagoda.engine.backend.BackendOptions;
import dev.pagoda.engine.backend.ComputeBackend;
import dev.pagoda.engine.backend.ComputeBackends;
import dev.pagoda.engine.backend.ForwardBatch;
import dev.pagoda.engine.backend.Logits;
import dev.pagoda.engine.model.LoadFormat;
import dev.pagoda.engine.model.LoadedModel;
import dev.pagoda.engine.model.ModelConfig;
import dev.pagoda.engine.model.ModelLoader;
import dev.pagoda.engine.model.ModelWeights;
import dev.pagoda.engine.testing.Fixtures;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The self-check {@code serve --device cuda} runs before serving: on the CPU, the reference against
 * itself passes and against a backend with one wrong logit per row fails; on the GPU, CUDA passes
 * on stories260K.
 */
class CudaSelfCheckTest {
    /** "Once upon a time" and a few more stories260K tokens; any ids below the vocabulary do. */
    static final int[] PROMPT = {1, 403, 407, 261, 378, 261, 292, 302, 270, 314, 356, 260, 271, 350};

    @Test
    void referenceAgainstItselfPasses() {
        try (LoadedModel model = ModelLoader.load(Fixtures.stories260k(), LoadFormat.SAFETENSORS);
             ComputeBackend a = cpu(model); ComputeBackend b = cpu(model)) {
            CudaSelfCheck.Report report = CudaSelfCheck.run(a, b, "cpu", "-", "float32", PROMPT, 4, false);
            assertTrue(report.passed(), report.format());
            assertEquals(PROMPT.length, report.positions().size());
            assertTrue(report.format().contains("result: PASS"), report.format());
            assertEquals(0.0, report.positions().get(5).comparison().maxAbsDiff(), "same backend, same inputs, same logits");
        }
    }

    @Test
    void aWrongLogitFailsAndIsReportedPerPosition() {
        try (LoadedModel model = ModelLoader.load(Fixtures.stories260k(), LoadFormat.SAFETENSORS);
             ComputeBackend a = cpu(model); ComputeBackend b = new OffByOne(cpu(model))) {
            CudaSelfCheck.Report report = CudaSelfCheck.run(a, b, "fake", "-", "float32", PROMPT, 4, false);
            assertFalse(report.passed());
            assertTrue(report.positions().stream().noneMatch(CudaSelfCheck.Position::passed), report.format());
            assertTrue(report.format().contains("result: FAIL"), report.format());
        }
    }

    @Test
    @Tag("gpu")
    void cudaPassesOnStories260k() {
        try (BackendPair pair = new BackendPair(Fixtures.stories260k())) {
            CudaSelfCheck.Report report = CudaSelfCheck.run(pair.cpu, (CudaBackend) pair.cuda, PROMPT, 16, false);
            System.out.println(report.format());
            assertTrue(report.passed(), report.format());
        }
    }

    private static ComputeBackend cpu(LoadedModel model) {
        ComputeBackend b = ComputeBackends.create("cpu", BackendOptions.defaults());
        b.loadModel(model.config(), model.weights());
        return b;
    }

    /** The reference with logit 0 of every row raised by 5: a bug a real kernel could have (a wrong bias, a stale row). */
    private record OffByOne(ComputeBackend inner) implements ComputeBackend {
        @Override public String name() { return "off-by-one"; }
        @Override public void loadModel(ModelConfig config, ModelWeights weights) { inner.loadModel(config, weights); }
        @Override public long kvCacheBytesPerBlock(int blockSize) { return inner.kvCacheBytesPerBlock(blockSize); }
        @Override public void allocateKvCache(int numBlocks, int blockSize) { inner.allocateKvCache(numBlocks, blockSize); }
        @Override public Logits forward(ForwardBatch batch) {
            Logits l = inner.forward(batch);
            float[] v = l.values().clone();
            for (int r = 0; r < l.numRows(); r++) v[r * l.vocabSize()] += 5f;
            return new Logits(l.numRows(), l.vocabSize(), v);
        }
        @Override public void close() { inner.close(); }
    }
}
