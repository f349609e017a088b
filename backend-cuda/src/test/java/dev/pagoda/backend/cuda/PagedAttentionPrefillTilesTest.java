package dev.pagoda.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The prefill kernel's work list (no GPU): every new row in exactly one tile, longest-running tiles first. */
class PagedAttentionPrefillTilesTest {

    @Test
    void everyRowOnceLongestFirst() {
        // Three sequences: 130 new rows on no context, one decode row on 500 cached, 64 rows after 10 cached; an empty one.
        int[] queryStartLoc = {0, 130, 131, 195, 195}, seqLens = {130, 501, 74, 40};
        int[] tiles = PagedAttentionPrefill.tiles(queryStartLoc, seqLens);
        // Last visible position of each tile: seq 0 → 63, 127, 129; seq 1 → 500; seq 2 → 73.
        assertArrayEquals(new int[] {1, 0, 0, 128, 0, 64, 2, 0, 0, 0}, tiles);
        int[] covered = new int[195];
        for (int t = 0; t < tiles.length; t += 2) {
            int s = tiles[t], queryLen = queryStartLoc[s + 1] - queryStartLoc[s];
            for (int i = tiles[t + 1]; i < Math.min(tiles[t + 1] + PagedAttentionPrefill.BLOCK_M, queryLen); i++) covered[queryStartLoc[s] + i]++;
        }
        for (int row = 0; row < covered.length; row++) assertEquals(1, covered[row], "row " + row);
    }
}
