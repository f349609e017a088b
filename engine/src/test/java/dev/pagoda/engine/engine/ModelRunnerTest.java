package dev.pagoda.engine.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pagoda.engine.backend.ForwardBatch;
import dev.pagoda.engine.kvcache.BlockManager;
import dev.pagoda.engine.kvcache.ComputedBlocks;
import dev.pagoda.engine.sampling.SamplingParams;
import dev.pagoda.engine.scheduler.ScheduledBatch;
import dev.pagoda.engine.scheduler.ScheduledSequence;
import dev.pagoda.engine.sequence.Sequence;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The worked example of {@link ModelRunner}'s class comment, with the block ids arranged for real. */
class ModelRunnerTest {
    private long nextId;

    private Sequence seq(int... prompt) {
        Sequence s = new Sequence(nextId, "s" + nextId, 0, prompt, 8, nextId, 0, "no-sharing-" + nextId, SamplingParams.defaults());
        nextId++;
        return s;
    }

    @Test
    void aDecodeAndAPrefillInOneBatch() {
        BlockManager m = new BlockManager(8, 4);
        // Seven one-token sequences take blocks 0..6, so A's first block is 7.
        List<Sequence> fillers = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            Sequence f = seq(900 + i);
            assertTrue(m.allocateSlots(f, 1, ComputedBlocks.NONE));
            fillers.add(f);
        }
        Sequence a = seq(10, 11, 12, 13, 14);
        assertTrue(m.allocateSlots(a, 4, ComputedBlocks.NONE)); // a chunk of 4: block 7
        a.setNumComputedTokens(4);
        m.free(fillers.get(2));                                   // block 2 is the only free one
        assertTrue(m.allocateSlots(a, 1, ComputedBlocks.NONE));   // a4 opens A's second block: 2
        a.setNumComputedTokens(5);
        a.appendTokenId(15);                                      // a5, sampled last step
        assertTrue(m.allocateSlots(a, 1, ComputedBlocks.NONE));   // still fits in block 2
        m.free(fillers.get(4));
        Sequence b = seq(20, 21, 22);
        assertTrue(m.allocateSlots(b, 3, ComputedBlocks.NONE));   // block 4

        ScheduledBatch batch = new ScheduledBatch(List.of(new ScheduledSequence(a, 5, 1), new ScheduledSequence(b, 0, 3)), List.of(), 4);
        ModelRunner.Inputs in = ModelRunner.prepareInputs(batch, m);
        ForwardBatch fb = in.forwardBatch();

        assertArrayEquals(new int[] {15, 20, 21, 22}, fb.tokenIds());
        assertArrayEquals(new int[] {5, 0, 1, 2}, fb.positions());
        assertArrayEquals(new int[] {0, 1, 4}, fb.queryStartLoc());
        assertArrayEquals(new int[] {6, 3}, fb.seqLens());
        assertArrayEquals(new int[] {7, 2}, fb.blockTables()[0]);
        assertArrayEquals(new int[] {4}, fb.blockTables()[1]);
        assertArrayEquals(new int[] {9, 16, 17, 18}, fb.slotMapping());
        assertArrayEquals(new int[] {0, 3}, fb.logitsIndices());
        assertEquals(2, in.samplingSequences().size());
        assertTrue(in.promptLogprobRows().isEmpty());
    }

    @Test
    void aPrefillChunkShortOfTheEndGetsNoLogitsRow() {
        BlockManager m = new BlockManager(8, 4);
        Sequence a = seq(1, 2, 3, 4, 5, 6);
        assertTrue(m.allocateSlots(a, 4, ComputedBlocks.NONE));
        ModelRunner.Inputs in = ModelRunner.prepareInputs(new ScheduledBatch(List.of(new ScheduledSequence(a, 0, 4)), List.of(), 4), m);
        assertArrayEquals(new int[0], in.forwardBatch().logitsIndices());
        assertTrue(in.samplingSequences().isEmpty());
    }

    @Test
    void promptLogprobRowsComeAfterTheSamplingRows() {
        // The class comment's example with B asking for prompt logprobs.
        BlockManager m = new BlockManager(8, 4);
        Sequence a = seq(10, 11, 12, 13, 14);
        assertTrue(m.allocateSlots(a, 5, ComputedBlocks.NONE));
        a.setNumComputedTokens(5);
        a.appendTokenId(15);
        assertTrue(m.allocateSlots(a, 1, ComputedBlocks.NONE));
        Sequence b = new Sequence(nextId++, "b", 0, new int[] {20, 21, 22}, 8, 9, 0, "b", SamplingParams.builder().promptLogprobs(2).build());
        assertTrue(m.allocateSlots(b, 3, ComputedBlocks.NONE));
        ScheduledBatch batch = new ScheduledBatch(List.of(new ScheduledSequence(a, 5, 1), new ScheduledSequence(b, 0, 3)), List.of(), 4);
        ModelRunner.Inputs in = ModelRunner.prepareInputs(batch, m);
        assertArrayEquals(new int[] {0, 3, 1, 2}, in.forwardBatch().logitsIndices());
        assertEquals(List.of(a, b), in.samplingSequences().stream().map(ScheduledSequence::sequence).toList());
        assertEquals(List.of(new ModelRunner.PromptLogprobRows(b, 0, 2, 2)), in.promptLogprobRows());
    }

    @Test
    void aPromptLogprobChunkShortOfTheEndScoresAllItsRows() {
        BlockManager m = new BlockManager(8, 4);
        Sequence b = new Sequence(nextId++, "b", 0, new int[] {1, 2, 3, 4, 5, 6}, 8, 0, 0, "b", SamplingParams.builder().promptLogprobs(0).build());
        assertTrue(m.allocateSlots(b, 4, ComputedBlocks.NONE));
        b.setNumComputedTokens(4);
        assertTrue(m.allocateSlots(b, 2, ComputedBlocks.NONE));
        // The second chunk: positions 4 and 5; only position 4 has a next prompt token, position 5 samples.
        ModelRunner.Inputs in = ModelRunner.prepareInputs(new ScheduledBatch(List.of(new ScheduledSequence(b, 4, 2)), List.of(), 2), m);
        assertArrayEquals(new int[] {1, 0}, in.forwardBatch().logitsIndices());
        assertEquals(List.of(new ModelRunner.PromptLogprobRows(b, 4, 1, 1)), in.promptLogprobRows());
    }
}
