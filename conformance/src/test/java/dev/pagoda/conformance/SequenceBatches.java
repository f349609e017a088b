package dev.pagoda.conformance;

import dev.pagoda.engine.backend.ForwardBatch;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * Builds {@link ForwardBatch}es for ONE sequence, the way a scheduler would for a single request:
 * a prefill of the whole prompt, a chunk of it, or one decode token at a time.
 *
 * <p>Worked example (blockSize 4, block table {@code [7, 2]}): position 5 lies in logical block
 * 5 / 4 = 1, which is physical block 2, at offset 5 % 4 = 1, so its K/V go to slot 2 * 4 + 1 = 9.
 *
 * @param blockSize  tokens per KV-cache block
 * @param blockTable {@code [numLogicalBlocks]} physical block ids in logical order (the sequence's only row)
 */
record SequenceBatches(int blockSize, int[] blockTable) {

    SequenceBatches {
        blockTable = blockTable.clone();
    }

    /**
     * A block table of {@code numLogicalBlocks} distinct ids drawn at random from {@code [0, numBlocks)}:
     * neither contiguous nor increasing, so that an attention kernel which assumes either is caught.
     */
    static SequenceBatches shuffled(int blockSize, int numLogicalBlocks, int numBlocks, long seed) {
        if (numBlocks < numLogicalBlocks) throw new IllegalArgumentException(numBlocks + " blocks < " + numLogicalBlocks + " needed");
        List<Integer> ids = new ArrayList<>();
        for (int b = 0; b < numBlocks; b++) ids.add(b);
        Collections.shuffle(ids, new Random(seed));
        int[] table = new int[numLogicalBlocks];
        for (int i = 0; i < numLogicalBlocks; i++) table[i] = ids.get(i);
        // A random draw can be increasing by chance for tiny tables; make the test's promise hold.
        if (numLogicalBlocks >= 2 && table[0] < table[1]) {
            int t = table[0];
            table[0] = table[1];
            table[1] = t;
        }
        return new SequenceBatches(blockSize, table);
    }

    /** Logical blocks needed for {@code numTokens} tokens. */
    static int blocksFor(int numTokens, int blockSize) {
        return (numTokens + blockSize - 1) / blockSize;
    }

    /** The cache slot of the token at {@code position}: {@code blockTable[position / blockSize] * blockSize + position % blockSize}. */
    int slot(int position) {
        int logicalBlock = position / blockSize;
        if (logicalBlock >= blockTable.length) {
            throw new IllegalArgumentException("position " + position + " beyond the block table's "
                    + blockTable.length + " blocks of " + blockSize);
        }
        return blockTable[logicalBlock] * blockSize + position % blockSize;
    }

    /**
     * One step that appends {@code tokenIds[start ..< start + count]} to a sequence whose first
     * {@code start} tokens are already in the cache, asking for logits at every new row.
     *
     * @param tokenIds {@code [seqLen]} the sequence's tokens (only the new ones are read)
     */
    ForwardBatch step(int[] tokenIds, int start, int count) {
        return step(tokenIds, start, count, true);
    }

    /** As {@link #step(int[], int, int)}, but with {@code allRows=false} only the last row's logits are asked for. */
    ForwardBatch step(int[] tokenIds, int start, int count, boolean allRows) {
        if (start < 0 || count <= 0 || start + count > tokenIds.length) {
            throw new IllegalArgumentException("bad step [" + start + ", " + (start + count) + ") of " + tokenIds.length + " tokens");
        }
        int[] ids = new int[count];         // [numTokens]
        int[] positions = new int[count];   // [numTokens]
        int[] slotMapping = new int[count]; // [numTokens]
        for (int i = 0; i < count; i++) {
            ids[i] = tokenIds[start + i];
            positions[i] = start + i;
            slotMapping[i] = slot(start + i);
        }
        int[] logitsIndices; // [numLogits]
        if (allRows) {
            logitsIndices = new int[count];
            for (int i = 0; i < count; i++) logitsIndices[i] = i;
        } else {
            logitsIndices = new int[] {count - 1};
        }
        return new ForwardBatch(ids, positions, new int[] {0, count}, new int[] {start + count},
                new int[][] {blockTable.clone()}, slotMapping, logitsIndices);
    }
}
