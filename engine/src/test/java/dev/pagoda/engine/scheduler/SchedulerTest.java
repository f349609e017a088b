package dev.pagoda.engine.scheduler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pagoda.engine.kvcache.BlockManager;
import dev.pagoda.engine.kvcache.KvCacheInvariants;
import dev.pagoda.engine.sampling.SamplingParams;
import dev.pagoda.engine.sequence.Sequence;
import dev.pagoda.engine.sequence.SequenceStatus;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The scheduler without a model: each step "samples" token 1000 + step for every sequence that
 * reaches its end, and a sequence finishes at max_tokens. Grants are written as
 * {@code requestId:numNewTokens}.
 */
class SchedulerTest {
    private final List<Sequence> all = new ArrayList<>();
    private long nextId;
    private int stepNo;

    private Sequence seq(int promptLen, int maxTokens) {
        return seq(promptLen, maxTokens, 0);
    }

    private Sequence seq(int promptLen, int maxTokens, int priority) {
        int[] prompt = new int[promptLen];
        for (int i = 0; i < promptLen; i++) prompt[i] = (int) (nextId * 100 + i); // distinct prompts: no cache hits
        Sequence s = new Sequence(nextId, "r" + nextId, 0, prompt, maxTokens, nextId, priority, null, SamplingParams.defaults());
        nextId++;
        all.add(s);
        return s;
    }

    /** One step; returns the grants as "r0:8 r1:1". */
    private String step(Scheduler scheduler) {
        ScheduledBatch batch = scheduler.schedule();
        assertTrue(batch.numBatchedTokens() <= scheduler.config().maxNumBatchedTokens());
        assertTrue(batch.scheduled().size() <= scheduler.config().maxNumSeqs());
        scheduler.updateComputedTokens(batch);
        for (ScheduledSequence g : batch.scheduled()) {
            if (!g.samples()) continue;
            Sequence s = g.sequence();
            s.appendTokenId(1000 + stepNo);
            if (s.numOutputTokens() == s.maxTokens()) scheduler.finish(s, SequenceStatus.FINISHED_LENGTH_CAPPED);
        }
        stepNo++;
        KvCacheInvariants.check(scheduler.blockManager(), all.stream().filter(s -> !s.isFinished()).toList());
        return batch.scheduled().stream().map(g -> g.sequence().requestId() + ":" + g.numNewTokens()).collect(Collectors.joining(" "));
    }

    private static Scheduler scheduler(int maxNumSeqs, int maxNumBatchedTokens, int numBlocks, int blockSize) {
        return new Scheduler(new SchedulerConfig(maxNumSeqs, maxNumBatchedTokens, 1024), new BlockManager(numBlocks, blockSize));
    }

    @Test
    void aLongPromptIsPrefilledInChunksThenDecodes() {
        Scheduler s = scheduler(4, 8, 100, 4);
        s.add(seq(20, 2));
        assertEquals("r0:8", step(s));
        assertEquals("r0:8", step(s));
        assertEquals("r0:4", step(s)); // reaches the end: samples its first token
        assertEquals("r0:1", step(s)); // decodes the second
        assertEquals("", step(s));
        assertTrue(!s.hasUnfinished());
    }

    @Test
    void runningDecodesComeFirstAndNewPromptsTakeWhatIsLeft() {
        Scheduler s = scheduler(4, 8, 100, 4);
        s.add(seq(5, 10));
        assertEquals("r0:5", step(s));
        s.add(seq(12, 10));
        s.add(seq(3, 10));
        assertEquals("r0:1 r1:7", step(s)); // r1 chunked to the 7 tokens left; r2 waits behind it (FCFS)
        assertEquals("r0:1 r1:5 r2:2", step(s));
        assertEquals("r0:1 r1:1 r2:1", step(s));
    }

    @Test
    void maxNumSeqsCapsTheBatch() {
        Scheduler s = scheduler(2, 100, 100, 4);
        for (int i = 0; i < 3; i++) s.add(seq(3, 2));
        assertEquals("r0:3 r1:3", step(s));
        assertEquals("r0:1 r1:1", step(s)); // both finish
        assertEquals("r2:3", step(s));
    }

