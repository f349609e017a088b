package dev.pagoda.conformance.scheduling;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pagoda.engine.backend.BackendOptions;
import dev.pagoda.engine.backend.ComputeBackend;
import dev.pagoda.engine.backend.ComputeBackends;
import dev.pagoda.engine.engine.CompletionOutput;
import dev.pagoda.engine.engine.EngineConfig;
import dev.pagoda.engine.engine.LlmEngine;
import dev.pagoda.engine.engine.RequestOutput;
import dev.pagoda.engine.kvcache.BlockTable;
import dev.pagoda.engine.model.LoadFormat;
import dev.pagoda.engine.model.LoadedModel;
import dev.pagoda.engine.model.ModelLoader;
import dev.pagoda.engine.sampling.SamplingParams;
import dev.pagoda.engine.testing.Fixtures;
import dev.pagoda.engine.tokenizer.Tokenizer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * "Greedy output is identical under any schedule" (DESIGN.md, Numerics), on the CPU backend with
 * real models: stories260K and the random-weight test models. A reference run serves the requests
 * one at a time, each prompt in one piece; then random engine configurations (fixed seed) serve
 * them all together with small blocks, token budgets down to one token a step (prefill in chunks of
 * a few tokens), few or many sequences at once, KV pools so small that sequences are preempted and
 * recomputed, and prefix caching on and off. Every run must produce bit-identical token ids, text
 * and finish reasons, for greedy and for seeded sampling, with the KV invariants holding after every step.
 */
class ScheduleInvarianceTest {
    private static final Path MODELS = Path.of("conformance/src/test/resources/models");
    private static final int CONFIGS_PER_MODEL = 4;

    static Stream<Arguments> models() {
        List<Arguments> out = new ArrayList<>();
        out.add(Arguments.of("stories260k", Fixtures.stories260k()));
        for (String name : List.of("llama2-mha-tied-bf16", "llama3-rope-gqa4", "mistral-gqa4-f16",
                "qwen2-bias-gqa2-tied", "qwen3-gqa8-tied", "qwen3-qknorm-hd32-bf16")) {
            out.add(Arguments.of(name, Fixtures.repo(MODELS.resolve(name).toString())));
        }
        return out.stream();
    }

    /** One workload: prompts (short, long, some sharing a prefix) and their sampling parameters. */
    private record Workload(List<int[]> prompts, List<SamplingParams> params, int longestSeq) {
        static Workload random(Random rnd, int vocabSize) {
            int[] sharedPrefix = randomIds(rnd, 17, vocabSize);
            List<int[]> prompts = new ArrayList<>();
            List<SamplingParams> params = new ArrayList<>();
            int longest = 0;
            for (int i = 0; i < 7; i++) {
                int len = switch (i % 3) { case 0 -> 1 + rnd.nextInt(4); case 1 -> 12 + rnd.nextInt(24); default -> 18 + rnd.nextInt(10); };
                int[] p = randomIds(rnd, len, vocabSize);
                if (i % 3 == 2) System.arraycopy(sharedPrefix, 0, p, 0, sharedPrefix.length); // a known shared prefix
                p[0] = 1; // BOS
                int maxTokens = 4 + rnd.nextInt(9);
                SamplingParams.Builder b = SamplingParams.builder().maxTokens(maxTokens).ignoreEos(true);
                if (i == 3) b.temperature(0.9).seed(1234).n(2);       // seeded, n > 1
                else if (i == 5) b.temperature(0.7).topK(20).seed(99); // seeded with top-k
                else b.temperature(0);                                // greedy
                prompts.add(p);
                params.add(b.build());
                longest = Math.max(longest, len + maxTokens);
            }
            return new Workload(prompts, params, longest);
        }
    }

