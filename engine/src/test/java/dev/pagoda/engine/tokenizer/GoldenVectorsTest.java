package dev.pagoda.engine.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.pagoda.engine.json.Json;
import dev.pagoda.engine.testing.Fixtures;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.FieldSource;

/**
 * llama.cpp's tokenizer test vectors ({@code tokenizer-golden/NAME.inp/.out}, made with Hugging Face
 * tokenizers, no special tokens): the expected ids for the vocabularies we have, and agreement with
 * the oracle on every input for every tokenizer.
 */
class GoldenVectorsTest {
    static final List<String> TOKENIZERS = HfOracle.ALL;
    static final List<String> GOLDEN = List.of("llama-bpe", "llama-spm", "qwen2", "gpt-2", "phi-3");

    static List<String> inputs(String golden) throws IOException {
        String text = Files.readString(Fixtures.shared("tokenizer-golden/" + golden + ".inp"));
        List<String> out = new ArrayList<>(Arrays.asList(text.split("\n__ggml_vocab_test__\n", -1)));
        if (out.getLast().isEmpty()) out.removeLast(); // the file ends with a separator
        return out;
    }

    static List<int[]> outputs(String golden) throws IOException {
        return Files.readAllLines(Fixtures.shared("tokenizer-golden/" + golden + ".out")).stream()
                .map(l -> l.isBlank() ? new int[0] : Arrays.stream(l.trim().split(" +")).mapToInt(Integer::parseInt).toArray())
                .toList();
    }

    @ParameterizedTest
    @CsvSource({"gpt-2, gpt2", "llama-bpe, llama3", "llama-bpe, llama3_1", "llama-bpe, llama3_2", "qwen2, qwen2_5", "qwen2, qwen3"})
    void matchesLlamaCppGoldenIds(String golden, String name) throws IOException {
        List<String> in = inputs(golden);
        List<int[]> out = outputs(golden);
        assertEquals(in.size(), out.size(), golden + ": inputs and outputs differ in count");
        Tokenizer t = HfOracle.ours(name);
        for (int i = 0; i < in.size(); i++) {
            String text = in.get(i);
            assertArrayEquals(out.get(i), t.encode(text, false), () -> golden + "/" + name + " on " + Json.write(text));
        }
    }

    @ParameterizedTest
    @FieldSource("TOKENIZERS")
    void agreesWithHuggingFaceOnEveryGoldenInput(String name) throws IOException {
        Tokenizer t = HfOracle.ours(name);
        for (String golden : GOLDEN) {
            for (String text : inputs(golden)) {
                for (boolean special : new boolean[] {false, true}) {
                    int[] expected = HfOracle.encode(name, text, special);
                    assertArrayEquals(expected, t.encode(text, special), () -> name + " on " + golden + " input " + Json.write(text));
                    assertEquals(HfOracle.decode(name, expected, false), t.decode(expected, false), () -> name + " decode of " + Json.write(text));
                }
            }
        }
    }
}
