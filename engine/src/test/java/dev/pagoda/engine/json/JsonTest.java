package dev.pagoda.engine.json;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonTest {
    @Test
    void parsesAllValueKinds() {
        Map<String, Object> o = Json.parseObject("{\"a\": [1, -2.5e1, true, null, \"x\\u00e9\\n\"], \"b\": {}}");
        assertEquals(List.of(1L, -25.0, true), ((List<?>) o.get("a")).subList(0, 3));
        assertNull(((List<?>) o.get("a")).get(3));
        assertEquals("x\u00e9\n", ((List<?>) o.get("a")).get(4));
        assertEquals(Map.of(), o.get("b"));
    }

    @Test
    void keepsSurrogatePairsFromEscapes() {
        assertEquals("\uD83D\uDE00", Json.parse("\"\\ud83d\\ude00\""));
    }

    @Test
    void rejectsMalformedInputWithOffset() {
        JsonException e = assertThrows(JsonException.class, () -> Json.parse("{\"a\": [1, 2}"));
        assertTrue(e.getMessage().contains("offset 12"), e.getMessage());
        assertThrows(JsonException.class, () -> Json.parse("[1] x"));
        assertThrows(JsonException.class, () -> Json.parse("01"));
        assertThrows(JsonException.class, () -> Json.parse("\"unterminated"));
    }

    @Test
    void boundsNestingDepth() {
        String deep = "[".repeat(Json.MAX_DEPTH + 2) + "]".repeat(Json.MAX_DEPTH + 2);
        assertThrows(JsonException.class, () -> Json.parse(deep));
    }

    @Test
    void writesRoundTrip() {
        String s = "{\"k\":[1,2.5,\"a\\\"b\\u0001\",null,false]}";
        assertEquals(s, Json.write(Json.parse(s)));
    }
}
