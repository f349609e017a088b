package dev.pagoda.engine.sampling;

/** Why a sequence finished, with the OpenAI/vLLM wire names. */
public enum FinishReason {
    /** EOS, a stop token id or a stop string. */
    STOP("stop"),
    /** max_tokens reached, or the sequence filled the model's context (max_model_len). */
    LENGTH("length"),
    /** The request was aborted (client gone, engine shut down). */
    ABORT("abort");

    private final String wireName;

    FinishReason(String wireName) {
        this.wireName = wireName;
    }

    /** {@code "stop"}, {@code "length"} or {@code "abort"}. */
    public String wireName() {
        return wireName;
    }
}
