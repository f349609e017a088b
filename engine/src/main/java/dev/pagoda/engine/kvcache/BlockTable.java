package dev.pagoda.engine.kvcache;

import java.util.Arrays;

/**
 * A sequence's map from logical KV blocks to physical ones in the paged cache.
 *
 * <p>Token {@code position} of a sequence lives in logical block {@code position / blockSize},
 * at offset {@code position % blockSize}; the table says which physical block that is, and the
 * token's <em>slot</em> (its row in the cache) is {@code physicalBlock * blockSize + offset}.
 *
 * <p>Worked example: blockSize 4, block table [7, 2]: position 5 → logical block 1 →
 * physical block 2, offset 1 → slot 9.
 *
 * @param blockSize tokens per block
 * @param blockIds  {@code [numBlocks]} physical block ids in logical order
 */
public record BlockTable(int blockSize, int[] blockIds) {
    public BlockTable {
        if (blockSize <= 0) throw new IllegalArgumentException("blockSize must be positive");
        blockIds = blockIds.clone();
    }

    @Override
    public int[] blockIds() {
        return blockIds.clone();
    }

    /** How many tokens the table can hold. */
    public int capacity() {
        return blockIds.length * blockSize;
    }

    // region: slot
    /** The cache slot of the token at {@code position}. */
    public int slot(int position) {
        int logicalBlock = position / blockSize;
        if (position < 0 || logicalBlock >= blockIds.length) {
            throw new IndexOutOfBoundsException("position " + position + " outside a table of " + capacity() + " slots");
        }
        int offset = position % blockSize;
        return blockIds[logicalBlock] * blockSize + offset;
    }
    // endregion

    /** Blocks needed for {@code numTokens} tokens. */
    public static int blocksNeeded(int numTokens, int blockSize) {
        return (numTokens + blockSize - 1) / blockSize;
    }

    @Override
    public String toString() {
        return "BlockTable" + Arrays.toString(blockIds) + "x" + blockSize;
    }
}
