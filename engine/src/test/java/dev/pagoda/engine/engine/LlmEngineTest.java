package dev.pagoda.engine.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pagoda.engine.backend.Logits;
import dev.pagoda.engine.model.LoadFormat;
import dev.pagoda.engine.model.LoadedModel;
import dev.pagoda.engine.model.ModelLoader;
import dev.pagoda.engine.sampling.FinishReason;
import dev.pagoda.engine.sampling.Sampler;
import dev.pagoda.engine.sampling.SamplingParams;
import dev.pagoda.engine.sampling.TokenLogprobs;
import dev.pagoda.engine.testing.Fixtures;
import dev.pagoda.engine.tokenizer.Tokenizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The engine loop over {@link FakeBackend} (a hash "model" whose cache reads check every slot), with
 * stories260K's config and tokenizer: outputs equal the reference under every schedule, and the
 * engine's bookkeeping (n > 1, stop strings, abort, rejections) behaves.
 */
class LlmEngineTest {
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

    private static LlmEngine engine(EngineConfig config) {
        return new LlmEngine(new FakeBackend(model.config().vocabSize()), model.config(), model.generationConfig(), tokenizer, config);
    }

    private static final EngineConfig SMALL = EngineConfig.defaults().withBlockSize(4).withNumKvBlocks(64);

    /** Greedy reference: the fake model's tokens until EOS (id 2) or maxTokens. */
    private static int[] reference(int[] prompt, int maxTokens) {
        int[] seq = Arrays.copyOf(prompt, prompt.length + maxTokens);
        int len = prompt.length;
        for (int i = 0; i < maxTokens; i++) {
            int next = FakeBackend.nextToken(seq, len, model.config().vocabSize());
            seq[len++] = next;
            if (next == 2) break;
        }
        return Arrays.copyOfRange(seq, prompt.length, len);
    }

