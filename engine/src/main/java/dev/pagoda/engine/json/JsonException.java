package dev.pagoda.engine.json;

/** Malformed JSON; the message says what and where (character offset). */
public final class JsonException extends RuntimeException {
    public JsonException(String message) {
        super(message);
    }
}
