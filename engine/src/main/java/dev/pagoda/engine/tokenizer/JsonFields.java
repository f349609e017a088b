package dev.pagoda.engine.tokenizer;

import java.util.List;
import java.util.Map;

/** Typed field access on parsed {@code tokenizer.json} objects, with errors that name the field. */
final class JsonFields {
    private JsonFields() {}

    static String string(Map<?, ?> m, String key, String where) {
        if (m.get(key) instanceof String s) return s;
        throw new TokenizerException("tokenizer.json: " + where + " needs a string field '" + key + "'");
    }

    static List<?> list(Map<?, ?> m, String key, String where) {
        if (m.get(key) instanceof List<?> l) return l;
        throw new TokenizerException("tokenizer.json: " + where + " needs an array field '" + key + "'");
    }

    static boolean bool(Map<?, ?> m, String key, boolean defaultValue) {
        return m.get(key) instanceof Boolean b ? b : defaultValue;
    }

    static int integer(Map<?, ?> m, String key, int defaultValue) {
        return m.get(key) instanceof Long l ? l.intValue() : defaultValue;
    }
}
