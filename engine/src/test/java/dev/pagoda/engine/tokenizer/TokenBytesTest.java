package dev.pagoda.engine.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

/**
 * The byte-level fast decode ({@link TokenBytes}) against the token-string path it replaces, which
 * stays the oracle: random runs of ids over the whole vocabulary, added and special tokens, ids out of
 * range and windows that cut characters, with and without skipping special tokens.
 */
class TokenBytesTest {
    static final java.util.List<String> TOKENIZERS = HfOracle.ALL;

    @ParameterizedTest
    @FieldSource("TOKENIZERS")
    void decodesAsTheTokenStrings(String name) {
        Tokenizer t = HfOracle.ours(name);
        SplittableRandom random = new SplittableRandom(name.hashCode());
        for (int trial = 0; trial < 2_000; trial++) {
            int[] ids = new int[random.nextInt(1, 12)];
            for (int i = 0; i < ids.length; i++) {
                int pick = random.nextInt(10);
                ids[i] = pick == 0 ? t.vocabSize() - 1 - random.nextInt(Math.min(300, t.vocabSize())) // the added tokens sit at the top
                        : pick == 1 ? random.nextInt(-2, 3) + (random.nextBoolean() ? 0 : t.vocabSize())  // around both ends
                        : random.nextInt(t.vocabSize());
            }
            int from = random.nextInt(ids.length), to = random.nextInt(from, ids.length + 1);
            for (boolean skip : new boolean[] {false, true}) {
                String expected = t.decodeTokens(t.tokens(ids, from, to, skip));
                assertEquals(expected, t.decode(ids, from, to, skip), () -> name + ": ids " + java.util.Arrays.toString(ids) + " [" + from + ", " + to + ")");
            }
        }
    }
}
