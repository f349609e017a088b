package dev.pagoda.conformance.lessons;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pagoda.engine.engine.LlmEngine;
import dev.pagoda.engine.engine.RequestOutput;
import dev.pagoda.engine.kvcache.BlockManager;
import dev.pagoda.engine.kvcache.ComputedBlocks;
import dev.pagoda.engine.sampling.SamplingParams;
import dev.pagoda.engine.sequence.Sequence;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Lesson 3: full blocks are shared between sequences with the same prefix, found by their chained
 * hash. (docs/paged-attention.md, section 7)
 */
class Lesson03PrefixSharingTest {

    @Test
    void twoPromptsShareTheirCommonFullBlocks() {
        BlockManager blocks = new BlockManager(10, 4);
        // A: ten tokens a0..a9. B: the same first eight, then two of its own.
        Sequence a = Lessons.sequence(1, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19);
        Sequence b = Lessons.sequence(2, 10, 11, 12, 13, 14, 15, 16, 17, 98, 99);

        assertTrue(blocks.allocateSlots(a, 10, blocks.getComputedBlocks(a)));
        assertArrayEquals(new int[] {0, 1, 2}, blocks.blockIds(a)); // blocks 0 and 1 are full: cached under their hashes

        // B's first two block hashes (tokens 0..3, then 0..7 chained) are A's: a hit of 8 tokens.
        ComputedBlocks hit = blocks.getComputedBlocks(b);
        assertEquals(8, hit.numComputedTokens());
        assertEquals(List.of(0, 1), hit.blocks().stream().map(k -> k.blockId()).toList());

        // B computes only its last two tokens, in one new block; blocks 0 and 1 now have two owners.
        assertTrue(blocks.allocateSlots(b, 2, hit));
        assertArrayEquals(new int[] {0, 1, 3}, blocks.blockIds(b));
        assertEquals(2, hit.blocks().getFirst().refCount());
        assertEquals(6, blocks.numFreeBlocks()); // 10 − A's 3 − B's 1 new

        // A block is shared only if everything before it matches: C differs in token 1, so even its
        // second block (same tokens 4..7 as A's) is a different prefix and a miss.
        Sequence c = Lessons.sequence(3, 10, 77, 12, 13, 14, 15, 16, 17, 18, 19);
        assertEquals(0, blocks.getComputedBlocks(c).numComputedTokens());
    }

    @Test
    void aCacheHitGivesTheSameTokensAsComputingEverything() {
        int[] story = Lessons.encode("Once upon a time, there was a little girl named Lily. She liked to play");
        int[] other = Lessons.encode("Once upon a time, there was a little girl named Lily. She had a red ball");
        SamplingParams greedy = SamplingParams.builder().temperature(0).maxTokens(12).build();
        try (Lessons.Model model = Lessons.Model.stories260k()) {
            LlmEngine cached = model.engine(Lessons.config(4, 64));
            cached.generate(List.of(story), List.of(greedy)); // fills the prefix cache
            RequestOutput hit = cached.generate(List.of(other), List.of(greedy)).getFirst();

            // The shared prefix "Once upon a time, … Lily. She" covers whole blocks of 4 tokens: those are reused.
            int common = 0;
            while (story[common] == other[common]) common++;
            assertEquals(common / 4 * 4, hit.numCachedTokens());
            assertTrue(hit.numCachedTokens() >= 12, "cached " + hit.numCachedTokens());

            LlmEngine fresh = model.engine(Lessons.config(4, 64).withEnablePrefixCaching(false));
            RequestOutput computed = fresh.generate(List.of(other), List.of(greedy)).getFirst();
            assertEquals(0, computed.numCachedTokens());
            // Same tokens: the reused blocks hold exactly the keys and values B would have computed.
            assertArrayEquals(computed.outputs().getFirst().tokenIds(), hit.outputs().getFirst().tokenIds());
        }
    }
}
