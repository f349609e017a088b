package dev.pagoda.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pagoda.engine.testing.Fixtures;
import dev.pagoda.engine.tokenizer.Tokenizer;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The random and SOTU datasets: exact lengths, the range ratio, determinism, real text. */
class DatasetTest {
    @Test
    void randomPromptsHaveExactLengthsAndConsecutiveIds() {
        List<BenchRequest> rs = RandomDataset.sample(5, 16, 8, 0, 512, 1);
        for (int i = 0; i < rs.size(); i++) {
            BenchRequest r = rs.get(i);
            assertEquals(16, r.promptLen());
            assertEquals(8, r.outputLen());
            for (int j = 1; j < 16; j++) assertEquals((r.promptTokenIds()[j - 1] + 1) % 512, r.promptTokenIds()[j]);
        }
        assertArrayEquals(rs.get(3).promptTokenIds(), RandomDataset.sample(5, 16, 8, 0, 512, 1).get(3).promptTokenIds());
    }

    @Test
    void rangeRatioBoundsTheLengths() {
        int min = Integer.MAX_VALUE, max = 0;
        for (BenchRequest r : RandomDataset.sample(2000, 100, 10, 0.5, 1000, 2)) {
            min = Math.min(min, r.promptLen());
            max = Math.max(max, r.promptLen());
            assertTrue(r.outputLen() >= 5 && r.outputLen() <= 15);
        }
        assertEquals(50, min); // [⌊100 × 0.5⌋, ⌊100 × 1.5⌋], both ends reached in 2000 draws
        assertEquals(150, max);
    }

    @Test
    void sotuPromptsAreWindowsOfRealText() {
        Tokenizer tok = Tokenizer.fromDirectory(Fixtures.stories260k());
        List<BenchRequest> rs = SotuDataset.sample(Fixtures.fetched("corpus/sotu"), tok, 4, 64, 16, 0, 0);
        assertEquals(4, rs.size());
        for (BenchRequest r : rs) {
            assertEquals(64, r.promptLen());
            assertEquals(tok.bosTokenId().getAsInt(), r.promptTokenIds()[0]);
            String text = tok.decode(r.promptTokenIds(), true);
            assertTrue(text.chars().filter(c -> c == ' ').count() > 5, text); // words, not noise
        }
    }
}
