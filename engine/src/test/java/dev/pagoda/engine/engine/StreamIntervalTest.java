package dev.pagoda.engine.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pagoda.engine.model.LoadFormat;
import dev.pagoda.engine.model.LoadedModel;
import dev.pagoda.engine.model.ModelLoader;
import dev.pagoda.engine.sampling.SamplingParams;
import dev.pagoda.engine.testing.Fixtures;
import dev.pagoda.engine.tokenizer.Tokenizer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@code --stream-interval}: a running request's output comes once {@code streamInterval} tokens are
 * new (its first token and its end at once), and the outputs' deltas still add up to the same text,
 * tokens and logprobs as one output per step.
 */
class StreamIntervalTest {
    /** Every output of each request, stepping until all finish (stories260K's config and tokenizer, the hash model). */
    private static List<List<RequestOutput>> run(int streamInterval, SamplingParams params, int numRequests) {
        try (LoadedModel model = ModelLoader.load(Fixtures.stories260k(), LoadFormat.SAFETENSORS)) {
            EngineConfig config = EngineConfig.defaults().withBlockSize(4).withNumKvBlocks(128).withStreamInterval(streamInterval);
            LlmEngine engine = new LlmEngine(new FakeBackend(model.config().vocabSize()), model.config(), model.generationConfig(),
                    Tokenizer.fromDirectory(Fixtures.stories260k()), config);
            List<List<RequestOutput>> outs = new ArrayList<>();
            for (int r = 0; r < numRequests; r++) {
                engine.addRequest("r" + r, new int[] {1, 40 + r, 300, 7 + r}, params, 0);
                outs.add(new ArrayList<>());
            }
            while (engine.hasUnfinishedRequests()) {
                for (RequestOutput o : engine.step().outputs()) outs.get(Integer.parseInt(o.requestId().substring(1))).add(o);
            }
            return outs;
        }
    }

    @Test
    void outputsComeEveryIntervalTokensAndAddUpToTheSame() {
        SamplingParams params = SamplingParams.builder().temperature(0).maxTokens(10).ignoreEos(true).logprobs(2).build();
        List<List<RequestOutput>> everyStep = run(1, params, 3), everyFour = run(4, params, 3);
        for (int r = 0; r < 3; r++) {
            List<RequestOutput> a = everyStep.get(r), b = everyFour.get(r);
            assertEquals(10, a.size(), "interval 1: an output per token");
            List<Integer> newTokens = new ArrayList<>();
            for (RequestOutput o : b) newTokens.add(o.outputs().getFirst().numNewTokens());
            assertEquals(List.of(1, 4, 4, 1), newTokens, "the first token at once, then every 4, then the end");
            CompletionOutput lastA = a.getLast().outputs().getFirst(), lastB = b.getLast().outputs().getFirst();
            assertTrue(b.getLast().finished());
            assertArrayEquals(lastA.tokenIds(), lastB.tokenIds());
            assertEquals(lastA.text(), lastB.text());
            assertEquals(lastA.logprobs().size(), lastB.logprobs().size());
            StringBuilder deltas = new StringBuilder();
            for (RequestOutput o : b) deltas.append(o.outputs().getFirst().textDelta());
            assertEquals(lastA.text(), deltas.toString(), "the deltas cover the skipped steps");
        }
    }

    @Test
    void oneOfNFinishingIsReportedAtOnce() {
        // n = 2, sampled: find a token the first completion makes (at its k-th token) and the second never does,
        // then make it a stop token. With interval 100 the first completion's finish must still come at once.
        SamplingParams.Builder base = SamplingParams.builder().n(2).temperature(1.0).maxTokens(12).ignoreEos(true);
        List<RequestOutput> free = run(1, base.build(), 1).getFirst();
        int[] first = free.getLast().outputs().get(0).tokenIds(), second = free.getLast().outputs().get(1).tokenIds();
        int k = -1;
        for (int i = 1; i < 10 && k < 0; i++) {
            int t = first[i];
            boolean inSecond = false, earlierInFirst = false;
            for (int x : second) inSecond |= x == t;
            for (int j = 0; j < i; j++) earlierInFirst |= first[j] == t;
            if (!inSecond && !earlierInFirst) k = i;
        }
        assertTrue(k > 0, "no token tells the completions apart");
        List<RequestOutput> outs = run(100, base.stopTokenIds(List.of(first[k])).build(), 1).getFirst();
        assertEquals(3, outs.size(), "the first token, the first completion's stop, the end");
        CompletionOutput stopped = outs.get(1).outputs().get(0);
        assertTrue(stopped.finished(), "the stop is reported in the step it happened");
        assertEquals(k + 1, stopped.tokenIds().length);
        assertEquals(k, stopped.numNewTokens(), "with every token since the first output");
        assertTrue(outs.getLast().finished());
        assertEquals(12, outs.getLast().outputs().get(1).tokenIds().length);
    }

    @Test
    void theIntervalIsAtLeastOne() {
        assertThrows(IllegalArgumentException.class, () -> EngineConfig.defaults().withStreamInterval(0));
    }
}
