package dev.pagoda.engine.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import dev.pagoda.engine.testing.Fixtures;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

/**
 * The whole State of the Union corpus (233 addresses, 11 MB), each address encoded as one text by
 * every tokenizer: ids identical to Hugging Face's, and decoding gives the text back.
 */
class SotuCorpusTest {
    static final List<String> TOKENIZERS = HfOracle.ALL;

    static List<String> corpus() throws IOException {
        try (Stream<Path> files = Files.list(Fixtures.fetched("corpus/sotu"))) {
            return files.filter(p -> p.toString().endsWith(".txt")).sorted().map(p -> {
                try {
                    return Files.readString(p);
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }).toList();
        }
    }

    @ParameterizedTest
    @FieldSource("TOKENIZERS")
    void wholeCorpusMatchesHuggingFace(String name) throws IOException {
        Tokenizer t = HfOracle.ours(name);
        List<String> texts = corpus();
        assertEquals(233, texts.size(), "SOTU corpus size");
        for (int i = 0; i < texts.size(); i++) {
            String text = texts.get(i);
            boolean special = i % 2 == 0; // both settings, alternating
            int[] expected = HfOracle.encode(name, text, special);
            int[] actual = t.encode(text, special);
            if (!Arrays.equals(expected, actual)) {
                int k = Arrays.mismatch(expected, actual);
                fail(name + " differs on SOTU text " + i + " at id index " + k + ": expected "
                        + Arrays.toString(Arrays.copyOfRange(expected, Math.max(0, k - 3), Math.min(expected.length, k + 5)))
                        + " actual " + Arrays.toString(Arrays.copyOfRange(actual, Math.max(0, k - 3), Math.min(actual.length, k + 5))));
            }
            if (i % 10 == 0) assertEquals(HfOracle.decode(name, expected, true), t.decode(expected, true), name + " decode of SOTU text " + i);
        }
    }
}
