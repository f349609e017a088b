package dev.pagoda.conformance.scheduling;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.pagoda.engine.backend.BackendOptions;
import dev.pagoda.engine.backend.ComputeBackend;
import dev.pagoda.engine.backend.ComputeBackends;
import dev.pagoda.engine.backend.Logits;
import dev.pagoda.engine.engine.EngineConfig;
import dev.pagoda.engine.engine.LlmEngine;
import dev.pagoda.engine.engine.RequestOutput;
import dev.pagoda.engine.kvcache.BlockTable;
import dev.pagoda.engine.model.LoadFormat;
import dev.pagoda.engine.model.LoadedModel;
import dev.pagoda.engine.model.ModelLoader;
import dev.pagoda.engine.offline.SingleSequenceRunner;
import dev.pagoda.engine.sampling.SamplingParams;
import dev.pagoda.engine.sampling.TokenLogprobs;
import dev.pagoda.engine.testing.Fixtures;
import dev.pagoda.engine.tokenizer.Tokenizer;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Prompt logprobs on the CPU backend with stories260K: the engine's values equal a direct
 * log-softmax of the full prompt's logits (one forward pass through {@link SingleSequenceRunner}),
 * and are bit-identical whatever the prefill chunk size, and with prefix caching on when a second
 * request shares the first one's prefix (it must recompute it, not reuse the cached blocks).
 */
class PromptLogprobsTest {
    private static final int NUM_LOGPROBS = 4;

    @Test
    void promptLogprobsEqualTheLogSoftmaxOfTheFullPromptUnderEveryChunkSize() {
        Tokenizer tokenizer = Tokenizer.fromDirectory(Fixtures.stories260k());
        try (LoadedModel model = ModelLoader.load(Fixtures.stories260k(), LoadFormat.SAFETENSORS);
                ComputeBackend backend = ComputeBackends.create("cpu", new BackendOptions(1))) {
            backend.loadModel(model.config(), model.weights());
            Random rnd = new Random(3);
            int[] prefix = new int[24]; // 3 full blocks of 8
            prefix[0] = 1;
            for (int i = 1; i < prefix.length; i++) prefix[i] = 3 + rnd.nextInt(500);
            int[] a = Arrays.copyOf(prefix, 29), b = Arrays.copyOf(prefix, 33);
            for (int i = 24; i < 29; i++) a[i] = 3 + rnd.nextInt(500);
            for (int i = 24; i < 33; i++) b[i] = 3 + rnd.nextInt(500);

            // Reference: every row of each prompt in one forward pass.
            backend.allocateKvCache(8, 8);
            Logits fullA = new SingleSequenceRunner(backend, new BlockTable(8, new int[] {0, 1, 2, 3})).append(a, true);
            Logits fullB = new SingleSequenceRunner(backend, new BlockTable(8, new int[] {0, 1, 2, 3, 4})).append(b, true);

            SamplingParams params = SamplingParams.builder().temperature(0).maxTokens(2).ignoreEos(true).promptLogprobs(NUM_LOGPROBS).build();
            SamplingParams plain = SamplingParams.builder().temperature(0).maxTokens(2).ignoreEos(true).build();
            List<TokenLogprobs> expectedA = null;
            for (int chunk : new int[] {4096, 1, 3, 7, 8, 16}) {
                EngineConfig config = EngineConfig.defaults().withBlockSize(8).withNumKvBlocks(32).withMaxNumSeqs(1)
                        .withMaxNumBatchedTokens(chunk).withEnablePrefixCaching(true);
                LlmEngine engine = new LlmEngine(backend, model.config(), model.generationConfig(), tokenizer, config);
                // A plain request caches the shared prefix; the prompt-logprobs ones must not reuse it.
                List<RequestOutput> outs = engine.generate(List.of(a, b, b), List.of(params, params, plain));
                List<TokenLogprobs> gotA = outs.get(0).promptLogprobs(), gotB = outs.get(1).promptLogprobs();
                assertEquals(0, outs.get(1).numCachedTokens(), "chunk " + chunk);
                assertEquals(32, outs.get(2).numCachedTokens(), "chunk " + chunk + ": the plain request reuses the cache");
                assertNull(outs.get(2).promptLogprobs());
                assertMatchesRows(fullA, a, gotA, "A, chunk " + chunk);
                assertMatchesRows(fullB, b, gotB, "B, chunk " + chunk);
                if (expectedA == null) expectedA = gotA;
                else assertIdentical(expectedA, gotA, "A, chunk " + chunk);
            }
        }
    }

    /** Entry p is the log-softmax of full-prompt row p - 1 at prompt[p], with its rank and the top N. */
    private static void assertMatchesRows(Logits full, int[] prompt, List<TokenLogprobs> got, String where) {
        assertEquals(prompt.length, got.size(), where);
        assertNull(got.get(0), where + ": position 0 has no prompt logprob");
        for (int p = 1; p < prompt.length; p++) {
            float[] row = full.row(p - 1);
            double max = Double.NEGATIVE_INFINITY;
            for (float v : row) max = Math.max(max, v);
            double sum = 0;
            for (float v : row) sum += Math.exp(v - max);
            double logZ = max + Math.log(sum);
            TokenLogprobs lp = got.get(p);
            assertEquals(prompt[p], lp.tokenId(), where + " position " + p);
            assertEquals(row[prompt[p]] - logZ, lp.logprob(), 1e-4, where + " position " + p);
            int rank = 0; // vLLM's rank: how many tokens score at least as high (ties count: stories260K's rows have some)
            for (float v : row) if (v >= row[prompt[p]]) rank++;
            assertEquals(rank, lp.rank(), where + " position " + p);
            assertEquals(NUM_LOGPROBS, lp.numTop(), where);
            int best = full.argmax(p - 1);
            assertEquals(best, lp.topTokenIds()[0], where + " position " + p);
            assertEquals(row[best] - logZ, lp.topLogprobs()[0], 1e-4, where + " position " + p);
        }
    }

    private static void assertIdentical(List<TokenLogprobs> expected, List<TokenLogprobs> actual, String where) {
        assertEquals(expected.size(), actual.size(), where);
        for (int p = 1; p < expected.size(); p++) {
            TokenLogprobs e = expected.get(p), a = actual.get(p);
            assertEquals(e.logprob(), a.logprob(), where + " position " + p); // bit-identical: same rows, same arithmetic
            assertEquals(e.rank(), a.rank(), where + " position " + p);
            assertArrayEquals(e.topTokenIds(), a.topTokenIds(), where + " position " + p);
            assertArrayEquals(e.topLogprobs(), a.topLogprobs(), where + " position " + p);
        }
    }
}
