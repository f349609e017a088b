package dev.pagoda.engine.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pagoda.engine.backend.ComputeBackend;
import dev.pagoda.engine.backend.DeviceSampler;
import dev.pagoda.engine.backend.ForwardBatch;
import dev.pagoda.engine.backend.Logits;
import dev.pagoda.engine.model.LoadFormat;
import dev.pagoda.engine.model.LoadedModel;
import dev.pagoda.engine.model.ModelConfig;
import dev.pagoda.engine.model.ModelLoader;
import dev.pagoda.engine.model.ModelWeights;
import dev.pagoda.engine.sampling.SampledTokens;
import dev.pagoda.engine.sampling.Sampler;
import dev.pagoda.engine.sampling.SamplingParams;
import dev.pagoda.engine.sampling.SamplingRow;
import dev.pagoda.engine.testing.Fixtures;
import dev.pagoda.engine.tokenizer.Tokenizer;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The optional device-sampling seam ({@link ComputeBackend#deviceSampler()}, used by
 * {@link ModelRunner#executeAndSample}): a backend that "samples on the device" with the CPU
 * {@link Sampler} and the uniforms the engine hands it gives the host path's tokens exactly, greedy
 * and seeded and unseeded (the engine draws every uniform, in row order, either way); steps with
 * prompt-logprob rows and rows the device declines are sampled on the host.
 */
class DeviceSamplingSeamTest {
    private static LoadedModel model;
    private static Tokenizer tokenizer;

    @BeforeAll
    static void load() {
        model = ModelLoader.load(Fixtures.stories260k(), LoadFormat.SAFETENSORS);
        tokenizer = Tokenizer.fromDirectory(Fixtures.stories260k());
    }

    @AfterAll
    static void close() {
        model.close();
    }

    /** FakeBackend with a DeviceSampler that samples its logits with a CPU Sampler, declining rows with logprobs > 2. */
    static final class SamplingBackend implements ComputeBackend, DeviceSampler {
        final FakeBackend inner;
        int deviceSteps, hostSteps; // steps sampled on the "device" / forward passes whose logits went to the host

        SamplingBackend(int vocabSize) {
            inner = new FakeBackend(vocabSize);
        }

        @Override public String name() { return "fake-device-sampling"; }
        @Override public void loadModel(ModelConfig config, ModelWeights weights) {}
        @Override public long kvCacheBytesPerBlock(int blockSize) { return inner.kvCacheBytesPerBlock(blockSize); }
        @Override public void allocateKvCache(int numBlocks, int blockSize) { inner.allocateKvCache(numBlocks, blockSize); }
        @Override public Logits forward(ForwardBatch batch) {
            hostSteps++;
            return inner.forward(batch);
        }
        @Override public Optional<DeviceSampler> deviceSampler() { return Optional.of(this); }
        @Override public void close() {}

        @Override
        public boolean supports(List<SamplingRow> rows) {
            return rows.stream().allMatch(r -> r.params().logprobs().orElse(0) <= 2);
        }

        @Override
        public SampledTokens forwardAndSample(ForwardBatch batch, List<SamplingRow> rows, double[] uniforms, Set<Integer> eosTokenIds) {
            deviceSteps++;
            try (Sampler oracle = new Sampler(eosTokenIds, 12345)) { // its own generator is never used: the uniforms are given
                return oracle.sample(inner.forward(batch), rows, uniforms);
            }
        }
    }

    private static List<RequestOutput> run(ComputeBackend backend, List<SamplingParams> params) {
        LlmEngine engine = new LlmEngine(backend, model.config(), model.generationConfig(), tokenizer,
                EngineConfig.defaults().withBlockSize(4).withNumKvBlocks(128));
        List<int[]> prompts = new ArrayList<>();
        for (String p : List.of("Once upon a time", "The cat", "Lily had a big red ball and", "Tom")) prompts.add(tokenizer.encode(p, true));
        return engine.generate(prompts, params);
    }

    @Test
    void deviceSamplingGivesTheHostTokens() {
        List<SamplingParams> params = List.of(
                SamplingParams.builder().temperature(0).maxTokens(12).build(),
                SamplingParams.builder().temperature(0.9).seed(7).topK(5).maxTokens(12).logprobs(2).build(),
                SamplingParams.builder().temperature(1.1).topP(0.8).maxTokens(12).repetitionPenalty(1.2).build(),
                SamplingParams.builder().temperature(0.7).minP(0.1).frequencyPenalty(0.5).maxTokens(12).build());
        List<RequestOutput> host = run(new FakeBackend(model.config().vocabSize()), params);
        SamplingBackend device = new SamplingBackend(model.config().vocabSize());
        List<RequestOutput> onDevice = run(device, params);
        assertTrue(device.deviceSteps > 0 && device.hostSteps == 0, device.deviceSteps + " device steps, " + device.hostSteps + " host steps");
        for (int i = 0; i < host.size(); i++) {
            CompletionOutput h = host.get(i).outputs().getFirst(), d = onDevice.get(i).outputs().getFirst();
            assertArrayEquals(h.tokenIds(), d.tokenIds(), "request " + i);
            assertEquals(h.text(), d.text());
        }
    }

    @Test
    void promptLogprobsAndDeclinedRowsAreSampledOnTheHost() {
        SamplingBackend device = new SamplingBackend(model.config().vocabSize());
        run(device, List.of(SamplingParams.builder().temperature(0).maxTokens(5).promptLogprobs(1).build()));
        assertEquals(1, device.hostSteps, "the prefill step has prompt-logprob rows: their logits are needed on the host");
        assertEquals(4, device.deviceSteps, "the 4 decode steps after it sample on the device");
        SamplingBackend declined = new SamplingBackend(model.config().vocabSize());
        run(declined, List.of(SamplingParams.builder().temperature(0).maxTokens(5).logprobs(5).build()));
        assertEquals(0, declined.deviceSteps, "rows the device sampler does not support go to the host");
        assertEquals(5, declined.hostSteps);
    }
}
