package dev.pagoda.engine.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pagoda.engine.model.LoadFormat;
import dev.pagoda.engine.model.LoadedModel;
import dev.pagoda.engine.model.ModelLoader;
import dev.pagoda.engine.sampling.FinishReason;
import dev.pagoda.engine.sampling.SamplingParams;
import dev.pagoda.engine.testing.Fixtures;
import dev.pagoda.engine.tokenizer.Tokenizer;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * KV exhaustion under load: 24 requests into a pool that holds barely one and a half of them at
 * full length. Preemption (the newest running sequence is evicted and recomputed later) must keep
 * the engine moving: every request finishes with all its tokens (equal to the reference), the
 * invariants hold after every step, no stretch of steps passes without a new token, and the whole
 * run takes a bounded number of steps.
 */
class KvExhaustionTest {
    @Test
    void preemptionKeepsEveryRequestProgressing() {
        try (LoadedModel model = ModelLoader.load(Fixtures.stories260k(), LoadFormat.SAFETENSORS)) {
            int vocab = model.config().vocabSize();
            int blockSize = 4, maxTokens = 40, numRequests = 24;
            // A full-length request (≤ 60 tokens) needs 15 blocks; 22 hold one and a half of them.
            EngineConfig config = EngineConfig.defaults().withBlockSize(blockSize).withNumKvBlocks(22).withMaxNumSeqs(8).withMaxNumBatchedTokens(64);
            LlmEngine engine = new LlmEngine(new FakeBackend(vocab), model.config(), model.generationConfig(),
                    Tokenizer.fromDirectory(Fixtures.stories260k()), config);
            Random rnd = new Random(8);
            int[][] prompts = new int[numRequests][];
            long work = 0;
            for (int i = 0; i < numRequests; i++) {
                prompts[i] = new int[8 + rnd.nextInt(13)];
                for (int j = 0; j < prompts[i].length; j++) prompts[i][j] = 3 + rnd.nextInt(vocab - 3);
                engine.addRequest("r" + i, prompts[i], SamplingParams.builder().temperature(0).maxTokens(maxTokens).ignoreEos(true).build(), 0);
                work += prompts[i].length + maxTokens;
            }
            RequestOutput[] finals = new RequestOutput[numRequests];
            int steps = 0, stepsWithoutToken = 0, longestDrought = 0;
            long bound = 2 * work; // each token costs at most one step alone; recomputation at most doubles it
            while (engine.hasUnfinishedRequests()) {
                assertTrue(++steps <= bound, "no end in sight after " + bound + " steps: a livelock");
                StepOutput out = engine.step();
                engine.checkInvariants();
                boolean progressed = false;
                for (RequestOutput o : out.outputs()) {
                    for (CompletionOutput c : o.outputs()) progressed |= c.numNewTokens() > 0;
                    if (o.finished()) finals[Integer.parseInt(o.requestId().substring(1))] = o;
                }
                stepsWithoutToken = progressed ? 0 : stepsWithoutToken + 1;
                longestDrought = Math.max(longestDrought, stepsWithoutToken);
            }
            assertTrue(engine.numPreemptions() > 0, "the pool was small enough to preempt");
            assertTrue(longestDrought <= 16, "steps in a row without any new token: " + longestDrought);
            for (int i = 0; i < numRequests; i++) {
                CompletionOutput c = finals[i].outputs().getFirst();
                assertEquals(FinishReason.LENGTH, c.finishReason(), "request " + i);
                int[] seq = Arrays.copyOf(prompts[i], prompts[i].length + maxTokens);
                for (int k = 0; k < maxTokens; k++) seq[prompts[i].length + k] = FakeBackend.nextToken(seq, prompts[i].length + k, vocab);
                assertArrayEquals(Arrays.copyOfRange(seq, prompts[i].length, seq.length), c.tokenIds(), "request " + i + " after preemptions");
            }
            assertEquals(0.0, engine.kvCacheUsage(), "every block back in the pool");
            System.out.printf("KvExhaustionTest: %d requests, %d steps (bound %d), %d preemptions, longest drought %d steps%n",
                    numRequests, steps, bound, engine.numPreemptions(), longestDrought);
        }
    }
}
