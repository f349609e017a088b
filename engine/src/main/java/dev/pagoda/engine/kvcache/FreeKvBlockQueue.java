package dev.pagoda.engine.kvcache;

import java.util.ArrayList;
import java.util.List;

/**
 * The free blocks in eviction order, as vLLM's {@code FreeKVCacheBlockQueue}: a doubly linked
 * list threaded through the blocks themselves, with the block to hand out next at the front and
 * the cached block to evict last at the back.
 *
 * <p>Why a hand-made list: reviving a cached block (a prefix-cache hit on a freed block) takes it
 * out of the <em>middle</em> of the queue. With the links inside {@link KvBlock} that is O(1) and
 * allocates nothing; {@code java.util.LinkedList.remove(Object)} would be O(n).
 *
 * <p>At start-up the queue holds every block in id order, so blocks are handed out 0, 1, 2, …
 */
final class FreeKvBlockQueue {
    private final KvBlock head = new KvBlock(-1); // sentinels: head.nextFree is the first free block
    private final KvBlock tail = new KvBlock(-1); //            tail.prevFree is the last
    private int numFreeBlocks;

    FreeKvBlockQueue(KvBlock[] blocks) {
        head.nextFree = tail;
        tail.prevFree = head;
        for (KvBlock b : blocks) append(b);
    }

    int numFreeBlocks() {
        return numFreeBlocks;
    }

    /** Takes the block at the front (the least recently freed). */
    KvBlock popLeft() {
        if (numFreeBlocks == 0) throw new IllegalStateException("no free KV blocks");
        KvBlock b = head.nextFree;
        remove(b);
        return b;
    }

    /** Takes {@code block} out of the queue wherever it is. */
    void remove(KvBlock block) {
        if (block.prevFree == null || block.nextFree == null) {
            throw new IllegalStateException("block " + block.blockId() + " is not in the free queue");
        }
        block.prevFree.nextFree = block.nextFree;
        block.nextFree.prevFree = block.prevFree;
        block.prevFree = null;
        block.nextFree = null;
        numFreeBlocks--;
    }

    /** Puts {@code block} at the back: it will be evicted last. */
    void append(KvBlock block) {
        if (block.prevFree != null || block.nextFree != null) {
            throw new IllegalStateException("block " + block.blockId() + " is already in the free queue");
        }
        KvBlock last = tail.prevFree;
        last.nextFree = block;
        block.prevFree = last;
        block.nextFree = tail;
        tail.prevFree = block;
        numFreeBlocks++;
    }

    /** Puts {@code block} at the front: it will be handed out next. */
    void prepend(KvBlock block) {
        if (block.prevFree != null || block.nextFree != null) {
            throw new IllegalStateException("block " + block.blockId() + " is already in the free queue");
        }
        KvBlock first = head.nextFree;
        head.nextFree = block;
        block.prevFree = head;
        block.nextFree = first;
        first.prevFree = block;
        numFreeBlocks++;
    }

    /** Whether {@code block} is in the queue. O(1). */
    static boolean contains(KvBlock block) {
        return block.nextFree != null;
    }

    /** Block ids front to back (for tests and the invariant checker). O(n). */
    List<Integer> blockIds() {
        List<Integer> ids = new ArrayList<>(numFreeBlocks);
        for (KvBlock b = head.nextFree; b != tail; b = b.nextFree) ids.add(b.blockId());
        return ids;
    }
}
