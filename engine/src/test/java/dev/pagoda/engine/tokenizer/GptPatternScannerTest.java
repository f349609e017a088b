package dev.pagoda.engine.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.pagoda.engine.json.Json;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Each hand-written pre-tokenizer scanner splits exactly as java.util.regex running the original regex. */
class GptPatternScannerTest {
    /** Characters from every class the patterns distinguish, several of them in each. */
    private static final String[] ALPHABET = {
        "a", "z", "Q", "S", "T", "s", "t", "r", "e", "v", "m", "l", "d", "R", "E", "V", "M", "L", "D", "ſ",
        "'", "'", "/", "-", ".", "!", "\"", "#", "_", "<", ">", "|",
        "0", "7", "٣", "Ⅻ", "½", "²", "𝟙",
        " ", " ", " ", "\t", "\n", "\r", "\u00a0", "\u2028", "\u3000", "\u000b", "\u0085", "\u200b",
        "é", "Ω", "ω", "ǅ", "ʰ", "中", "ا", "\u0301", "\u0903", "\u20dd", "ー",
        "😀", "👍🏽", "\u200d", "𝔘", "\ud800",
    };

    static List<String> samples() throws IOException {
        List<String> texts = new ArrayList<>(OracleTortureTest.torture());
        for (String golden : GoldenVectorsTest.GOLDEN) texts.addAll(GoldenVectorsTest.inputs(golden));
        Random random = new Random(42);
        for (int i = 0; i < 3000; i++) {
            StringBuilder sb = new StringBuilder();
            int len = random.nextInt(12);
            for (int k = 0; k < len; k++) sb.append(ALPHABET[random.nextInt(ALPHABET.length)]);
            texts.add(sb.toString());
        }
        return texts;
    }

    @ParameterizedTest
    @EnumSource(GptPatternScanner.class)
    void splitsLikeTheRegex(GptPatternScanner scanner) throws IOException {
        SplitPattern regex = new SplitPattern.Regex(scanner.pattern());
        for (String text : samples()) {
            assertArrayEquals(regex.find(text).toArray(), scanner.find(text).toArray(), () -> scanner + " on " + Json.write(text));
        }
        String sotu = SotuCorpusTest.corpus().get(100);
        assertArrayEquals(regex.find(sotu).toArray(), scanner.find(sotu).toArray(), scanner + " on a SOTU address");
    }
}
