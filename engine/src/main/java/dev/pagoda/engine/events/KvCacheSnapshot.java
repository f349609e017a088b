package dev.pagoda.engine.events;

import java.util.List;

/**
 * The KV block pool and every block table at the end of a step (what vLLM's KV events let an
 * observer rebuild). Only blocks that are in use or still cached are listed: every other block
 * of {@code 0 ..< numBlocks} is free, which keeps a snapshot small when the pool is large.
 *
 * @param blockSize     tokens per block
 * @param numBlocks     blocks in the pool
 * @param numFreeBlocks blocks no sequence uses (cached ones included)
 * @param blocks        the used or cached blocks, by block id
 * @param sequences     the unfinished sequences (running first, then waiting) and their block tables
 */
public record KvCacheSnapshot(int blockSize, int numBlocks, int numFreeBlocks, List<BlockState> blocks, List<SequenceBlocks> sequences) {
    public KvCacheSnapshot {
        blocks = List.copyOf(blocks);
        sequences = List.copyOf(sequences);
    }

    /** The state of {@code blockId}: the listed entry, or a free block. */
    public BlockState block(int blockId) {
        for (BlockState b : blocks) if (b.blockId() == blockId) return b;
        if (blockId < 0 || blockId >= numBlocks) throw new IndexOutOfBoundsException("block " + blockId + " outside a pool of " + numBlocks);
        return new BlockState(blockId, 0, null, List.of());
    }

    /** How many blocks are in {@code kind}. */
    public int count(BlockState.Kind kind) {
        if (kind == BlockState.Kind.FREE) return numBlocks - (int) blocks.stream().filter(b -> b.kind() != BlockState.Kind.FREE).count();
        return (int) blocks.stream().filter(b -> b.kind() == kind).count();
    }
}
