package dev.pagoda.engine.kvcache;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pagoda.engine.sampling.SamplingParams;
import dev.pagoda.engine.sequence.Sequence;
import dev.pagoda.engine.sequence.SequenceStatus;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Exact block ids, reference counts and free-queue order, after vLLM's
 * tests/v1/core/test_prefix_caching.py (without its reserved null block: our ids start at 0).
 * Block size 4 throughout.
 */
class BlockManagerTest {
    private static final int BS = 4;
    private final List<Sequence> live = new ArrayList<>();
    private long nextId;

    private Sequence seq(int... prompt) {
        return seq(null, prompt);
    }

    private Sequence seq(String salt, int... prompt) {
        Sequence s = new Sequence(nextId, "r" + nextId, 0, prompt, 16, nextId, 0, salt, SamplingParams.defaults());
        nextId++;
        live.add(s);
        return s;
    }

    private static int[] range(int from, int to) {
        int[] a = new int[to - from];
        for (int i = 0; i < a.length; i++) a[i] = from + i;
        return a;
    }

    private static int[] concat(int[] a, int[] b) {
        int[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    /** What the scheduler does on admission: look up the cache, allocate, mark computed. */
    private ComputedBlocks admit(BlockManager m, Sequence s) {
        ComputedBlocks hit = m.getComputedBlocks(s);
        int numNew = s.numTokens() - hit.numComputedTokens();
        assertTrue(m.allocateSlots(s, numNew, hit));
        s.setStatus(SequenceStatus.RUNNING);
        s.setNumComputedTokens(s.numTokens());
        KvCacheInvariants.check(m, live);
        return hit;
    }

    private void finish(BlockManager m, Sequence s) {
        m.free(s);
        s.setStatus(SequenceStatus.FINISHED_STOPPED);
        KvCacheInvariants.check(m, live);
    }

    private static int[] refCounts(BlockManager m) {
        int[] r = new int[m.numBlocks()];
        for (int i = 0; i < r.length; i++) r[i] = m.pool().block(i).refCount();
        return r;
    }

    @Test
    void prefillAllocatesFromTheFrontAndFreesTailFirst() {
        BlockManager m = new BlockManager(10, BS);
        Sequence a = seq(range(0, 10)); // blocks [0..3] [4..7] [8 9]
        ComputedBlocks hit = admit(m, a);
        assertEquals(0, hit.numComputedTokens());
        assertArrayEquals(new int[] {0, 1, 2}, m.blockIds(a));
        assertEquals(2, m.pool().numCachedBlocks(), "the two full blocks are cached, the partial one is not");
        assertEquals(List.of(3, 4, 5, 6, 7, 8, 9), m.pool().freeBlockIds());

        finish(m, a);
        // The partial block 2 (no hash, useless as cache) goes to the front, to be reused first; the
        // cached ones to the back in reverse: the prompt's tail is evicted before its head.
        assertEquals(List.of(2, 3, 4, 5, 6, 7, 8, 9, 1, 0), m.pool().freeBlockIds());
        assertEquals(2, m.pool().numCachedBlocks(), "freed blocks stay cached");
    }

    @Test
    void aNewSequenceReusesTheCachedPrefixOfAFinishedOne() {
        BlockManager m = new BlockManager(10, BS);
        int[] common = range(0, 8);
        Sequence a = seq(concat(common, new int[] {100, 101}));
        admit(m, a);
        finish(m, a); // free queue: 2, 3..9, 1, 0

        Sequence b = seq(concat(common, new int[] {200, 201, 202}));
        ComputedBlocks hit = admit(m, b);
        assertEquals(8, hit.numComputedTokens());
        // Blocks 0 and 1 come back out of the end of the free queue; the new tail block is the front one (2).
        assertArrayEquals(new int[] {0, 1, 2}, m.blockIds(b));
        assertEquals(List.of(3, 4, 5, 6, 7, 8, 9), m.pool().freeBlockIds());
        assertArrayEquals(new int[] {1, 1, 1, 0, 0, 0, 0, 0, 0, 0}, refCounts(m));
        assertEquals(new PrefixCacheStats(2, 21, 8), m.prefixCacheStats());
    }

    @Test
    void runningSequencesShareHitBlocks() {
        BlockManager m = new BlockManager(10, BS);
        Sequence a = seq(range(0, 9));
        admit(m, a);
        Sequence b = seq(range(0, 9)); // same prompt while A still runs
        ComputedBlocks hit = admit(m, b);
        assertEquals(8, hit.numComputedTokens());
        assertArrayEquals(new int[] {0, 1, 2}, m.blockIds(a));
        assertArrayEquals(new int[] {0, 1, 3}, m.blockIds(b));
        assertArrayEquals(new int[] {2, 2, 1, 1, 0, 0, 0, 0, 0, 0}, refCounts(m));

        finish(m, a); // block 2 is the only one that drops to 0
        assertArrayEquals(new int[] {1, 1, 0, 1, 0, 0, 0, 0, 0, 0}, refCounts(m));
        assertEquals(List.of(2, 4, 5, 6, 7, 8, 9), m.pool().freeBlockIds());
        finish(m, b);
        assertEquals(List.of(3, 2, 4, 5, 6, 7, 8, 9, 1, 0), m.pool().freeBlockIds());
    }

    @Test
    void theLastTokenIsNeverAHit() {
        BlockManager m = new BlockManager(10, BS);
        Sequence a = seq(range(0, 8)); // exactly two full blocks
        admit(m, a);
        finish(m, a);
        Sequence b = seq(range(0, 8));
        ComputedBlocks hit = admit(m, b);
        // All 8 tokens are cached, but the step must compute one to get logits: only block 0 is reused.
        assertEquals(4, hit.numComputedTokens());
        assertArrayEquals(new int[] {0, 2}, m.blockIds(b));
    }

    @Test
    void aBlockMatchesOnlyWithItsWholePrefix() {
        BlockManager m = new BlockManager(10, BS);
        int[] a = range(0, 4), b = range(10, 14), c = range(20, 24), d = range(30, 34);
        admit(m, seq(concat(concat(a, b), new int[] {1})));
        admit(m, seq(concat(concat(c, d), new int[] {1})));
        // [a, d]: block a is cached; d's tokens are cached too, but after c, not after a.
        ComputedBlocks hit = admit(m, seq(concat(concat(a, d), new int[] {1})));
        assertEquals(4, hit.numComputedTokens());
    }

    @Test
    void evictionReallocatesTheLeastRecentlyFreedBlockAndForgetsItsHash() {
        BlockManager m = new BlockManager(4, BS);
        Sequence a = seq(range(0, 9)); // blocks 0, 1 (cached), 2
        admit(m, a);
        finish(m, a); // free queue: 2 (uncached), 3, then the cached 1, 0
        Sequence b = seq(range(100, 109)); // needs 3 blocks: 2, 3 and then 1 (cached: evicted)
        admit(m, b);
        assertArrayEquals(new int[] {2, 3, 1}, m.blockIds(b));
        assertEquals(List.of(0), m.pool().freeBlockIds());
        finish(m, b);
        Sequence c = seq(range(0, 9));
        ComputedBlocks hit = admit(m, c);
        assertEquals(4, hit.numComputedTokens(), "block 0 survived, block 1 (A's second block) was evicted");
        assertEquals(0, m.blockIds(c)[0]);
    }

    @Test
    void allocationFailureChangesNothing() {
        BlockManager m = new BlockManager(3, BS);
        Sequence a = seq(range(0, 8));
        admit(m, a);
        Sequence b = seq(range(50, 59)); // needs 3 blocks, 1 free
        List<Integer> freeBefore = m.pool().freeBlockIds();
        assertFalse(m.allocateSlots(b, 9, m.getComputedBlocks(b)));
        assertEquals(freeBefore, m.pool().freeBlockIds());
        assertFalse(m.hasBlocks(b));
        KvCacheInvariants.check(m, live);
    }

    @Test
    void freeCachedHitBlocksDoNotCountAsFreeForTheSameAllocation() {
        BlockManager m = new BlockManager(3, BS);
        Sequence a = seq(range(0, 9));
        admit(m, a);
        finish(m, a); // all 3 free, blocks 0 and 1 cached
        Sequence b = seq(concat(range(0, 8), range(500, 509))); // hits 2 blocks, then needs 3 more: only 1 left
        ComputedBlocks hit = m.getComputedBlocks(b);
        assertEquals(8, hit.numComputedTokens());
        assertFalse(m.allocateSlots(b, 9, hit));
        assertArrayEquals(new int[] {0, 0, 0}, refCounts(m));
        KvCacheInvariants.check(m, live);
    }

    @Test
    void decodeAppendsBlocksAndCachesThemWhenFull() {
        BlockManager m = new BlockManager(10, BS);
        Sequence a = seq(range(0, 3));
        admit(m, a);
        assertEquals(0, m.pool().numCachedBlocks());
        a.appendTokenId(42); // sampled; position 3 is computed next step and fills block 0
        assertTrue(m.allocateSlots(a, 1, ComputedBlocks.NONE));
        a.setNumComputedTokens(4);
        assertEquals(1, m.pool().numCachedBlocks());
        a.appendTokenId(43); // position 4 opens block 1
        assertTrue(m.allocateSlots(a, 1, ComputedBlocks.NONE));
        a.setNumComputedTokens(5);
        assertArrayEquals(new int[] {0, 1}, m.blockIds(a));
        KvCacheInvariants.check(m, live);
    }

    @Test
    void saltsKeepCachesApart() {
        BlockManager m = new BlockManager(10, BS);
        admit(m, seq("tenant-a", range(0, 9)));
        assertEquals(0, admit(m, seq("tenant-b", range(0, 9))).numComputedTokens());
        assertEquals(8, admit(m, seq("tenant-a", range(0, 9))).numComputedTokens());
        assertNotEquals(BlockHash.of(null, range(0, 4), 0, 4, "x"), BlockHash.of(null, range(0, 4), 0, 4, null));
    }

    @Test
    void theCheckerCatchesABlockTableThatDoesNotMatchTheTokens() {
        BlockManager m = new BlockManager(10, BS);
        Sequence a = seq(range(0, 9));
        assertTrue(m.allocateSlots(a, 9, ComputedBlocks.NONE));
        a.setStatus(SequenceStatus.RUNNING); // but numComputedTokens left at 0: 3 blocks for 0 tokens
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> KvCacheInvariants.check(m, live));
        assertTrue(e.getMessage().contains("holds 3 blocks, expected 0"), e.getMessage());
        a.setNumComputedTokens(9);
        KvCacheInvariants.check(m, live);
        assertThrows(IllegalStateException.class, () -> KvCacheInvariants.check(m, List.of()), "blocks held by an unknown sequence");
    }

    /** vLLM's test_prefill (tests/v1/core/test_prefix_caching.py), without its null block: ids one lower. */
    @Test
    void vllmTestPrefill() {
        BlockManager m = new BlockManager(10, 16);
        int[] common = new int[48]; // three full blocks: 16 × 0, 16 × 1, 16 × 2
        for (int i = 0; i < 48; i++) common[i] = i / 16;
        int[] seven = new int[7], five = new int[5], six = new int[6];
        java.util.Arrays.fill(seven, 3);
        java.util.Arrays.fill(five, 3);
        java.util.Arrays.fill(six, 3);

        Sequence req0 = seq(concat(common, seven)); // a complete miss
        assertEquals(0, admit(m, req0).numComputedTokens());
        assertArrayEquals(new int[] {0, 1, 2, 3}, m.blockIds(req0));
        for (int id = 0; id < 3; id++) assertTrue(m.pool().block(id).blockHash() != null, "full block " + id + " is cached");
        assertEquals(null, m.pool().block(3).blockHash(), "the partial block is not");

        Sequence req1 = seq(concat(common, five)); // hits the prefix while req0 still holds it
        ComputedBlocks hit = admit(m, req1);
        assertEquals(48, hit.numComputedTokens());
        assertArrayEquals(new int[] {0, 1, 2, 4}, m.blockIds(req1));
        for (int id = 0; id < 3; id++) assertEquals(2, m.pool().block(id).refCount());
        assertEquals(5, m.numFreeBlocks());

        finish(m, req0);
        finish(m, req1);
        assertEquals(10, m.numFreeBlocks());
        // [partial blocks of req1 and req0 (4, 3), at the front for immediate reuse] [never used (5..9)] [common (2, 1, 0)]
        assertEquals(List.of(4, 3, 5, 6, 7, 8, 9, 2, 1, 0), m.pool().freeBlockIds());

        Sequence req2 = seq(concat(common, six)); // hits the prefix after it was freed
        assertEquals(48, admit(m, req2).numComputedTokens());
        assertArrayEquals(new int[] {0, 1, 2, 4}, m.blockIds(req2)); // reuses the partial block 4
        assertEquals(6, m.numFreeBlocks());
        finish(m, req2);

        int[] nines = new int[160];
        java.util.Arrays.fill(nines, 99);
        Sequence req3 = seq(nines); // a miss that takes every block: the order is the eviction order
        assertEquals(0, admit(m, req3).numComputedTokens());
        assertArrayEquals(new int[] {4, 3, 5, 6, 7, 8, 9, 2, 1, 0}, m.blockIds(req3));
        assertEquals(0, m.numFreeBlocks());
        assertEquals(List.of(), m.pool().freeBlockIds());
    }
}
