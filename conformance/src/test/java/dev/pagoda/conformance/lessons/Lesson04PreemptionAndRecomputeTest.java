package dev.pagoda.conformance.lessons;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pagoda.engine.engine.LlmEngine;
import dev.pagoda.engine.engine.ModelRunner;
import dev.pagoda.engine.engine.RequestOutput;
import dev.pagoda.engine.kvcache.BlockManager;
import dev.pagoda.engine.sampling.SamplingParams;
import dev.pagoda.engine.scheduler.ScheduledBatch;
import dev.pagoda.engine.scheduler.Scheduler;
import dev.pagoda.engine.scheduler.SchedulerConfig;
import dev.pagoda.engine.sequence.Sequence;
import dev.pagoda.engine.sequence.SequenceStatus;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Lesson 4: when blocks run out, the newest running sequence is preempted: its blocks are freed and
 * it is recomputed later, with the same result. (docs/paged-attention.md, section 8)
 */
class Lesson04PreemptionAndRecomputeTest {

    @Test
    void theNewestSequenceIsPreemptedAndForgetsItsCache() {
        // 4 blocks of 2 tokens. A and B each have a 4-token prompt and may generate 2 more: each
        // alone fits (5 tokens in the cache, 3 blocks), both at once do not.
        BlockManager blocks = new BlockManager(4, 2);
        Scheduler scheduler = new Scheduler(new SchedulerConfig(4, 64, 64), blocks);
        Sequence a = Lessons.sequenceWithMaxTokens(1, 2, 10, 11, 12, 13), b = Lessons.sequenceWithMaxTokens(2, 2, 20, 21, 22, 23);
        scheduler.add(a);
        scheduler.add(b);
        ScheduledBatch step1 = scheduler.schedule();
        assertEquals(2, step1.scheduled().size());
        assertArrayEquals(new int[] {0, 1}, blocks.blockIds(a));
        assertArrayEquals(new int[] {2, 3}, blocks.blockIds(b));
        assertEquals(0, blocks.numFreeBlocks());
        scheduler.updateComputedTokens(step1);
        a.appendTokenId(14);
        b.appendTokenId(24);

        // Step 2: A's token 14 (position 4) needs a third block; none is free. B, admitted after A,
        // is the victim: its blocks go back to the pool, it returns to the waiting queue, and A
        // takes one of B's freed blocks.
        ScheduledBatch step2 = scheduler.schedule();
        assertEquals(List.of(b), step2.preempted());
        assertEquals(SequenceStatus.PREEMPTED, b.status());
        assertEquals(0, b.numComputedTokens()); // recompute: everything it had is forgotten...
        assertEquals(5, b.numTokens());         // ...but not its tokens: prompt + the one it generated
        assertEquals(1, step2.scheduled().size()); // nothing is admitted in a step that preempted
        assertEquals(3, blocks.blockIds(a).length);
        assertEquals(1, scheduler.numPreemptions());
        // A computes its token 14 at position 4, slot 4 of its new third block: 5 tokens in the cache.
        assertEquals(5, ModelRunner.prepareInputs(step2, blocks).forwardBatch().seqLens()[0]);
    }

    @Test
    void aPreemptedSequenceGeneratesWhatItGeneratesAlone() {
        int[] p1 = Lessons.encode("Once upon a time, there was a little girl");
        int[] p2 = Lessons.encode("One day, a big dog ran to the park");
        SamplingParams greedy = SamplingParams.builder().temperature(0).maxTokens(40).ignoreEos(true).build();
        try (Lessons.Model model = Lessons.Model.stories260k()) {
            // 20 blocks of 4 tokens = 80 slots; two sequences of ~50 tokens each cannot both fit.
            LlmEngine tight = model.engine(Lessons.config(4, 20));
            List<RequestOutput> together = tight.generate(List.of(p1, p2), List.of(greedy, greedy));
            assertTrue(tight.numPreemptions() >= 1, "expected a preemption, got " + tight.numPreemptions());

            LlmEngine roomy = model.engine(Lessons.config(4, 64));
            int[] alone1 = roomy.generate(List.of(p1), List.of(greedy)).getFirst().outputs().getFirst().tokenIds();
            int[] alone2 = roomy.generate(List.of(p2), List.of(greedy)).getFirst().outputs().getFirst().tokenIds();
            assertArrayEquals(alone1, together.get(0).outputs().getFirst().tokenIds());
            assertArrayEquals(alone2, together.get(1).outputs().getFirst().tokenIds());
        }
    }
}
