package dev.pagoda.engine.model;

/**
 * A model directory that cannot be loaded: a bad {@code config.json}, a corrupt or incomplete
 * safetensors file, a missing or misshapen tensor. The message always names the file and the
 * field or tensor, and says what is wrong with it, so that a user can fix the files.
 */
public final class ModelLoadException extends RuntimeException {
    public ModelLoadException(String message) {
        super(message);
    }

    public ModelLoadException(String message, Throwable cause) {
        super(message, cause);
    }
}
