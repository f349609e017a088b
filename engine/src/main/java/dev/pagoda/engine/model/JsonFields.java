package dev.pagoda.engine.model;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;

/**
 * Typed, checked access to the fields of one JSON object read from a model file
 * ({@code config.json}, {@code generation_config.json}). A wrong type or range becomes a
 * {@link ModelLoadException} naming the file, the field (with its path, e.g.
 * {@code rope_scaling.factor}) and the offending value.
 *
 * <p>JSON {@code null} counts as absent, as it does for Hugging Face's config classes
 * ({@code "head_dim": null} means "use the default").
 *
 * @param file   the file the object came from, for messages
 * @param prefix the object's path inside the file ({@code ""} at the top level, else {@code "rope_scaling."})
 * @param fields the parsed object
 */
record JsonFields(Path file, String prefix, Map<String, Object> fields) {

    boolean has(String key) {
        return fields.get(key) != null;
    }

    Object raw(String key) {
        return fields.get(key);
    }

    ModelLoadException error(String key, String problem) {
        return new ModelLoadException(file + ": field " + prefix + key + " " + problem);
    }

    ModelLoadException missing(String key) {
        return new ModelLoadException(file + ": required field " + prefix + key + " is missing");
    }

    /** The value as written, quoted if it is a string, for error messages. */
    static String show(Object value) {
        return switch (value) {
            case null -> "null";
            case String s -> "\"" + s + "\" (a string)";
            case Map<?, ?> m -> "an object";
            case List<?> l -> "an array " + l;
            case Boolean b -> b + " (a boolean)";
            default -> value.toString();
        };
    }

    OptionalInt optInt(String key) {
        Object v = fields.get(key);
        if (v == null) return OptionalInt.empty();
        if (!(v instanceof Long l)) throw error(key, "must be an integer, got " + show(v));
        if (l < Integer.MIN_VALUE || l > Integer.MAX_VALUE) throw error(key, "is out of range: " + l);
        return OptionalInt.of(l.intValue());
    }

    int requiredInt(String key) {
        return optInt(key).orElseThrow(() -> missing(key));
    }

    /** A required integer that must be at least {@code min}. */
    int requiredInt(String key, int min) {
        int v = requiredInt(key);
        if (v < min) throw error(key, "must be at least " + min + ", got " + v);
        return v;
    }

    /** A required integer in {@code [min, max]}; above {@code max} the message gives the bound, so a typo is plain. */
    int requiredInt(String key, int min, int max) {
        int v = requiredInt(key, min);
        if (v > max) throw error(key, "is " + v + ", above the supported maximum " + max + " (corrupt config.json?)");
        return v;
    }

    OptionalDouble optDouble(String key) {
        Object v = fields.get(key);
        if (v == null) return OptionalDouble.empty();
        if (v instanceof Long l) return OptionalDouble.of(l.doubleValue());
        if (v instanceof Double d) return OptionalDouble.of(d);
        throw error(key, "must be a number, got " + show(v));
    }

    double requiredDouble(String key) {
        return optDouble(key).orElseThrow(() -> missing(key));
    }

    /** A number that must be finite and strictly positive, {@code fallback} when absent. */
    double positiveDouble(String key, double fallback) {
        double v = optDouble(key).orElse(fallback);
        if (!(v > 0) || Double.isInfinite(v)) throw error(key, "must be a positive number, got " + v);
        return v;
    }

    Optional<Boolean> optBoolean(String key) {
        Object v = fields.get(key);
        if (v == null) return Optional.empty();
        if (!(v instanceof Boolean b)) throw error(key, "must be true or false, got " + show(v));
        return Optional.of(b);
    }

    boolean bool(String key, boolean fallback) {
        return optBoolean(key).orElse(fallback);
    }

    Optional<String> optString(String key) {
        Object v = fields.get(key);
        if (v == null) return Optional.empty();
        if (!(v instanceof String s)) throw error(key, "must be a string, got " + show(v));
        return Optional.of(s);
    }

    /** A nested object, with its own prefix for messages; empty when absent or null. */
    @SuppressWarnings("unchecked")
    Optional<JsonFields> optObject(String key) {
        Object v = fields.get(key);
        if (v == null) return Optional.empty();
        if (!(v instanceof Map<?, ?> m)) throw error(key, "must be an object, got " + show(v));
        return Optional.of(new JsonFields(file, prefix + key + ".", (Map<String, Object>) m));
    }

    /** A token id or a list of token ids ({@code eos_token_id} may be either); empty when absent. */
    List<Integer> intOrIntList(String key) {
        Object v = fields.get(key);
        if (v == null) return List.of();
        if (v instanceof Long) return List.of(optInt(key).getAsInt());
        if (v instanceof List<?> list) {
            Integer[] ids = new Integer[list.size()];
            for (int i = 0; i < ids.length; i++) {
                if (!(list.get(i) instanceof Long l) || l < 0 || l > Integer.MAX_VALUE) {
                    throw error(key, "must be a token id or a list of token ids, got element " + show(list.get(i)));
                }
                ids[i] = l.intValue();
            }
            return List.of(ids);
        }
        throw error(key, "must be a token id or a list of token ids, got " + show(v));
    }
}
