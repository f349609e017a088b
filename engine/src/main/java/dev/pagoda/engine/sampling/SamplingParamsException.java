package dev.pagoda.engine.sampling;

/**
 * A sampling parameter is out of range or inconsistent; the message is vLLM's wording where
 * vLLM has one, so that clients see the same error text. A server maps it to HTTP 400.
 */
public final class SamplingParamsException extends IllegalArgumentException {
    private final String parameter;

    /** @param parameter the vLLM name of the offending field, e.g. {@code "top_p"} */
    public SamplingParamsException(String parameter, String message) {
        super(message);
        this.parameter = parameter;
    }

    /** vLLM name of the offending field. */
    public String parameter() {
        return parameter;
    }
}
