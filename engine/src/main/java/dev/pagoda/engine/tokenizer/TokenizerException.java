package dev.pagoda.engine.tokenizer;

/**
 * A tokenizer file that cannot be loaded faithfully: a malformed field, or a feature of Hugging Face
 * {@code tokenizer.json} that this implementation does not support. We refuse instead of guessing,
 * because a silently different tokenization is worse than no tokenization.
 */
public final class TokenizerException extends RuntimeException {
    public TokenizerException(String message) {
        super(message);
    }

    static TokenizerException unsupported(String where, Object type) {
        return new TokenizerException("unsupported tokenizer.json feature: " + where + " of type '" + type + "'");
    }
}
