package dev.pagoda.engine.json;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** The duplicate-key option that safetensors headers need (a tensor listed twice). */
class JsonDuplicateKeysTest {
    @Test
    void lenientParseKeepsTheLastValue() {
        assertEquals(Map.of("a", 2L), Json.parseObject("{\"a\":1,\"a\":2}"));
    }

    @Test
    void strictParseNamesTheRepeatedKey() {
        var e = assertThrows(JsonException.class, () -> Json.parseObject("{\"x\":{\"a\":1,\"b\":{},\"a\":2}}", true));
        assertTrue(e.getMessage().contains("duplicate key \"a\""), e.getMessage());
        assertEquals(Map.of("a", 1L, "b", 2L), Json.parseObject("{\"a\":1,\"b\":2}", true));
    }
}
