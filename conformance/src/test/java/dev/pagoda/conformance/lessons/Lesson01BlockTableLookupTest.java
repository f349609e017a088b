package dev.pagoda.conformance.lessons;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.pagoda.engine.kvcache.BlockManager;
import dev.pagoda.engine.kvcache.BlockTable;
import dev.pagoda.engine.kvcache.ComputedBlocks;
import dev.pagoda.engine.sequence.Sequence;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * Lesson 1: a token's position becomes a cache slot through the block table.
 * (docs/paged-attention.md, section 2)
 */
class Lesson01BlockTableLookupTest {

    @Test
    void theWorkedExample() {
        // Block size 4; the sequence owns physical blocks 7 and 2, in that logical order.
        BlockTable table = new BlockTable(4, new int[] {7, 2});

        // Position 5: logical block 5 / 4 = 1 → physical block 2; offset 5 % 4 = 1 → slot 2 * 4 + 1 = 9.
        assertEquals(9, table.slot(5));

        // All eight positions: block 7 holds slots 28..31, block 2 holds slots 8..11.
        int[] slots = IntStream.range(0, 8).map(table::slot).toArray();
        assertArrayEquals(new int[] {28, 29, 30, 31, 8, 9, 10, 11}, slots);

        // The table holds 8 tokens; a 9th needs another block.
        assertEquals(8, table.capacity());
        assertEquals(3, BlockTable.blocksNeeded(9, 4));
    }

    @Test
    void theBlockManagerBuildsTheTable() {
        // A pool of 10 blocks of 4 tokens, all free. A 10-token prompt needs ceil(10 / 4) = 3 blocks.
        BlockManager blocks = new BlockManager(10, 4);
        Sequence seq = Lessons.sequence(1, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19);

        // Nothing is cached yet, so the prefix-cache lookup finds nothing...
        ComputedBlocks hit = blocks.getComputedBlocks(seq);
        assertSame(ComputedBlocks.NONE, hit);
        // ...and the whole prompt gets fresh blocks from the front of the free queue: 0, 1, 2.
        assertEquals(true, blocks.allocateSlots(seq, 10, hit));
        assertArrayEquals(new int[] {0, 1, 2}, blocks.blockIds(seq));
        assertEquals(7, blocks.numFreeBlocks());

        // The last prompt token (position 9) goes to block 2, offset 1: slot 9. Block 2 has room
        // for two more tokens (slots 10, 11) before decoding needs a fourth block.
        BlockTable table = blocks.blockTable(seq);
        assertEquals(9, table.slot(9));
        assertEquals(12, table.capacity());

        // Finishing returns the blocks to the pool.
        blocks.free(seq);
        assertEquals(10, blocks.numFreeBlocks());
    }
}
