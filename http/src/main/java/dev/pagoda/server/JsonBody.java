package dev.pagoda.server;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A parsed JSON request body with typed accessors that answer a wrong type with a 400 naming the
 * field. Unknown fields are left alone: OpenAI clients send extras (user, store, metadata …).
 */
public final class JsonBody {
    private final ObjectNode root;

    private JsonBody(ObjectNode root) {
        this.root = root;
    }

    public static JsonBody parse(ObjectMapper mapper, byte[] bytes) {
        if (bytes.length == 0) throw ApiError.badRequest("The request body is empty; send a JSON object.", null);
        JsonNode node;
        try {
            node = mapper.readTree(bytes);
        } catch (JacksonException e) {
            throw ApiError.badRequest("The request body is not valid JSON (send one UTF-8 encoded JSON object): " + e.getOriginalMessage(), null);
        } catch (java.io.IOException e) {
            throw ApiError.badRequest("The request body could not be read: " + e.getMessage(), null);
        }
        if (!(node instanceof ObjectNode o)) throw ApiError.badRequest("The request body must be a JSON object.", null);
        return new JsonBody(o);
    }

    public ObjectNode root() { return root; }

    public boolean has(String field) {
        JsonNode v = root.get(field);
        return v != null && !v.isNull();
    }

    /** The field, or null when absent or JSON null. */
    public JsonNode get(String field) {
        JsonNode v = root.get(field);
        return v == null || v.isNull() ? null : v;
    }

    public String string(String field, String defaultValue) {
        JsonNode v = get(field);
        if (v == null) return defaultValue;
        if (!v.isTextual()) throw wrongType(field, "a string", v);
        return v.textValue();
    }

    public String requiredString(String field) {
        String s = string(field, null);
        if (s == null) throw ApiError.badRequest("Field '" + field + "' is required.", field);
        return s;
    }

    public boolean bool(String field, boolean defaultValue) {
        JsonNode v = get(field);
        if (v == null) return defaultValue;
        if (!v.isBoolean()) throw wrongType(field, "a boolean", v);
        return v.booleanValue();
    }

    public Integer integer(String field) {
        JsonNode v = get(field);
        if (v == null) return null;
        if (!v.isIntegralNumber() || !v.canConvertToInt()) throw wrongType(field, "an integer", v);
        return v.intValue();
    }

    /** An object field, or null. */
    public JsonBody object(String field) {
        JsonNode v = get(field);
        if (v == null) return null;
        if (!(v instanceof ObjectNode o)) throw wrongType(field, "an object", v);
        return new JsonBody(o);
    }

    static ApiError wrongType(String field, String expected, JsonNode v) {
        return ApiError.badRequest("Field '" + field + "' must be " + expected + ", got " + describe(v) + ".", field);
    }

    private static String describe(JsonNode v) {
        String s = v.toString();
        return s.length() > 80 ? s.substring(0, 77) + "..." : s;
    }

    /**
     * The JSON value as the engine's JSON model ({@code dev.pagoda.engine.json.Json}): Long, Double,
     * String, Boolean, List, Map, null. What {@code SamplingParams.fromJson} and the chat template read.
     */
    public static Object toPlain(JsonNode v) {
        if (v == null || v.isNull() || v.isMissingNode()) return null;
        if (v.isTextual()) return v.textValue();
        if (v.isBoolean()) return v.booleanValue();
        if (v.isIntegralNumber()) return v.canConvertToLong() ? (Object) v.longValue() : (Object) v.doubleValue();
        if (v.isNumber()) return v.doubleValue();
        if (v.isArray()) {
            List<Object> list = new ArrayList<>(v.size());
            for (JsonNode e : v) list.add(toPlain(e));
            return list;
        }
        Map<String, Object> map = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : v.properties()) map.put(e.getKey(), toPlain(e.getValue()));
        return map;
    }
}
