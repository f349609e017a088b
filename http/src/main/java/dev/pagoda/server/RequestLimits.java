package dev.pagoda.server;

import dev.pagoda.engine.sampling.SamplingParams;

/**
 * How much one request may ask for, checked before it reaches the engine (vLLM's security advisories
 * are mostly unbounded parameters). Every limit is a {@code ./pagoda serve} flag; a request past one
 * gets a 400 (413 for the body, 431 for the headers) whose message names the flag.
 *
 * @param maxRequestBodyBytes    largest request body ({@code --max-request-body-bytes}); larger ones get 413
 * @param maxRequestHeaderBytes  largest request line plus headers ({@code --max-request-header-bytes}); larger get 431
 * @param maxLogprobs            largest {@code logprobs}, {@code top_logprobs} and {@code prompt_logprobs}
 *                               ({@code --max-logprobs}, vLLM's; -1 = the whole vocabulary)
 * @param maxN                   largest {@code n} ({@code --max-n})
 * @param maxStopSequences       most {@code stop} strings ({@code --max-stop-sequences})
 * @param maxStopSequenceChars   longest single {@code stop} string, in chars ({@code --max-stop-sequence-chars})
 * @param maxStopTokenIds        most {@code stop_token_ids} ({@code --max-stop-sequences} as well)
 * @param maxLogitBiasEntries    most {@code logit_bias} entries ({@code --max-logit-bias-entries})
 * @param maxPrompts             most prompts (or embedding inputs) in one request ({@code --max-prompts-per-request})
 * @param maxChatTemplateChars   longest request-supplied {@code chat_template} (only with --trust-request-chat-template)
 * @param trustRequestChatTemplate whether a request may bring its own {@code chat_template} (vLLM's
 *                               {@code --trust-request-chat-template}); it is refused otherwise
 */
public record RequestLimits(long maxRequestBodyBytes, int maxRequestHeaderBytes, int maxLogprobs, int maxN, int maxStopSequences,
                            int maxStopSequenceChars, int maxStopTokenIds, int maxLogitBiasEntries, int maxPrompts,
                            int maxChatTemplateChars, boolean trustRequestChatTemplate) {
    public static final RequestLimits DEFAULT = new RequestLimits(32L << 20, 16 << 10, SamplingParams.DEFAULT_MAX_LOGPROBS, 128, 64, 1024,
            64, 1024, 1024, 64 << 10, false);

    public RequestLimits {
        check(maxRequestBodyBytes >= 1024, "--max-request-body-bytes must be at least 1024, got " + maxRequestBodyBytes);
        check(maxRequestHeaderBytes >= 1024, "--max-request-header-bytes must be at least 1024, got " + maxRequestHeaderBytes);
        check(maxLogprobs >= -1, "--max-logprobs must be -1 (unlimited) or at least 0, got " + maxLogprobs);
        check(maxN >= 1, "--max-n must be at least 1, got " + maxN);
        check(maxStopSequences >= 0 && maxStopTokenIds >= 0, "--max-stop-sequences must be at least 0, got " + maxStopSequences);
        check(maxStopSequenceChars >= 1, "--max-stop-sequence-chars must be at least 1, got " + maxStopSequenceChars);
        check(maxLogitBiasEntries >= 0, "--max-logit-bias-entries must be at least 0, got " + maxLogitBiasEntries);
        check(maxPrompts >= 1, "--max-prompts-per-request must be at least 1, got " + maxPrompts);
        check(maxChatTemplateChars >= 1, "the chat template size limit must be positive, got " + maxChatTemplateChars);
    }

    private static void check(boolean ok, String message) {
        if (!ok) throw new IllegalArgumentException(message);
    }

    public RequestLimits withTrustRequestChatTemplate(boolean v) {
        return new RequestLimits(maxRequestBodyBytes, maxRequestHeaderBytes, maxLogprobs, maxN, maxStopSequences, maxStopSequenceChars,
                maxStopTokenIds, maxLogitBiasEntries, maxPrompts, maxChatTemplateChars, v);
    }

    public RequestLimits withMaxRequestBodyBytes(long v) {
        return new RequestLimits(v, maxRequestHeaderBytes, maxLogprobs, maxN, maxStopSequences, maxStopSequenceChars,
                maxStopTokenIds, maxLogitBiasEntries, maxPrompts, maxChatTemplateChars, trustRequestChatTemplate);
    }
}
