package dev.pagoda.engine.kvcache;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Every KV block of the cache and where each one is: the pool of vLLM's {@code BlockPool}.
 * It knows nothing about sequences; {@link BlockManager} decides which blocks a sequence gets.
 *
 * <ul>
 *   <li>{@link #getNewBlocks}: takes blocks from the front of the free queue. A taken block that
 *       was still cached is evicted first (its hash forgotten): its old contents will be overwritten.</li>
 *   <li>{@link #touch}: a prefix-cache hit. Takes the cached blocks a new sequence reuses; a hit on
 *       a free cached block pulls it out of the free queue (O(1)).</li>
 *   <li>{@link #freeBlocks}: drops one reference of each block; cached blocks that nobody uses any
 *       more go to the back of the free queue <em>in the order given</em>, keeping their hash, so
 *       they can still be hit until they reach the front and are reallocated (LRU eviction);
 *       uncached ones go to the front, to be reused first.</li>
 *   <li>{@link #cacheFullBlock}: registers a block that has become full under its {@link BlockHash}.</li>
 * </ul>
 */
public final class BlockPool {
    private final KvBlock[] blocks;
    private final FreeKvBlockQueue freeBlockQueue;
    private final Map<BlockHash, KvBlock> cachedBlocks = new HashMap<>(); // full blocks by hash, used or free

    public BlockPool(int numBlocks) {
        if (numBlocks < 1) throw new IllegalArgumentException("numBlocks must be at least 1, got " + numBlocks);
        blocks = new KvBlock[numBlocks];
        for (int i = 0; i < numBlocks; i++) blocks[i] = new KvBlock(i);
        freeBlockQueue = new FreeKvBlockQueue(blocks);
    }

    public int numBlocks() {
        return blocks.length;
    }

    /** Blocks no sequence uses (some of them still cached, all of them allocatable). */
    public int numFreeBlocks() {
        return freeBlockQueue.numFreeBlocks();
    }

    public KvBlock block(int blockId) {
        return blocks[blockId];
    }

    /** Takes {@code n} blocks from the front of the free queue, evicting cached ones; each gets refCount 1. */
    // region: evict-on-reuse
    public KvBlock[] getNewBlocks(int n) {
        if (n > numFreeBlocks()) throw new IllegalStateException("asked for " + n + " blocks, " + numFreeBlocks() + " free");
        KvBlock[] out = new KvBlock[n];
        for (int i = 0; i < n; i++) {
            KvBlock b = freeBlockQueue.popLeft();
            evict(b);
            b.incrementRefCount();
            out[i] = b;
        }
        return out;
    }
    // endregion

    /** The cached block holding exactly this prefix, or null. */
    public KvBlock getCachedBlock(BlockHash hash) {
        return cachedBlocks.get(hash);
    }

    /** Adds a reference to each block (prefix-cache hits); blocks nobody used leave the free queue. */
    public void touch(List<KvBlock> hits) {
        for (KvBlock b : hits) {
            if (b.refCount() == 0) freeBlockQueue.remove(b);
            b.incrementRefCount();
        }
    }

    /**
     * Drops one reference of each block. A block that becomes unused goes to the free queue:
     * <ul>
     *   <li>a cached block to the <em>back</em>, in the given order, so that the first of them is
     *       evicted first. {@link BlockManager#free} passes a sequence's blocks last to first: the
     *       tail of a prefix, which fewer prompts share, is evicted before its head;</li>
     *   <li>a block without a hash (a partial last block) to the <em>front</em>: nobody can ever hit
     *       it, so it is the cheapest to hand out (what vLLM does since it stopped evicting cached
     *       blocks while useless ones wait).</li>
     * </ul>
     */
    public void freeBlocks(List<KvBlock> orderedBlocks) {
        for (KvBlock b : orderedBlocks) {
            b.decrementRefCount();
            if (b.refCount() > 0) continue;
            if (b.blockHash() != null) freeBlockQueue.append(b);
            else freeBlockQueue.prepend(b);
        }
    }

    /**
     * Registers {@code block}, which now holds a full block of tokens, under {@code hash}.
     * Returns false (and leaves it uncached) when another block already holds that prefix: two
     * sequences computed the same block in the same step; one copy in the cache is enough.
     */
    public boolean cacheFullBlock(KvBlock block, BlockHash hash) {
        if (cachedBlocks.containsKey(hash)) return false;
        block.setBlockHash(hash);
        cachedBlocks.put(hash, block);
        return true;
    }

    /** Forgets every cached prefix (the blocks themselves stay where they are). */
    public void resetPrefixCache() {
        for (KvBlock b : cachedBlocks.values()) b.resetBlockHash();
        cachedBlocks.clear();
    }

    private void evict(KvBlock b) {
        if (b.blockHash() != null) {
            cachedBlocks.remove(b.blockHash());
            b.resetBlockHash();
        }
    }

    /** Free-queue block ids, front (next to evict) to back. O(n); for tests and diagnostics. */
    public List<Integer> freeBlockIds() {
        return freeBlockQueue.blockIds();
    }

    /** Whether {@code block} is in the free queue. */
    public boolean isFree(KvBlock block) {
        return FreeKvBlockQueue.contains(block);
    }

    /** Number of cached full blocks (used or free). */
    public int numCachedBlocks() {
        return cachedBlocks.size();
    }

    Map<BlockHash, KvBlock> cachedBlocksView() {
        return cachedBlocks;
    }
}
