package dev.pagoda.conformance.lessons;

import dev.pagoda.engine.backend.BackendOptions;
import dev.pagoda.engine.backend.ComputeBackend;
import dev.pagoda.engine.backend.ComputeBackends;
import dev.pagoda.engine.engine.EngineConfig;
import dev.pagoda.engine.engine.LlmEngine;
import dev.pagoda.engine.model.LoadFormat;
import dev.pagoda.engine.model.LoadedModel;
import dev.pagoda.engine.model.ModelLoader;
import dev.pagoda.engine.sampling.SamplingParams;
import dev.pagoda.engine.sequence.Sequence;
import dev.pagoda.engine.testing.Fixtures;
import dev.pagoda.engine.tokenizer.Tokenizer;

/** What the lessons share: stories260K on the CPU backend, and sequences made of plain token ids. */
final class Lessons {
    private Lessons() {}

    /** stories260K loaded into a one-thread CPU backend (no KV cache yet). Close both when done. */
    record Model(LoadedModel loaded, ComputeBackend backend) implements AutoCloseable {
        static Model stories260k() {
            LoadedModel loaded = ModelLoader.load(Fixtures.stories260k(), LoadFormat.SAFETENSORS);
            ComputeBackend backend = ComputeBackends.create("cpu", new BackendOptions(1));
            backend.loadModel(loaded.config(), loaded.weights());
            return new Model(loaded, backend);
        }

        /** An engine over this model with {@code config}; it allocates its own KV cache in the backend. */
        LlmEngine engine(EngineConfig config) {
            return new LlmEngine(backend, loaded.config(), loaded.generationConfig(), Tokenizer.fromDirectory(Fixtures.stories260k()), config);
        }

        @Override
        public void close() {
            backend.close();
            loaded.close();
        }
    }

    /** stories260K's ids for {@code text}, BOS first. */
    static int[] encode(String text) {
        return Tokenizer.fromDirectory(Fixtures.stories260k()).encode(text, true);
    }

    /** A waiting sequence with {@code prompt}, as the engine would create it (greedy, up to 16 new tokens). */
    static Sequence sequence(long seqId, int... prompt) {
        return sequenceWithMaxTokens(seqId, 16, prompt);
    }

    /** The same with room for {@code maxTokens} new tokens (the scheduler rejects what the cache could never hold). */
    static Sequence sequenceWithMaxTokens(long seqId, int maxTokens, int... prompt) {
        return new Sequence(seqId, "req-" + seqId, 0, prompt, maxTokens, seqId, 0, null, SamplingParams.builder().temperature(0).build());
    }

    /** Engine settings for the lessons: small blocks so that block boundaries show up in short prompts. */
    static EngineConfig config(int blockSize, int numKvBlocks) {
        return EngineConfig.defaults().withBlockSize(blockSize).withNumKvBlocks(numKvBlocks);
    }
}
