package dev.pagoda.conformance.cuda;

import dev.pagoda.engine.backend.BackendOptions;
import dev.pagoda.engine.backend.ComputeBackend;
import dev.pagoda.engine.backend.ComputeBackends;
import dev.pagoda.engine.backend.ForwardBatch;
import dev.pagoda.engine.backend.Logits;
import dev.pagoda.engine.model.LoadFormat;
import dev.pagoda.engine.model.LoadedModel;
import dev.pagoda.engine.model.ModelLoader;
import java.nio.file.Path;

/**
 * One model loaded once and given to both backends, each with a paged KV cache of the same
 * geometry, so that the same {@link ForwardBatch} can run through both. Close it to free the GPU
 * and unmap the weights.
 */
final class BackendPair implements AutoCloseable {
    final LoadedModel model;
    final ComputeBackend cpu;
    final ComputeBackend cuda;

    BackendPair(Path modelDir) {
        model = ModelLoader.load(modelDir, LoadFormat.SAFETENSORS);
        ComputeBackend c = null, g = null;
        try {
            c = ComputeBackends.create("cpu", BackendOptions.defaults());
            c.loadModel(model.config(), model.weights());
            g = ComputeBackends.create("cuda", BackendOptions.defaults());
            g.loadModel(model.config(), model.weights());
        } catch (RuntimeException | Error e) {
            if (c != null) c.close();
            if (g != null) g.close();
            model.close();
            throw e;
        }
        cpu = c;
        cuda = g;
    }

    int vocabSize() {
        return model.config().vocabSize();
    }

    /** Fresh (empty) caches of {@code numBlocks} blocks of {@code blockSize} tokens in both backends. */
    void resetCaches(int numBlocks, int blockSize) {
        cpu.allocateKvCache(numBlocks, blockSize);
        cuda.allocateKvCache(numBlocks, blockSize);
    }

    /** [0] = CPU logits, [1] = CUDA logits of the same batch. */
    Logits[] forward(ForwardBatch batch) {
        return new Logits[] {cpu.forward(batch), cuda.forward(batch)};
    }

    @Override
    public void close() {
        try {
            cpu.close();
            cuda.close();
        } finally {
            model.close();
        }
    }
}
