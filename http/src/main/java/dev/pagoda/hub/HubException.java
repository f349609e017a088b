package dev.pagoda.hub;

/** A model could not be fetched from (or found offline in the cache of) the Hugging Face hub; the message says why. */
public final class HubException extends RuntimeException {
    public HubException(String message) {
        super(message);
    }
}
