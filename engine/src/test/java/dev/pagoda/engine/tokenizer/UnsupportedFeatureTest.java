package dev.pagoda.engine.tokenizer;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pagoda.engine.json.Json;
import dev.pagoda.engine.testing.Fixtures;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A feature we do not implement is a clear error naming it, never a silently different tokenization. */
class UnsupportedFeatureTest {
    @TempDir
    Path tmp;

    @SuppressWarnings("unchecked")
    private void assertRejected(String expectedInMessage, Consumer<Map<String, Object>> change) throws IOException {
        Map<String, Object> json = (Map<String, Object>) Json.parse(Files.readString(Fixtures.stories260k().resolve("tokenizer.json")));
        change.accept(json);
        Path dir = Files.createTempDirectory(tmp, "t");
        Files.writeString(dir.resolve("tokenizer.json"), Json.write(json));
        TokenizerException e = assertThrows(TokenizerException.class, () -> Tokenizer.fromDirectory(dir));
        assertTrue(e.getMessage().contains(expectedInMessage), () -> "message '" + e.getMessage() + "' should name " + expectedInMessage);
        assertTrue(e.getMessage().contains(dir.resolve("tokenizer.json").toString()), "message names the file: " + e.getMessage());
    }

    @Test
    @SuppressWarnings("unchecked")
    void namesTheFeature() throws IOException {
        assertRejected("model of type 'WordPiece'", j -> ((Map<String, Object>) j.get("model")).put("type", "WordPiece"));
        assertRejected("normalizer of type 'Precompiled'", j -> j.put("normalizer", Map.of("type", "Precompiled")));
        assertRejected("pre_tokenizer of type 'BertPreTokenizer'", j -> j.put("pre_tokenizer", Map.of("type", "BertPreTokenizer")));
        assertRejected("decoder of type 'WordPiece'", j -> j.put("decoder", Map.of("type", "WordPiece")));
        assertRejected("post_processor of type 'Wordy'", j -> j.put("post_processor", Map.of("type", "Wordy")));
        assertRejected("Split behavior of type 'Sideways'", j -> j.put("pre_tokenizer",
                Map.of("type", "Split", "pattern", Map.of("String", " "), "behavior", "Sideways", "invert", false)));
        assertRejected("model.dropout", j -> ((Map<String, Object>) j.get("model")).put("dropout", 0.1));
        assertRejected("merges[0]", j -> ((Map<String, Object>) j.get("model")).put("merges", List.of("▁t")));
        assertRejected("missing from model.vocab", j -> ((Map<String, Object>) j.get("model")).put("merges", List.of(List.of("▁t", "zz"))));
    }
}
