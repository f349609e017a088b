package dev.pagoda.engine.tokenizer;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Coverage-guided fuzzing of {@code tokenizer.json} loading ({@link Tokenizer#fromDirectory}), and
 * of encoding and decoding with whatever tokenizer loads.
 *
 * <p>A finding is: any exception other than {@link TokenizerException} while loading (a class cast,
 * an index error, a negative array size), a {@code TokenizerException} whose message does not name
 * the file, any exception at all while encoding or decoding with a tokenizer that loaded, or an
 * encoded id outside the vocabulary. Hangs and out-of-memory errors (a token id of 2^31 sizing an
 * array) are findings too. Seeds: {@code TokenizerJsonFuzzTestInputs/}; see docs/reliability-fuzz.md.
 */
class TokenizerJsonFuzzTest {
    private static final Path DIR = tempDir();
    private static final String[] PROBES = {"", "Hello world", "  two  spaces\n\ttab", "ünïcödé 😀 中文", "<s>x</s><unk>", "a\u0000b"};

    private static Path tempDir() {
        try {
            Path dir = Files.createTempDirectory("pagoda-fuzz-tokenizer");
            dir.toFile().deleteOnExit();
            dir.resolve("tokenizer.json").toFile().deleteOnExit();
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @FuzzTest(maxDuration = "15s")
    @DictionaryEntries({"\"type\"", "\"BPE\"", "\"ByteLevel\"", "\"Metaspace\"", "\"Sequence\"", "\"Split\"", "\"Replace\"", "\"Prepend\"",
            "\"NFC\"", "\"NFKC\"", "\"Strip\"", "\"ByteFallback\"", "\"Fuse\"", "\"TemplateProcessing\"", "\"SpecialToken\"",
            "\"byte_fallback\"", "\"ignore_merges\"", "\"fuse_unk\"", "\"unk_token\"", "\"added_tokens\"", "\"merges\"", "\"vocab\"",
            "\"Regex\"", "\"String\"", "\"Isolated\"", "\"MergedWithPrevious\"", "\"add_prefix_space\"", "\"use_regex\"", "\"special\"",
            "\"content\"", "\"id\"", "2147483647", "-1", "\"▁\"", "\"Ġ\""})
    void loadEncodeDecode(byte[] input) throws IOException {
        Files.write(DIR.resolve("tokenizer.json"), input);
        Tokenizer tokenizer;
        try {
            tokenizer = Tokenizer.fromDirectory(DIR);
        } catch (TokenizerException expected) {
            assertTrue(expected.getMessage().contains("tokenizer.json"), () -> "message names the file: " + expected.getMessage());
            return;
        }
        for (String probe : PROBES) {
            for (boolean special : new boolean[] {false, true}) {
                int[] ids = tokenizer.encode(probe, special);
                for (int id : ids) assertTrue(id >= 0 && id < tokenizer.vocabSize(), () -> "id " + id + " outside the vocabulary");
                assertNotNull(tokenizer.decode(ids, special));
            }
        }
        int[] every = new int[Math.min(tokenizer.vocabSize(), 4096)];
        for (int i = 0; i < every.length; i++) every[i] = i;
        assertNotNull(tokenizer.decode(every, false));
    }
}
