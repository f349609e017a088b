package dev.pagoda.engine.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.pagoda.engine.testing.Fixtures;
import java.io.IOException;
import java.nio.file.Files;
import java.util.Arrays;
import java.util.List;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

/** The bundled default model's tokenizer against llama2.c's reference run (SentencePiece BPE with byte fallback). */
class StoriesTokenizerTest {
    private final Tokenizer tokenizer = Tokenizer.fromDirectory(Fixtures.stories260k());

    @Test
    void encodesThePromptLikeLlama2c() {
        assertArrayEquals(new int[] {1, 403, 407, 261, 378}, tokenizer.encode("Once upon a time", true));
        assertArrayEquals(new int[] {403, 407, 261, 378}, tokenizer.encode("Once upon a time", false));
    }

    @Test
    void decodesTheGreedyRunToTheReferenceText() throws IOException {
        List<String> lines = Files.readAllLines(Fixtures.shared("models/stories260k/expected-greedy.txt"));
        int[] prompt = ids(lines, "prompt_ids:");
        int[] generated = ids(lines, "generated_ids");
        int textStart = lines.indexOf("text:") + 1;
        String expected = String.join("\n", lines.subList(textStart, lines.indexOf("=== end")));
        int[] all = new int[prompt.length + generated.length];
        System.arraycopy(prompt, 0, all, 0, prompt.length);
        System.arraycopy(generated, 0, all, prompt.length, generated.length);
        assertEquals(expected, tokenizer.decode(all, true));
        assertArrayEquals(prompt, tokenizer.encode("Once upon a time", true));
    }

    @Test
    void byteFallbackRoundTrips() {
        String text = "Lily saw a 🐶 and said \"héllo\"\n\tbye 你好";
        int[] ids = tokenizer.encode(text, false);
        assertEquals(text, tokenizer.decode(ids, false));
        assertEquals(13, tokenizer.encode("\n", false)[1]); // "▁" then <0x0A>
    }

    @Test
    void specialTokensAndConfig() {
        assertEquals(512, tokenizer.vocabSize());
        assertEquals(OptionalInt.of(1), tokenizer.bosTokenId());
        assertEquals(List.of(2), tokenizer.eosTokenIds());
        assertEquals("<s>", tokenizer.idToToken(1));
        assertEquals(OptionalInt.of(2), tokenizer.tokenToId("</s>"));
        assertEquals(true, tokenizer.isSpecial(1));
        assertEquals(false, tokenizer.isSpecial(403));
        assertEquals("Once", tokenizer.decode(new int[] {1, 403, 2}, true));
        assertEquals("<s> Once</s>", tokenizer.decode(new int[] {1, 403, 2}, false));
    }

    private static int[] ids(List<String> lines, String prefix) {
        String line = lines.stream().filter(l -> l.startsWith(prefix)).findFirst().orElseThrow();
        return Arrays.stream(line.substring(line.indexOf(':') + 1).trim().split(" ")).mapToInt(Integer::parseInt).toArray();
    }
}
