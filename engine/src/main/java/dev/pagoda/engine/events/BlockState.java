package dev.pagoda.engine.events;

import java.util.List;

/**
 * One KV block at the end of a step (vLLM's {@code KVCacheBlock} as seen from outside).
 *
 * @param blockId      the physical block
 * @param refCount     how many sequences have it in their block table
 * @param blockHash    first 16 hex digits of its prefix hash while it is a cached full block; null otherwise
 * @param ownerSeqIds  the sequences whose block table holds it ({@code refCount} of them)
 */
public record BlockState(int blockId, int refCount, String blockHash, List<Long> ownerSeqIds) {
    public BlockState {
        ownerSeqIds = List.copyOf(ownerSeqIds);
    }

    /** The four states the live view colours. */
    public enum Kind {
        /** Nobody uses it and it holds no reusable prefix. */
        FREE,
        /** Nobody uses it, but it still holds a full block of some prefix: a later prompt can hit it until it is evicted. */
        CACHED,
        /** In exactly one block table. */
        OWNED,
        /** In several block tables (a shared prefix, or the n completions of one request). */
        SHARED;

        public String wireName() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    public Kind kind() {
        if (refCount > 1) return Kind.SHARED;
        if (refCount == 1) return Kind.OWNED;
        return blockHash != null ? Kind.CACHED : Kind.FREE;
    }
}
