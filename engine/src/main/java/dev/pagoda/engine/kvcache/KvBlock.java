package dev.pagoda.engine.kvcache;

/**
 * One physical block of the paged KV cache: room for {@code blockSize} tokens' keys and values in
 * every layer. The block itself holds no data (the backend does); this is its bookkeeping, as in
 * vLLM's {@code KVCacheBlock}.
 *
 * <p>A block is in exactly one of three states:
 * <ul>
 *   <li><b>used</b>: {@code refCount > 0}, in the block tables of that many sequences;</li>
 *   <li><b>free and cached</b>: {@code refCount == 0} with a {@link #blockHash()}: it still holds the
 *       keys/values of a full block of some token prefix, sits in the free queue, and can be
 *       revived by a sequence with the same prefix until it is evicted (reallocated);</li>
 *   <li><b>free</b>: {@code refCount == 0}, no hash, in the free queue.</li>
 * </ul>
 *
 * <p>{@code prevFree}/{@code nextFree} are the links of the {@link FreeKvBlockQueue}, kept in the block
 * so that a cached block can be taken out of the middle of the queue in O(1) when it is reused.
 */
public final class KvBlock {
    private final int blockId;
    private int refCount;
    private BlockHash blockHash; // set while the block is a full, cached block; null otherwise

    KvBlock prevFree; // links of the free queue; both null when the block is not in it
    KvBlock nextFree;

    KvBlock(int blockId) {
        this.blockId = blockId;
    }

    /** Index of the block in the cache (its slots are {@code blockId * blockSize ..< (blockId + 1) * blockSize}). */
    public int blockId() {
        return blockId;
    }

    /** How many sequences have this block in their block table. */
    public int refCount() {
        return refCount;
    }

    /** The hash of the full block this block holds, or null when it is not (yet) a cached full block. */
    public BlockHash blockHash() {
        return blockHash;
    }

    void incrementRefCount() {
        refCount++;
    }

    void decrementRefCount() {
        if (refCount == 0) throw new IllegalStateException("block " + blockId + " freed more often than allocated");
        refCount--;
    }

    void setBlockHash(BlockHash hash) {
        if (blockHash != null) throw new IllegalStateException("block " + blockId + " already has a hash");
        blockHash = hash;
    }

    void resetBlockHash() {
        blockHash = null;
    }

    @Override
    public String toString() {
        return "KvBlock[" + blockId + ", ref=" + refCount + (blockHash != null ? ", cached" : "") + "]";
    }
}
