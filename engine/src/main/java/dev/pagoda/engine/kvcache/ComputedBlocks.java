package dev.pagoda.engine.kvcache;

import java.util.List;

/**
 * A prefix-cache hit: the cached full blocks that hold the first {@code numComputedTokens}
 * tokens of a sequence, found by {@link BlockManager#getComputedBlocks}.
 *
 * @param blocks            the blocks, logical order
 * @param numComputedTokens {@code blocks.size() * blockSize}
 */
public record ComputedBlocks(List<KvBlock> blocks, int numComputedTokens) {
    public static final ComputedBlocks NONE = new ComputedBlocks(List.of(), 0);

    public ComputedBlocks {
        blocks = List.copyOf(blocks);
    }
}