    private static int[] randomIds(Random rnd, int len, int vocabSize) {
        int[] a = new int[len];
        for (int i = 0; i < len; i++) a[i] = 3 + rnd.nextInt(vocabSize - 3);
        return a;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("models")
    void outputsAreBitIdenticalUnderEverySchedule(String name, Path dir) {
        Tokenizer tokenizer = Tokenizer.fromDirectory(Fixtures.stories260k()); // the random models have none; ids < 512 decode
        try (LoadedModel model = ModelLoader.load(dir, LoadFormat.SAFETENSORS);
                ComputeBackend backend = ComputeBackends.create("cpu", new BackendOptions(1))) {
            backend.loadModel(model.config(), model.weights());
            Random rnd = new Random(name.hashCode());
            Workload w = Workload.random(rnd, model.config().vocabSize());

            // Reference: one request at a time, each prompt in one step, no prefix caching.
            EngineConfig reference = EngineConfig.defaults().withBlockSize(16).withNumKvBlocks(64).withMaxNumSeqs(1)
                    .withMaxNumBatchedTokens(4096).withEnablePrefixCaching(false);
            List<RequestOutput> expected = run(new LlmEngine(backend, model.config(), model.generationConfig(), tokenizer, reference), w);

            long preemptions = 0;
            for (int c = 0; c < CONFIGS_PER_MODEL; c++) {
                int blockSize = new int[] {1, 2, 3, 4, 8, 16}[rnd.nextInt(6)];
                int minBlocks = BlockTable.blocksNeeded(w.longestSeq() - 1, blockSize);
                // Run 0: a budget of 1-3 tokens a step (prefill in tiny chunks). Runs 1 and 2: a pool that holds
                // only the longest sequence, shared by up to 8 (preemption). Run 3: anything.
                boolean tinyPool = c == 1 || c == 2 || (c == 3 && rnd.nextBoolean());
                EngineConfig config = EngineConfig.defaults().withBlockSize(blockSize)
                        .withNumKvBlocks(tinyPool ? minBlocks : minBlocks * (2 + rnd.nextInt(6)))
                        .withMaxNumSeqs(tinyPool ? 4 + rnd.nextInt(5) : 1 + rnd.nextInt(8))
                        .withMaxNumBatchedTokens(c == 0 ? 1 + rnd.nextInt(3) : 8 + rnd.nextInt(64))
                        .withEnablePrefixCaching(c == 2 || (c != 1 && rnd.nextBoolean()));
                LlmEngine engine = new LlmEngine(backend, model.config(), model.generationConfig(), tokenizer, config);
                List<RequestOutput> actual = run(engine, w);
                preemptions += engine.numPreemptions();
                for (int i = 0; i < expected.size(); i++) {
                    assertSame(expected.get(i), actual.get(i), name + " prompt " + i + " under " + config);
                }
            }
            assertTrue(preemptions > 0, name + ": the small pools should have forced a preemption");
        }
    }

    private static void assertSame(RequestOutput expected, RequestOutput actual, String where) {
        assertEquals(expected.outputs().size(), actual.outputs().size(), where);
        for (int k = 0; k < expected.outputs().size(); k++) {
            CompletionOutput e = expected.outputs().get(k), a = actual.outputs().get(k);
            assertArrayEquals(e.tokenIds(), a.tokenIds(), where + " completion " + k);
            assertEquals(e.text(), a.text(), where + " completion " + k);
            assertEquals(e.finishReason(), a.finishReason(), where + " completion " + k);
        }
    }

    /** Serves the workload, checking the KV invariants after every step; final outputs in prompt order. */
    private static List<RequestOutput> run(LlmEngine engine, Workload w) {
        int n = w.prompts().size();
        for (int i = 0; i < n; i++) engine.addRequest(Integer.toString(i), w.prompts().get(i), w.params().get(i), 0);
        RequestOutput[] finals = new RequestOutput[n];
        while (engine.hasUnfinishedRequests()) {
            for (RequestOutput o : engine.step().outputs()) if (o.finished()) finals[Integer.parseInt(o.requestId())] = o;
            engine.checkInvariants();
        }
        return List.of(finals);
    }

    @Test
    void prefixCacheHitsAreExactForPromptsSharingAKnownPrefix() {
        Tokenizer tokenizer = Tokenizer.fromDirectory(Fixtures.stories260k());
        try (LoadedModel model = ModelLoader.load(Fixtures.stories260k(), LoadFormat.SAFETENSORS);
                ComputeBackend backend = ComputeBackends.create("cpu", new BackendOptions(1))) {
            backend.loadModel(model.config(), model.weights());
            Random rnd = new Random(7);
            int[] prefix = randomIds(rnd, 40, 512); // 5 full blocks of 8
            prefix[0] = 1;
            List<int[]> prompts = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                int[] p = java.util.Arrays.copyOf(prefix, 40 + 3 + i);
                System.arraycopy(randomIds(rnd, 3 + i, 512), 0, p, 40, 3 + i);
                prompts.add(p);
            }
            SamplingParams greedy = SamplingParams.builder().temperature(0).maxTokens(6).ignoreEos(true).build();
            EngineConfig config = EngineConfig.defaults().withBlockSize(8).withNumKvBlocks(64).withMaxNumSeqs(1);
            LlmEngine cached = new LlmEngine(backend, model.config(), model.generationConfig(), tokenizer, config);
            List<RequestOutput> withCache = cached.generate(prompts, List.of(greedy));
            // The first prompt computes the prefix; each later one (run after it, max_num_seqs 1) reuses its 5 blocks.
            assertEquals(3 * 40, cached.prefixCacheStats().hits());
            assertEquals(0, withCache.get(0).numCachedTokens());
            for (int i = 1; i < 4; i++) assertEquals(40, withCache.get(i).numCachedTokens());

            LlmEngine uncached = new LlmEngine(backend, model.config(), model.generationConfig(), tokenizer, config.withEnablePrefixCaching(false));
            List<RequestOutput> without = uncached.generate(prompts, List.of(greedy));
            assertEquals(0, uncached.prefixCacheStats().hits());
            for (int i = 0; i < 4; i++) assertSame(without.get(i), withCache.get(i), "prompt " + i);
        }
    }
}
