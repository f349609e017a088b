package dev.pagoda.engine.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pagoda.engine.model.LoadFormat;
import dev.pagoda.engine.model.LoadedModel;
import dev.pagoda.engine.model.ModelLoader;
import dev.pagoda.engine.sampling.FinishReason;
import dev.pagoda.engine.sampling.SamplingParams;
import dev.pagoda.engine.testing.Fixtures;
import dev.pagoda.engine.tokenizer.Tokenizer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** The engine thread: concurrent submitters, streamed deltas, aborts, rejections. */
class AsyncLlmEngineTest {

    private static LlmEngine engine(LoadedModel model) {
        return new LlmEngine(new FakeBackend(model.config().vocabSize()), model.config(), model.generationConfig(),
                Tokenizer.fromDirectory(Fixtures.stories260k()), EngineConfig.defaults().withBlockSize(4).withNumKvBlocks(40).withMaxNumSeqs(3));
    }

    @Test
    void concurrentRequestsStreamTheirOwnTokensAndAbortsFreeBlocks() throws Exception {
        AtomicReference<Throwable> invariantFailure = new AtomicReference<>();
        try (LoadedModel model = ModelLoader.load(Fixtures.stories260k(), LoadFormat.SAFETENSORS);
                ExecutorService clients = Executors.newFixedThreadPool(4)) {
            LlmEngine engine = engine(model);
            AsyncLlmEngine async = new AsyncLlmEngine(engine, e -> {
                try {
                    e.checkInvariants();
                } catch (Throwable t) {
                    invariantFailure.compareAndSet(null, t);
                }
            });
            SamplingParams p = SamplingParams.builder().temperature(0).maxTokens(10).ignoreEos(true).build();
            List<Future<int[]>> results = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                int[] prompt = {1, 100 + i, 200 + i};
                results.add(clients.submit(() -> {
                    RequestStream s = async.submit("req-" + prompt[1], prompt, p, 0);
                    List<Integer> streamed = new ArrayList<>();
                    RequestOutput last = null;
                    for (RequestOutput o; (o = s.next()) != null; last = o) {
                        CompletionOutput c = o.outputs().getFirst();
                        int[] all = c.tokenIds();
                        for (int k = all.length - c.numNewTokens(); k < all.length; k++) streamed.add(all[k]);
                    }
                    assertArrayEquals(last.outputs().getFirst().tokenIds(), streamed.stream().mapToInt(Integer::intValue).toArray());
                    return last.outputs().getFirst().tokenIds();
                }));
            }
            for (int i = 0; i < 8; i++) {
                int[] seq = {1, 100 + i, 200 + i, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
                for (int k = 0; k < 10; k++) seq[3 + k] = FakeBackend.nextToken(seq, 3 + k, model.config().vocabSize());
                assertArrayEquals(java.util.Arrays.copyOfRange(seq, 3, 13), results.get(i).get());
            }

            // Abort a long request mid-way: its stream ends with "abort" and the cache is empty again.
            RequestStream longOne = async.submit("long", new int[] {1, 5, 6}, SamplingParams.builder().temperature(0).maxTokens(100).ignoreEos(true).build(), 0);
            assertTrue(longOne.next() != null);
            async.abort("long");
            RequestOutput last = longOne.awaitFinal();
            assertEquals(FinishReason.ABORT, last.outputs().getFirst().finishReason());

            // A request that cannot fit is rejected through its stream.
            RequestStream tooBig = async.submit("big", new int[150], SamplingParams.builder().maxTokens(20).build(), 0);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, tooBig::next);
            assertTrue(e.getMessage().contains("the whole cache has 40"), e.getMessage());
            async.close();
            assertEquals(40, engine.kvCacheSizing().numBlocks());
            engine.checkInvariants();
            assertTrue(!engine.hasUnfinishedRequests());
        }
        if (invariantFailure.get() != null) throw new AssertionError(invariantFailure.get());
    }
}
