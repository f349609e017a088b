package dev.pagoda.conformance.lessons;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.pagoda.engine.backend.ForwardBatch;
import dev.pagoda.engine.engine.ModelRunner;
import dev.pagoda.engine.kvcache.BlockManager;
import dev.pagoda.engine.kvcache.BlockTable;
import dev.pagoda.engine.offline.SingleSequenceRunner;
import dev.pagoda.engine.scheduler.ScheduledBatch;
import dev.pagoda.engine.scheduler.Scheduler;
import dev.pagoda.engine.scheduler.SchedulerConfig;
import dev.pagoda.engine.sequence.Sequence;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * Lesson 2: prefill and decode are the same operation on different numbers of rows; one forward
 * pass can mix them. (docs/paged-attention.md, sections 3 and 5)
 */
class Lesson02PrefillVsDecodeTest {

    @Test
    void aStepMixingDecodeAndPrefillIsJustRows() {
        BlockManager blocks = new BlockManager(8, 4);
        Scheduler scheduler = new Scheduler(new SchedulerConfig(4, 64, 64), blocks);

        // Step 1: A's 5-token prompt, prefilled at once into blocks 0 and 1 (slots 0..4).
        Sequence a = Lessons.sequence(1, 10, 11, 12, 13, 14);
        scheduler.add(a);
        ScheduledBatch step1 = scheduler.schedule();
        ForwardBatch f1 = ModelRunner.prepareInputs(step1, blocks).forwardBatch();
        assertArrayEquals(new int[] {0, 1, 2, 3, 4}, f1.positions());
        assertArrayEquals(new int[] {0, 1, 2, 3, 4}, f1.slotMapping());
        assertArrayEquals(new int[] {4}, f1.logitsIndices()); // only the last row samples
        scheduler.updateComputedTokens(step1);
        a.appendTokenId(42); // the token sampled from that row

        // Step 2: B arrives with 3 tokens. A decodes one token (42 at position 5) while B prefills.
        Sequence b = Lessons.sequence(2, 20, 21, 22);
        scheduler.add(b);
        ForwardBatch f2 = ModelRunner.prepareInputs(scheduler.schedule(), blocks).forwardBatch();
        assertArrayEquals(new int[] {42, 20, 21, 22}, f2.tokenIds());
        assertArrayEquals(new int[] {5, 0, 1, 2}, f2.positions());
        assertArrayEquals(new int[] {0, 1, 4}, f2.queryStartLoc()); // A owns row 0, B rows 1..3
        assertArrayEquals(new int[] {6, 3}, f2.seqLens());          // tokens in the cache after this step
        assertEquals("[[0, 1], [2]]", Arrays.deepToString(f2.blockTables()));
        assertArrayEquals(new int[] {5, 8, 9, 10}, f2.slotMapping()); // A: block 1 offset 1; B: block 2
        assertArrayEquals(new int[] {0, 3}, f2.logitsIndices());      // each sequence's last row samples
        // For A, 5 of its 6 tokens were already cached (contextLen 5): its one query row attends to
        // positions 0..5. For B, contextLen is 0 and its rows attend to 0..0, 0..1, 0..2.
    }

    @Test
    void prefillAtOnceInChunksOrTokenByTokenGiveTheSameLogits() {
        int[] prompt = Lessons.encode("Once upon a time, there was a little girl named Lily");
        try (Lessons.Model model = Lessons.Model.stories260k()) {
            model.backend().allocateKvCache(32, 4);
            // Three copies of the sequence, each in its own blocks (anywhere in the pool, in any order).
            int n = BlockTable.blocksNeeded(prompt.length, 4);
            SingleSequenceRunner atOnce = new SingleSequenceRunner(model.backend(), new BlockTable(4, range(0, n)));
            SingleSequenceRunner chunked = new SingleSequenceRunner(model.backend(), new BlockTable(4, reversed(range(n, 2 * n))));
            SingleSequenceRunner oneByOne = new SingleSequenceRunner(model.backend(), new BlockTable(4, range(2 * n, 3 * n)));

            float[] prefill = atOnce.append(prompt, false).row(0); // prefill: all rows in one pass
            float[] chunks = null;
            for (int start = 0; start < prompt.length; start += 5) { // chunked prefill, 5 tokens a step
                chunks = chunked.append(Arrays.copyOfRange(prompt, start, Math.min(start + 5, prompt.length)), false).row(0);
            }
            float[] decode = null;
            for (int token : prompt) decode = oneByOne.append(new int[] {token}, false).row(0); // "decode" every token

            // Bit-identical: the CPU computes every row the same way whatever else is in the step.
            assertArrayEquals(prefill, chunks);
            assertArrayEquals(prefill, decode);
        }
    }

    private static int[] range(int from, int to) {
        return java.util.stream.IntStream.range(from, to).toArray();
    }

    private static int[] reversed(int[] a) {
        int[] r = new int[a.length];
        for (int i = 0; i < a.length; i++) r[i] = a[a.length - 1 - i];
        return r;
    }
}
