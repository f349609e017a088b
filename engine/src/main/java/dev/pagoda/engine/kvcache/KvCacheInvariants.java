package dev.pagoda.engine.kvcache;

import dev.pagoda.engine.sequence.Sequence;
import dev.pagoda.engine.sequence.SequenceStatus;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Checks the block bookkeeping for consistency; tests call it after every engine step. Each
 * violation is a bug that would otherwise surface much later as another sequence's keys and
 * values in an attention read.
 *
 * <ul>
 *   <li>free + used = all: every block is either in the free queue (refCount 0) or held (refCount > 0);</li>
 *   <li>a block's refCount is the number of sequences holding it, and ≥ 0;</li>
 *   <li>no block appears twice in one block table;</li>
 *   <li>the prefix cache maps each hash to a block carrying that hash, and every hashed block is in it;</li>
 *   <li>between steps, a running sequence holds exactly {@code ceil(numComputedTokens / blockSize)}
 *       blocks, and a waiting, preempted or finished one holds none.</li>
 * </ul>
 */
public final class KvCacheInvariants {
    private KvCacheInvariants() {}

    /** Throws {@link IllegalStateException} naming the first violated invariant. */
    public static void check(BlockManager manager, Collection<Sequence> sequences) {
        BlockPool pool = manager.pool();
        Map<Long, List<KvBlock>> held = manager.blocksBySeq();

        // Reference counts equal the number of holders; no block twice in a table.
        Map<KvBlock, Integer> holders = new HashMap<>();
        held.forEach((seqId, blocks) -> {
            Set<KvBlock> seen = new HashSet<>();
            for (KvBlock b : blocks) {
                if (!seen.add(b)) fail("block " + b.blockId() + " appears twice in the table of sequence " + seqId);
                holders.merge(b, 1, Integer::sum);
            }
        });
        List<Integer> freeIds = pool.freeBlockIds();
        if (freeIds.size() != pool.numFreeBlocks()) fail("free queue links " + freeIds.size() + " blocks but counts " + pool.numFreeBlocks());
        Set<Integer> free = new HashSet<>(freeIds);
        if (free.size() != freeIds.size()) fail("a block is twice in the free queue: " + freeIds);
        int used = 0;
        for (int id = 0; id < pool.numBlocks(); id++) {
            KvBlock b = pool.block(id);
            int h = holders.getOrDefault(b, 0);
            if (b.refCount() < 0) fail(b + " has a negative refCount");
            if (b.refCount() != h) fail(b + " has refCount " + b.refCount() + " but " + h + " sequences hold it");
            if (b.refCount() > 0) {
                used++;
                if (free.contains(id)) fail(b + " is held and in the free queue");
            } else if (!free.contains(id)) {
                fail(b + " is neither held nor in the free queue (leaked)");
            }
        }
        if (used + free.size() != pool.numBlocks()) fail(used + " used + " + free.size() + " free != " + pool.numBlocks() + " blocks");

        // The prefix cache and the blocks agree.
        int hashed = 0;
        for (int id = 0; id < pool.numBlocks(); id++) {
            KvBlock b = pool.block(id);
            if (b.blockHash() == null) continue;
            hashed++;
            if (pool.getCachedBlock(b.blockHash()) != b) fail(b + " has a hash the prefix cache maps elsewhere");
        }
        if (hashed != pool.numCachedBlocks()) fail("prefix cache has " + pool.numCachedBlocks() + " entries, " + hashed + " blocks are hashed");

        // Block tables match the token counts.
        Set<Long> known = new HashSet<>();
        for (Sequence seq : sequences) {
            known.add(seq.seqId());
            int have = held.getOrDefault(seq.seqId(), List.of()).size();
            int want = seq.status() == SequenceStatus.RUNNING ? BlockTable.blocksNeeded(seq.numComputedTokens(), manager.blockSize()) : 0;
            if (have != want) fail(seq + " holds " + have + " blocks, expected " + want);
        }
        for (long seqId : held.keySet()) {
            if (!known.contains(seqId)) fail("blocks held by unknown sequence " + seqId);
        }
    }

    private static void fail(String message) {
        throw new IllegalStateException("KV cache invariant violated: " + message);
    }
}
