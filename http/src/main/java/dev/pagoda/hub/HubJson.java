package dev.pagoda.hub;

import dev.pagoda.engine.json.Json;
import dev.pagoda.engine.json.JsonException;
import java.util.List;
import java.util.Map;

/** Reading the hub's JSON answers with errors that say which field was missing. */
final class HubJson {
    private HubJson() {}

    static Map<String, Object> object(String json) {
        try {
            return Json.parseObject(json);
        } catch (JsonException e) {
            throw new HubException("the hub's answer is not a JSON object: " + e.getMessage());
        }
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> asObject(Object o, String where) {
        if (o instanceof Map<?, ?> m) return (Map<String, Object>) m;
        throw new HubException(where + ": expected an object, got " + o);
    }

    static String string(Map<String, Object> m, String key, String where) {
        if (m.get(key) instanceof String s) return s;
        throw new HubException(where + ": no string \"" + key + "\"");
    }

    static List<?> list(Map<String, Object> m, String key, String where) {
        if (m.get(key) instanceof List<?> l) return l;
        throw new HubException(where + ": no list \"" + key + "\"");
    }
}
