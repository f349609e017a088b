package dev.pagoda.engine.sampling;

/**
 * Which scores a request's {@code logprobs} report, as vLLM's {@code logprobs_mode} (a server-wide
 * option there, a per-request one here).
 *
 * <ul>
 *   <li>{@link #RAW_LOGPROBS} (the default): log-softmax of the model's logits, before any
 *       processing. What OpenAI-style clients expect.
 *   <li>{@link #PROCESSED_LOGPROBS}: log-softmax of the logits the token was actually drawn from,
 *       after logit bias, min_tokens, penalties, temperature, min_p, top_k and top_p (tokens those
 *       removed have {@code -Infinity}). For greedy rows: after bias, min_tokens and penalties.
 *   <li>{@link #RAW_LOGITS} / {@link #PROCESSED_LOGITS}: the same two points, as logits instead of
 *       log-probabilities.
 * </ul>
 *
 * <p>Prompt logprobs are always {@link #RAW_LOGPROBS}, as in vLLM.
 */
public enum LogprobsMode {
    RAW_LOGPROBS("raw_logprobs"),
    RAW_LOGITS("raw_logits"),
    PROCESSED_LOGPROBS("processed_logprobs"),
    PROCESSED_LOGITS("processed_logits");

    private final String vllmName;

    LogprobsMode(String vllmName) {
        this.vllmName = vllmName;
    }

    /** vLLM's spelling, e.g. {@code "raw_logprobs"}. */
    public String vllmName() {
        return vllmName;
    }

    /** True for the two modes taken after processing. */
    public boolean processed() {
        return this == PROCESSED_LOGPROBS || this == PROCESSED_LOGITS;
    }

    /** True for the two modes that report log-probabilities (false: logits). */
    public boolean logprobs() {
        return this == RAW_LOGPROBS || this == PROCESSED_LOGPROBS;
    }

    /** Parses vLLM's spelling; a clear error lists the accepted ones. */
    public static LogprobsMode fromVllmName(String name) {
        for (LogprobsMode m : values()) if (m.vllmName.equals(name)) return m;
        throw new SamplingParamsException("logprobs_mode",
                "logprobs_mode must be one of raw_logprobs, raw_logits, processed_logprobs, processed_logits, got '" + name + "'.");
    }
}
