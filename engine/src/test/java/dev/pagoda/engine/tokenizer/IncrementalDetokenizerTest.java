package dev.pagoda.engine.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pagoda.engine.json.Json;
import dev.pagoda.engine.sampling.Finish;
import dev.pagoda.engine.sampling.SamplingParams;
import dev.pagoda.engine.sampling.StopChecker;
import dev.pagoda.engine.testing.Fixtures;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

/** Streaming decode: deltas add up to the full decode, never show a half character, and stop strings are found across deltas. */
class IncrementalDetokenizerTest {
    static final List<String> TOKENIZERS = HfOracle.ALL;

    static List<String> texts() throws IOException {
        List<String> texts = new ArrayList<>(OracleTortureTest.torture());
        String sotu = SotuCorpusTest.corpus().get(200);
        texts.add(sotu.substring(0, Math.min(3000, sotu.length())));
        texts.add("<s>Hello<|endoftext|> world</s><|im_start|>user\n😀👍🏽 中文<|im_end|>");
        return texts;
    }

    /** Streams ids and checks the invariants; returns the concatenated text. */
    private static String stream(IncrementalDetokenizer d, int[] generated, String context) {
        StringBuilder sb = new StringBuilder();
        for (int id : generated) {
            String delta = d.add(id);
            assertFalse(delta.contains("\uFFFD"), () -> context + ": U+FFFD streamed in delta " + Json.write(delta));
            sb.append(delta);
            assertEquals(sb.toString(), d.text().toString(), context + ": text() is the concatenation of the deltas");
        }
        sb.append(d.flush());
        return sb.toString();
    }

    @ParameterizedTest
    @FieldSource("TOKENIZERS")
    void deltasConcatenateToTheFullDecode(String name) throws IOException {
        Tokenizer t = HfOracle.ours(name);
        for (String text : texts()) {
            int[] ids = t.encode(text, true);
            for (boolean skip : new boolean[] {false, true}) {
                for (boolean spaces : new boolean[] {false, true}) {
                    String context = name + " skip=" + skip + " spaces=" + spaces + " on " + Json.write(text);
                    String expected = t.decode(ids, skip, spaces);
                    assertEquals(expected, stream(new IncrementalDetokenizer(t, new int[0], skip, spaces), ids, context), context);
                }
                // With a prompt: the generated ids add exactly what they add to the prompt's decode.
                int k = ids.length / 3;
                int[] prompt = Arrays.copyOfRange(ids, 0, k);
                String full = t.decode(ids, skip);
                String promptText = t.decode(prompt, skip);
                if (!full.startsWith(promptText)) continue; // a prompt cut inside a character
                String context = name + " prompt of " + k + " ids, skip=" + skip + " on " + Json.write(text);
                assertEquals(full.substring(promptText.length()),
                        stream(new IncrementalDetokenizer(t, prompt, skip, false), Arrays.copyOfRange(ids, k, ids.length), context), context);
            }
        }
    }

    @Test
    void holdsBackIncompleteCharacters() {
        Tokenizer t = HfOracle.ours("gpt2");
        int[] ids = t.encode("😀", false); // one emoji, four bytes, several byte-level tokens
        assertTrue(ids.length > 1, "the emoji spans several tokens");
        IncrementalDetokenizer d = new IncrementalDetokenizer(t, false);
        for (int i = 0; i < ids.length - 1; i++) assertEquals("", d.add(ids[i]));
        assertEquals("😀", d.add(ids[ids.length - 1]));

        Tokenizer stories = Tokenizer.fromDirectory(Fixtures.stories260k()); // byte fallback <0xNN> tokens
        int[] bytes = stories.encode("中", false);
        assertEquals(4, bytes.length, "▁ and three byte tokens");
        IncrementalDetokenizer s = new IncrementalDetokenizer(stories, false);
        assertEquals("", s.add(bytes[0])); // "▁" alone: the decoder strips the first space
        assertEquals("", s.add(bytes[1]));
        assertEquals("", s.add(bytes[2]));
        assertEquals("中", s.add(bytes[3]));
        IncrementalDetokenizer cut = new IncrementalDetokenizer(stories, false);
        assertEquals("", cut.add(stories.tokenToId("<0xE4>").orElseThrow())); // a lone lead byte
        assertEquals("\uFFFD", cut.flush()); // released at the end, as the full decode has it
    }

    @Test
    void promptContextGivesTheLeadingSpace() {
        Tokenizer t = Tokenizer.fromDirectory(Fixtures.stories260k());
        int[] ids = t.encode("Once upon a time", true);
        IncrementalDetokenizer d = new IncrementalDetokenizer(t, Arrays.copyOf(ids, 3), true, false);
        assertEquals(" a", d.add(ids[3]));
        assertEquals(" time", d.add(ids[4]));
        assertEquals("Once", new IncrementalDetokenizer(t, true).add(ids[1])); // no context: the first word has no space
    }

    @Test
    void spacesBetweenSpecialTokensAsTransformersSlowTokenizers() {
        Tokenizer t = Tokenizer.fromDirectory(Fixtures.stories260k());
        int[] ids = {1, 403, 407, 2};
        assertEquals("<s> Once upon </s>", t.decode(ids, false, true));
        assertEquals("<s> Once upon</s>", t.decode(ids, false, false));
        assertEquals("Once upon", t.decode(ids, true, true));
    }

    @Test
    void stopStringsAcrossDeltas() {
        // The engine's StopChecker reads the detokenizer's growing text; a stop string may span deltas.
        Tokenizer t = HfOracle.ours("llama3");
        SamplingParams params = SamplingParams.builder().stop("STOP here", "never").build();
        StopChecker stops = new StopChecker(params, List.of(), 1 << 20);
        String text = "Some words then STOP here and more";
        IncrementalDetokenizer d = new IncrementalDetokenizer(t, false);
        Finish finish = null;
        int numOutputTokens = 0;
        for (int id : t.encode(text, false)) {
            String delta = d.add(id);
            finish = stops.checkStopStrings(d.text().toString(), delta.length(), ++numOutputTokens).orElse(null);
            if (finish != null) break;
        }
        assertNotNull(finish, "the stop string spans several deltas");
        assertEquals("STOP here", finish.stopString());
        assertEquals("Some words then STOP here".length(), d.text().length(), "found as soon as its last character arrived");
        assertEquals("Some words then ", finish.truncate(d.text().toString()));
    }
}
