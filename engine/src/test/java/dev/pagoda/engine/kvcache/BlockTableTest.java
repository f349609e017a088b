package dev.pagoda.engine.kvcache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class BlockTableTest {
    @Test
    void designWorkedExample() {
        BlockTable table = new BlockTable(4, new int[] {7, 2});
        assertEquals(9, table.slot(5)); // logical block 1 → physical block 2, offset 1
        assertEquals(28, table.slot(0));
        assertEquals(31, table.slot(3));
        assertEquals(11, table.slot(7));
        assertThrows(IndexOutOfBoundsException.class, () -> table.slot(8));
    }

    @Test
    void blocksNeededRoundsUp() {
        assertEquals(0, BlockTable.blocksNeeded(0, 16));
        assertEquals(1, BlockTable.blocksNeeded(16, 16));
        assertEquals(2, BlockTable.blocksNeeded(17, 16));
    }
}
