package dev.pagoda.engine.sampling;

/**
 * A {@link StopChecker} verdict: the sequence is finished, why, and what to do with its text.
 *
 * @param reason        {@link FinishReason#STOP} or {@link FinishReason#LENGTH}
 * @param stopTokenId   the stop_token_ids entry that matched; -1 for EOS, a stop string or a length cap
 * @param stopString    the stop string that matched, or null
 * @param textLength    cut the output text to this many chars (a stop string match); -1 = keep it all
 * @param omitTokenText a stop token ended it and include_stop_str_in_output is false: do not append
 *                      the last token's text (vLLM's detokenizer skips it)
 */
public record Finish(FinishReason reason, int stopTokenId, String stopString, int textLength, boolean omitTokenText) {

    static Finish length() {
        return new Finish(FinishReason.LENGTH, -1, null, -1, false);
    }

    /**
     * vLLM's / OpenAI's {@code stop_reason}: the matched stop token id (Integer) or stop string,
     * or null (EOS, length).
     */
    public Object stopReason() {
        if (stopString != null) return stopString;
        return stopTokenId >= 0 ? Integer.valueOf(stopTokenId) : null;
    }

    /** {@code text} cut to {@link #textLength()} when a stop string asks for it. */
    public String truncate(String text) {
        return textLength >= 0 && textLength < text.length() ? text.substring(0, textLength) : text;
    }
}
