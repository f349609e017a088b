package dev.pagoda.engine.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.Set;
import org.junit.jupiter.api.Test;

/** Where long SentencePiece words may be cut (the oracle tests check that the ids do not change). */
class MetaspaceBoundariesTest {
    @Test
    void cutsBeforeSpaceRunsExceptInsideCrossingTokens() {
        MetaspaceBoundaries b = MetaspaceBoundaries.forVocabulary(Set.of("▁", "▁a", ">▁</", "▁▁"));
        assertArrayEquals(new int[] {0, 2, 5}, b.cuts("▁a▁▁b▁c").toArray());
        assertArrayEquals(new int[] {0, 7}, b.cuts("▁x>▁</y▁z").toArray()); // no cut inside ">▁</"
        assertArrayEquals(new int[] {0}, b.cuts("▁▁▁abc").toArray());
    }

    @Test
    void refusesWhenCuttingCannotBeProvedExact() {
        assertNull(MetaspaceBoundaries.forVocabulary(Set.of("a", "b")), "no ▁ token");
        assertNull(MetaspaceBoundaries.forVocabulary(Set.of("▁", "<0x41>▁")), "a byte token before ▁");
    }
}
