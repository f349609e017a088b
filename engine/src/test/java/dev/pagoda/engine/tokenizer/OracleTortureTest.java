package dev.pagoda.engine.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.pagoda.engine.json.Json;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

/**
 * Our ids and text against Hugging Face's on a hand-written unicode torture set
 * ({@code tokenizer/torture.jsonl}: whitespace runs, CJK, RTL, emoji sequences, combining marks,
 * NFC/NFD, digits, code, special-token strings inside text), with and without special tokens.
 */
class OracleTortureTest {
    static final List<String> TOKENIZERS = HfOracle.ALL;

    static List<String> torture() throws IOException {
        try (InputStream in = OracleTortureTest.class.getResourceAsStream("/tokenizer/torture.jsonl")) {
            String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            return text.lines().filter(l -> !l.isBlank()).map(l -> (String) Json.parse(l)).toList();
        }
    }

    @ParameterizedTest
    @FieldSource("TOKENIZERS")
    void encodeAndDecodeMatchHuggingFace(String name) throws IOException {
        Tokenizer ours = HfOracle.ours(name);
        for (String text : torture()) {
            for (boolean special : new boolean[] {false, true}) {
                int[] expected = HfOracle.encode(name, text, special);
                int[] actual = ours.encode(text, special);
                assertArrayEquals(expected, actual, () -> name + " encode(" + Json.write(text) + ", " + special + ")\n expected "
                        + Arrays.toString(expected) + "\n actual   " + Arrays.toString(actual));
                for (boolean skip : new boolean[] {false, true}) {
                    assertEquals(HfOracle.decode(name, expected, skip), ours.decode(expected, skip),
                            () -> name + " decode(" + Arrays.toString(expected) + ", skip=" + skip + ") of " + Json.write(text));
                }
            }
        }
    }
}
