package dev.pagoda.conformance.lessons;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.pagoda.engine.backend.ComputeBackend;
import dev.pagoda.engine.backend.ForwardBatch;
import dev.pagoda.engine.backend.Logits;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * Lesson 5: what the CPU's paged attention does, seen from the outside through hand-built
 * {@link ForwardBatch}es on stories260K (block size 4): K/V are written to the slots the batch
 * names, read back through the block table, causally, and a row never depends on its batch.
 * (docs/paged-attention.md, sections 4 and 5)
 */
class Lesson05CpuAttentionStepByStepTest {
    private static final int BLOCK = 4;

    /**
     * One sequence's step: {@code tokens} at positions {@code start ..}, written to the slots of
     * {@code table}, attending to everything before them; logits for every row.
     */
    private static ForwardBatch step(int[] table, int start, int... tokens) {
        int n = tokens.length;
        int[] positions = new int[n], slots = new int[n], rows = new int[n];
        for (int i = 0; i < n; i++) {
            positions[i] = start + i;
            slots[i] = table[positions[i] / BLOCK] * BLOCK + positions[i] % BLOCK; // section 2's arithmetic
            rows[i] = i;
        }
        return new ForwardBatch(tokens, positions, new int[] {0, n}, new int[] {start + n}, new int[][] {table}, slots, rows);
    }

    @Test
    void attentionIsCausal() {
        int[] prompt = Lessons.encode("Once upon a time, there was"); // 8 tokens
        try (Lessons.Model model = Lessons.Model.stories260k()) {
            ComputeBackend cpu = model.backend();
            cpu.allocateKvCache(16, BLOCK);
            Logits all = cpu.forward(step(new int[] {0, 1}, 0, prompt));
            // Row i of the full prefill saw positions 0..i only: it equals the last row of a prefill
            // of the first i + 1 tokens (written into other blocks, 4 and 5).
            for (int i = 0; i < prompt.length; i++) {
                Logits prefix = cpu.forward(step(new int[] {4, 5}, 0, Arrays.copyOf(prompt, i + 1)));
                assertArrayEquals(prefix.row(i), all.row(i), "row " + i);
            }
        }
    }

    @Test
    void theBlockTableIsWhereAttentionLooks() {
        int[] prompt = Lessons.encode("Once upon a time, there was"); // 8 tokens: 2 full blocks
        int next = 263;
        try (Lessons.Model model = Lessons.Model.stories260k()) {
            ComputeBackend cpu = model.backend();
            cpu.allocateKvCache(16, BLOCK);
            // Prefill into physical blocks 9 and 3 (any blocks, any order), then decode one token in block 6.
            cpu.forward(step(new int[] {9, 3}, 0, prompt));
            float[] decode = cpu.forward(step(new int[] {9, 3, 6}, 8, next)).row(0);

            // The same sequence written elsewhere (blocks 0, 1, 2) gives bit-identical logits:
            // where a block lives does not matter, only what the table says.
            cpu.forward(step(new int[] {0, 1}, 0, prompt));
            assertArrayEquals(decode, cpu.forward(step(new int[] {0, 1, 2}, 8, next)).row(0));

            // Point the table's second entry at a block nobody wrote (12, still zeros): attention
            // now reads other keys and values for positions 4..7, and the logits change.
            float[] wrong = cpu.forward(step(new int[] {9, 12, 7}, 8, next)).row(0);
            assertFalse(Arrays.equals(decode, wrong));
        }
    }

    @Test
    void aRowDoesNotDependOnItsBatch() {
        int[] a = Lessons.encode("Once upon a time"), b = Lessons.encode("The little dog");
        try (Lessons.Model model = Lessons.Model.stories260k()) {
            ComputeBackend cpu = model.backend();
            cpu.allocateKvCache(16, BLOCK);
            float[] aliceAlone = cpu.forward(step(new int[] {0, 1}, 0, a)).row(a.length - 1);
            float[] bobAlone = cpu.forward(step(new int[] {2, 3}, 0, b)).row(b.length - 1);

            // Both prefills in one forward pass: rows 0..a-1 are A's, the rest B's; each sequence
            // has its own block table and sequence length.
            int n = a.length + b.length;
            int[] tokens = new int[n], positions = new int[n], slots = new int[n];
            int[][] tables = {{4, 5}, {6, 7}};
            for (int i = 0; i < n; i++) {
                boolean first = i < a.length;
                int p = first ? i : i - a.length;
                tokens[i] = first ? a[p] : b[p];
                positions[i] = p;
                slots[i] = tables[first ? 0 : 1][p / BLOCK] * BLOCK + p % BLOCK;
            }
            Logits both = cpu.forward(new ForwardBatch(tokens, positions, new int[] {0, a.length, n}, new int[] {a.length, b.length},
                    tables, slots, new int[] {a.length - 1, n - 1}));
            assertArrayEquals(aliceAlone, both.row(0));
            assertArrayEquals(bobAlone, both.row(1));
        }
    }
}