    private static List<int[]> prompts(Random rnd, int count, int[] sharedPrefix) {
        List<int[]> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            int len = 1 + rnd.nextInt(rnd.nextBoolean() ? 6 : 40);
            int[] p = new int[len];
            for (int j = 0; j < len; j++) p[j] = j < sharedPrefix.length ? sharedPrefix[j] : 3 + rnd.nextInt(500);
            out.add(p);
        }
        return out;
    }

    /** Runs to completion, checking the invariants after every step. */
    private static List<RequestOutput> runChecked(LlmEngine e, List<int[]> prompts, List<SamplingParams> params) {
        List<RequestOutput> finals = new ArrayList<>();
        for (int i = 0; i < prompts.size(); i++) e.addRequest("r" + i, prompts.get(i), params.get(params.size() == 1 ? 0 : i), 0);
        for (int i = 0; i < prompts.size(); i++) finals.add(null);
        while (e.hasUnfinishedRequests()) {
            StepOutput step = e.step();
            e.checkInvariants();
            for (RequestOutput o : step.outputs()) if (o.finished()) finals.set(Integer.parseInt(o.requestId().substring(1)), o);
        }
        return finals;
    }

    @Test
    void greedyOutputsMatchTheReferenceUnderRandomSchedules() {
        Random rnd = new Random(4);
        int[] shared = {5, 6, 7, 8, 9, 10, 11, 12, 13, 14};
        for (int trial = 0; trial < 25; trial++) {
            int blockSize = 1 + rnd.nextInt(8);
            int maxTokens = 1 + rnd.nextInt(20);
            List<int[]> prompts = prompts(rnd, 1 + rnd.nextInt(12), rnd.nextBoolean() ? shared : new int[0]);
            int longest = prompts.stream().mapToInt(p -> p.length).max().orElseThrow() + maxTokens;
            int minBlocks = (longest + blockSize - 1) / blockSize;
            EngineConfig config = EngineConfig.defaults().withBlockSize(blockSize)
                    .withNumKvBlocks(minBlocks + rnd.nextInt(3 * minBlocks))
                    .withMaxNumSeqs(1 + rnd.nextInt(8))
                    .withMaxNumBatchedTokens(1 + rnd.nextInt(rnd.nextBoolean() ? 4 : 64))
                    .withEnablePrefixCaching(rnd.nextBoolean());
            LlmEngine e = engine(config);
            List<RequestOutput> outs = runChecked(e, prompts, List.of(SamplingParams.builder().temperature(0).maxTokens(maxTokens).build()));
            for (int i = 0; i < prompts.size(); i++) {
                assertArrayEquals(reference(prompts.get(i), maxTokens), outs.get(i).outputs().getFirst().tokenIds(),
                        "trial " + trial + " prompt " + i + " under " + config);
            }
        }
    }

    /** The fake model's prompt logprobs: row p - 1 is one-hot at nextToken(prompt[0 ..< p]). */
    private static List<TokenLogprobs> referencePromptLogprobs(int[] prompt, int numLogprobs) {
        int vocab = model.config().vocabSize();
        List<TokenLogprobs> out = new ArrayList<>();
        out.add(null);
        for (int p = 1; p < prompt.length; p++) {
            float[] row = new float[vocab];
            row[FakeBackend.nextToken(prompt, p, vocab)] = 1f;
            out.add(Sampler.promptLogprobs(new Logits(1, vocab, row), 0, prompt[p], numLogprobs));
        }
        return out;
    }

    private static void assertSameLogprobs(List<TokenLogprobs> expected, List<TokenLogprobs> actual, String where) {
        assertEquals(expected.size(), actual.size(), where);
        for (int p = 0; p < expected.size(); p++) {
            TokenLogprobs e = expected.get(p), a = actual.get(p);
            if (e == null) { assertNull(a, where + " position " + p); continue; }
            assertEquals(e.tokenId(), a.tokenId(), where + " position " + p);
            assertEquals(e.logprob(), a.logprob(), where + " position " + p);
            assertEquals(e.rank(), a.rank(), where + " position " + p);
            assertArrayEquals(e.topTokenIds(), a.topTokenIds(), where + " position " + p);
            assertArrayEquals(e.topLogprobs(), a.topLogprobs(), where + " position " + p);
        }
    }

    @Test
    void promptLogprobsMatchTheReferenceUnderRandomSchedules() {
        Random rnd = new Random(11);
        int[] shared = {5, 6, 7, 8, 9, 10, 11, 12, 13, 14};
        for (int trial = 0; trial < 20; trial++) {
            int blockSize = 1 + rnd.nextInt(8);
            List<int[]> prompts = prompts(rnd, 2 + rnd.nextInt(8), shared);
            int longest = prompts.stream().mapToInt(p -> p.length).max().orElseThrow() + 4;
            int minBlocks = (longest + blockSize - 1) / blockSize;
            EngineConfig config = EngineConfig.defaults().withBlockSize(blockSize)
                    .withNumKvBlocks(minBlocks + rnd.nextInt(3 * minBlocks))
                    .withMaxNumSeqs(1 + rnd.nextInt(8))
                    .withMaxNumBatchedTokens(1 + rnd.nextInt(rnd.nextBoolean() ? 4 : 64))
                    .withEnablePrefixCaching(rnd.nextBoolean());
            LlmEngine e = engine(config);
            // Every other prompt asks for prompt logprobs (some with n = 2); the rest may fill the prefix cache first.
            List<SamplingParams> params = new ArrayList<>();
            for (int i = 0; i < prompts.size(); i++) {
                SamplingParams.Builder b = SamplingParams.builder().temperature(0).maxTokens(4).ignoreEos(true);
                if (i % 2 == 1) b.promptLogprobs(i % 4 == 1 ? 3 : 0);
                if (i % 6 == 3) b.temperature(0.8).seed(7).n(2); // n > 1: one set of prompt logprobs for the request
                params.add(b.build());
            }
            List<RequestOutput> outs = runChecked(e, prompts, params);
            for (int i = 0; i < prompts.size(); i++) {
                String where = "trial " + trial + " prompt " + i + " under " + config;
                if (i % 6 != 3) assertArrayEquals(reference(prompts.get(i), 4), outs.get(i).outputs().getFirst().tokenIds(), where);
                if (i % 2 == 0) {
                    assertNull(outs.get(i).promptLogprobs(), where);
                } else {
                    assertEquals(0, outs.get(i).numCachedTokens(), where + ": a prompt-logprobs request must skip the prefix cache");
                    assertSameLogprobs(referencePromptLogprobs(prompts.get(i), i % 4 == 1 ? 3 : 0), outs.get(i).promptLogprobs(), where);
                }
            }
        }
    }

    @Test
    void promptLogprobsComeWithTheFirstToken() {
        LlmEngine e = engine(SMALL.withMaxNumBatchedTokens(3));
        int[] prompt = {1, 40, 41, 42, 43, 44, 45};
        e.addRequest("r", prompt, SamplingParams.builder().temperature(0).maxTokens(2).ignoreEos(true).promptLogprobs(1).build(), 0);
        RequestOutput first = null;
        while (first == null) {
            for (RequestOutput o : e.step().outputs()) first = o;
        }
        assertEquals(1, first.outputs().getFirst().tokenIds().length);
        assertSameLogprobs(referencePromptLogprobs(prompt, 1), first.promptLogprobs(), "first output");
    }

    @Test
    void prefixCacheHitsAreExactForASharedPrefix() {
        LlmEngine e = engine(SMALL);
        int[] prefix = new int[12]; // three full blocks of 4
        for (int i = 0; i < prefix.length; i++) prefix[i] = 100 + i;
        int[] a = Arrays.copyOf(prefix, 14), b = Arrays.copyOf(prefix, 15);
        a[12] = 7; a[13] = 8; b[12] = 9; b[13] = 10; b[14] = 11;
        SamplingParams p = SamplingParams.builder().temperature(0).maxTokens(3).ignoreEos(true).build();
        runChecked(e, List.of(a), List.of(p));
        List<RequestOutput> second = runChecked(e, List.of(b), List.of(p));
        assertEquals(12, second.getFirst().numCachedTokens());
        assertEquals(12, e.prefixCacheStats().hits());
        assertEquals(14 + 15, e.prefixCacheStats().queries());
    }

    @Test
    void nCompletionsShareThePromptBlocksEvenWithoutPrefixCaching() {
        LlmEngine e = engine(SMALL.withEnablePrefixCaching(false));
        int[] prompt = new int[10];
        Arrays.fill(prompt, 42);
        SamplingParams p = SamplingParams.builder().n(3).temperature(1.0).seed(7).maxTokens(4).build();
        RequestOutput out = runChecked(e, List.of(prompt), List.of(p)).getFirst();
        assertEquals(3, out.outputs().size());
        assertEquals(2 * 8, e.prefixCacheStats().hits(), "completions 1 and 2 reuse the prompt's two full blocks");
        // Another request with the same prompt shares nothing: caching across requests is off.
        runChecked(e, List.of(prompt), List.of(SamplingParams.builder().temperature(0).maxTokens(1).build()));
        assertEquals(16, e.prefixCacheStats().hits());
    }

    @Test
    void stopStringsCutTheTextAndFinishTheSequence() {
        LlmEngine e = engine(SMALL);
        int[] prompt = {1, 400, 401};
        RequestOutput free = runChecked(e, List.of(prompt), List.of(SamplingParams.builder().temperature(0).maxTokens(12).ignoreEos(true).build())).getFirst();
        String text = free.outputs().getFirst().text();
        assertTrue(text.length() > 4, text);
        String stop = text.substring(3, 5);
        int cut = text.indexOf(stop);
        RequestOutput stopped = runChecked(e, List.of(prompt), List.of(SamplingParams.builder().temperature(0).maxTokens(12).ignoreEos(true).stop(stop).build())).getFirst();
        CompletionOutput c = stopped.outputs().getFirst();
        assertEquals(text.substring(0, cut), c.text());
        assertEquals(FinishReason.STOP, c.finishReason());
        assertEquals(stop, c.stopReason());
        assertTrue(c.tokenIds().length < free.outputs().getFirst().tokenIds().length || cut + stop.length() == text.length());
    }

    @Test
    void abortFreesTheBlocksAndReportsAbort() {
        LlmEngine e = engine(SMALL);
        e.addRequest("a", new int[] {1, 2, 3, 4, 5}, SamplingParams.builder().temperature(0).maxTokens(50).ignoreEos(true).build(), 0);
        e.step();
        e.step();
        e.abort("a");
        e.checkInvariants();
        StepOutput s = e.step();
        assertEquals(1, s.outputs().size());
        assertEquals(FinishReason.ABORT, s.outputs().getFirst().outputs().getFirst().finishReason());
        assertTrue(!e.hasUnfinishedRequests());
        assertEquals(64, e.kvCacheSizing().numBlocks());
    }

    @Test
    void impossibleRequestsAreRejectedWithTheReason() {
        LlmEngine e = engine(SMALL.withNumKvBlocks(4)); // 16 slots
        IllegalArgumentException big = assertThrows(IllegalArgumentException.class,
                () -> e.addRequest("x", new int[10], SamplingParams.builder().maxTokens(10).build(), 0));
        assertTrue(big.getMessage().contains("the whole cache has 4"), big.getMessage());
        IllegalArgumentException dup = assertThrows(IllegalArgumentException.class, () -> {
            e.addRequest("y", new int[] {1}, SamplingParams.builder().maxTokens(1).build(), 0);
            e.addRequest("y", new int[] {1}, SamplingParams.builder().maxTokens(1).build(), 0);
        });
        assertTrue(dup.getMessage().contains("already in use"), dup.getMessage());
    }

    @Test
    void generateReturnsOutputsInPromptOrder() {
        LlmEngine e = engine(SMALL.withMaxNumSeqs(2));
        List<int[]> prompts = List.of(new int[] {1, 50, 51, 52, 53, 54, 55, 56}, new int[] {1, 60}, new int[] {1, 70, 71});
        List<RequestOutput> outs = e.generate(prompts, List.of(SamplingParams.builder().temperature(0).maxTokens(5).build()));
        for (int i = 0; i < 3; i++) assertArrayEquals(reference(prompts.get(i), 5), outs.get(i).outputs().getFirst().tokenIds());
    }

    @Test
    void generateWithdrawsEveryPromptWhenOneIsRejected() {
        LlmEngine e = engine(SMALL.withNumKvBlocks(8)); // 32 slots
        SamplingParams p = SamplingParams.builder().temperature(0).maxTokens(4).build();
        assertThrows(IllegalArgumentException.class, () -> e.generate(List.of(new int[] {1, 2}, new int[40]), List.of(p)));
        assertTrue(!e.hasUnfinishedRequests());
        e.checkInvariants();
        assertEquals(1, e.generate(List.of(new int[] {1, 2}), List.of(p)).size(), "the engine is usable again");
    }
}
