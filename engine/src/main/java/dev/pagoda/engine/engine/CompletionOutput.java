package dev.pagoda.engine.engine;

import dev.pagoda.engine.sampling.FinishReason;
import dev.pagoda.engine.sampling.TokenLogprobs;
import java.util.List;

/**
 * One completion of a request as far as it got (vLLM's {@code CompletionOutput}). Cumulative
 * fields for the offline API, deltas for streaming.
 *
 * @param index        which of the request's n completions
 * @param text         the output text so far (a stop string and what follows it cut off)
 * @param textDelta    what {@code text} gained since the previous output of this request
 * @param tokenIds     {@code [numOutputTokens]} generated ids so far (the stop token included, as vLLM)
 * @param numNewTokens how many of {@code tokenIds} are new since the previous output
 * @param logprobs     one entry per output token when the request asked for logprobs, else empty
 * @param finishReason null while generating
 * @param stopReason   the stop string or stop token id that ended it, else null
 */
public record CompletionOutput(int index, String text, String textDelta, int[] tokenIds, int numNewTokens,
                               List<TokenLogprobs> logprobs, FinishReason finishReason, Object stopReason) {
    public boolean finished() {
        return finishReason != null;
    }
}