    @Test
    void outOfBlocksPreemptsTheNewestAndRecomputesItLater() {
        // 4 blocks of 2 tokens. r0 and r1 each hold 2 blocks after prefill; r0's next token needs a third.
        Scheduler s = scheduler(4, 100, 4, 2);
        Sequence r0 = seq(4, 3), r1 = seq(4, 3);
        s.add(r0);
        s.add(r1);
        assertEquals("r0:4 r1:4", step(s));
        ScheduledBatch batch = s.schedule();
        assertEquals(List.of(r1), batch.preempted());
        assertEquals(SequenceStatus.PREEMPTED, r1.status());
        assertEquals(0, r1.numComputedTokens());
        assertEquals(1, batch.scheduled().size());
        s.updateComputedTokens(batch);
        r0.appendTokenId(7);
        KvCacheInvariants.check(s.blockManager(), List.of(r0, r1));
        assertEquals("r0:1", step(s)); // r0 finishes (3 tokens), freeing its blocks
        // r1 is recomputed: its prompt and the token it had sampled, 5 tokens. Its freed blocks went to
        // the free queue tail first (block 3, then block 2); r0's third block evicted block 3, but
        // block 2 (r1's first two tokens) is still cached: r1 recomputes only 3 tokens.
        assertEquals("r1:3", step(s));
        assertEquals("r1:1", step(s));
        assertTrue(!s.hasUnfinished());
        assertEquals(1, r1.numPreemptions());
        assertEquals(3, r1.numOutputTokens());
    }

    @Test
    void aSequenceAloneInTheCacheAlwaysFinishes() {
        Scheduler s = scheduler(8, 3, 3, 2); // 6 slots, 3 tokens a step
        List<Sequence> seqs = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            Sequence q = seq(1 + i % 4, 7 - (1 + i % 4));
            seqs.add(q);
            s.add(q);
        }
        for (int i = 0; i < 500 && s.hasUnfinished(); i++) step(s);
        assertTrue(!s.hasUnfinished(), "every request completes");
        for (Sequence q : seqs) assertEquals(q.maxTokens(), q.numOutputTokens());
        assertTrue(s.numPreemptions() > 0, "the pool was small enough to preempt");
    }

    @Test
    void requestsThatCanNeverFitAreRejectedUpFront() {
        Scheduler s = new Scheduler(new SchedulerConfig(4, 16, 32), new BlockManager(4, 4));
        IllegalArgumentException tooLong = assertThrows(IllegalArgumentException.class, () -> s.add(seq(30, 3)));
        assertTrue(tooLong.getMessage().contains("exceeds max_model_len 32"), tooLong.getMessage());
        IllegalArgumentException tooBig = assertThrows(IllegalArgumentException.class, () -> s.add(seq(10, 8)));
        assertTrue(tooBig.getMessage().contains("need 5 KV blocks of 4, the whole cache has 4"), tooBig.getMessage());
        s.add(seq(10, 7)); // 16 tokens, the last never cached: 15 slots fit in 4 blocks
    }

    @Test
    void lowerPriorityValuesAreAdmittedFirstAndPreemptedLast() {
        Scheduler s = scheduler(1, 100, 100, 4);
        s.add(seq(2, 1, 5));
        s.add(seq(2, 1, 0));
        s.add(seq(2, 1, 5));
        assertEquals("r1:2", step(s));
        assertEquals("r0:2", step(s));
        assertEquals("r2:2", step(s));
    }

    @Test
    void prefixCacheHitsSkipComputedTokens() {
        Scheduler s = scheduler(4, 100, 100, 4);
        int[] prompt = new int[10];
        for (int i = 0; i < 10; i++) prompt[i] = i;
        Sequence a = new Sequence(100, "a", 0, prompt, 1, 100, 0, null, SamplingParams.defaults());
        Sequence b = new Sequence(101, "b", 0, prompt, 1, 101, 0, null, SamplingParams.defaults());
        all.add(a);
        all.add(b);
        s.add(a);
        assertEquals("a:10", step(s));
        s.add(b);
        assertEquals("b:2", step(s)); // 8 tokens (two full blocks) come from the cache
        assertEquals(8, b.numCachedTokens());
        assertEquals(8, s.blockManager().prefixCacheStats().hits());
    }
}
