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

/**
 * A broken tokenizer.json (truncated, not JSON, wrong types, ids out of range) is a
 * {@link TokenizerException} naming the file and the field, never another exception or an
 * out-of-memory error. Unsupported-but-valid features are in {@link UnsupportedFeatureTest}.
 */
class TokenizerJsonErrorsTest {
    @TempDir
    Path tmp;

    private void assertFails(String text, String... mentions) throws IOException {
        Path dir = Files.createTempDirectory(tmp, "t");
        Files.writeString(dir.resolve("tokenizer.json"), text);
        TokenizerException e = assertThrows(TokenizerException.class, () -> Tokenizer.fromDirectory(dir));
        assertTrue(e.getMessage().contains(dir.resolve("tokenizer.json").toString()), () -> "names the file: " + e.getMessage());
        for (String m : mentions) assertTrue(e.getMessage().contains(m), () -> "message '" + e.getMessage() + "' should mention " + m);
    }

    @SuppressWarnings("unchecked")
    private void assertChangeFails(Consumer<Map<String, Object>> change, String... mentions) throws IOException {
        Map<String, Object> json = (Map<String, Object>) Json.parse(Files.readString(Fixtures.stories260k().resolve("tokenizer.json")));
        change.accept(json);
        assertFails(Json.write(json), mentions);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> model(Map<String, Object> json) {
        return (Map<String, Object>) json.get("model");
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> firstAddedToken(Map<String, Object> json) {
        return (Map<String, Object>) ((List<Object>) json.get("added_tokens")).getFirst();
    }

    @Test
    void notJsonOrTruncated() throws IOException {
        String whole = Files.readString(Fixtures.stories260k().resolve("tokenizer.json"));
        assertFails(whole.substring(0, whole.length() / 2), "offset");
        assertFails("", "offset");
        assertFails("[1, 2]", "object");
        assertFails("{\"model\": 1e999}", "out of range");
    }

    @Test
    void wrongTypes() throws IOException {
        assertChangeFails(j -> j.remove("model"), "model");
        assertChangeFails(j -> model(j).put("vocab", List.of("a")), "model.vocab");
        assertChangeFails(j -> model(j).put("vocab", Map.of("a", "zero")), "model.vocab['a']");
        assertChangeFails(j -> j.put("added_tokens", Map.of()), "added_tokens");
        assertChangeFails(j -> firstAddedToken(j).put("id", "0"), "added_tokens", "'id'");
        assertChangeFails(j -> j.put("version", "2.0"), "version", "2.0");
    }

    @Test
    void idsThatWouldSizeHugeArraysAreRefused() throws IOException {
        // Each of these once escaped as an OutOfMemoryError, a NegativeArraySizeException or an index error (found by TokenizerJsonFuzzTest).
        assertChangeFails(j -> firstAddedToken(j).put("id", 2147483646L), "added token '<unk>'", "2147483646", "[0, 4194303]");
        assertChangeFails(j -> firstAddedToken(j).put("id", -1L), "added token '<unk>'", "-1");
        assertChangeFails(j -> firstAddedToken(j).put("id", 1L << 32), "added token '<unk>'", "4294967296");
        assertChangeFails(j -> model(j).put("vocab", Map.of("a", 2147483647L)), "model.vocab['a']", "2147483647");
    }
}
